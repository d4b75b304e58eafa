"""Run the real server (`python app.py`) in a subprocess for live tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio as socketio_client
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def server_python() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


@contextmanager
def live_server(
    database_uri: str,
    log_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    port: int | None = None,
) -> Iterator[LiveServer]:
    """Start `python app.py` on a free 127.0.0.1 port (or the one given); stop it afterwards."""
    port = port or free_port()
    env = {
        **os.environ,
        "BV_ENV": "development",
        "SECRET_KEY": "live-test-secret",
        "DATABASE_URL": database_uri,
        "BV_PORT": str(port),
        "BV_HOST": "127.0.0.1",
        "BV_SCHEDULER": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    env.update(extra_env or {})
    log_path = log_dir / f"server-{port}.log"
    with log_path.open("wb") as log:
        # A file, not a pipe: nobody reads a pipe while tests run, and a full one blocks.
        process = subprocess.Popen(
            [server_python(), "app.py"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(f"{server.url}/login"):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_in_with_card(base_url: str, token: str) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{base_url}/login/card/{token}", timeout=5)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
    assert csrf, page.text
    response = http.post(
        f"{base_url}/login/card/{token}",
        data={"csrf_token": csrf.group(1)},
        allow_redirects=False,
        timeout=5,
    )
    assert response.status_code == 302
    return http


class Listener:
    """A python-socketio client that records every event it receives."""

    def __init__(self, base_url: str, http: requests.Session | None) -> None:
        self.client = socketio_client.Client(reconnection=False)
        self.received: list[tuple[str, Any]] = []
        self.arrived = threading.Event()
        self.client.on("*", self._record)
        cookie = "; ".join(f"{k}={v}" for k, v in (http.cookies.items() if http else []))
        self.client.connect(base_url, headers={"Cookie": cookie}, transports=["websocket"])

    def _record(self, event: str, data: object = None) -> None:
        self.received.append((event, data))
        self.arrived.set()

    def close(self) -> None:
        if self.client.connected:
            self.client.disconnect()


@contextmanager
def postgres_schema(prefix: str) -> Iterator[str]:
    """A URL to a fresh schema of the PostgreSQL named by DATABASE_URL_TEST (skip if unset)."""
    base_url = os.environ.get("DATABASE_URL_TEST")
    if not base_url:
        pytest.skip("DATABASE_URL_TEST is not set: no PostgreSQL to use")
    schema = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        separator = "&" if "?" in base_url else "?"
        yield f"{base_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
