"""The easy-to-read catalogues: complete for every resident-facing string in French, English
and Arabic, each text within the rules a machine can check; and the domain that serves them."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale, gettext, lazy_gettext, ngettext

from portal import easyread
from portal.cli import TRANSLATIONS


def test_every_resident_facing_string_has_an_easy_version_within_the_rules():
    problems = easyread.catalogue_problems(TRANSLATIONS)
    advice = "`flask translate easy-update`, then write each empty entry of the easy.po files"
    assert not problems, "\n".join([*problems, advice])


def test_the_resident_facing_strings_come_from_the_listed_pages_and_modules():
    strings = {s.msgid: s for s in easyread.resident_strings()}
    assert strings["Skip to the content"].source == "portal/templates/base.html"
    assert strings["Text size"].source == "portal/home/forms.py"  # a lazy form label
    assert strings["%(num)d unread"].plural == "%(num)d unread"
    assert "Add this resident" not in strings  # a staff page
    assert len(strings) > 250
    # What the back end says to a resident: refusals, acknowledgements, labels, error pages.
    assert strings["This request does not exist."].source == "concierge/exchange/service.py"
    assert strings["Too many requests. Please wait a few seconds."].source == (
        "portal/auth/decorators.py"
    )
    assert strings["I like it"].source == "messaging/service.py"  # a reaction's label
    assert strings["Something is not right"].source == "portal/templates/errors/error.html"
    assert strings["Pause the check-in"].source == "portal/wellbeing/templates/wellbeing/pause.html"
    assert strings["Ask to erase my account"].source.startswith("portal/datarights/templates/")


@pytest.mark.parametrize("locale", easyread.EASY_LOCALES)
def test_easy_catalogues_count_plurals_as_the_standard_ones(locale):
    def plurals(domain: str) -> int:
        path = TRANSLATIONS / locale / "LC_MESSAGES" / f"{domain}.po"
        with path.open("rb") as handle:
            return read_po(handle, locale=locale).num_plurals

    assert plurals("easy") == plurals("messages")


@pytest.mark.parametrize(
    ("text", "locale", "broken"),
    [
        ("Bon Voisin n'est pas un service d'urgence.", "fr", "negative"),
        ("Appelez le SAMU.", "fr", "abbreviation"),
        ("Prenez un RDV.", "fr", "abbreviation"),
        ("Vous ne serez jamais seul.", "fr", "negative"),
        ("Call the GP.", "en", "initials"),
        ("Don't worry.", "en", "negative"),
        ("Nobody will call you.", "en", "negative"),
        ("لا توجد رسائل بعد.", "ar", "negative"),
        ("Envoyer à la loge.", "fr", "glossary"),
        ("أرسل إلى الحارس.", "ar", "glossary"),
        ("One two three four five six seven eight nine ten eleven twelve thirteen.", "en", "words"),
    ],
)
def test_rule_breaks_finds_what_easy_to_read_forbids(text, locale, broken):
    assert any(broken in problem for problem in easyread.rule_breaks(text, locale))


@pytest.mark.parametrize(
    ("text", "locale"),
    [
        ("Touchez le bouton. L'équipe de l'immeuble reçoit votre appel tout de suite.", "fr"),
        ("Vous êtes blessé ? Appelez tout de suite : 15.", "fr"),
        ("Hello %(name)s! Write the first message.", "en"),
        ("Mon logement et la conciergerie.", "fr"),
        ("المس الزر. يصل نداؤك إلى فريق المبنى فورًا.", "ar"),
    ],
)
def test_rule_breaks_accepts_short_positive_sentences(text, locale):
    assert easyread.rule_breaks(text, locale) == []


def test_the_easy_domain_reads_easy_texts_first_then_the_standard_ones(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert gettext("Skip to the content") == "Skip to the content"
        easyread.EASY.as_default()
        assert gettext("Skip to the content") == "Go to the text of the page"
        assert str(lazy_gettext("Text size")) == "Size of the letters"
        assert ngettext("%(num)d unread", "%(num)d unread", 3) == "3 new messages"
        # A string without an easy version reads as usual.
        assert gettext("Add this resident") == "Add this resident"
        # Text written for someone else (a notification, in their language) stays standard.
        with force_locale("fr"):
            assert gettext("Skip to the content").startswith("Aller au contenu")
        assert gettext("Skip to the content") == "Go to the text of the page"


@pytest.mark.parametrize(
    ("locale", "refused"),
    [("fr", "Le message est refusé"), ("en", "The message was refused"), ("ar", "رُفضت الرسالة")],
)
def test_a_refused_message_reads_refused_not_waiting(locale, refused):
    path = easyread.catalogue_path(TRANSLATIONS, locale)
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=locale)
    failed = catalogue.get("Not sent: %(reason)s").string
    assert failed.startswith(refused), failed
    assert failed.split(":")[0] not in catalogue.get("Waiting to be sent").string


def test_the_easy_domain_speaks_the_request_language(app):
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        easyread.EASY.as_default()
        assert gettext("Skip to the content") == "اذهب إلى نص الصفحة"
        assert gettext("Announcements") == "أخبار المبنى"


def test_easy_check_command_reports_a_complete_catalogue(runner):
    result = runner.invoke(args=["translate", "easy-check"])
    assert result.exit_code == 0, result.output
    assert "Every resident-facing string has an easy-to-read version." in result.output


def test_easy_check_command_lists_what_is_missing(runner, tmp_path, monkeypatch):
    monkeypatch.setattr("portal.cli.TRANSLATIONS", tmp_path)
    result = runner.invoke(args=["translate", "easy-check"])
    assert result.exit_code != 0
    assert "fr: no catalogue" in result.output


def test_easy_update_keeps_the_texts_adds_new_strings_and_drops_old_ones(tmp_path):
    from babel.messages.pofile import write_po

    for locale in easyread.EASY_LOCALES:
        folder = tmp_path / locale / "LC_MESSAGES"
        folder.mkdir(parents=True)
        for name in ("messages.po", "easy.po"):
            (folder / name).write_bytes((TRANSLATIONS / locale / "LC_MESSAGES" / name).read_bytes())
    path = easyread.catalogue_path(tmp_path, "fr")
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale="fr")
    catalogue.delete("Skip to the content")
    catalogue.add("A string no page says", "Une phrase d'avant")
    with path.open("wb") as handle:
        write_po(handle, catalogue)

    assert easyread.update_catalogues(tmp_path) == {"fr": 1, "en": 0, "ar": 0}
    with path.open("rb") as handle:
        updated = read_po(handle, locale="fr")
    assert updated.get("Skip to the content").string == ""
    assert updated.get("A string no page says") is None
    assert updated.get("Help between neighbours").string == "Entraide entre voisins"
    assert updated.num_plurals == 2
    problems = easyread.catalogue_problems(tmp_path)
    assert problems == ["fr: missing: 'Skip to the content' (portal/templates/base.html)"]


def test_without_the_setting_the_request_keeps_the_default_domain(app):
    from flask_babel import get_domain

    with app.test_request_context("/help", headers={"Accept-Language": "en"}):
        easyread.use_easy_wording()  # nobody logged in
        assert get_domain() is not easyread.EASY
        assert gettext("Skip to the content") == "Skip to the content"


def test_socket_answers_speak_easy_to_a_resident_who_chose_it(app, socket_client):
    from flask_babel import get_babel, get_domain

    from portal.extensions import db
    from tests.factories import make_building, make_resident

    building = make_building()
    easy, usual = make_resident(building, locale="en"), make_resident(building, locale="en")
    easy.easy_read = True
    db.session.commit()
    answers = {}
    for person in (easy, usual):
        sock = socket_client(person)
        refused = sock.emit("get_help_request", {"request_id": 999999}, callback=True)
        malformed = sock.emit("get_help_request", {}, {}, callback=True)  # two payloads
        answers[person.easy_read] = (refused["message"], malformed["message"])
    # A domain refusal and the socket handler's own refusal, in the words each one reads.
    assert answers[True] == ("This request is gone.", "Something went wrong. Try again.")
    assert answers[False] == (
        "This request does not exist.",
        "The request could not be understood.",
    )
    # The event's choice ends with the event (the test's app context is shared with it).
    standard = get_babel().instance.domain_instance
    assert get_domain() is standard
    assert gettext("Skip to the content") == standard.gettext("Skip to the content")
