"""Easy-to-read (FALC) wording: a second catalogue, read first for residents who chose it.

`translations/<lang>/LC_MESSAGES/easy.po` holds, for the same English msgids as messages.po,
the easy-to-read version of each resident-facing string. For a resident with the setting on,
every `_()`, `ngettext` and lazy string of the request reads that catalogue first and falls
back to the standard one; for everyone else nothing changes (the default domain stays). The
same choice follows the reader where no page is drawn: a socket event's acknowledgement
(`wording_of`, around every socket handler) and a notification written for someone in their
own language (`written_for`). Which strings are resident-facing is said once, here
(RESIDENT_SOURCES), and the rules an easy text follows are checked by `rule_breaks` (tests and
`flask translate easy-check` use both).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations
from flask import Flask, g, has_app_context, request
from flask_babel import Domain, force_locale, get_babel, get_domain, get_locale
from flask_login import current_user

from portal.config import PROJECT_ROOT
from portal.errors import DATABASE_UNAVAILABLE

EASY_DOMAIN = "easy"
EASY_LOCALES = ("fr", "en", "ar")

# The resident-facing strings: those of these templates and modules (paths from the project
# root). Every page a logged-in resident reaches: home, help, settings, messages, check-in
# (with the people to tell and the pause) and "I need help", help between neighbours,
# activities, the concierge page (repairs, visits, the home's logbook), announcements,
# notifications, profile and neighbours, video calls, the family circle, the building's voice
# (questions, ideas, decisions), activity proposals, rooms and reminders, erasing one's account,
# the error page; and the home's tiles. A module counts whole, staff strings included: an easy
# version too many is harmless, one missing is not. (The login pages come before anyone's
# setting is known.)
RESIDENT_TEMPLATES = (
    "portal/templates/base.html",
    "portal/home/templates/home/resident.html",
    "portal/home/templates/home/_today.html",
    "portal/home/templates/home/help.html",
    "portal/home/templates/home/settings.html",
    "portal/home/templates/home/pin.html",
    "portal/wellbeing/templates/wellbeing/need_help.html",
    "portal/wellbeing/templates/wellbeing/_home_panel.html",
    "portal/wellbeing/templates/wellbeing/_call_status.html",
    "portal/wellbeing/templates/wellbeing/settings.html",
    "portal/wellbeing/templates/wellbeing/_own_contacts.html",
    "portal/wellbeing/templates/wellbeing/_contacts_list.html",
    "portal/wellbeing/templates/wellbeing/_contact_fields.html",
    "portal/wellbeing/templates/wellbeing/_fields.html",
    "portal/wellbeing/templates/wellbeing/contact_new.html",
    "portal/wellbeing/templates/wellbeing/contact_remove.html",
    "portal/wellbeing/templates/wellbeing/pause.html",
    "portal/wellbeing/templates/wellbeing/_pause_fields.html",
    "portal/notifications/templates/notifications/index.html",
    "portal/people/templates/people/profile.html",
    "portal/people/templates/people/neighbours.html",
    "messaging/templates/messaging/inbox.html",
    "messaging/templates/messaging/conversation.html",
    "messaging/templates/messaging/_message.html",
    "messaging/templates/messaging/new.html",
    "messaging/templates/messaging/search.html",
    "messaging/templates/messaging/group_new.html",
    "messaging/calls/templates/calls/_overlay.html",
    "messaging/calls/templates/calls/_call_button.html",
    "messaging/calls/templates/calls/index.html",
    "messaging/announcements/templates/announcements/list.html",
    "messaging/announcements/templates/announcements/show.html",
    "messaging/announcements/templates/announcements/_cards.html",
    "messaging/announcements/templates/announcements/_home_panel.html",
    "concierge/templates/concierge/help/board.html",
    "concierge/templates/concierge/help/ask.html",
    "concierge/templates/concierge/help/offer.html",
    "concierge/templates/concierge/help/_lists.html",
    "concierge/templates/concierge/help/_status.html",
    "concierge/templates/concierge/help/helper.html",
    "concierge/templates/concierge/desk/my_home.html",
    "concierge/templates/concierge/desk/ticket_new.html",
    "concierge/templates/concierge/desk/tickets.html",
    "concierge/templates/concierge/desk/ticket.html",
    "concierge/templates/concierge/desk/_ticket_timeline.html",
    "concierge/templates/concierge/desk/_parcels.html",
    "concierge/templates/concierge/desk/visit_new.html",
    "concierge/templates/concierge/desk/logbook.html",
    "concierge/templates/concierge/desk/_logbook_entries.html",
    "concierge/templates/concierge/help/request.html",
    "concierge/templates/concierge/help/_macros.html",
    "portal/templates/_photo_button.html",
    "portal/templates/_logout_form.html",
    "portal/templates/confirm.html",
    "portal/home/templates/home/_whom_to_call.html",
    "portal/offline/templates/offline/offline.html",
    "activities/voice/templates/voice/_home_panel_body.html",
    "activities/voice/templates/voice/index.html",
    "activities/voice/templates/voice/_head.html",
    "activities/voice/templates/voice/_home_panel.html",
    "activities/voice/templates/voice/poll.html",
    "activities/voice/templates/voice/_poll_body.html",
    "activities/voice/templates/voice/ideas.html",
    "activities/voice/templates/voice/_ideas_board.html",
    "activities/voice/templates/voice/idea.html",
    "activities/voice/templates/voice/idea_new.html",
    "activities/voice/templates/voice/_idea_status.html",
    "activities/voice/templates/voice/decisions.html",
    "activities/voice/templates/voice/_decisions.html",
    "messaging/family/templates/family/_home_panel.html",
    "messaging/family/templates/family/circle.html",
    "messaging/family/templates/family/invite.html",
    "messaging/family/templates/family/remove.html",
    "messaging/family/templates/family/resident.html",
    "activities/templates/activities/calendar.html",
    "activities/templates/activities/occurrence.html",
    "activities/templates/activities/proposals.html",
    "activities/templates/activities/propose.html",
    "activities/templates/activities/my_calendar.html",
    "activities/templates/activities/rooms.html",
    "activities/templates/activities/room.html",
    "portal/datarights/templates/datarights/_settings_erasure.html",
    "portal/datarights/templates/datarights/ask_erasure.html",
    "portal/templates/errors/error.html",
)
RESIDENT_MODULES = (
    # The home's tiles, and the words of the resident pages' forms and choices.
    "messaging/tiles.py",
    "messaging/announcements/tiles.py",
    "activities/tiles.py",
    "concierge/exchange/tiles.py",
    "concierge/desk/tiles.py",
    "portal/home/forms.py",
    "portal/people/forms.py",
    "messaging/forms.py",
    "concierge/exchange/forms.py",
    "concierge/exchange/models.py",
    "concierge/desk/models.py",
    "portal/wellbeing/forms.py",
    "activities/models.py",
    # What the resident pages say after an action, and their confirmation questions.
    "portal/home/routes.py",
    "portal/people/routes.py",
    "portal/wellbeing/routes.py",
    "messaging/routes.py",
    "activities/routes.py",
    "concierge/exchange/routes.py",
    "concierge/desk/routes.py",
    "messaging/family/forms.py",
    "messaging/family/routes.py",
    "messaging/calls/routes.py",
    "activities/voice/forms.py",
    "activities/voice/routes.py",
    "portal/datarights/routes.py",
    "portal/notifications/routes.py",
    # What the resident-facing services answer (a refusal shown on the page, or in a socket
    # acknowledgement) and the notifications they write for a resident; the error pages; the
    # labels shown on resident pages (roles, floors, relations, answers' pictures).
    "portal/errors.py",
    "portal/auth/decorators.py",
    "portal/validation.py",
    "portal/uploads.py",
    "portal/i18n.py",
    "portal/people/models.py",
    "portal/people/display.py",
    "portal/people/service.py",
    "portal/notifications/service.py",
    "portal/wellbeing/models.py",
    "portal/wellbeing/service.py",
    "portal/wellbeing/contacts.py",
    "portal/wellbeing/pauses.py",
    "portal/datarights/requests.py",
    "messaging/service.py",
    "messaging/events.py",
    "messaging/uploads.py",
    "messaging/calls/service.py",
    "messaging/calls/events.py",
    "messaging/announcements/service.py",
    "messaging/announcements/routes.py",
    "messaging/family/models.py",
    "messaging/family/service.py",
    "concierge/exchange/service.py",
    "concierge/exchange/events.py",
    "concierge/desk/forms.py",
    "concierge/desk/access.py",
    "concierge/desk/tickets.py",
    "concierge/desk/parcels.py",
    "concierge/desk/visits.py",
    "concierge/desk/logbook.py",
    "activities/forms.py",
    "activities/rules.py",
    "activities/service.py",
    "activities/album.py",
    "activities/rooms.py",
    "activities/proposals.py",
    "activities/reminders.py",
    "activities/voice/icons.py",
    "activities/voice/models.py",
    "activities/voice/service.py",
)
RESIDENT_SOURCES = RESIDENT_TEMPLATES + RESIDENT_MODULES
KEYWORDS: dict[str, Any] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
}

# Rules a machine can check (the others — common words, one idea a sentence — are the writer's).
MAX_WORDS = 12
# Abbreviations and initials: any word of two capitals or more, and these.
ABBREVIATIONS = frozenset(
    {
        "samu",
        "rdv",
        "etc",
        "cf",
        "ex",
        "env",
        "tél",
        "tel",
        "n°",
        "qqn",
        "svp",
        "min",
        "max",
        "asap",
        "e.g",
        "i.e",
        "approx",
        "appt",
        "info",
        "infos",
        "pin",
        "faq",
        "إلخ",
    }
)
NEGATIVES = {
    "fr": re.compile(
        r"(?<![\w'’])(ne|n['’]|pas|jamais|rien|aucun|aucune|nul|nulle|ni)(?![\w])", re.I
    ),
    "en": re.compile(
        r"(?<![\w'’])(not|no|never|nothing|nobody|none|neither|nor|cannot)(?![\w'’])|n['’]t\b",
        re.I,
    ),
    "ar": re.compile(r"(?<![\w])(لا|لم|لن|ليس|ليست|لست|لسنا|أبدا|أبدًا|أبداً)(?![\w])"),
}
# Words docs/glossary.md keeps off resident pages (one name for one thing: the desk).
AVOIDED_WORDS = {
    "fr": re.compile(r"(?<![\w])(loge|gardien|gardienne)(?![\w])", re.I),
    "ar": re.compile(r"(?<![\w])(الحارس)(?![\w])"),
}
_SENTENCE_END = re.compile(r"[.!?؟…]+(?=\s|$)|\n")
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%%|\{\w*\}")
_UPPER_WORD = re.compile(r"(?<![\w%(])[A-Z]{2,}(?![\w)])")
_WORD = re.compile(r"[\w%(){}]", re.U)


def sentences(text: str) -> list[str]:
    """The sentences of a text (placeholders kept as single words)."""
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def words(sentence: str) -> list[str]:
    """The words of a sentence; punctuation alone ("·", "—", ":") is none."""
    return [token for token in sentence.split() if _WORD.search(token)]


def rule_breaks(text: str, locale: str) -> list[str]:
    """What an easy-to-read text does against the rules a machine can check ([] when none)."""
    problems = []
    plain = _PLACEHOLDER.sub("X", text)
    for sentence in sentences(plain):
        count = len(words(sentence))
        if count > MAX_WORDS:
            problems.append(f"{count} words: {sentence!r}")
    for token in re.findall(r"[\w.°]+", plain.lower()):
        if token.strip(".") in ABBREVIATIONS:
            problems.append(f"abbreviation: {token!r}")
    problems.extend(f"initials: {m!r}" for m in _UPPER_WORD.findall(_PLACEHOLDER.sub("", text)))
    avoided = AVOIDED_WORDS.get(locale)
    if avoided is not None:
        problems.extend(f"glossary: {m.group(0)!r}" for m in avoided.finditer(plain))
    negative = NEGATIVES.get(locale)
    if negative is not None:
        problems.extend(f"negative: {m.group(0)!r}" for m in negative.finditer(plain))
    return problems


# Which strings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentString:
    """A resident-facing msgid (with its plural, for ngettext) and where it comes from."""

    msgid: str
    plural: str | None
    source: str


def resident_strings() -> list[ResidentString]:
    """Every msgid of RESIDENT_SOURCES, once, in the order they first appear."""
    from babel.messages.extract import extract_from_file
    from jinja2.ext import babel_extract

    seen: dict[str, ResidentString] = {}
    for relative in RESIDENT_SOURCES:
        path = PROJECT_ROOT / relative
        if not path.is_file():
            continue
        method = babel_extract if relative.endswith(".html") else "python"
        for _line, message, _comments, _context in extract_from_file(
            method, str(path), keywords=KEYWORDS
        ):
            msgid, plural = (
                (message[0], message[1]) if isinstance(message, tuple) else (message, None)
            )
            if msgid and msgid not in seen:
                seen[msgid] = ResidentString(msgid, plural, relative)
    return list(seen.values())


def catalogue_path(translations: Path, locale: str) -> Path:
    return translations / locale / "LC_MESSAGES" / f"{EASY_DOMAIN}.po"


def catalogue_problems(translations: Path) -> list[str]:
    """Per language, each resident-facing string without an easy-to-read version, or whose
    version breaks a rule or loses a placeholder ([] when the catalogues are complete)."""
    from babel.messages.pofile import read_po

    strings = resident_strings()
    problems = [
        f"listed as resident-facing, but not found: {relative}"
        for relative in RESIDENT_SOURCES
        if not (PROJECT_ROOT / relative).is_file()
    ]
    for locale in EASY_LOCALES:
        path = catalogue_path(translations, locale)
        if not path.is_file():
            problems.append(f"{locale}: no catalogue {path}")
            continue
        with path.open("rb") as handle:
            catalogue = read_po(handle, locale=locale)
        for string in strings:
            entry = catalogue.get(string.msgid)
            texts = _texts(entry.string) if entry is not None else []
            if entry is None or entry.fuzzy or not all(texts):
                problems.append(f"{locale}: missing: {string.msgid!r} ({string.source})")
                continue
            wanted = set(_PLACEHOLDER.findall(string.plural or string.msgid)) - {"%%"}
            for text in texts:
                found = set(_PLACEHOLDER.findall(text)) - {"%%"}
                if not found <= wanted | {"%(num)s", "%(num)d"}:
                    problems.append(f"{locale}: placeholders {found - wanted}: {string.msgid!r}")
                problems.extend(
                    f"{locale}: {string.msgid!r}: {problem}"
                    for problem in rule_breaks(text, locale)
                )
    return problems


def update_catalogues(translations: Path) -> dict[str, int]:
    """Bring each language's easy.po in line with the resident-facing strings: keep every easy
    text written, add the new strings empty (the standard text as a comment, to start from),
    drop the strings no resident page says any more. Returns the empty entries per language."""
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po, write_po

    strings = resident_strings()
    empty: dict[str, int] = {}
    for locale in EASY_LOCALES:
        folder = translations / locale / "LC_MESSAGES"
        with (folder / "messages.po").open("rb") as handle:
            standard = read_po(handle, locale=locale)
        path = catalogue_path(translations, locale)
        old = Catalog(locale=locale)
        if path.is_file():
            with path.open("rb") as handle:
                old = read_po(handle, locale=locale)
        new = Catalog(locale=locale, domain=EASY_DOMAIN, project="Bon Voisin", fuzzy=False)
        new.mime_headers = list(standard.mime_headers)  # the same plural forms
        empty[locale] = 0
        for string in strings:
            msgid = (string.msgid, string.plural) if string.plural else string.msgid
            kept = old.get(string.msgid)
            written = kept.string if kept is not None and not kept.fuzzy else None
            if not written or not all(_texts(written)):
                empty[locale] += 1
                written = ("",) * new.num_plurals if string.plural else ""
            usual = standard.get(string.msgid)
            comments = [f"usual: {' | '.join(_texts(usual.string))}"] if usual else []
            new.add(msgid, written, auto_comments=comments)
        with path.open("wb") as handle:
            write_po(handle, new, width=100, sort_output=False)
    return empty


def _texts(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


# The catalogue at run time --------------------------------------------------------------------


class EasyDomain(Domain):
    """The `easy` catalogue of the request's language, falling back to the standard one."""

    def __init__(self) -> None:
        super().__init__(domain=EASY_DOMAIN)
        self._combined: dict[tuple[tuple[str, ...], str], NullTranslations] = {}

    def get_translations(self) -> NullTranslations:
        standard = get_babel().instance.domain_instance
        if _forced_locale() and not _written_easy():
            # Text written for someone else, in their language (a system message for each
            # reader): standard, unless written_for() says that someone reads easy-to-read.
            return standard.get_translations()
        directories = tuple(get_babel().translation_directories)
        key = (directories, str(get_locale()))
        combined = self._combined.get(key)
        if combined is None:
            combined = _load(directories, key[1], EASY_DOMAIN)
            combined.add_fallback(_load(directories, key[1], standard.domain[0]))
            self._combined[key] = combined
        return combined


def _load(directories: tuple[str, ...], locale: str, domain: str) -> NullTranslations:
    merged = Translations()
    for directory in directories:
        catalogue = Translations.load(directory, [locale], domain)
        merged.merge(catalogue)
        if hasattr(catalogue, "plural"):
            merged.plural = catalogue.plural
    return merged


def _forced_locale() -> bool:
    """Inside flask_babel.force_locale (its context keeps `forced_babel_locale` meanwhile)."""
    context = getattr(g, "_flask_babel", None)
    return getattr(context, "forced_babel_locale", None) is not None


def _written_easy() -> bool:
    """Inside written_for() for a reader of easy-to-read, in the language it forced (a
    force_locale opened within it, for someone else, is not)."""
    context = getattr(g, "_flask_babel", None)
    forced = getattr(context, "forced_babel_locale", None)
    return forced is not None and forced is getattr(context, _EASY_LOCALE, None)


_EASY_LOCALE = "easy_read_locale"  # written_for()'s mark in flask_babel's context


EASY = EasyDomain()
_SKIPPED_ENDPOINTS = frozenset({"static", "home.vendor"})


def reads_easy(person: Any) -> bool:
    """A resident who chose easy-to-read (staff pages keep their own wording)."""
    return bool(person is not None and person.is_resident and person.easy_read)


def _viewer() -> Any:
    try:
        if current_user and current_user.is_authenticated:
            return current_user
    except DATABASE_UNAVAILABLE:
        from portal.extensions import db

        db.session.rollback()
    return None


@contextmanager
def _wording(easy: bool) -> Iterator[None]:
    """The easy catalogue (or the standard one) for what is written meanwhile; the context's
    own choice again afterwards (a test's app context is shared by its socket events)."""
    if not has_app_context():
        yield
        return
    previous = get_domain()
    (EASY if easy else get_babel().instance.domain_instance).as_default()
    try:
        yield
    finally:
        previous.as_default()


@contextmanager
def wording_of(person: Any) -> Iterator[None]:
    """What is written meanwhile reads as `person` reads, in the context's language: the easy
    wording if they chose it, else the standard one (a socket event's answers to its sender,
    where no before_request chose for them)."""
    with _wording(reads_easy(person)):
        yield


@contextmanager
def written_for(person: Any, locale: str) -> Iterator[None]:
    """Text written for `person`, who may not be the one reading this request (a notification):
    in `locale`, their language, and in easy-to-read wording if they chose it."""
    easy = reads_easy(person)
    with force_locale(locale), _wording(easy):
        context = getattr(g, "_flask_babel", None) if has_app_context() else None
        if not easy or context is None:
            yield
            return
        previous = getattr(context, _EASY_LOCALE, None)
        setattr(context, _EASY_LOCALE, context.forced_babel_locale)
        try:
            yield
        finally:
            setattr(context, _EASY_LOCALE, previous)


def use_easy_wording() -> None:
    """Before each page: the easy catalogue for this request when its reader chose it."""
    endpoint = request.endpoint or ""
    if endpoint in _SKIPPED_ENDPOINTS or endpoint.endswith(".static"):
        return
    if reads_easy(_viewer()):
        EASY.as_default()


def reading_flags() -> dict[str, Any]:
    """`easy_read` and `simplified` for every template, and the <body> classes they ask for
    (`easy-read`, `simplified`): the stylesheet and the pages' conditions follow them."""
    viewer = _viewer()
    flags = {
        "easy_read": reads_easy(viewer),
        "simplified": bool(viewer is not None and viewer.simplified_mode),
    }
    classes = [name for flag, name in READING_CLASSES if flags[flag]]
    return {**flags, "reading_classes": " ".join(classes)}


READING_CLASSES = (("easy_read", "easy-read"), ("simplified", "simplified"))


def init_app(app: Flask) -> None:
    """Switch the wording per request and tell the templates which reading modes are on."""
    app.before_request(use_easy_wording)
    app.context_processor(reading_flags)
