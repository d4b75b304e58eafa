"""What the benchmarks share: a fresh database, the app on it, session cookies, figures."""

from __future__ import annotations

import os
import resource
import statistics
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-key"
Cleanup = Callable[[], None] | None


def prepare_database(url: str | None) -> tuple[str, Cleanup]:
    """A fresh SQLite file, or a fresh schema in the given PostgreSQL database."""
    if not url:
        folder = tempfile.mkdtemp(prefix="bv-bench-")
        return f"sqlite:///{folder}/bench.sqlite3", None
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in url else "?"

    def drop() -> None:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()

    return f"{url}{separator}options=-csearch_path%3D{schema}", drop


def make_app(uri: str, **overrides: Any) -> Any:
    """The portal as `python app.py` configures it (development settings), on `uri`, with
    the scheduler off and request logging quiet."""
    from portal.factory import create_app

    config = {
        "ENV_NAME": "development",
        "SECRET_KEY": SECRET,
        "SQLALCHEMY_DATABASE_URI": uri,
        "SCHEDULER_ENABLED": False,
        "LOG_REQUESTS": False,
        "PORTAL_UPLOAD_DIR": tempfile.mkdtemp(prefix="bv-bench-uploads-"),
        **overrides,
    }
    return create_app(config)


def session_cookies(app: Any, people: list[Any]) -> dict[int, str]:
    """A signed session cookie per person, as Flask-Login writes it after a login."""
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    return {
        p.id: f"{name}={serializer.dumps({'_user_id': p.get_id(), '_fresh': True})}" for p in people
    }


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100), two decimals; NaN without values."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return round(values[0], 2)
    return round(statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1], 2)


def rss_kb(pid: int) -> int:
    """Resident memory of a process, in KiB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def cpu_ms(pid: int) -> float:
    """CPU time a process has used so far (user + system), in milliseconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def raise_open_files(wanted: int) -> int:
    """Raise this process's open-file limit towards `wanted` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def environ_without(*names: str) -> dict[str, str]:
    env = dict(os.environ)
    for name in names:
        env.pop(name, None)
    return env


def free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_portal(uri: str, log_file: Path, **env: str) -> tuple[Any, str]:
    """`python app.py` (gevent, no scheduler, no Redis) on a free port, once it answers."""
    import subprocess
    import time

    port = free_port()
    environ = environ_without("REDIS_URL")
    environ.update(
        {
            "BV_ENV": "development",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": uri,
            "BV_PORT": str(port),
            "BV_SCHEDULER": "0",
            "PYTHONUNBUFFERED": "1",
            "BV_SOCKETIO_ASYNC_MODE": "gevent",
            **env,
        }
    )
    url = f"http://127.0.0.1:{port}"
    with log_file.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while not answers(f"{url}/login"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"server did not start:\n{log_file.read_text()}")
        time.sleep(0.2)
    return process, url


def create_tables() -> None:
    """Create every table, importing each package's models first (a package whose models
    no route has imported yet would otherwise have no table)."""
    import importlib
    import pkgutil

    from portal.extensions import db

    for package_name in ("portal", "messaging", "activities", "concierge"):
        package = importlib.import_module(package_name)
        for info in pkgutil.walk_packages(package.__path__, f"{package_name}."):
            if info.name.rsplit(".", 1)[-1] in ("models", "help_models"):
                importlib.import_module(info.name)
    db.create_all()
