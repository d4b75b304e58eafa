"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, text

from portal.extensions import db
from portal.factory import create_app


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
    base_url = os.environ.get("DATABASE_URL_TEST")
    if not base_url:
        pytest.skip("DATABASE_URL_TEST is not set: no PostgreSQL to migrate")
    schema = f"migr_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in base_url else "?"
        url = f"{base_url}{separator}options=-csearch_path%3D{schema}"
        assert run_migrations(url) == []
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
