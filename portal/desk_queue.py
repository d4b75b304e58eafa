"""The desk queue's registry: each domain registers the lines it puts on the desk's queue
(tickets, parcels, visits, help requests, calls for help); the desk sorts them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import (
    DateTimePattern,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
from flask import current_app
from flask_babel import get_locale, get_timezone
from flask_babel import lazy_gettext as _l

from portal.i18n import DEFAULT_ZONE
from portal.people.models import Building, Person
from portal.registry import Registry
from portal.urls import path_for

RANK_HELP_CALL = -1  # a resident pressed "I need help"
RANK_OVERDUE, RANK_URGENT, RANK_HIGH, RANK_NORMAL, RANK_LOW = 0, 1, 2, 3, 4

# Translated once per queue, then filled in for each line: asking Babel for every line of a
# long queue was most of its cost.
FLAT = _l("Flat %(number)s")
COMMON_AREAS = _l("Common areas")
SINCE = _l("Since %(when)s")
FROM = _l("From %(when)s")


@dataclass(frozen=True)
class QueueItem:
    """One line of the desk's queue."""

    kind: str  # ticket, help, parcel, visit, helpcall
    icon: str
    title: str
    detail: str
    url: str
    rank: int
    since: datetime
    overdue: bool = False
    when: str = ""  # "Since …" (or "From …" for a visit), in the reader's language and zone


@dataclass(frozen=True)
class Clock:
    """Babel's short date-time and time formats of the reader, compiled once per queue
    (flask_babel.format_datetime looks the locale, zone and pattern up on every call)."""

    locale: Locale
    zone: tzinfo
    date: DateTimePattern
    time: DateTimePattern
    joined: str

    @classmethod
    def current(cls) -> Clock:
        locale = get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])
        return cls(
            locale=locale,
            zone=get_timezone() or ZoneInfo(DEFAULT_ZONE),
            date=parse_pattern(get_date_format("short", locale=locale)),
            time=parse_pattern(get_time_format("short", locale=locale)),
            joined=str(get_datetime_format("short", locale=locale)).replace("'", ""),
        )

    def _local(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        local = moment.astimezone(self.zone)
        normalize = getattr(self.zone, "normalize", None)  # pytz zones
        return normalize(local) if normalize else local

    def time_of(self, moment: datetime) -> str:
        """As format_time(moment, "short")."""
        local = self._local(moment)
        return self.time.apply(local.timetz(), self.locale, reference_date=local.date())

    def date_time(self, moment: datetime) -> str:
        """As format_datetime(moment, "short")."""
        local = self._local(moment)
        hour = self.time.apply(local.timetz(), self.locale, reference_date=local.date())
        day = self.date.apply(local.date(), self.locale)
        return self.joined.replace("{0}", hour).replace("{1}", day)


@dataclass(frozen=True)
class Words:
    """What every line of one queue repeats, translated once."""

    clock: Clock
    flat: str
    common_areas: str
    since: str
    since_visit: str

    @classmethod
    def current(cls) -> Words:
        return cls(Clock.current(), str(FLAT), str(COMMON_AREAS), str(SINCE), str(FROM))

    def place(self, number: str | None) -> str:
        return self.common_areas if number is None else self.flat % {"number": number}

    def since_when(self, moment: datetime) -> str:
        return self.since % {"when": self.clock.date_time(moment)}

    def from_when(self, moment: datetime) -> str:
        return self.since_visit % {"when": self.clock.time_of(moment)}


@dataclass(frozen=True)
class QueueContext:
    """What every source of one queue shares: who reads it, which building, when, where."""

    staff: Person
    building: Building
    now: datetime
    zone: ZoneInfo
    numbers: dict[int, str]  # dwelling id -> number, read once for the whole queue
    words: Words


QueueSource = Callable[[QueueContext], list[QueueItem]]
_sources: Registry[QueueSource] = Registry()


def register_queue_source(key: str, source: QueueSource) -> None:
    """A domain adds its lines to the desk's queue (registered at import, like tiles)."""
    _sources.register(key, source)


def queue_sources() -> list[QueueSource]:
    """The registered sources, in the order they were registered (the desk sorts their lines)."""
    return list(_sources.values())


def paths(endpoint: str, argument: str) -> Callable[[int], str]:
    """The endpoint's path for any id, built by url_for once rather than once per line."""
    marker = 987654321
    head, _sep, tail = path_for(endpoint, **{argument: marker}).partition(str(marker))
    return lambda value: f"{head}{value}{tail}"
