"""Configuration classes; the environment is read when create_app() calls from_env()."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from portal import resources

PROJECT_ROOT = resources.CHECKOUT_DIR  # the source checkout (development commands only)


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run safely."""


class BaseConfig:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY: str | None = None
    # Data folder (BV_DATA_DIR): the checkout's var/, or var/ in the current directory when
    # installed (portal/resources.py); the SQLite file and uploads default to it (place_data).
    PORTAL_DATA_DIR: str | None = None
    SQLALCHEMY_DATABASE_URI: str | None = None  # None: bonvoisin.sqlite3 in the data folder
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    # One setting sizes a worker (portal.db.plan_pools, README "Capacity plan"): the database
    # operations it runs at once. Its pools, the send-order pool and how many may wait for a
    # connection follow from it; each key below left None is derived, a value wins.
    WORKER_CONCURRENCY = 20
    DB_POOL_SIZE: int | None = None  # C // 2
    DB_MAX_OVERFLOW: int | None = None  # C - C // 2
    DB_ORDER_POOL: int | None = None  # max(2, C // 4): sends in flight (advisory locks)
    DB_ADMISSION_LIMIT: int | None = None  # 2 × C: operations let in, the rest refused at once
    # Fail fast: a wait for a connection or for a send's turn ends after this (well under the
    # clients' retry interval); the refusal tells the client to come back in DB_RETRY_AFTER.
    DB_POOL_TIMEOUT = 1.5
    DB_RETRY_AFTER = 2
    SQLITE_POOL_TIMEOUT = 30.0  # one SQLite connection per process (SQLITE_SERIALIZE)
    REDIS_URL: str | None = None
    SQLITE_SERIALIZE = True  # see factory._prepare_sqlite

    # Sessions: personal tablets stay logged in; staff sessions end with the browser.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    SESSION_COOKIE_NAME = "bv_session"
    PERMANENT_SESSION_LIFETIME = timedelta(days=180)
    REMEMBER_COOKIE_DURATION = timedelta(seconds=0)

    # Forms left open for an hour must still submit: the token lives as long as the session.
    WTF_CSRF_TIME_LIMIT = None
    WTF_CSRF_SSL_STRICT = True

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "Europe/Paris"
    BABEL_TRANSLATION_DIRECTORIES = str(resources.resource_dir("translations"))
    PORTAL_LOCALES = ("fr", "en", "ar")

    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_ENABLED = True
    # Redis away: count in this process's memory meanwhile rather than refuse everyone.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    AUTH_STAFF_LOGIN_LIMIT = "10 per 15 minutes"
    AUTH_PIN_LOGIN_LIMIT = "30 per 15 minutes"
    AUTH_PIN_MAX_FAILURES = 5
    AUTH_PIN_LOCK_MINUTES = 15
    AUTH_DEVICE_COOKIE = "bv_device"
    AUTH_DEVICE_COOKIE_DAYS = 365
    AUTH_ARGON2: dict[str, int] = {}

    SOCKETIO_ASYNC_MODE = "threading"
    SOCKETIO_CORS_ORIGINS: list[str] | str | None = None

    MAX_CONTENT_LENGTH = 12 * 1024 * 1024
    PORTAL_UPLOAD_DIR: str | None = None  # None: uploads/ in the data folder
    # Photos: pixels read from the header and refused above this before any decoding (a
    # 48-megapixel phone photo passes); at most this many decodes at once per worker.
    PORTAL_MAX_IMAGE_PIXELS = 50_000_000
    PORTAL_IMAGE_DECODES = 2
    MESSAGING_MAX_PHOTO_BYTES = 10_000_000
    ACTIVITIES_MAX_PHOTO_BYTES = 10_000_000  # an activity's photo and its album's photos
    CONCIERGE_MAX_PHOTO_BYTES = 10_000_000  # a ticket's photos, a logbook's documents
    MESSAGING_MAX_VOICE_BYTES = 4_000_000
    MESSAGING_MAX_VOICE_SECONDS = 120
    MESSAGING_SEND_LIMIT = "20/10 seconds"
    SOCKETIO_MAX_PAYLOAD = 64 * 1024
    SOCKETIO_EVENT_LIMIT = "120/10 seconds"
    # After a Redis restart a worker's sockets catch up spread over sockets / this seconds
    # (portal.realtime.resync_window, at most 60 s): about this many catch-ups a second, a
    # fraction of what a worker serves, so that live sends keep their room meanwhile.
    SOCKETIO_RESYNC_PER_SECOND = 30.0

    # The concierge desk: targets per priority, in working hours of the building's desk.
    CONCIERGE_TARGETS: dict[str, dict[str, int]] = {
        "urgent": {"acknowledge": 4, "resolve": 16},
        "high": {"acknowledge": 8, "resolve": 40},
        "normal": {"acknowledge": 16, "resolve": 80},
        "low": {"acknowledge": 40, "resolve": 160},
    }
    CONCIERGE_WORKING_HOURS = (8, 18)  # local building time, Monday to Friday
    CONCIERGE_WORKING_DAYS = (0, 1, 2, 3, 4)
    CONCIERGE_PARCEL_REMINDER_DAYS = 3
    CONCIERGE_MAX_DOCUMENT_BYTES = 10_000_000
    CONCIERGE_MAX_TICKET_PHOTOS = 3

    SCHEDULER_ENABLED = True
    SCHEDULER_HEARTBEAT_SECONDS = 30
    AUDIT_RETENTION_DAYS = 365  # audit entries older than this are purged daily

    # Retention (README "Retention" gives each period's reason) -------------------------
    # Days kept before the daily purges remove the data; at least 1 (portal/retention.py).
    MESSAGING_RETENTION_DAYS = 730  # each message, counted from when it was sent
    NOTIFICATIONS_RETENTION_DAYS = 90  # each notification, read or not
    WELLBEING_RETENTION_DAYS = 365  # check-ins, closed missed check-ins, closed help calls
    PEOPLE_ACTIVITY_RETENTION_DAYS = 730  # the days a resident had Bon Voisin open
    DATARIGHTS_CLOSED_ACCOUNT_DAYS = 180  # a closed account is erased this long after closing
    # ------------------------------------------------------------------------------------

    LOG_JSON = False  # JSON lines (production) or readable text
    LOG_REQUESTS = True
    SERVER_STOP_TIMEOUT = 10  # seconds given to in-flight requests on SIGTERM
    HEALTH_REQUIRE_SCHEDULER = True

    PORTAL_BASE_URL: str | None = None  # public address printed on demo logins
    SERVER_HOST = "127.0.0.1"
    SERVER_PORT = 5000

    PORTAL_NODE_MODULES = str(resources.resource_dir("node_modules"))

    # Mail (portal/mail.py): invitations, password resets, alerts. No SMTP URL: written to
    # the log (development, or production while BV_MAIL_TO_LOG says so), kept in memory (tests).
    PORTAL_SMTP_URL: str | None = None
    PORTAL_MAIL_FROM = "Bon Voisin <no-reply@localhost>"
    PORTAL_MAIL_TO_LOG = False

    # Alerts (portal/alerts) ---------------------------------------------------------------
    # SMS through an Apprise URL whose `{phone}` becomes the E.164 number, e.g.
    # `json://sms.example:8080/send?:to={phone}`; none: alerts go by email only.
    ALERTS_SMS_URL: str | None = None
    ALERTS_ESCALATE_AFTER_MINUTES = 10  # unacknowledged this long: the next person is told
    ALERTS_URGENT_REQUEST_MINUTES = 30  # an urgent help request nobody took raises an alert
    ALERTS_LINK_HOURS = 48  # how long the "I'm on it" link in a message works
    ALERTS_DEFAULT_COUNTRY_CODE = "+33"  # phone numbers written 06 12 34 56 78
    # The first round after the commit that raised the alert: None, on a thread of its own
    # (under TESTING, left to the minute job); True, in the committing thread; False, the job.
    ALERTS_SEND_AT_ONCE: bool | None = None

    # Video calls (messaging/calls, README "Video calls") ----------------------------------
    # ICE servers given to the browsers of a call: none, direct connections only (one local
    # network); STUN finds a tablet's public address; TURN relays media behind strict NAT
    # (deploy/coturn.conf). With CALLS_TURN_SECRET (coturn's static-auth-secret) each call
    # gets a login valid CALLS_TURN_TTL_SECONDS; else the fixed username and password.
    CALLS_STUN_URLS: tuple[str, ...] = ()
    CALLS_TURN_URLS: tuple[str, ...] = ()
    CALLS_TURN_SECRET: str | None = None
    CALLS_TURN_USERNAME: str | None = None
    CALLS_TURN_PASSWORD: str | None = None
    CALLS_TURN_TTL_SECONDS = 6 * 3600
    CALLS_RING_SECONDS = 45  # then the call counts as missed
    CALLS_MAX_MINUTES = 240  # a call still under way after this is ended by the minute job

    # Scheduler leadership (portal/leadership.py, README "Scheduler failover") -----------
    # Every process with SCHEDULER_ENABLED stands for election; on PostgreSQL the holder of
    # the advisory lock (2, SCHEDULER_LEADER_LOCK_KEY) runs the jobs. Standbys try to take
    # the lead, and the leader checks it still holds it, every RETRY seconds.
    SCHEDULER_LEADER_RETRY_SECONDS = 5.0
    SCHEDULER_LEADER_LOCK_KEY = 1  # give each deployment sharing one database its own key
    SCHEDULER_LEADER_CONNECT_TIMEOUT = 5.0
    SCHEDULER_JOB_SECONDS: dict[str, float] = {}  # job id -> interval, replacing its own


class DevelopmentConfig(BaseConfig):
    """Local development: an SQLite file, a fixed development key."""

    ENV_NAME = "development"
    SECRET_KEY = "dev-only-not-secret"


class TestingConfig(BaseConfig):
    """Test runs: in-memory SQLite unless told otherwise, scheduler off."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-not-secret"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    # Tests hold a session open while requests run in the same thread.
    SQLITE_SERIALIZE = False
    SCHEDULER_ENABLED = False
    HEALTH_REQUIRE_SCHEDULER = False
    LOG_REQUESTS = False
    RATELIMIT_ENABLED = True
    # Cheap hashing keeps the suite fast; still argon2id, still verified for real.
    AUTH_ARGON2 = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


class ProductionConfig(BaseConfig):
    """Production: a secret key is required and cookies are Secure."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    LOG_JSON = True


CONFIGS: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}

# Environment variable -> (config key, parser)
ENV_KEYS: dict[str, tuple[str, Any]] = {
    "SECRET_KEY": ("SECRET_KEY", str),
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "REDIS_URL": ("REDIS_URL", str),
    "BV_BASE_URL": ("PORTAL_BASE_URL", str),
    # Behind a reverse proxy: how many proxies in front of the portal set X-Forwarded-*
    # (deploy/nginx.conf alone: 1). PORTAL_PROXY_HOPS is 0 by default (portal/security.py):
    # those headers are then ignored, since any client can send them.
    "BV_PROXY_HOPS": ("PORTAL_PROXY_HOPS", int),
    "BV_HOST": ("SERVER_HOST", str),
    "BV_PORT": ("SERVER_PORT", int),
    "BV_SCHEDULER": ("SCHEDULER_ENABLED", lambda v: v.lower() in {"1", "true", "yes", "on"}),
    "BV_SOCKETIO_ASYNC_MODE": ("SOCKETIO_ASYNC_MODE", str),
    "BV_DATA_DIR": ("PORTAL_DATA_DIR", str),
    "BV_UPLOAD_DIR": ("PORTAL_UPLOAD_DIR", str),
    "BV_LOG_JSON": ("LOG_JSON", lambda v: v.lower() in {"1", "true", "yes", "on"}),
    "BV_STOP_TIMEOUT": ("SERVER_STOP_TIMEOUT", float),
    "BV_DB_POOL_SIZE": ("DB_POOL_SIZE", int),
    "BV_DB_MAX_OVERFLOW": ("DB_MAX_OVERFLOW", int),
    "BV_WORKER_CONCURRENCY": ("WORKER_CONCURRENCY", int),
    "BV_DB_POOL_TIMEOUT": ("DB_POOL_TIMEOUT", float),
    "BV_DB_RETRY_AFTER": ("DB_RETRY_AFTER", int),
    "BV_AUDIT_RETENTION_DAYS": ("AUDIT_RETENTION_DAYS", int),
    # Retention (README "Retention") ----------------------------------------------------
    "BV_MESSAGING_RETENTION_DAYS": ("MESSAGING_RETENTION_DAYS", int),
    "BV_NOTIFICATIONS_RETENTION_DAYS": ("NOTIFICATIONS_RETENTION_DAYS", int),
    "BV_WELLBEING_RETENTION_DAYS": ("WELLBEING_RETENTION_DAYS", int),
    "BV_ACTIVITY_DAYS_RETENTION_DAYS": ("PEOPLE_ACTIVITY_RETENTION_DAYS", int),
    "BV_CLOSED_ACCOUNT_DAYS": ("DATARIGHTS_CLOSED_ACCOUNT_DAYS", int),
    # ------------------------------------------------------------------------------------
    "BV_SMTP_URL": ("PORTAL_SMTP_URL", str),
    "BV_MAIL_FROM": ("PORTAL_MAIL_FROM", str),
    "BV_MAIL_TO_LOG": ("PORTAL_MAIL_TO_LOG", lambda v: v.lower() in {"1", "true", "yes", "on"}),
    "BV_SECURE_COOKIES": (
        "SESSION_COOKIE_SECURE",
        lambda v: v.lower() in {"1", "true", "yes", "on"},
    ),
    # Alerts (portal/alerts) -------------------------------------------------------------
    "BV_SMS_URL": ("ALERTS_SMS_URL", str),
    "BV_ALERTS_ESCALATE_MINUTES": ("ALERTS_ESCALATE_AFTER_MINUTES", int),
    "BV_ALERTS_URGENT_REQUEST_MINUTES": ("ALERTS_URGENT_REQUEST_MINUTES", int),
    "BV_ALERTS_LINK_HOURS": ("ALERTS_LINK_HOURS", int),
    # Video calls: URL lists are comma-separated ("stun:turn.example.org:3478,…") ---------
    "BV_STUN_URLS": (
        "CALLS_STUN_URLS",
        lambda v: tuple(u.strip() for u in v.split(",") if u.strip()),
    ),
    "BV_TURN_URLS": (
        "CALLS_TURN_URLS",
        lambda v: tuple(u.strip() for u in v.split(",") if u.strip()),
    ),
    "BV_TURN_SECRET": ("CALLS_TURN_SECRET", str),
    "BV_TURN_USERNAME": ("CALLS_TURN_USERNAME", str),
    "BV_TURN_PASSWORD": ("CALLS_TURN_PASSWORD", str),
    "BV_CALLS_RING_SECONDS": ("CALLS_RING_SECONDS", int),
    # Scheduler leadership ----------------------------------------------------------------
    "BV_SCHEDULER_HEARTBEAT_SECONDS": ("SCHEDULER_HEARTBEAT_SECONDS", float),
    "BV_SCHEDULER_RETRY_SECONDS": ("SCHEDULER_LEADER_RETRY_SECONDS", float),
    "BV_SCHEDULER_LOCK_KEY": ("SCHEDULER_LEADER_LOCK_KEY", int),
    # "job.id=seconds,other.id=seconds"
    "BV_SCHEDULER_JOB_SECONDS": (
        "SCHEDULER_JOB_SECONDS",
        lambda v: {k.strip(): float(n) for k, _, n in (p.partition("=") for p in v.split(","))},
    ),
}


def from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    """Return config overrides read from the given environment."""
    overrides: dict[str, Any] = {}
    for var, (key, parse) in ENV_KEYS.items():
        value = environ.get(var)
        if value:
            overrides[key] = parse(value)
    return overrides


def place_data(config: MutableMapping[str, Any], cwd: Path) -> None:
    """Resolve the data folder; the SQLite file and uploads go there unless set on their own."""
    data_dir = Path(cwd, config.get("PORTAL_DATA_DIR") or resources.default_data_dir(cwd))
    config["PORTAL_DATA_DIR"] = str(data_dir)
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{data_dir / 'bonvoisin.sqlite3'}"
    if not config.get("PORTAL_UPLOAD_DIR"):
        config["PORTAL_UPLOAD_DIR"] = str(data_dir / "uploads")


def select_config(name: str | None) -> type[BaseConfig]:
    """Pick a config class by name (BV_ENV), defaulting to development."""
    try:
        return CONFIGS[name or "development"]
    except KeyError as exc:
        raise ConfigError(f"Unknown BV_ENV {name!r}; use one of {sorted(CONFIGS)}") from exc


def check_config(config: Mapping[str, Any]) -> None:
    """Refuse to start with settings that are unsafe for the chosen environment."""
    if config.get("ENV_NAME") == "production" and not config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY must be set in production.")
    if not config.get("SECRET_KEY"):
        raise ConfigError("SECRET_KEY is empty.")
    if (
        config.get("ENV_NAME") == "production"
        and not config.get("PORTAL_SMTP_URL")
        and not config.get("PORTAL_MAIL_TO_LOG")
    ):
        raise ConfigError(
            "BV_SMTP_URL must be set in production (invitations, password resets and alerts "
            "go by email); BV_MAIL_TO_LOG=1 writes them to the log instead."
        )
