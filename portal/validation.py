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

import flask_wtf.form
from flask import Flask, Request, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.routing import IntegerConverter
from werkzeug.utils import cached_property
from wtforms.validators import ValidationError

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


Message = str | LazyString  # a lazy one is translated only when it is shown


def check_id(value: Any, maximum: int = MAX_ID, message: Message | None = None) -> int:
    """The id, or NotFound (with `message`, else NOT_FOUND): an id out of range names
    nothing that exists."""
    found = as_id(value, maximum)
    if found is None:
        raise NotFound(str(message or NOT_FOUND))
    return found


def as_count(value: Any, default: int, maximum: int) -> int:
    """A small positive number (a page number, a limit) from a query string; the default
    when it is missing or not a number, never more than `maximum`."""
    found = as_id(value)
    return default if found is None else min(found, maximum)


def as_cursor(value: Any, maximum: int = MAX_BIG_ID) -> int | None:
    """A place in a conversation: 0 (before its first message) or a message id; None for
    anything else."""
    if (type(value) is int and value == 0) or value == "0":
        return 0
    return as_id(value, maximum)


def query_id(name: str, maximum: int = MAX_ID) -> int | None:
    """An id named in the query string (`?building=3`): None when absent or empty; anything
    that cannot be an id is NotFound, before any query."""
    raw = request.args.get(name, "")
    return None if raw == "" else check_id(raw, maximum)


def query_cursor(name: str) -> int | None:
    """A place given in the query string (`?before=`, `?after=`): None when absent or empty;
    anything else than 0 or a message id is a bad request."""
    raw = request.args.get(name, "")
    if raw == "":
        return None
    found = as_cursor(raw)
    if found is None:
        raise BadRequest(str(NOT_UNDERSTOOD))
    return found


def payload_id(
    payload: Any, key: str, maximum: int = MAX_ID, message: Message | None = None
) -> int:
    """The id under `key` of a JSON object (a Socket.IO event's payload): a whole number, else
    a bad request; within range, else NotFound (with `message`, best lazy: an event names an
    id on every call, and it is seldom wrong)."""
    value = payload.get(key) if isinstance(payload, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(str(NOT_UNDERSTOOD))
    return check_id(value, maximum, message)


def id_choice(_form: Any, field: Any) -> None:
    """A WTForms validator for a select whose choice the service checks: a value, when one is
    sent, is an id within range, else the field's usual "Not a valid choice" (the database
    is never asked about a number it cannot hold)."""
    if field.data not in (None, "") and as_id(field.data) is None:
        raise ValidationError(field.gettext("Not a valid choice."))


def decimal_at_most(limit: int) -> str:
    """A regular expression for the whole numbers 0..limit written in ASCII digits (leading
    zeros allowed), so that a URL with a larger one does not even match its rule."""
    digits = str(limit)
    width = len(digits)
    shorter = [rf"[0-9]{{1,{width - 1}}}"] if width > 1 else []
    same_width = [
        digits[:i] + (f"[0-{int(d) - 1}]" if d != "1" else "0") + rf"[0-9]{{{width - i - 1}}}"
        for i, d in enumerate(digits)
        if d != "0"
    ]
    return "0*(?:" + "|".join([*shorter, *same_width, digits]) + ")"


class IdConverter(IntegerConverter):
    """`<int:…>` in a URL: an id within the database's range, else 404 before any query
    (the rule does not match at all, so no other method's rule turns it into a 405)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
        if self.max is not None and not self.signed and not self.fixed_digits:
            self.regex = decimal_at_most(self.max)


class BigIdConverter(IdConverter):
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
    """A form's or a query string's fields, their names and text values cleaned (a part
    sent without a name is no field)."""
    return ImmutableMultiDict(
        (clean_text(key), clean_text(item) if isinstance(item, str) else item)
        for key, item in values.items(multi=True)
        if isinstance(key, str)
    )


def json_form_data(value: Any) -> ImmutableMultiDict[str, str]:
    """What a form reads from a JSON body (Flask-WTF takes one as the form's fields): only
    an object's text and numbers, and lists of them, as text; anything else is no field,
    so a form never holds a value its fields cannot (a list where text was expected)."""
    if not isinstance(value, dict):
        return ImmutableMultiDict()
    pairs: list[tuple[str, str]] = []
    for key, item in value.items():
        for one in item if isinstance(item, list) else [item]:
            if isinstance(one, str):
                pairs.append((key, one))
            elif isinstance(one, int | float) and not isinstance(one, bool):
                pairs.append((key, json.dumps(one)))
    return ImmutableMultiDict(pairs)


def _form_data(meta: Any, form: Any, formdata: Any) -> Any:
    """FlaskForm's wrap_formdata (its `_Auto`: the form reads the request itself), with a
    JSON body read through json_form_data."""
    if (
        formdata is flask_wtf.form._Auto
        and form.is_submitted()
        and not request.files
        and not request.form
        and request.is_json
    ):
        return json_form_data(request.get_json(silent=True))
    return _FLASK_WTF_FORM_DATA(meta, form, formdata)


_FLASK_WTF_FORM_DATA = FlaskForm.Meta.wrap_formdata


def loads(data: str | bytes, **kwargs: Any) -> Any:
    """json.loads, then cleaned; too deep, or not JSON: ValueError (what callers expect)."""
    try:
        value = json.loads(data, **kwargs)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    return clean_payload(value)


UNREADABLE = "unreadable"  # the payload of an event whose JSON could not be read
_EVENT_NAME = re.compile(r'\s*\[\s*("(?:[^"\\]|\\.)*")')


class SocketJSON:
    """The json module Socket.IO packets are read with: the same cleaning as HTTP JSON."""

    dumps = staticmethod(json.dumps)

    @staticmethod
    def loads(data: str | bytes, **kwargs: Any) -> Any:
        """A packet too deep to read (or not JSON) still reaches its event's handler, with
        UNREADABLE for payload (not an object: the handler answers `bad_request` with a
        message), or, when even the event's name cannot be read, no handler: never an
        exception, which the Socket.IO server would log with a traceback and never answer."""
        try:
            return loads(data, **kwargs)
        except ValueError:
            text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
            found = _EVENT_NAME.match(text)
            try:
                name = json.loads(found.group(1)) if found else ""
            except ValueError:
                name = ""
            return [clean_text(name), UNREADABLE]


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading bodies through `loads` above."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)


class CleanRequest(Request):
    """A request whose form fields, file names and query string are cleaned text."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        self.form = clean_pairs(self.form)
        for _name, upload in self.files.items(multi=True):
            if upload.filename:  # a file's name is text from outside too (a logbook title)
                upload.filename = clean_text(upload.filename)

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


def day_in_range(_form: Any, field: Any) -> None:
    """A WTForms validator: a day typed in a form lies in EARLIEST_DAY..LATEST_DAY, else the
    field shows BAD_DAY (an empty field is left to the field's other validators)."""
    if field.data is not None and as_day(field.data) is None:
        raise ValidationError(str(BAD_DAY))


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
    # Every FlaskForm of every package: a JSON body is read as text fields or not at all.
    FlaskForm.Meta.wrap_formdata = _form_data
