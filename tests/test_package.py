"""The portal as an installed package: the wheel, installed with the lock into a fresh venv,
migrates and serves from a folder outside the checkout; the lock covers pyproject.toml."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from portal import resources
from portal.config import place_data
from tests.live import answers, free_port

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "constraints.txt"
# What the build reads from the checkout; the rest (venvs, caches, tests) stays behind.
LEFT_BEHIND = shutil.ignore_patterns(
    *(".git", ".venv", "node_modules", "build", "dist", "var", "*.egg-info", "__pycache__"),
    *(".pytest_cache", ".ruff_cache", "tests", "bench", "*.mo"),
)


def _name(requirement: str) -> str:
    """A requirement's normalised project name ("Flask-SQLAlchemy>=3" -> "flask-sqlalchemy")."""
    name = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert name, requirement
    return re.sub(r"[-_.]+", "-", name.group(0)).lower()


def _locked() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[_name(name)] = version.strip()
    return pins


def test_the_lock_pins_every_dependency_of_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = list(project["dependencies"])
    for extra in ("test", "bench"):
        wanted += project["optional-dependencies"][extra]
    locked = _locked()
    missing = sorted({_name(r) for r in wanted} - set(locked) - {"bon-voisin"})
    assert not missing, f"not in {LOCK.relative_to(ROOT)}: {missing}; run `make lock`"


def test_data_goes_to_the_data_folder_unless_set_on_its_own(tmp_path) -> None:
    config: dict[str, object] = {"PORTAL_DATA_DIR": "data"}
    place_data(config, tmp_path)
    assert config["PORTAL_DATA_DIR"] == str(tmp_path / "data")
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'data'}/bonvoisin.sqlite3"
    assert config["PORTAL_UPLOAD_DIR"] == str(tmp_path / "data" / "uploads")
    config = {"SQLALCHEMY_DATABASE_URI": "sqlite://", "PORTAL_UPLOAD_DIR": "/srv/up"}
    place_data(config, tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == "sqlite://"
    assert config["PORTAL_UPLOAD_DIR"] == "/srv/up"
    assert config["PORTAL_DATA_DIR"] == str(ROOT / "var")  # the checkout's, in development


def _front_end() -> list[Path]:
    """The node_modules files the wheel ships (package.json's runtime dependencies)."""
    dependencies = list(json.loads((ROOT / "package.json").read_text())["dependencies"])
    return resources.node_modules_files(ROOT, dependencies)


def test_the_wheel_ships_every_front_end_file_the_portal_reads() -> None:
    shipped = {str(path.relative_to(ROOT / "node_modules")) for path in _front_end()}
    assert resources.VENDOR_FILES.issubset(shipped)


def test_the_checkout_reads_its_own_folders() -> None:
    assert resources.in_checkout()
    assert resources.resource_dir("migrations") == ROOT / "migrations"
    assert resources.resource_dir("node_modules") == ROOT / "node_modules"
    with pytest.raises(ValueError):
        resources.resource_dir("var")


def _run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=600, **kwargs)  # type: ignore[call-overload]


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    if result.returncode != 0:
        pytest.fail(f"{what} failed:\n{(result.stdout + result.stderr)[-4000:]}")


def _clean_env(**extra: str) -> dict[str, str]:
    """The machine's environment without anything that points back at the checkout."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "FLASK_APP", "DATABASE_URL")
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("BV_")}
    return {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def _get(url: str, **headers: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def _french(msgid: str) -> str:
    with (ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        text = read_po(handle, locale="fr")[msgid].string
    assert text and text != msgid
    return text


@pytest.mark.package
def test_the_wheel_installed_in_a_fresh_venv_serves_the_portal_outside_the_checkout(
    tmp_path,
) -> None:
    # The build: from a copy of the sources (no stale build/, no .mo, no venv), with the
    # front-end files the portal serves, as `npm ci` leaves them.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=LEFT_BEHIND)
    front_end = [path.relative_to(ROOT) for path in _front_end()]
    for path in front_end:
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / path, source / path)
    env = _clean_env()
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    _check(_run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(source)], env=env), "build")
    (wheel,) = wheels.glob("bon_voisin-*.whl")

    # A fresh venv with the wheel and its locked dependencies (pip's cache keeps it quick).
    venv = tmp_path / "venv"
    _check(_run([sys.executable, "-m", "venv", str(venv)], env=env), "venv")
    bin_dir = venv / "bin"
    install = [str(bin_dir / "python"), "-m", "pip", "install", "-q", "-c", str(LOCK), str(wheel)]
    _check(_run(install, env=env), "install")

    # Elsewhere: the installed package, not the checkout, is what runs.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    database = tmp_path / "db" / "portal.sqlite3"
    env = _clean_env(
        BV_ENV="production",
        SECRET_KEY="a-long-random-secret-for-the-package-test",
        DATABASE_URL=f"sqlite:///{database}",
        BV_MAIL_TO_LOG="1",
        BV_SCHEDULER="0",
    )
    where = "import portal, sys; print(portal.__file__); print(sys.path)"
    found = _run([str(bin_dir / "python"), "-c", where], cwd=elsewhere, env=env)
    _check(found, "import portal")
    assert found.stdout.startswith(str(venv)), found.stdout
    assert str(ROOT) not in found.stdout
    bundle = Path(found.stdout.splitlines()[0]).parent / "_bundle"
    assert all((bundle / path).is_file() for path in front_end)

    _check(_run([str(bin_dir / "bon-voisin"), "db", "upgrade"], cwd=elsewhere, env=env), "upgrade")
    assert database.is_file()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server_env = {**env, "BV_HOST": "127.0.0.1", "BV_PORT": str(port)}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(bin_dir / "bon-voisin"), "serve"],
        cwd=elsewhere,
        env=server_env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while not answers(f"{base}/login/staff") and time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "server.log").read_text()
            time.sleep(0.2)
        status, page = _get(f"{base}/login/staff", **{"Accept-Language": "fr"})
        assert status == 200
        html = page.decode()
        assert '<html lang="fr"' in html
        assert _french("Skip to the content") in html  # the catalogue compiled into the wheel
        assert "/static/css/portal.css" in html
        status, css = _get(f"{base}/static/css/portal.css")
        assert (status, css) == (
            200,
            (ROOT / "portal" / "static" / "css" / "portal.css").read_bytes(),
        )
        for name in sorted(resources.VENDOR_FILES):  # from node_modules, copied into the wheel
            status, body = _get(f"{base}/vendor/{name}")
            assert (status, body) == (200, (ROOT / "node_modules" / name).read_bytes()), name
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()

    # With no database named, the data folder is var/ in the current directory.
    env.pop("DATABASE_URL")
    _check(_run([str(bin_dir / "bon-voisin"), "db", "upgrade"], cwd=elsewhere, env=env), "default")
    assert (elsewhere / "var" / "bonvoisin.sqlite3").is_file()
    assert not list((venv / "lib").glob("python*/site-packages/var"))
