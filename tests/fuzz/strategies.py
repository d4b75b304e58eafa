"""Hypothesis strategies for hostile and odd input: text with NUL, lone surrogates, RTL
marks and emoji, 10,000 characters, huge and negative numbers, floats, impossible dates,
deep JSON, broken and oversized images; next to plausible values, so that a request often
gets past its first check and reaches the code behind it."""

from __future__ import annotations

import io
import struct
import uuid
import zlib
from datetime import date, datetime, timedelta
from urllib.parse import quote

from hypothesis import strategies as st
from PIL import Image

# Sharp values, each one a class of input the application must refuse or take calmly.
HUGE_INTS = [
    2**31 - 1,
    2**31,
    2**53 + 1,
    2**63 - 1,
    2**63,
    2**64,
    10**20,
    10**30,
    -1,
    0,
    -(2**31) - 1,
    -(2**63) - 1,
    -(10**30),
]
ODD_NUMBER_TEXT = [
    "99999999999999999999999",
    "2147483648",
    "9223372036854775808",
    "-1",
    "-0",
    "0",
    "00000000000000000001",
    "1e300",
    "-1e300",
    "1e-300",
    "1.5",
    "NaN",
    "inf",
    "-inf",
    "0x10",
    "1_000",
    "١٢٣",  # Arabic-Indic digits: str.isdigit() says yes, int() takes them
    "１２",  # fullwidth digits
    "²",  # isdigit() but not int()
    " 7 ",
    "+7",
]
ODD_DATES = [
    "9999-12-31",
    "0000-01-01",
    "0001-01-01",
    "2026-02-30",
    "2026-13-01",
    "2026-00-10",
    "1900-01-01",
    "1969-12-31",
    "2100-12-31",
    "2101-01-01",
    "10000-01-01",
    "-2026-01-01",
    "2026-1-5",
    "20260105",
    "2026-W01",
    "2026-03-31T25:00",
    "9999-12-31T23:59",
    "0001-01-01T00:00",
    "2026-03-29T02:30",  # does not exist in Paris (spring forward)
    "2026-10-25T02:30",  # twice in Paris (fall back)
]
ODD_TIMES = ["24:00", "23:60", "-01:00", "25:99", "00:00", "23:59:59.999999", "7", "07h30", ""]
RTL_AND_EMOJI = [
    "\u202e\u200fعربي\u202c",
    "\u200f\u200e\u2066\u2067\u2068\u2069",
    "שלום \u05d0",
    "👍❤️😊👏🙏",
    "🏳️‍🌈👩‍👩‍👧‍👦🧑🏽‍🦯",
    "e\u0301\u0301\u0301\u0301",
    "\ufeffBOM",
    "\u00ad\u200b\u2060",
    "𝕳𝖊𝖑𝖑𝖔",
    "\uffff\ufffe",
]
NASTY_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 50,
    "\ud800",
    "\udfff",
    "x\ud800y\udc00z",
    "\r\n\t\x0b\x0c\x1b[31m",
    "\x7f\x80\x9f",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "../../../../etc/passwd",
    "%00%ff%2e%2e",
    "{{7*7}}{% raw %}",
    "=cmd|' /C calc'!A0",
    "null",
    "true",
    "[]",
    "{}",
    "A" * 10_000,
    "é" * 10_001,
    "👍" * 5_000,
    "\x00\ud800\u202e" * 1_000,
    *RTL_AND_EMOJI,
    *ODD_NUMBER_TEXT,
    *ODD_DATES,
    *ODD_TIMES,
]
REACTIONS = ["👍", "❤️", "😊", "👏", "🙏"]


def everything_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Any code point at all, surrogates and NUL included."""
    return st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=max_size)


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(NASTY_TEXT),
        everything_text(),
        st.text(
            alphabet=st.sampled_from(["\x00", "\ud800", "\u202e", "👍", "a", "9", "-", " "]),
            min_size=1,
            max_size=30,
        ),
    )


def hostile_number_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ODD_NUMBER_TEXT),
        st.sampled_from(HUGE_INTS).map(str),
        st.integers(min_value=-(2**80), max_value=2**80).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


def hostile_date_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(ODD_DATES),
        st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
        st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)).map(
            lambda moment: moment.isoformat(timespec="minutes")
        ),
    )


def hostile_scalar_text() -> st.SearchStrategy[str]:
    """What a form field, a query value or a path segment may hold at its worst."""
    return st.one_of(hostile_text(), hostile_number_text(), hostile_date_text())


# Plausible values, so that a request reaches past its first check. ------------------------


def plausible_day(today: date) -> st.SearchStrategy[str]:
    return st.integers(min_value=-40, max_value=60).map(
        lambda days: (today + timedelta(days=days)).isoformat()
    )


def plausible_time() -> st.SearchStrategy[str]:
    return st.tuples(st.integers(6, 21), st.sampled_from([0, 30])).map(
        lambda hm: f"{hm[0]:02d}:{hm[1]:02d}"
    )


def plausible_words() -> st.SearchStrategy[str]:
    return st.sampled_from(
        ["Bonjour", "Merci beaucoup !", "Radiateur froid", "Goûter jeudi", "La Poste", "ok", "x"]
    )


def client_ids() -> st.SearchStrategy[str]:
    return st.one_of(
        st.uuids().map(str),
        st.just(str(uuid.UUID(int=0))),
        st.text(alphabet="abcdef0123456789-", min_size=8, max_size=64),
    )


# JSON ---------------------------------------------------------------------------------------


def json_scalars() -> st.SearchStrategy[object]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(HUGE_INTS),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.sampled_from([1e300, -1e300, 1e-300, 0.5, -0.0]),
        hostile_scalar_text(),
    )


def json_values(max_leaves: int = 8) -> st.SearchStrategy[object]:
    return st.recursive(
        json_scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.one_of(hostile_text(), st.just("id")), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def deep_json_text(depth: int = 5_000, kind: str = "list") -> str:
    """JSON nested far deeper than any payload (json.dumps would itself overflow)."""
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "1" + "}" * depth


# Bodies and URLs ----------------------------------------------------------------------------


def percent(value: str) -> str:
    """A value %-encoded as UTF-8, lone surrogates as the bytes they would be."""
    return quote(value.encode("utf-8", "surrogatepass"), safe="")


def urlencoded(pairs: list[tuple[str, str]]) -> bytes:
    """application/x-www-form-urlencoded, written by hand so that any text can travel."""
    return "&".join(f"{percent(key)}={percent(value)}" for key, value in pairs).encode("ascii")


RAW_BODIES = [
    b"",
    b"\xff\xfe\x00garbage",
    b"%ZZ&&==&=%&",
    b"a=" + b"%ED%A0%80" * 100,  # lone surrogates, as UTF-8 would write them
    b"a=%00%00&b=%C0%80",  # overlong NUL
    b"=" * 5_000,
    b"x=" + b"A" * 200_000,
]


# Files --------------------------------------------------------------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png_bomb(width: int = 20_000, height: int = 20_000) -> bytes:
    """A small PNG whose header claims a huge 1-bit image (Pillow refuses it before it
    decodes a single row: more than twice its pixel limit)."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(256)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )


def gif_bomb() -> bytes:
    """A few bytes of GIF that claim a 65,535 × 65,535 picture."""
    return b"GIF89a\xff\xff\xff\xff\x00\x00\x00,\x00\x00\x00\x00\xff\xff\xff\xff\x00\x02\x00;"


def _image(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "#3366aa").save(buffer, fmt)
    return buffer.getvalue()


def file_payloads() -> list[tuple[str, bytes]]:
    """(label, bytes) of what an upload field may receive."""
    jpeg = _image("JPEG")
    return [
        ("jpeg", jpeg),
        ("png", _image("PNG")),
        ("gif", _image("GIF")),
        ("empty", b""),
        ("truncated jpeg", jpeg[: len(jpeg) // 2]),
        ("jpeg magic, then junk", b"\xff\xd8\xff\xe0" + b"\x00junk" * 50),
        ("png magic only", b"\x89PNG\r\n\x1a\n"),
        ("png bomb 20000x20000", png_bomb()),
        ("gif bomb 65535x65535", gif_bomb()),
        ("pdf", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"),
        ("html", b"<html><script>alert(1)</script></html>"),
        ("webm magic", b"\x1aE\xdf\xa3" + b"\x00" * 64),
        ("ogg magic", b"OggS" + b"\x00" * 64),
        (
            "csv",
            "Nom;Prénom;Logement\nMartin;Jeanne;101\n\x00;\ud800;=1+1\n".encode(
                "utf-8", "surrogatepass"
            ),
        ),
        ("random", bytes(range(256)) * 4),
    ]


FILE_NAMES = [
    "photo.jpg",
    "document.pdf",
    "",
    "../../etc/passwd",
    "\u202egpj.exe",
    "a" * 300 + ".png",
    "nul\x00.png",
    "émoji👍.png",
    "con.jpg",
]


def today() -> date:
    return date.today()
