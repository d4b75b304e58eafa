"""The service worker (served from the root, so it may keep every page of the portal), the
web app manifest and the page shown offline when a page was never seen."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from flask import Response, current_app, render_template, url_for

from portal import resources
from portal.offline import bp

STATIC = Path(__file__).resolve().parent.parent / "static"
WORKER_FILE = STATIC / "js" / "sw.js"
THEME_COLOUR = "#0b5a7a"
BACKGROUND_COLOUR = "#ffffff"
ICON_SIZES = (192, 512)
SOCKET_CLIENT = "socket.io-client/dist/socket.io.min.js"

# What every page needs to be drawn offline: kept when the worker installs.
SHELL_FILES = (
    "css/portal.css",
    "js/portal.js",
    "js/realtime.js",
    "js/live.js",
    "js/outbox.js",
    "js/notifications.js",
    "icons/icon.svg",
    "icons/icon-192.png",
)


def shell_urls() -> list[str]:
    """The addresses the service worker keeps at install, as the pages write them."""
    urls = [url_for("static", filename=name) for name in SHELL_FILES]
    if SOCKET_CLIENT in resources.VENDOR_FILES:
        urls.append(url_for("home.vendor", filename=SOCKET_CLIENT))
    return urls


@cache
def _version(paths: tuple[Path, ...]) -> str:
    """A short fingerprint of the worker and the shell: a new one makes browsers update."""
    digest = hashlib.sha256()
    for path in paths:
        if path.exists():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@bp.get("/sw.js")
def service_worker() -> Response:
    """The service worker, with this deployment's shell addresses and version written in."""
    version = _version((WORKER_FILE, *(STATIC / name for name in SHELL_FILES)))
    config = {
        "version": version,
        "shell": shell_urls(),
        "offlineUrl": url_for("offline.page"),
        "homeUrl": url_for("home.index"),
        "loginUrl": url_for("auth.login"),
        "logoutUrl": url_for("auth.logout"),
    }
    source = WORKER_FILE.read_text(encoding="utf-8")
    body = f"const CONFIG = {json.dumps(config)};\n{source}"
    response = Response(body, mimetype="text/javascript")
    # Browsers check the worker for updates at most daily anyway; never keep an old one.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """What a tablet needs to put Bon Voisin on its home screen as an app of its own."""
    icons = [
        {
            "src": url_for("static", filename=f"icons/icon-{size}.png"),
            "sizes": f"{size}x{size}",
            "type": "image/png",
            "purpose": "any",
        }
        for size in ICON_SIZES
    ]
    icons.append(
        {
            "src": url_for("static", filename="icons/maskable-512.png"),
            "sizes": "512x512",
            "type": "image/png",
            "purpose": "maskable",
        }
    )
    icons.append(
        {
            "src": url_for("static", filename="icons/icon.svg"),
            "sizes": "any",
            "type": "image/svg+xml",
        }
    )
    home = url_for("home.index")
    data = {
        "id": home,
        "name": "Bon Voisin",
        "short_name": "Bon Voisin",
        "start_url": home,
        "scope": home,
        "display": "standalone",
        "orientation": "any",
        "background_color": BACKGROUND_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": icons,
    }
    response = current_app.response_class(
        json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline")
def page() -> str:
    """Shown instead of a page that was never opened while the tablet was connected."""
    return render_template("offline/offline.html")
