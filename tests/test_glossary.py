"""One word for one thing: no resident-facing string uses a word the glossary refuses.

The words are read from docs/glossary.md, section "Words a test refuses" (one line per
language: `- <language>: word, word, …`; and `- except: <msgid>` for a string that names
another thing of the glossary with such a word), so the glossary stays the one place to change
them.
"""

from __future__ import annotations

import re
from functools import cache

import pytest
from babel.messages.pofile import read_po

from portal.cli import TRANSLATIONS
from portal.config import PROJECT_ROOT
from portal.easyread import resident_strings

GLOSSARY = PROJECT_ROOT / "docs" / "glossary.md"
SECTION = "## Words a test refuses"
LIST_LINE = re.compile(r"^-\s+([a-z]{2}):\s*(.+)$")
EXCEPT_LINE = re.compile(r"^-\s+except:\s*(.+)$")


def glossary_section() -> list[str]:
    """The lines of SECTION, up to the next section if any."""
    _before, found, section = GLOSSARY.read_text(encoding="utf-8").partition(SECTION)
    assert found, f"{GLOSSARY.name} has no section {SECTION!r}"
    return [line.strip() for line in section.split("\n## ", 1)[0].splitlines()]


@cache
def refused_words() -> dict[str, tuple[str, ...]]:
    """Per language, the words listed under SECTION of the glossary."""
    words: dict[str, tuple[str, ...]] = {}
    for line in glossary_section():
        match = LIST_LINE.match(line)
        if match:
            listed = (word.strip() for word in match[2].split(","))
            words[match[1]] = tuple(word for word in listed if word)
    return words


@cache
def excepted_msgids() -> frozenset[str]:
    """Source strings allowed to keep a refused word (they name another thing)."""
    return frozenset(m[1].strip() for line in glossary_section() if (m := EXCEPT_LINE.match(line)))


def pattern(word: str) -> re.Pattern[str]:
    """The word or phrase whole (not inside a longer word: "loge" is not "logement", "la
    concierge" is not "la conciergerie"), any case, any spaces between its words."""
    phrase = r"\s+".join(re.escape(part) for part in word.split())
    return re.compile(rf"(?<!\w){phrase}(?!\w)", re.IGNORECASE)


@cache
def resident_msgids() -> frozenset[str]:
    return frozenset(s.msgid for s in resident_strings())


def test_the_glossary_lists_the_words_to_refuse():
    words = refused_words()
    # The audit's words, in case the list is ever emptied by mistake.
    assert {"loge", "gardien", "le concierge", "la concierge", "non envoyé"} <= set(words["fr"])
    assert {"الحارس", "المكتب"} <= set(words["ar"])
    assert {"upload", "choose a file"} <= set(words["en"])
    # An exception that no resident-facing string uses any more goes from the list.
    assert excepted_msgids() <= resident_msgids()


def test_the_glossary_names_what_a_message_says_about_itself():
    text = GLOSSARY.read_text(encoding="utf-8")
    assert "| Envoyé, Lu, En attente d'envoi, Pas envoyé |" in text
    assert "| la conciergerie |" in text


def test_whole_words_only():
    assert pattern("loge").search("Gardien / Loge")
    assert not pattern("loge").search("Mon logement")
    assert not pattern("la concierge").search("Écrire à la conciergerie")
    assert pattern("la concierge").search("Prévenez la\u00a0concierge.")
    assert pattern("help · call the concierge").search("Help · Call the concierge")
    assert not pattern("المكتب").search("مكتب الاستقبال")


@pytest.mark.parametrize("locale", ["fr", "ar", "en"])
def test_resident_strings_use_no_refused_word(locale):
    """The standard catalogue (messages.po); the easy-to-read one has its own checks."""
    words = [(word, pattern(word)) for word in refused_words().get(locale, ())]
    assert words, f"the glossary refuses no word in {locale}"
    path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    wanted = resident_msgids() - excepted_msgids()
    breaks = []
    for message in catalogue:
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        if not msgid or msgid not in wanted:
            continue
        texts = list(message.string) if isinstance(message.string, tuple) else [message.string]
        if locale == "en":
            texts += list(message.id) if isinstance(message.id, tuple) else [message.id]
        for text in texts:
            breaks += [f"{msgid!r}: {text!r} says {w!r}" for w, p in words if p.search(text)]
    assert not breaks, f"{locale}/messages.po, against docs/glossary.md:\n" + "\n".join(breaks)
