"""Shared fixtures: app, db, client, runner, login, socket_client, events."""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_socketio import SocketIOTestClient

from portal import realtime
from portal.errors import DomainError
from portal.extensions import db as _db
from portal.extensions import socketio
from portal.factory import create_app
from portal.people.models import Person
from tests.live import postgres_schema
from tests.smtp import Inbox, SMTPServer

TEST_CONFIG: dict[str, Any] = {"ENV_NAME": "testing"}
# The fuzz suite's figures, merged across pytest-xdist workers into one closing summary.
pytest_plugins = ("tests.fuzz.summary",)


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, as a real server would, after committing what
    the test built.

    The test body keeps an app context open; without this, requests would share its `g`
    (cached user, CSRF token) and its database session.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Assertions read English; French is tested explicitly where it matters.
        self.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    def open(self, *args: Any, **kwargs: Any) -> Any:
        # The test owns its session's transaction, as a request owns its own: what it built
        # through the services (which only flush) is saved before anyone asks for a page.
        _db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        _db.session.expire_all()  # the test's own objects see what the request wrote
        return response


def on_postgresql() -> bool:
    """BV_TEST_DATABASE=postgresql runs the suite on the PostgreSQL of DATABASE_URL_TEST."""
    return os.environ.get("BV_TEST_DATABASE", "sqlite") == "postgresql"


@contextlib.contextmanager
def test_database(tmp_path: Path) -> Iterator[str]:
    if on_postgresql():
        with postgres_schema("t") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """A fresh app on its own database (an SQLite file, or a PostgreSQL schema), scheduler
    off, uploads in its own folder, with its tables created."""
    with test_database(tmp_path) as uri:
        uploads = str(tmp_path / "uploads")
        application = create_app(
            {**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": uri, "PORTAL_UPLOAD_DIR": uploads}
        )
        application.test_client_class = IsolatedClient
        with application.app_context():
            _db.create_all()
            yield application
            _db.session.remove()
            _db.drop_all()
            _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def login(client: FlaskClient) -> Callable[[Person], FlaskClient]:
    """Log a person in on the shared test client, as Flask-Login would."""

    def do_login(person: Person, on: FlaskClient | None = None) -> FlaskClient:
        target = on or client
        with target.session_transaction() as session:
            session.clear()
            session["_user_id"] = person.get_id()
            session["_fresh"] = True
        return target

    return do_login


@pytest.fixture
def socket_client(
    app: Flask, login: Callable[..., FlaskClient]
) -> Iterator[Callable[[Person], SocketIOTestClient]]:
    """A Socket.IO test client logged in as the given person (one HTTP client per person)."""
    clients: list[SocketIOTestClient] = []

    def connect(person: Person) -> SocketIOTestClient:
        http = login(person, app.test_client())
        _db.session.commit()  # the connect handler reads the person through its own session
        sock = CommittingSocketClient(app, socketio, flask_test_client=http)
        clients.append(sock)
        return sock

    yield connect
    for sock in clients:
        if sock.is_connected():
            sock.disconnect()


def code(call: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The code of the refusal (DomainError) that `call(*args, **kwargs)` must raise."""
    with pytest.raises(DomainError) as error:
        call(*args, **kwargs)
    return error.value.code


class CommittingSocketClient(SocketIOTestClient):
    """A Socket.IO test client whose events see what the test built (committed first)."""

    def emit(self, event: str, *args: Any, **kwargs: Any) -> Any:
        _db.session.commit()
        return super().emit(event, *args, **kwargs)


class CapturedEvents(list[realtime.Event]):
    """Events that left the server, in order."""

    def named(self, name: str) -> list[realtime.Event]:
        return [evt for evt in self if evt.name == name]


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> CapturedEvents:
    """Capture every event emitted after a commit (and still send it)."""
    captured = CapturedEvents()
    original = realtime._emit

    def capture(evt: realtime.Event) -> None:
        rooms = evt.to if isinstance(evt.to, list) else [evt.to]
        captured.extend(realtime.Event(evt.name, evt.payload, room) for room in rooms)
        original(evt)

    monkeypatch.setattr(realtime, "_emit", capture)
    return captured


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis named by REDIS_URL_TEST (skipped with a reason when unset)."""
    url = os.environ.get("REDIS_URL_TEST")
    if not url:
        pytest.skip("REDIS_URL_TEST is not set: no Redis to share events through")
    return url


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on 127.0.0.1, shared by the session's tests of one process."""
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def inbox(smtp_server: SMTPServer) -> Inbox:
    """The SMTP test server's mails, emptied for this test."""
    smtp_server.inbox.clear()
    return smtp_server.inbox


@pytest.fixture
def smtp_app(app: Flask, smtp_server: SMTPServer) -> Flask:
    """The test app sending its mail to the SMTP test server."""
    from portal import mail

    app.config["PORTAL_SMTP_URL"] = smtp_server.url
    mail.init_app(app)
    return app
