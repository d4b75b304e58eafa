"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from portal.factory import create_app
from tests.live import postgres_schema


def schema_differences(app) -> list:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def run_migrations(uri: str) -> list:
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
    differences = schema_differences(app)
    with app.app_context():
        downgrade(revision="base")
        db.engine.dispose()
    return differences


def test_migrations_match_the_models_on_sqlite(tmp_path):
    assert run_migrations(f"sqlite:///{tmp_path / 'migrated.sqlite3'}") == []


@pytest.mark.postgres
def test_migrations_match_the_models_on_postgresql():
    with postgres_schema("migr") as url:
        assert run_migrations(url) == []
