"""Voice messages: the container is checked by content and the name is ours.

Photos go through portal.uploads (checked, re-encoded, metadata stripped)."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _

from portal.errors import Invalid
from portal.uploads import StoredFile, check_size, new_name, path_of, store_image, upload_dir

__all__ = ["path_of", "store_audio", "store_photo"]

# Container signatures of what browsers record: WebM/Matroska, Ogg, MP4/M4A.
AUDIO_SIGNATURES = (
    (b"\x1a\x45\xdf\xa3", "audio/webm", "webm"),
    (b"OggS", "audio/ogg", "ogg"),
)


def store_photo(data: bytes) -> StoredFile:
    """A photo checked, re-encoded and stored, within messaging's own size limit."""
    return store_image(data, current_app.config["MESSAGING_MAX_PHOTO_BYTES"])


def store_audio(data: bytes) -> StoredFile:
    """Keep a recording whose container is one browsers make; the name is ours."""
    check_size(data, current_app.config["MESSAGING_MAX_VOICE_BYTES"])
    found = [(mime, ext) for sig, mime, ext in AUDIO_SIGNATURES if data.startswith(sig)]
    if not found and data[4:8] == b"ftyp":
        found = [("audio/mp4", "m4a")]
    if not found:
        raise Invalid(_("This file is not a voice message we can play."), "bad_type")
    mime, extension = found[0]
    name = new_name(extension)
    (upload_dir() / name).write_bytes(data)
    return StoredFile(name, None, mime, len(data))
