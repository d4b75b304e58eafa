"""A notification to a resident who chose easy-to-read is written in its wording, in their own
language, whoever's request writes it; everyone else's stays in the standard wording."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import easyread
from portal.extensions import db
from portal.notifications import service
from portal.notifications.models import Notification
from portal.people.models import Person, Role
from portal.wellbeing import service as wellbeing
from tests.factories import make_building, make_resident, make_staff

SEEN = "Someone has seen your call and is coming."


def titles(person: Person) -> list[str]:
    stmt = select(Notification.title).where(Notification.person_id == person.id)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


def reader(building, locale: str, *, easy: bool) -> Person:
    person = make_resident(building, locale=locale)
    person.easy_read = easy
    return person


def test_each_recipient_reads_the_notification_as_they_chose(app):
    building = make_building()
    easy_fr, easy_ar = reader(building, "fr", easy=True), reader(building, "ar", easy=True)
    usual = reader(building, "fr", easy=False)
    staff = make_staff(Role.COORDINATOR, [building], locale="en")
    staff.easy_read = True  # staff pages and notices keep the standard wording
    before = _("Skip to the content")
    label = _l("Announcement: %(title)s", title="Fête des voisins")  # resolved in render

    for person in (easy_fr, easy_ar, usual, staff):
        service.notify(person, "test", lambda: _(SEEN))
        service.notify(person, "test", lambda: str(label))

    assert titles(easy_fr) == [
        "Quelqu'un a vu votre appel. Il arrive.",
        "Nouvelle de l'immeuble : Fête des voisins",
    ]
    assert titles(easy_ar) == ["رأى أحدهم نداءك. إنه قادم.", "خبر من المبنى: Fête des voisins"]
    assert titles(usual) == ["Quelqu'un a vu votre appel et arrive.", "Annonce : Fête des voisins"]
    assert titles(staff) == [SEEN, "Announcement: Fête des voisins"]
    assert _("Skip to the content") == before  # the context's own wording is back


def test_an_easy_readers_request_writes_others_notifications_in_the_standard_wording(app):
    building = make_building()
    easy, usual = reader(building, "ar", easy=True), reader(building, "en", easy=False)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        easyread.EASY.as_default()  # as use_easy_wording does for an easy reader's page
        service.notify(usual, "test", lambda: _(SEEN))
        service.notify(easy, "test", lambda: _(SEEN))
        assert _("Skip to the content") == "Go to the text of the page"  # the page stays easy
    assert titles(usual) == [SEEN]
    assert titles(easy) == ["رأى أحدهم نداءك. إنه قادم."]


def test_the_desk_answering_a_call_tells_an_easy_reader_in_easy_words(app, client, login):
    building = make_building()
    jeanne = reader(building, "en", easy=True)
    concierge = make_staff(Role.CONCIERGE, [building], locale="en")
    call, _created = wellbeing.do_send_help_call(jeanne)
    db.session.commit()
    login(concierge)
    html = client.get("/notifications").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert csrf, html
    answer = client.post(f"/wellbeing/help-calls/{call.id}/seen", data={"csrf_token": csrf[1]})
    assert answer.status_code == 302
    assert titles(jeanne) == ["Someone saw your call. They are coming."]
