"""Application factory: configuration, extensions, blueprints, socket handlers, errors, CLI."""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from flask.ctx import RequestContext

from portal import config as config_module
from portal import resources
from portal.db import install_sqlite_tuning, render_migration_item
from portal.extensions import babel, csrf, db, limiter, login_manager, migrate, socketio


class Portal(Flask):
    """Flask, with a lighter request context for the events of a connected socket."""

    def request_context(self, environ: dict[str, Any]) -> RequestContext:
        from portal import realtime

        return realtime.socket_event_context(self, environ) or super().request_context(environ)


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """Build a configured Bon Voisin application."""
    app = Portal(__name__, instance_relative_config=False)
    _configure(app, overrides or {})
    _import_domains()
    _init_extensions(app)
    _register_domains(app)
    return app


# The packages of the domains (their import registers socket handlers, tiles, figures…).
DOMAIN_PACKAGES = (
    "activities",
    "activities.voice",
    "concierge",
    "messaging",
    "messaging.announcements",
    "messaging.calls",
    "messaging.family",
    "portal.referrals",
)


def _import_domains() -> None:
    """Import the domains before the app's Socket.IO server exists. Flask-SocketIO keeps a
    handler for every app only when it is declared while no server exists: one declared
    later joins the server of the app being built alone, and a second app of the process
    (tests build many) would lack it."""
    for name in DOMAIN_PACKAGES:
        importlib.import_module(name)


def _configure(app: Flask, overrides: Mapping[str, Any]) -> None:
    env_name = overrides.get("ENV_NAME") or os.environ.get("BV_ENV")
    app.config.from_object(config_module.select_config(env_name))
    if not app.config.get("TESTING") or overrides.get("READ_ENV"):
        app.config.update(config_module.from_env(os.environ))
    app.config.update(overrides)
    config_module.place_data(app.config, Path.cwd())
    if app.config.get("REDIS_URL") and app.config["RATELIMIT_STORAGE_URI"] == "memory://":
        app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"]
    config_module.check_config(app.config)
    _prepare_sqlite(app)
    _size_server_pool(app)


def _size_server_pool(app: Flask) -> None:
    """PostgreSQL: the worker's pool as portal.db.plan_pools derives it (WORKER_CONCURRENCY)."""
    from portal.db import plan_pools

    plan = app.config["DB_POOL_PLAN"] = plan_pools(app.config)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        "pool_size": plan["pool_size"],
        "max_overflow": plan["max_overflow"],
        "pool_timeout": plan["pool_timeout"],
    }


def _prepare_sqlite(app: Flask) -> None:
    """Make the SQLite file's folder; tune in-memory databases for tests."""
    uri: str = app.config["SQLALCHEMY_DATABASE_URI"]
    if not uri.startswith("sqlite"):
        return
    path = uri.removeprefix("sqlite:///")
    # SQLite files are local: no connection to test before use.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        k: v for k, v in app.config["SQLALCHEMY_ENGINE_OPTIONS"].items() if k != "pool_pre_ping"
    }
    if uri in {"sqlite://", "sqlite:///:memory:"}:
        from sqlalchemy.pool import StaticPool

        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "poolclass": StaticPool,
            "connect_args": {"check_same_thread": False},
        }
    elif path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if app.config["SQLITE_SERIALIZE"]:
            # One connection per process: threads queue in Python (woken at once) instead
            # of in SQLite's busy handler, which sleeps up to 100 ms between retries.
            app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
                "pool_size": 1,
                "max_overflow": 0,
                "pool_timeout": app.config["SQLITE_POOL_TIMEOUT"],
            }


def _init_extensions(app: Flask) -> None:
    from portal import (
        admission,
        easyread,
        health,
        i18n,
        icons,
        logs,
        mail,
        realtime,
        security,
        validation,
    )
    from portal.auth import init_app as init_auth
    from portal.errors import register_error_handlers

    validation.init_app(app)  # before any route: `<int:…>` ids are bounded
    install_sqlite_tuning()
    db.init_app(app)
    admission.init_app(app)  # before any route's own hooks: refused work touches nothing
    migrate.init_app(
        app,
        db,
        directory=str(resources.resource_dir("migrations")),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    i18n.init_app(app, babel)
    init_auth(app, login_manager)
    realtime.init_app(app, socketio)
    security.init_app(app)
    logs.init_app(app)
    health.init_app(app)
    mail.init_app(app)
    icons.init_app(app)
    easyread.init_app(app)
    register_error_handlers(app)


def _register_domains(app: Flask) -> None:
    from activities import bp as activities_bp
    from activities.voice import bp as voice_bp
    from concierge import bp as concierge_bp
    from messaging import bp as messaging_bp
    from messaging.announcements import bp as announcements_bp
    from messaging.calls import bp as calls_bp
    from messaging.family import bp as family_bp
    from portal import cli, scheduler, transaction
    from portal.admin import bp as admin_bp
    from portal.audit import bp as audit_bp
    from portal.audit import models as _audit_models  # noqa: F401  (the audit table)
    from portal.auth import bp as auth_bp
    from portal.datarights import bp as datarights_bp
    from portal.figures import bp as figures_bp
    from portal.home import bp as home_bp
    from portal.notifications import bp as notifications_bp
    from portal.offline import bp as offline_bp
    from portal.people import bp as people_bp
    from portal.wellbeing import bp as wellbeing_bp

    domains = (messaging_bp, activities_bp, concierge_bp, wellbeing_bp)
    for blueprint in (auth_bp, home_bp, people_bp, admin_bp, notifications_bp, *domains):
        app.register_blueprint(blueprint)
    app.register_blueprint(announcements_bp)
    app.register_blueprint(family_bp)
    app.register_blueprint(calls_bp)
    app.register_blueprint(offline_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(datarights_bp)
    app.register_blueprint(figures_bp)
    app.register_blueprint(voice_bp)
    from portal import alerts

    alerts.init(app)
    from portal.referrals import bp as referrals_bp

    app.register_blueprint(referrals_bp)
    from activities import jobs as activities_jobs
    from concierge.desk import jobs as desk_jobs
    from concierge.exchange import jobs as exchange_jobs
    from messaging import jobs as messaging_jobs
    from messaging.calls import jobs as calls_jobs
    from portal.alerts import jobs as alerts_jobs
    from portal.audit import jobs as audit_jobs
    from portal.datarights import jobs as datarights_jobs
    from portal.notifications import jobs as notifications_jobs
    from portal.people import jobs as people_jobs
    from portal.referrals import jobs as referrals_jobs
    from portal.wellbeing import jobs as wellbeing_jobs

    registrars = [
        scheduler.register_jobs,
        activities_jobs.register_jobs,
        desk_jobs.register_jobs,
        exchange_jobs.register_jobs,
        audit_jobs.register_jobs,
        wellbeing_jobs.register_jobs,
        messaging_jobs.register_jobs,
        calls_jobs.register_jobs,
        notifications_jobs.register_jobs,
        people_jobs.register_jobs,
        datarights_jobs.register_jobs,
        alerts_jobs.register_jobs,
        referrals_jobs.register_jobs,
    ]
    scheduler.init_app(app, job_registrars=registrars)
    cli.init_app(app)
    transaction.install(app)
