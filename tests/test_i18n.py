"""The French, English and Arabic catalogues are complete for every string in the sources."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po

from portal.cli import TRANSLATIONS, extract_messages

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    extract_messages(pot)
    with pot.open("rb") as handle:
        return read_po(handle)


def load(locale: str):
    path: Path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def strings(message) -> list[str]:
    return list(message.string) if isinstance(message.string, tuple) else [message.string]


@pytest.mark.parametrize("locale", ["fr", "en", "ar"])
def test_every_source_string_is_translated_and_not_fuzzy(template, locale):
    catalogue = load(locale)
    missing, fuzzy = [], []
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id)
        if entry is None or not all(strings(entry)):
            missing.append(message.id)
        elif entry.fuzzy:
            fuzzy.append(message.id)
    assert not missing, f"{locale}: untranslated: {missing}"
    assert not fuzzy, f"{locale}: fuzzy: {fuzzy}"


@pytest.mark.parametrize("locale", ["fr", "en", "ar"])
def test_placeholders_survive_translation(locale):
    for message in load(locale):
        if not message.id:
            continue
        source = message.id if isinstance(message.id, tuple) else (message.id,)
        expected = set(PLACEHOLDER.findall(source[-1]))
        for text in strings(message):
            assert set(PLACEHOLDER.findall(text)) <= expected | {"num"}, (message.id, text)
            assert expected - {"num"} <= set(PLACEHOLDER.findall(text)), (message.id, text)


def test_french_is_the_default(client):
    from flask import current_app

    assert current_app.config["BABEL_DEFAULT_LOCALE"] == "fr"
    response = client.get("/login", headers={"Accept-Language": ""})
    assert '<html lang="fr"' in response.get_data(as_text=True)


def test_browser_language_is_used_before_login(client):
    french = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    english = client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="fr"' in french.get_data(as_text=True)
    assert '<html lang="en"' in english.get_data(as_text=True)


CLDR_ORDER = ("zero", "one", "two", "few", "many", "other")


def test_arabic_plural_forms_are_in_cldr_order():
    """Each number picks the msgstr slot of its CLDR category (translators write in that order)."""
    rule = load("ar").plural_forms.split("plural=")[1].rstrip(";")
    slot_of = gettext.c2py(rule)
    arabic = Locale("ar")
    for n in range(0, 1100):
        assert CLDR_ORDER[slot_of(n)] == arabic.plural_form(n), n


def test_arabic_pages_are_right_to_left(client):
    page = client.get("/login", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in page
