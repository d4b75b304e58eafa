"""Uploaded files: checked by content, re-encoded where possible, stored under server-made
names in PORTAL_UPLOAD_DIR."""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from portal.errors import Invalid
from portal.transaction import after_rollback

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "HEIF", "MPO"}
THUMB_SIZE = (480, 480)
MAX_IMAGE_SIDE = 2048


@dataclass(frozen=True)
class StoredFile:
    """A file written to the upload folder, under a server-made name."""

    file_name: str
    thumb_name: str | None
    mime_type: str
    size_bytes: int
    width: int | None = None
    height: int | None = None


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


def store_image(data: bytes, max_bytes: int) -> StoredFile:
    """Open the image by content, drop its metadata, re-encode it as JPEG with a thumbnail."""
    check_size(data, max_bytes)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in IMAGE_FORMATS:
                raise Invalid(_("This file is not a photo we can show."), "bad_type")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            clean = Image.new("RGB", image.size)  # a fresh image carries no metadata
            clean.paste(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Invalid(_("This file is not a photo we can show."), "bad_type") from exc
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


def path_of(file_name: str) -> Path:
    """Where a stored file lives."""
    return upload_dir() / file_name
