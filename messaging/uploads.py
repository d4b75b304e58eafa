"""Voice messages: the container is parsed (FFmpeg's demuxers, through PyAV), the length is
measured from the file itself, and the name is ours.

Photos go through portal.uploads (checked, re-encoded, metadata stripped)."""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from fractions import Fraction

import av
from flask import current_app
from flask_babel import gettext as _

from portal.errors import Invalid
from portal.uploads import (
    StoredFile,
    check_size,
    discard_on_rollback,
    new_name,
    path_of,
    store_image,
    upload_dir,
)

__all__ = ["discard_on_rollback", "path_of", "store_audio", "store_photo"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Container:
    """A container browsers record into, and the one demuxer allowed to read it."""

    demuxer: str
    mime_type: str
    extension: str


WEBM = Container("matroska", "audio/webm", "webm")  # Chrome, Edge
OGG = Container("ogg", "audio/ogg", "ogg")  # Firefox
MP4 = Container("mp4", "audio/mp4", "m4a")  # Safari
# What MediaRecorder puts in those containers; nothing else is demuxed or accepted.
VOICE_CODECS = frozenset({"opus", "vorbis", "aac"})
# A header may round a little; beyond this, the recording is longer than it says.
TOLERANCE_MS = 1000


def store_photo(data: bytes) -> StoredFile:
    """A photo checked, re-encoded and stored, within messaging's own size limit."""
    return store_image(data, current_app.config["MESSAGING_MAX_PHOTO_BYTES"])


def store_audio(data: bytes) -> StoredFile:
    """Keep a recording whose container parses as one browsers make, one audio stream of a
    codec they record, no longer than MESSAGING_MAX_VOICE_SECONDS as measured from the file
    (never from what the client says); the name is ours."""
    check_size(data, current_app.config["MESSAGING_MAX_VOICE_BYTES"])
    container = _container_of(data)
    duration_ms = _measure(data, container)
    name = new_name(container.extension)
    path = upload_dir() / name
    discard_on_rollback(path)
    path.write_bytes(data)
    return StoredFile(name, None, container.mime_type, len(data), duration_ms=duration_ms)


def _not_a_recording() -> Invalid:
    return Invalid(_("This file is not a voice message we can play."), "bad_type")


def _too_long() -> Invalid:
    return Invalid(_("A voice message lasts at most 2 minutes."), "too_long")


def _container_of(data: bytes) -> Container:
    """Which demuxer may read the file: chosen from its signature, so that no other of
    FFmpeg's many demuxers (playlists, images, ...) ever sees what a person sent."""
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM
    if data.startswith(b"OggS"):
        return OGG
    if data[4:8] == b"ftyp":
        return MP4
    raise _not_a_recording()


def _measure(data: bytes, container: Container) -> int:
    """The recording's length in ms, from the header's duration and from the timestamps of
    every packet (Chrome writes no duration in the header; a forged header may lie)."""
    limit_ms = current_app.config["MESSAGING_MAX_VOICE_SECONDS"] * 1000 + TOLERANCE_MS
    first: Fraction | None = None
    last: Fraction | None = None
    try:
        with av.open(
            io.BytesIO(data),
            format=container.demuxer,
            options={"codec_whitelist": ",".join(sorted(VOICE_CODECS))},
            metadata_errors="replace",
        ) as opened:
            if len(opened.streams) != 1 or len(opened.streams.audio) != 1:
                raise _not_a_recording()
            stream = opened.streams.audio[0]
            if stream.codec_context.name not in VOICE_CODECS or not stream.sample_rate:
                raise _not_a_recording()
            if opened.duration is not None and opened.duration // 1000 > limit_ms:
                raise _too_long()  # the header says so (av.time_base is microseconds)
            for packet in opened.demux(stream):
                if packet.pts is None or packet.time_base is None:
                    continue  # the flush packet at the end
                start = packet.pts * packet.time_base
                end = (packet.pts + max(packet.duration or 0, 0)) * packet.time_base
                first = start if first is None else min(first, start)
                last = end if last is None else max(last, end)
                if (last - first) * 1000 > limit_ms:
                    raise _too_long()
    except Invalid:
        raise
    except Exception as exc:  # av.FFmpegError and whatever else a hostile file provokes
        # No traceback in the log: a bad file is the sender's problem, not ours.
        log.info("voice message refused: %s: %s", type(exc).__name__, str(exc)[:200])
        raise _not_a_recording() from exc
    if first is None or last is None or last <= first:
        raise _not_a_recording()  # no sound in it
    return int((last - first) * 1000)
