"""Real and hostile media made on the spot: recordings as browsers make them (PyAV), photos
with metadata, decompression bombs and crafted files."""

from __future__ import annotations

import functools
import io
import math
import struct
import zlib
from array import array
from fractions import Fraction

import av
from PIL import Image

# Containers as MediaRecorder makes them: Chrome (WebM, no duration in the header, as
# `live` writes it), Firefox (Ogg) and Safari (fragmented MP4), each with its usual codec.
BROWSER_RECORDINGS = {
    "chrome": ("webm", "libopus", 48000, {"live": "1"}),
    "firefox": ("ogg", "libopus", 48000, {}),
    "safari": ("mp4", "aac", 44100, {"movflags": "frag_keyframe+empty_moov+default_base_moof"}),
}
MIME_TYPES = {"chrome": "audio/webm", "firefox": "audio/ogg", "safari": "audio/mp4"}


@functools.cache
def recording(browser: str = "chrome", seconds: float = 2.5, *, tone: bool = True) -> bytes:
    """A short mono recording (a 440 Hz tone, or silence) in the browser's container."""
    container, codec, rate, options = BROWSER_RECORDINGS[browser]
    return encode(container, codec, rate, seconds, options, tone=tone)


def encode(
    container: str,
    codec: str,
    rate: int,
    seconds: float,
    options: dict[str, str] | None = None,
    *,
    tone: bool = True,
    streams: int = 1,
) -> bytes:
    """Encode `seconds` of sound with PyAV into `container` (one or more audio streams)."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container, options=options or {}) as out:
        outs = [out.add_stream(codec, rate=rate, layout="mono") for _ in range(streams)]
        total, pts, size = int(seconds * rate), 0, 960
        while pts < total:
            count = min(size, total - pts)
            if tone:
                wave = (int(6000 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(count))
                samples = array("h", wave).tobytes()
            else:
                samples = bytes(2 * count)
            for stream in outs:
                frame = av.AudioFrame(format="s16", layout="mono", samples=count)
                frame.planes[0].update(samples)
                frame.sample_rate, frame.pts, frame.time_base = rate, pts, Fraction(1, rate)
                for packet in stream.encode(frame):
                    out.mux(packet)
            pts += count
        for stream in outs:
            for packet in stream.encode(None):
                out.mux(packet)
    return buffer.getvalue()


def webm_claiming(seconds: float) -> bytes:
    """A real 2.5 s WebM whose header says it lasts `seconds` (Segment Info's Duration)."""
    data = bytearray(encode("webm", "libopus", 48000, 2.5))
    at = data.find(b"\x44\x89\x88")  # Duration, an 8-byte float in TimecodeScale units (ms)
    assert at > 0, "the muxer wrote a duration"
    data[at + 3 : at + 11] = struct.pack(">d", seconds * 1000)
    return bytes(data)


def mp4_claiming(seconds: float) -> bytes:
    """A real 2.5 s MP4 whose headers (movie, track and media: mvhd, tkhd, mdhd) say it
    lasts `seconds`."""
    data = bytearray(encode("mp4", "aac", 44100, 2.5))
    movie = data.find(b"mvhd")
    assert movie > 0 and data[movie + 4] == 0, "a version-0 movie header"
    (movie_scale,) = struct.unpack(">I", data[movie + 16 : movie + 20])
    data[movie + 20 : movie + 24] = struct.pack(">I", int(seconds * movie_scale))
    track = data.find(b"tkhd")
    assert track > 0 and data[track + 4] == 0, "a version-0 track header"
    data[track + 24 : track + 28] = struct.pack(">I", int(seconds * movie_scale))
    media = data.find(b"mdhd")
    assert media > 0 and data[media + 4] == 0, "a version-0 media header"
    (media_scale,) = struct.unpack(">I", data[media + 16 : media + 20])
    data[media + 20 : media + 24] = struct.pack(">I", int(seconds * media_scale))
    return bytes(data)


def ogg_claiming(seconds: float) -> bytes:
    """A real 2.5 s Ogg Opus whose last page's granule position says it lasts `seconds`
    (Ogg has no duration field: players read the last granule)."""
    data = bytearray(encode("ogg", "libopus", 48000, 2.5))
    last = data.rfind(b"OggS")
    data[last + 6 : last + 14] = struct.pack("<q", int(seconds * 48000))
    data[last + 22 : last + 26] = bytes(4)
    segments = data[last + 26]
    body = 27 + segments + sum(data[last + 27 : last + 27 + segments])
    data[last + 22 : last + 26] = struct.pack("<I", _ogg_crc(bytes(data[last : last + body])))
    return bytes(data)


def _ogg_crc(page: bytes) -> int:
    """Ogg's page checksum: CRC-32, polynomial 0x04C11DB7, not reflected, no final XOR."""
    crc = 0
    for byte in page:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7 if crc & 0x80000000 else crc << 1) & 0xFFFFFFFF
    return crc


def png_bomb(width: int, height: int) -> bytes:
    """A black 1-bit PNG of `width` × `height` pixels: a few tens of KB that decode to a
    width × height image (hundreds of MB in RGB)."""
    compressor = zlib.compressobj(9)
    row = b"\x00" * (1 + (width + 7) // 8)  # filter byte, then the packed pixels
    chunks = [compressor.compress(row) for _ in range(height)]
    idat = b"".join(chunks) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# A 1 × 1 screen whose only frame claims 65,535 × 65,535 pixels: 23 bytes.
GIF_BOMB = b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\xff\xff\xff\xff\x00"
# A frame that does not fit its screen: Pillow raises ValueError while decoding it.
GIF_ODD = (
    b"GIF87a\x08\x00\x08\x00\x80\xc7\x00\x00\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x08"
    b"\x00\x00\x00\x00\x08\x9e\x00\x01\x08\x1cH\xb0\xa0\xc1\x83\x08\x13*L\x18\x10\x00;"
)


def photo(
    size: tuple[int, int] = (64, 48),
    *,
    kind: str = "JPEG",
    mode: str = "RGB",
    orientation: int | None = None,
) -> bytes:
    """A photo with the metadata phones add (maker, GPS position, orientation)."""
    image = Image.new(mode, size, "#3366aa" if mode == "RGB" else 1)
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"  # Make
    exif[0x8825] = {2: (48, 51, 0)}  # GPS info
    if orientation is not None:
        exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, kind, exif=exif)
    return buffer.getvalue()
