"""Hostile files (issue 17, cases 1 and 8): decompression bombs and crafted images refused
with one clear message before any decoding, a bounded number of decodes at once, voice
messages parsed and measured from their container, logbook PDFs only ever downloaded."""

from __future__ import annotations

import io
import os
import random
import re
import struct
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from PIL import Image, ImageFile, ImageOps
from sqlalchemy import func, select

from concierge.desk import logbook
from concierge.desk.models import LogbookKind, Ticket
from messaging import service as messaging
from messaging import uploads as voice
from messaging.announcements.models import Announcement
from messaging.models import Attachment
from portal import uploads
from portal.errors import Invalid
from portal.extensions import db
from portal.people.models import Person, Role
from tests import media
from tests.conftest import code
from tests.factories import make_building, make_resident, make_staff

NOT_A_PHOTO = "This file is not a photo we can show."
NOT_A_RECORDING = "This file is not a voice message we can play."
CHROME_RECORDING = Path(__file__).parent / "data" / "chrome-voice-3s.webm"  # real MediaRecorder


@pytest.fixture(scope="module")
def png_bomb() -> bytes:
    """48 KB of PNG that decodes to 20,000 × 20,000 pixels."""
    return media.png_bomb(20_000, 20_000)


@pytest.fixture
def people(app: Flask) -> dict[str, Person]:
    building = make_building()
    found = {
        "resident": make_resident(building, first_name="Jeanne"),
        "coordinator": make_staff(Role.COORDINATOR, [building]),
    }
    db.session.commit()
    return found


def token(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, html[:300]
    return match.group(1)


def stored_files(app: Flask) -> list[Path]:
    folder = Path(app.config["PORTAL_UPLOAD_DIR"])
    return sorted(folder.iterdir()) if folder.exists() else []


def count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


# Photos through every route that takes one ---------------------------------------------


def send_message_photo(client: FlaskClient, data: bytes) -> tuple[int, str]:
    response = client.post(
        "/api/messaging/uploads",
        data={"kind": "photo", "file": (io.BytesIO(data), "IMG_0001.png")},
        headers={"X-CSRFToken": token(client, "/messages")},
        content_type="multipart/form-data",
    )
    body = response.get_json()
    assert body["ok"] is False and body["error"] == "bad_type"
    return response.status_code, body["message"]


def send_profile_photo(client: FlaskClient, data: bytes) -> tuple[int, str]:
    response = client.post(
        "/profile",
        data={
            "csrf_token": token(client, "/profile"),
            "display_name": "Jeanne",
            "photo": (io.BytesIO(data), "moi.png"),
        },
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def send_announcement_photo(client: FlaskClient, data: bytes) -> tuple[int, str]:
    page = client.get("/announcements/new").get_data(as_text=True)
    building = re.search(r'name="building" value="(\d+)"', page) or re.search(
        r'<option[^>]*value="(\d+)"', page
    )
    assert building, "the coordinator's building is offered"
    response = client.post(
        "/announcements/new",
        data={
            "building": building.group(1),
            "csrf_token": token(client, "/announcements/new"),
            "title": "Canicule",
            "body": "Buvez de l'eau souvent.",
            "photo": (io.BytesIO(data), "chaleur.png"),
        },
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def send_ticket_photo(client: FlaskClient, data: bytes) -> tuple[int, str]:
    response = client.post(
        "/tickets/new",
        data={
            "csrf_token": token(client, "/tickets/new"),
            "category": "water",
            "place": "home",
            "description": "Fuite sous l'évier",
            "photos": [(io.BytesIO(data), "fuite.png")],
        },
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


PHOTO_ROUTES: dict[str, tuple[str, Callable[[FlaskClient, bytes], tuple[int, str]]]] = {
    "message": ("resident", send_message_photo),
    "profile": ("resident", send_profile_photo),
    "announcement": ("coordinator", send_announcement_photo),
    "ticket": ("resident", send_ticket_photo),
}


def nothing_stored(app: Flask, people: dict[str, Person]) -> None:
    assert stored_files(app) == []
    assert count(Attachment) == 0 and count(Announcement) == 0 and count(Ticket) == 0
    assert db.session.get(Person, people["resident"].id).photo_path is None


@pytest.mark.parametrize("route", sorted(PHOTO_ROUTES))
@pytest.mark.parametrize("payload", ["png_bomb", "gif_bomb", "gif_odd"])
def test_a_hostile_photo_is_refused_clearly_everywhere_and_nothing_is_stored(
    app, client, login, people, png_bomb, route, payload
):
    data = {"png_bomb": png_bomb, "gif_bomb": media.GIF_BOMB, "gif_odd": media.GIF_ODD}[payload]
    assert len(data) < 50_000
    who, send = PHOTO_ROUTES[route]
    login(people[who])
    status, text = send(client, data)
    assert status == 422
    assert NOT_A_PHOTO in text
    nothing_stored(app, people)


@pytest.mark.parametrize("route", sorted(PHOTO_ROUTES))
def test_a_normal_photo_still_goes_through_every_route(app, client, login, people, route):
    who, send = PHOTO_ROUTES[route]
    login(people[who])
    if route == "message":
        response = client.post(
            "/api/messaging/uploads",
            data={"kind": "photo", "file": (io.BytesIO(media.photo()), "IMG_0001.jpg")},
            headers={"X-CSRFToken": token(client, "/messages")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 201
    else:
        status, _text = send(client, media.photo())
        assert status == 302
    assert len(stored_files(app)) == 2  # the photo and its thumbnail


# Pixels counted from the header, before any decoding -----------------------------------


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[int, int]]]:
    """Every decode of a file's pixels (ImageFile.load, which every plugin goes through) with
    the image's size at that moment."""
    seen: list[tuple[str, tuple[int, int]]] = []
    original = ImageFile.ImageFile.load

    def spy(self: ImageFile.ImageFile) -> Any:
        seen.append((type(self).__name__, self.size))
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy)
    return seen


@pytest.mark.parametrize(
    ("width", "height"),
    [(12_000, 12_000), (8_000, 7_000)],  # Pillow warns about the first only; both over our cap
)
def test_too_many_pixels_are_refused_from_the_header_without_decoding(app, decodes, width, height):
    data = media.png_bomb(width, height)
    assert len(data) < 40_000
    # As in production, where Pillow's own DecompressionBombWarning is only a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        assert code(uploads.store_image, data, 10_000_000) == "bad_type"
    assert decodes == []
    assert stored_files(app) == []


def test_the_pixel_cap_is_a_setting(app, decodes):
    app.config["PORTAL_MAX_IMAGE_PIXELS"] = 400
    assert code(uploads.store_image, media.photo((21, 20)), 10_000_000) == "bad_type"
    assert decodes == []
    assert uploads.store_image(media.photo((20, 20)), 10_000_000).width == 20


def test_a_48_megapixel_phone_photo_passes_decoded_at_a_reduced_scale(app, decodes):
    buffer = io.BytesIO()
    Image.new("RGB", (8000, 6000), "#3366aa").save(buffer, "JPEG", quality=80)
    stored = uploads.store_image(buffer.getvalue(), 10_000_000)
    assert (stored.width, stored.height) == (2048, 1536)
    # JPEG's draft mode: the full 8000 × 6000 (144 MB in RGB) is never decoded.
    assert decodes and max(w * h for _name, (w, h) in decodes) <= 4000 * 3000


@pytest.mark.parametrize("mode", ["P", "RGBA", "L"])
def test_the_image_is_bounded_before_it_is_converted(app, monkeypatch, mode):
    buffer = io.BytesIO()
    Image.new(mode, (4000, 3000)).save(buffer, "PNG")
    converted: list[tuple[int, int]] = []
    original = Image.Image.convert

    def spy(self: Image.Image, mode: str | None = None, *args: Any, **kwargs: Any) -> Image.Image:
        if mode == "RGB":
            converted.append(self.size)
        return original(self, mode, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "convert", spy)
    stored = uploads.store_image(buffer.getvalue(), 10_000_000)
    assert (stored.width, stored.height) == (2048, 1536)
    assert converted and all(w <= 2048 and h <= 2048 for w, h in converted)  # to RGB


def test_a_normal_jpeg_loses_its_exif_and_is_turned_upright(app):
    stored = uploads.store_image(media.photo((64, 48), orientation=6), 10_000_000)
    assert (stored.width, stored.height) == (48, 64)  # rotated as the phone meant it
    for name in (stored.file_name, stored.thumb_name):
        assert name
        with Image.open(uploads.path_of(name)) as image:
            assert image.format == "JPEG"
            assert not image.getexif()
            assert "exif" not in image.info


# Whatever Pillow raises, the same refusal ------------------------------------------------


def truncated_jpeg() -> bytes:
    return media.photo((200, 200))[:300]


def png_with_bad_checksum() -> bytes:
    data = bytearray(media.photo((8, 8), kind="PNG"))
    data[29:33] = b"\x00\x00\x00\x00"  # IHDR's CRC
    return bytes(data)


def noise(size: int, seed: int) -> bytes:
    """Random bytes, the same on every run (and in every xdist worker)."""
    return random.Random(seed).randbytes(size)


BROKEN_IMAGES = {
    "gif bomb": media.GIF_BOMB,
    "gif frame outside its screen": media.GIF_ODD,
    "gif screen without a frame": b"GIF89a" + struct.pack("<HH", 20_000, 20_000) + b"\x00" * 3,
    "png magic on noise": b"\x89PNG\r\n\x1a\n" + noise(200, 1),
    "jpeg magic on noise": b"\xff\xd8\xff\xe0" + noise(200, 2),
    "webp magic on noise": b"RIFF\x10\x00\x00\x00WEBPVP8 " + noise(40, 3),
    "bmp (no other plugin reads the bytes)": b"BM" + noise(100, 4),
    "truncated jpeg": truncated_jpeg(),
    "png with a bad checksum": png_with_bad_checksum(),
    "noise": noise(1000, 5),
}


@pytest.mark.parametrize("name", sorted(BROKEN_IMAGES))
def test_every_broken_or_crafted_image_gets_the_same_refusal(app, name):
    with force_locale("en"), pytest.raises(Invalid) as refused:
        uploads.store_image(BROKEN_IMAGES[name], 10_000_000)
    assert (refused.value.code, str(refused.value)) == ("bad_type", NOT_A_PHOTO)
    assert stored_files(app) == []


@pytest.mark.parametrize(
    "error",
    [
        Image.DecompressionBombError("bomb"),
        Image.DecompressionBombWarning("bomb"),
        struct.error("unpack requires a buffer"),
        ZeroDivisionError("division by zero"),
        IndexError("list index out of range"),
        TypeError("odd"),
        EOFError(),
        MemoryError(),
    ],
    ids=lambda error: type(error).__name__,
)
def test_any_exception_from_pillow_is_the_same_refusal(app, monkeypatch, error):
    def explode(*_args: Any, **_kwargs: Any) -> Any:
        raise error

    monkeypatch.setattr(ImageOps, "exif_transpose", explode)
    assert code(uploads.store_image, media.photo(), 10_000_000) == "bad_type"
    assert stored_files(app) == []


# At most PORTAL_IMAGE_DECODES decodes at once per worker -------------------------------


def test_decodes_at_once_are_bounded_across_threads(app, monkeypatch):
    app.config["PORTAL_IMAGE_DECODES"] = 2
    original, lock = uploads._decode, threading.Lock()
    running, most, done = [0], [0], []

    def slow_decode(data: bytes) -> Image.Image:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        return original(data)

    monkeypatch.setattr(uploads, "_decode", slow_decode)

    def upload() -> None:
        with app.app_context():
            done.append(uploads.store_image(media.photo(), 10_000_000))

    threads = [threading.Thread(target=upload) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(done) == 6 and most[0] == 2


GEVENT_SCRIPT = textwrap.dedent(
    """
    from gevent import monkey

    monkey.patch_all()

    import io
    import sys

    import gevent
    from PIL import Image

    from portal import uploads
    from portal.factory import create_app

    app = create_app({
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": "sqlite://",
        "PORTAL_UPLOAD_DIR": sys.argv[1],
        "SOCKETIO_ASYNC_MODE": "gevent",
        "PORTAL_IMAGE_DECODES": 2,
    })
    original, running, most = uploads._decode, [0], [0]

    def slow_decode(data):
        running[0] += 1
        most[0] = max(most[0], running[0])
        gevent.sleep(0.05)  # yields to the other greenlets while holding a slot
        running[0] -= 1
        return original(data)

    uploads._decode = slow_decode
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#3366aa").save(buffer, "JPEG")

    def upload():
        with app.app_context():
            return uploads.store_image(buffer.getvalue(), 10_000_000)

    jobs = [gevent.spawn(upload) for _ in range(6)]
    gevent.joinall(jobs, timeout=30, raise_error=True)
    print(sum(job.successful() for job in jobs), most[0])
    """
)


def test_decodes_at_once_are_bounded_under_gevent(tmp_path):
    """Under monkey-patching the slots are gevent's: greenlets wait without blocking."""
    script = tmp_path / "decodes.py"
    script.write_text(GEVENT_SCRIPT)
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, str(script), str(tmp_path / "uploads")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["6", "2"]


# Voice messages: parsed, measured from the file, capped ----------------------------------


def upload_voice(client: FlaskClient, data: bytes, claimed_ms: str = "1000") -> Any:
    return client.post(
        "/api/messaging/uploads",
        data={"kind": "voice", "file": (io.BytesIO(data), "voice"), "duration_ms": claimed_ms},
        headers={"X-CSRFToken": token(client, "/messages")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("browser", ["chrome", "firefox", "safari"])
def test_a_browser_recording_is_accepted_with_the_length_measured_from_the_file(
    app, client, login, people, browser
):
    login(people["resident"])
    response = upload_voice(client, media.recording(browser, 2.5), claimed_ms="999999")
    assert response.status_code == 201
    attachment = response.get_json()["attachment"]
    assert 2450 <= attachment["duration_ms"] <= 2600  # not the 999,999 the client said
    stored = db.session.get(Attachment, attachment["id"])
    assert stored.mime_type == media.MIME_TYPES[browser]
    assert uploads.path_of(stored.file_name).read_bytes() == media.recording(browser, 2.5)


def test_a_real_chrome_recording_without_a_duration_header_is_measured(app, client, login, people):
    login(people["resident"])
    response = upload_voice(client, CHROME_RECORDING.read_bytes(), claimed_ms="")
    assert response.status_code == 201
    attachment = response.get_json()["attachment"]
    assert attachment["duration_ms"] == 3000
    assert db.session.get(Attachment, attachment["id"]).mime_type == "audio/webm"


def chrome_recording() -> bytes:
    return media.recording("chrome", 2.5)


HOSTILE_RECORDINGS: dict[str, Callable[[], bytes]] = {
    "truncated webm": lambda: chrome_recording()[:200],
    "truncated ogg": lambda: media.recording("firefox", 2.5)[:200],
    "truncated mp4": lambda: media.recording("safari", 2.5)[:1000],
    "wav": lambda: media.encode("wav", "pcm_s16le", 8000, 1.0),
    "ogg magic on a webm": lambda: b"OggS" + chrome_recording()[4:],
    "webm magic on random bytes": lambda: b"\x1a\x45\xdf\xa3" + os.urandom(5000),
    "ogg magic on random bytes": lambda: b"OggS" + os.urandom(5000),
    "mp4 magic on random bytes": lambda: b"\x00\x00\x00\x18ftypmp42" + os.urandom(5000),
    "random bytes": lambda: os.urandom(5000),
    "a codec browsers do not record": lambda: media.encode("matroska", "pcm_s16le", 8000, 1.0),
    "two audio streams": lambda: media.encode("webm", "libopus", 48000, 1.0, streams=2),
    "a photo": lambda: media.photo(),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_RECORDINGS))
def test_a_hostile_recording_is_refused_clearly_and_nothing_is_stored(
    app, client, login, people, name
):
    login(people["resident"])
    response = upload_voice(client, HOSTILE_RECORDINGS[name]())
    assert response.status_code == 422
    body = response.get_json()
    assert (body["error"], body["message"]) == ("bad_type", NOT_A_RECORDING)
    assert stored_files(app) == [] and count(Attachment) == 0


@pytest.mark.parametrize(
    "forged",
    [lambda: media.webm_claiming(3 * 3600), lambda: media.ogg_claiming(3 * 3600)],
    ids=["webm", "ogg"],
)
def test_a_recording_whose_header_claims_three_hours_is_refused(app, client, login, people, forged):
    login(people["resident"])
    response = upload_voice(client, forged(), claimed_ms="2500")
    assert response.status_code == 422 and response.get_json()["error"] == "too_long"
    assert stored_files(app) == [] and count(Attachment) == 0


def test_forged_mp4_headers_are_not_believed(app):
    """FFmpeg measures an MP4 from its sample tables: the stored length is the real one."""
    stored = voice.store_audio(media.mp4_claiming(3 * 3600))
    assert stored.duration_ms is not None and 2450 <= stored.duration_ms <= 2600


def test_a_recording_longer_than_allowed_is_refused_from_its_packets(app, client, login, people):
    app.config["MESSAGING_MAX_VOICE_SECONDS"] = 2
    login(people["resident"])
    # Chrome's WebM has no duration in its header: only the packets tell.
    long = media.recording("chrome", 5.0)
    response = upload_voice(client, long, claimed_ms="1500")
    assert response.status_code == 422
    body = response.get_json()
    assert (body["error"], body["message"]) == (
        "too_long",
        "A voice message lasts at most 2 minutes.",
    )
    assert stored_files(app) == [] and count(Attachment) == 0


def test_a_recording_too_large_is_refused_before_parsing(app, monkeypatch):
    app.config["MESSAGING_MAX_VOICE_BYTES"] = 1000
    recording = chrome_recording()  # made (with PyAV) before parsing is forbidden

    def never(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("parsed")

    monkeypatch.setattr(voice.av, "open", never)
    assert code(voice.store_audio, recording) == "too_large"


@pytest.mark.parametrize(
    ("kind", "data"), [("voice", chrome_recording), ("photo", media.photo)], ids=["voice", "photo"]
)
def test_an_upload_that_fails_after_storing_leaves_no_file(
    app, client, login, people, monkeypatch, kind, data
):
    def fail(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(messaging, "Attachment", fail)
    login(people["resident"])
    csrf = token(client, "/messages")
    response = client.post(
        "/api/messaging/uploads",
        data={"kind": kind, "file": (io.BytesIO(data()), "file")},
        headers={"X-CSRFToken": csrf},
        content_type="multipart/form-data",
    )
    assert response.status_code == 500
    assert stored_files(app) == []


def test_a_stored_recording_goes_when_its_transaction_is_undone(app, people):
    attachment = messaging.do_save_upload(people["resident"], "voice", chrome_recording())
    path = uploads.path_of(attachment.file_name)
    assert path.is_file() and attachment.duration_ms
    db.session.rollback()
    assert not path.exists()


# Logbook PDFs: downloaded, never shown, under a name of ours ----------------------------


def test_a_logbook_pdf_is_downloaded_under_a_server_made_name(app, client, login):
    building = make_building()
    resident = make_resident(building)
    concierge = make_staff(Role.CONCIERGE, [building])
    pdf = b"%PDF-1.7\n<script>alert(1)</script>\n%%EOF\n"
    entry = logbook.do_add_entry(
        concierge,
        resident.dwelling_id,
        kind=LogbookKind.BOILER,
        title="Chaudière",
        happened_on=date(2026, 1, 15),
        documents=[('facture"; filename=evil.html', pdf), ("photo.jpg", media.photo())],
    )
    pdf_doc, photo_doc = entry.documents
    login(resident)
    with client.get(f"/logbook/documents/{pdf_doc.id}") as response:
        assert response.status_code == 200 and response.data == pdf
        assert response.mimetype == "application/pdf"
        expected = f"attachment; filename=logbook-{entry.id}-{pdf_doc.id}.pdf"
        assert response.headers["Content-Disposition"] == expected
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "facture" not in str(response.headers) and "evil" not in str(response.headers)
    with client.get(f"/logbook/documents/{photo_doc.id}") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert not response.headers.get("Content-Disposition", "").startswith("attachment")
        assert response.headers["X-Content-Type-Options"] == "nosniff"
