from __future__ import annotations

import pytest

from portal.config import ConfigError, from_env
from portal.factory import create_app


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"ENV_NAME": "production"})


def test_production_starts_with_a_secret_key_and_secure_cookies(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.setenv("BV_SMTP_URL", "smtp://127.0.0.1:2525")
    app = create_app({"ENV_NAME": "production"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SECRET_KEY"] == "a-long-random-production-secret"


def test_production_refuses_to_start_without_a_way_to_send_mail(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-long-random-production-secret")
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    monkeypatch.delenv("BV_SMTP_URL", raising=False)
    monkeypatch.delenv("BV_MAIL_TO_LOG", raising=False)
    with pytest.raises(ConfigError, match="BV_SMTP_URL"):
        create_app({"ENV_NAME": "production"})
    monkeypatch.setenv("BV_MAIL_TO_LOG", "1")
    app = create_app({"ENV_NAME": "production"})
    assert app.config["MAIL_BACKEND"].__name__ == "LogBackend"


def test_environment_variables_are_read_at_create_time():
    overrides = from_env(
        {"DATABASE_URL": "postgresql+psycopg://x/y", "BV_PORT": "8080", "BV_SCHEDULER": "no"}
    )
    assert overrides == {
        "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://x/y",
        "SERVER_PORT": 8080,
        "SCHEDULER_ENABLED": False,
    }


def test_unknown_environment_name_is_refused():
    with pytest.raises(ConfigError, match="BV_ENV"):
        create_app({"ENV_NAME": "staging"})


def test_redis_url_also_stores_rate_limits():
    app = create_app({"ENV_NAME": "testing", "REDIS_URL": "redis://127.0.0.1:6379/15"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/15"


def test_socketio_async_mode_is_explicit(app):
    from portal.extensions import socketio

    assert app.config["SOCKETIO_ASYNC_MODE"] == "threading"
    assert socketio.async_mode == "threading"


def test_each_domain_reads_its_own_photo_size_with_messagings_default(app):
    assert app.config["ACTIVITIES_MAX_PHOTO_BYTES"] == 10_000_000
    assert app.config["ACTIVITIES_MAX_PHOTO_BYTES"] == app.config["MESSAGING_MAX_PHOTO_BYTES"]
    assert app.config["CONCIERGE_MAX_PHOTO_BYTES"] == app.config["MESSAGING_MAX_PHOTO_BYTES"]
