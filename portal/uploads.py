"""Uploaded files: checked by content, re-encoded where possible, stored under server-made
names in PORTAL_UPLOAD_DIR."""

from __future__ import annotations

import io
import logging
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps

from portal.errors import Invalid
from portal.transaction import after_rollback

log = logging.getLogger(__name__)

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "HEIF", "MPO"}
THUMB_SIZE = (480, 480)
MAX_IMAGE_SIDE = 2048
_DECODE_SLOTS = "portal.uploads.decode_slots"  # key in app.extensions


@dataclass(frozen=True)
class StoredFile:
    """A file written to the upload folder, under a server-made name."""

    file_name: str
    thumb_name: str | None
    mime_type: str
    size_bytes: int
    width: int | None = None
    height: int | None = None
    duration_ms: int | None = None


def upload_dir() -> Path:
    """The app's upload folder (PORTAL_UPLOAD_DIR), made on first use."""
    path = Path(current_app.config["PORTAL_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_name(extension: str) -> str:
    """A random file name: nothing the person sent ends up in a path."""
    return f"{secrets.token_hex(16)}.{extension}"


def discard_on_rollback(*paths: Path) -> None:
    """Files written for rows of the current transaction go if it is undone (no orphans)."""

    def remove() -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    after_rollback(remove)


def check_size(data: bytes, limit: int) -> None:
    """Refuse an empty file or one larger than `limit` bytes."""
    if len(data) > limit:
        raise Invalid(
            _("The file is too large (at most %(mb)d MB).", mb=limit // 1_000_000), "too_large"
        )
    if not data:
        raise Invalid(_("The file is empty."), "empty")


def not_a_photo() -> Invalid:
    """The one refusal for every photo we cannot use, whatever went wrong inside."""
    return Invalid(_("This file is not a photo we can show."), "bad_type")


def store_image(data: bytes, max_bytes: int) -> StoredFile:
    """Open the image by content, drop its metadata, re-encode it as JPEG with a thumbnail."""
    check_size(data, max_bytes)
    with _decode_slot():
        clean = _decode(data)
    folder = upload_dir()
    name, thumb = new_name("jpg"), new_name("jpg")
    discard_on_rollback(folder / name, folder / thumb)
    clean.save(folder / name, "JPEG", quality=85, optimize=True)
    preview = clean.copy()
    preview.thumbnail(THUMB_SIZE)
    preview.save(folder / thumb, "JPEG", quality=80)
    return StoredFile(
        name, thumb, "image/jpeg", (folder / name).stat().st_size, clean.width, clean.height
    )


def _decode(data: bytes) -> Image.Image:
    """The photo as a fresh RGB image of at most MAX_IMAGE_SIDE pixels a side, without metadata.

    The pixel count is read from the header (Image.open decodes nothing) and refused above
    PORTAL_MAX_IMAGE_PIXELS before any decoding; a JPEG is decoded at a reduced scale and
    the image is shrunk before it is converted, so memory stays near the bounded result.
    Hostile files make Pillow raise almost anything (DecompressionBombError, struct.error,
    ValueError, a warning turned into an error...): each is the same clear refusal."""
    try:
        formats = _openable_formats()
        with Image.open(io.BytesIO(data), formats=formats) as probe:
            _check_header(probe)
            probe.verify()
        with Image.open(io.BytesIO(data), formats=formats) as image:
            image.draft("RGB", (MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            upright = ImageOps.exif_transpose(image)
            if upright.mode != "RGB":
                upright = upright.convert("RGB")
            clean = Image.new("RGB", upright.size)  # a fresh image carries no metadata
            clean.paste(upright)
            return clean
    except Invalid:
        raise
    except Exception as exc:  # Image.DecompressionBombWarning too, when warnings are errors
        # No traceback in the log: a bad file is the sender's problem, not ours.
        log.info("photo refused: %s: %s", type(exc).__name__, str(exc)[:200])
        raise not_a_photo() from exc


def _check_header(image: Image.Image) -> None:
    """A photo format we show, and no more pixels than PORTAL_MAX_IMAGE_PIXELS."""
    if image.format not in IMAGE_FORMATS:
        raise not_a_photo()
    width, height = image.size
    if width < 1 or height < 1 or width * height > current_app.config["PORTAL_MAX_IMAGE_PIXELS"]:
        log.info("photo refused: %d x %d pixels", width, height)
        raise not_a_photo()


def _openable_formats() -> list[str]:
    """The photo formats Pillow can open here: no other plugin ever reads the bytes."""
    Image.init()
    return [name for name in sorted(IMAGE_FORMATS) if name in Image.OPEN]


@contextmanager
def _decode_slot() -> Iterator[None]:
    """Hold one of the worker's PORTAL_IMAGE_DECODES slots while an image is decoded.

    A decoded photo takes up to a few hundred MB; bounding how many decode at once bounds
    the worker's memory. The semaphore is made on first use, after gevent's monkey-patching
    (app.py patches before any import), so it is a threading or a gevent semaphore as fits."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    slots = app.extensions.get(_DECODE_SLOTS)
    if slots is None:
        size = max(1, int(app.config["PORTAL_IMAGE_DECODES"]))
        slots = app.extensions.setdefault(_DECODE_SLOTS, threading.BoundedSemaphore(size))
    with slots:
        yield


def path_of(file_name: str) -> Path:
    """Where a stored file lives."""
    return upload_dir() / file_name
