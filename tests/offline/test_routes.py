"""The installable app's routes: the service worker, the manifest, the icons, the offline page."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import BytesIO

from flask.testing import FlaskClient
from PIL import Image

from portal.offline.icons import draw
from portal.people.models import Person
from tests.factories import make_resident, make_staff


def test_service_worker_is_served_from_the_root_with_its_shell_and_no_cache(
    client: FlaskClient,
) -> None:
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    # A file, not inline script: the page's CSP still applies to the worker.
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    first_line, _, source = response.get_data(as_text=True).partition("\n")
    config = json.loads(first_line.removeprefix("const CONFIG = ").removesuffix(";"))
    assert config["offlineUrl"] == "/offline" and config["loginUrl"] == "/login"
    assert "/static/css/portal.css" in config["shell"]
    assert "/static/js/outbox.js" in config["shell"]
    assert len(config["version"]) == 16
    assert 'self.addEventListener("fetch"' in source
    for url in config["shell"]:
        shell_file = client.get(url)
        shell_file.close()  # a file sent from disk
        assert shell_file.status_code == 200, url


def test_manifest_makes_the_portal_installable_with_icons_that_exist(client: FlaskClient) -> None:
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = response.get_json(force=True)
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    purposes = {icon.get("purpose", "any") for icon in manifest["icons"]}
    assert purposes == {"any", "maskable"}
    for icon in manifest["icons"]:
        fetched = client.get(icon["src"])
        data = fetched.data
        fetched.close()  # a file sent from disk
        assert fetched.status_code == 200, icon["src"]
        assert fetched.mimetype == icon["type"]
        if icon["type"] == "image/png":
            width, height = Image.open(BytesIO(data)).size
            assert f"{width}x{height}" == icon["sizes"]


def test_offline_page_needs_no_login_and_says_what_to_do(client: FlaskClient) -> None:
    response = client.get("/offline")
    assert response.status_code == 200
    assert b'id="offline-title"' in response.data


def test_pages_link_the_manifest_and_a_resident_page_loads_the_outbox(
    login: Callable[[Person], FlaskClient],
) -> None:
    resident = make_resident(first_name="Ginette")
    page = login(resident).get("/").get_data(as_text=True)
    assert 'rel="manifest" href="/manifest.webmanifest"' in page
    assert "js/outbox.js" in page
    assert f'<meta name="bv-person" content="{resident.id}" data-offline-pages>' in page


def test_staff_pages_are_never_kept_for_offline(login: Callable[[Person], FlaskClient]) -> None:
    staff = make_staff(email="desk-offline@example.org")
    page = login(staff).get("/").get_data(as_text=True)
    assert f'<meta name="bv-person" content="{staff.id}">' in page


def test_the_maskable_icon_keeps_the_house_inside_the_safe_circle() -> None:
    image = draw(100, safe=0.7).convert("RGB")
    background = image.getpixel((0, 0))
    # Outside the central 80 % circle there is only background.
    for x, y in [(10, 50), (90, 50), (50, 10), (50, 90), (20, 20), (80, 80)]:
        assert image.getpixel((x, y)) == background, (x, y)
    assert image.getpixel((35, 60)) == (255, 255, 255)  # a wall of the house
