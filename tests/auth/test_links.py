"""One-time account links: invitations and password resets by real SMTP; single use,
expiry, and no way to learn who has an account."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine

from portal.auth import links
from portal.auth import service as auth
from portal.db import utcnow
from portal.extensions import db
from portal.people.models import Role
from tests.conftest import code
from tests.factories import STAFF_PASSWORD, make_staff
from tests.smtp import body_of

NEW_PASSWORD = "a brand new long password"
LINK = re.compile(r"https?://\S+/account/(\S+)")


def token(client) -> str:
    """The CSRF token of a page anyone may open."""
    html = client.get("/login/staff").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no CSRF token on the login page"
    return match.group(1)


def link_in(message) -> str:
    match = LINK.search(body_of(message))
    assert match, body_of(message)
    return match.group(1)


def ask_reset(client, email: str):
    return client.post("/login/staff/forgot", data={"csrf_token": token(client), "email": email})


def use(client, link_token: str, password: str = NEW_PASSWORD, confirm: str | None = None):
    return client.post(
        f"/account/{link_token}",
        data={
            "csrf_token": token(client),
            "password": password,
            "confirm": confirm if confirm is not None else password,
        },
    )


def test_a_reset_mail_reaches_the_staff_member_and_its_link_sets_the_password(
    smtp_app, client, inbox
):
    staff = make_staff(Role.CONCIERGE, email="louis@example.org", locale="en")
    db.session.commit()
    answer = ask_reset(client, "Louis@Example.org ")
    assert answer.status_code == 200
    assert "a mail with a link is on its way" in answer.get_data(as_text=True)
    [mail] = inbox.wait_for(1)
    assert mail["To"] == "louis@example.org"
    assert mail["Subject"] == "Choose a new Bon Voisin password"
    link_token = link_in(mail)
    assert client.get(f"/account/{link_token}").status_code == 200
    assert use(client, link_token).status_code == 302
    db.session.refresh(staff)
    assert auth.verify_secret(staff.password_hash, NEW_PASSWORD)
    assert not auth.verify_secret(staff.password_hash, STAFF_PASSWORD)


def test_a_reset_link_works_once(smtp_app, client, inbox):
    make_staff(email="once@example.org")
    db.session.commit()
    ask_reset(client, "once@example.org")
    link_token = link_in(inbox.wait_for(1)[0])
    assert use(client, link_token).status_code == 302
    other = smtp_app.test_client()
    again = use(other, link_token, "yet another long password")
    assert again.status_code == 404
    assert "This link no longer works" in again.get_data(as_text=True)


def test_a_reset_link_dies_after_one_hour(app, client):
    staff = make_staff(email="late@example.org")
    link_token = links.do_issue_link(staff, links.LinkPurpose.RESET)
    db.session.commit()
    with time_machine.travel(utcnow() + timedelta(minutes=61)):
        assert client.get(f"/account/{link_token}").status_code == 404
        assert use(client, link_token).status_code == 404
    db.session.refresh(staff)
    assert auth.verify_secret(staff.password_hash, STAFF_PASSWORD)


def test_an_invitation_lasts_48_hours(app):
    staff = make_staff(email="invited@example.org")
    link_token = links.do_issue_link(staff, links.LinkPurpose.SETUP)
    assert links.check_link(link_token, utcnow() + timedelta(hours=47)).person is staff
    assert code(links.check_link, link_token, utcnow() + timedelta(hours=49)) == "link_gone"


def test_a_new_link_ends_the_earlier_one(app):
    staff = make_staff()
    first = links.do_issue_link(staff, links.LinkPurpose.RESET)
    second = links.do_issue_link(staff, links.LinkPurpose.RESET)
    assert code(links.check_link, first) == "link_gone"
    assert links.check_link(second).person is staff


def test_the_answer_is_the_same_whether_or_not_the_address_has_an_account(smtp_app, client, inbox):
    make_staff(email="known@example.org")
    resident_like = make_staff(email="closed@example.org")
    resident_like.active = False
    db.session.commit()
    known = ask_reset(client, "known@example.org")
    unknown = ask_reset(smtp_app.test_client(), "nobody@example.org")
    closed = ask_reset(smtp_app.test_client(), "closed@example.org")
    strip = re.compile(r'name="csrf[-_]token"[^>]*>|nonce="[^"]*"')
    pages = {strip.sub("", r.get_data(as_text=True)) for r in (known, unknown, closed)}
    assert {r.status_code for r in (known, unknown, closed)} == {200}
    assert len(pages) == 1
    inbox.wait_for(1)
    assert [m["To"] for m in inbox.messages] == ["known@example.org"]


def test_two_different_passwords_are_refused_and_the_link_still_works(app, client):
    staff = make_staff()
    link_token = links.do_issue_link(staff, links.LinkPurpose.RESET)
    db.session.commit()
    answer = use(client, link_token, NEW_PASSWORD, "something else entirely")
    assert answer.status_code == 422
    assert "The two passwords are different" in answer.get_data(as_text=True)
    assert use(client, link_token).status_code == 302


def test_a_short_password_is_refused_with_a_clear_message(app, client):
    staff = make_staff()
    link_token = links.do_issue_link(staff, links.LinkPurpose.RESET)
    db.session.commit()
    answer = use(client, link_token, "short")
    assert answer.status_code == 422
    assert "at least 12 characters" in answer.get_data(as_text=True)


def test_using_a_link_ends_the_persons_other_sessions(app, client, login):
    staff = make_staff()
    link_token = links.do_issue_link(staff, links.LinkPurpose.RESET)
    db.session.commit()
    logged_in = login(staff, app.test_client())
    assert logged_in.get("/staff/organisation").status_code in {200, 404}
    use(client, link_token)
    assert logged_in.get("/").status_code == 302  # back to the login page


def test_a_resident_never_gets_a_reset_mail(smtp_app, client, inbox):
    from tests.factories import make_resident

    resident = make_resident()
    resident.email = "resident@example.org"
    db.session.commit()
    ask_reset(client, "resident@example.org")
    assert inbox.messages == []
