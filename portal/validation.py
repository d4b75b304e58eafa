"""One validation layer for what arrives from outside — URLs, query strings, forms, JSON
bodies and Socket.IO events alike — so that no odd input reaches the database or a parser:

- ids are integers within the database's range; anything else is "not found";
- text is valid Unicode without NUL (PostgreSQL refuses it in text) and without lone
  surrogates (they cannot be encoded): NUL is dropped, a lone surrogate becomes U+FFFD,
  as a person would expect of characters they never meant to type;
- JSON is bounded in depth before anything walks it;
- days lie in a range a person could mean.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Flask, Request
from flask.json.provider import DefaultJSONProvider
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property

from portal.errors import BadRequest, Invalid, NotFound

MAX_ID = 2**31 - 1  # PostgreSQL's integer, the type of the id columns
MAX_BIG_ID = 2**63 - 1  # bigint: message ids (a landlord's messages may pass 2**31 one day)
MAX_JSON_DEPTH = 32  # the deepest payload Bon Voisin sends is 4 levels
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)

NOT_FOUND = _l("This page does not exist, or you cannot see it.")
NOT_UNDERSTOOD = _l("The request could not be understood.")
BAD_DAY = _l("Please give a date between 2000 and 2100, like 2026-03-31.")

_DECIMAL = re.compile(r"[0-9]{1,19}")
_UNWANTED = re.compile("[\x00\ud800-\udfff]")


# Ids ----------------------------------------------------------------------------------------


def as_id(value: Any, maximum: int = MAX_ID) -> int | None:
    """An id (an int, or a string of decimal digits) within 1..maximum (MAX_BIG_ID for
    message ids); None for anything else (a bool, a float, a negative or huge number, text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not _DECIMAL.fullmatch(value):
            return None
        value = int(value)
    if isinstance(value, int) and 1 <= value <= maximum:
        return value
    return None


def check_id(value: Any, maximum: int = MAX_ID) -> int:
    """The id, or NotFound: an id out of range names nothing that exists."""
    found = as_id(value, maximum)
    if found is None:
        raise NotFound(str(NOT_FOUND))
    return found


def as_count(value: Any, default: int, maximum: int) -> int:
    """A small positive number (a page number, a limit) from a query string; the default
    when it is missing or not a number, never more than `maximum`."""
    found = as_id(value)
    return default if found is None else min(found, maximum)


class IdConverter(IntegerConverter):
    """`<int:…>` in a URL: an id within the database's range, else 404 before any query."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


class BigIdConverter(IntegerConverter):
    """`<bigid:…>` in a URL: a message id (bigint), else 404 before any query."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_BIG_ID)
        super().__init__(map, *args, **kwargs)


# Text ---------------------------------------------------------------------------------------


def clean_text(value: str) -> str:
    """Without NUL, and with each lone surrogate replaced by U+FFFD."""
    if not _UNWANTED.search(value):
        return value
    without_nul = value.replace("\x00", "")
    return without_nul.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def clean_payload(value: Any, depth: int = 0) -> Any:
    """Every string of a JSON value cleaned; deeper than MAX_JSON_DEPTH is refused."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError("JSON nested too deeply")
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_payload(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_payload(v, depth + 1) for k, v in value.items()}
    return value


def clean_pairs(values: MultiDict[str, Any]) -> ImmutableMultiDict[str, Any]:
    """A form's or a query string's fields, their names and text values cleaned."""
    return ImmutableMultiDict(
        (clean_text(key), clean_text(item) if isinstance(item, str) else item)
        for key, item in values.items(multi=True)
    )


def loads(data: str | bytes, **kwargs: Any) -> Any:
    """json.loads, then cleaned; too deep, or not JSON: ValueError (what callers expect)."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    return clean_payload(value)


class SocketJSON:
    """The json module Socket.IO packets are read with: the same cleaning as HTTP JSON."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(data: str | bytes, **kwargs: Any) -> Any:
        return loads(data, **kwargs)


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading bodies through `loads` above."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)


class CleanRequest(Request):
    """A request whose form fields and query string are cleaned text."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.form = clean_pairs(self.form)

    @cached_property
    def args(self) -> ImmutableMultiDict[str, str]:  # type: ignore[override]
        return clean_pairs(super().args)

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        raise BadRequest(str(NOT_UNDERSTOOD))


def clean_view_args(_endpoint: str | None, values: dict[str, Any] | None) -> None:
    """Text taken from the URL's path is cleaned like the rest."""
    if values:
        for key, value in list(values.items()):
            if isinstance(value, str):
                values[key] = clean_text(value)


# Days ---------------------------------------------------------------------------------------


def as_day(value: Any) -> date | None:
    """A day written as 2026-03-31 within EARLIEST_DAY..LATEST_DAY; None for anything else."""
    if isinstance(value, date):
        day = value
    elif isinstance(value, str) and len(value) <= 10:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
    else:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def check_day(value: Any, message: str | None = None) -> date:
    """The day, or a clear refusal when it is not one a person could mean."""
    day = as_day(value)
    if day is None:
        raise Invalid(message or str(BAD_DAY), "bad_date")
    return day


# Wiring -------------------------------------------------------------------------------------


def socketio_options() -> Mapping[str, Any]:
    """What Socket.IO needs to read packets through this layer."""
    return {"json": SocketJSON}


def init_app(app: Flask) -> None:
    """Every URL id, form, query string and JSON body of the app goes through this layer."""
    app.url_map.converters["int"] = IdConverter
    app.url_map.converters["bigid"] = BigIdConverter
    app.request_class = CleanRequest
    app.json = JSONProvider(app)
    app.url_value_preprocessor(clean_view_args)
