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

from portal.errors import DomainError

IMAGE_FORMATS = {"JPEG", "PNG", "WEBP", "GIF", "HEIF", "MPO"}
THUMB_SIZE = (480, 480)
MAX_IMAGE_SIDE = 2048


@dataclass(frozen=True)
class StoredFile:
    file_name: str
    thumb_name: str | None
    mime_type: str
    size_bytes: int
    width: int | None = None
    height: int | None = None


def upload_dir() -> Path:
    path = Path(current_app.config["PORTAL_UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_name(extension: str) -> str:
    return f"{secrets.token_hex(16)}.{extension}"


def check_size(data: bytes, limit: int) -> None:
    if len(data) > limit:
        raise DomainError(
            _("The file is too large (at most %(mb)d MB).", mb=limit // 1_000_000), "too_large"
        )
    if not data:
        raise DomainError(_("The file is empty."), "empty")


def store_image(data: bytes, max_bytes: int) -> StoredFile:
    """Open the image by content, drop its metadata, re-encode it as JPEG with a thumbnail."""
    check_size(data, max_bytes)
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in IMAGE_FORMATS:
                raise DomainError(_("This file is not a photo we can show."), "bad_type")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image).convert("RGB")
            image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
            clean = Image.new("RGB", image.size)  # a fresh image carries no metadata
            clean.paste(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DomainError(_("This file is not a photo we can show."), "bad_type") from exc
    folder = upload_dir()
    name, thumb = new_name("jpg"), new_name("jpg")
    clean.save(folder / name, "JPEG", quality=85, optimize=True)
    preview = clean.copy()
    preview.thumbnail(THUMB_SIZE)
    preview.save(folder / thumb, "JPEG", quality=80)
    return StoredFile(
        name, thumb, "image/jpeg", (folder / name).stat().st_size, clean.width, clean.height
    )


def path_of(file_name: str) -> Path:
    return upload_dir() / file_name
