"""The family circle's service: invitations, joining, the conversations, what a relative
sees, removal, emergency contacts, logging in and data rights."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from messaging import service as messaging
from messaging.family import service
from messaging.family.models import FamilyGroup, FamilyLink
from messaging.models import Conversation, ConversationKind
from portal import mail
from portal.datarights import erasure
from portal.datarights.export import build_export
from portal.db import utcnow
from portal.extensions import db
from portal.people import service as people
from portal.people.models import Person, Role
from portal.wellbeing.models import EmergencyContact
from tests.conftest import code
from tests.family.conftest import Cast, Invitation, invite, join, last_token


def test_invite_creates_a_relative_outside_any_building(cast: Cast, invitation: Invitation) -> None:
    link = invitation.link
    relative = link.relative
    assert relative.role == Role.RELATIVE
    assert relative.building_id is None and relative.dwelling_id is None
    assert not relative.in_directory
    assert people.building_ids_for(relative) == set()
    assert not link.is_active
    assert not service.in_circle(cast.jeanne.id, relative.id)
    [sent] = mail.outbox()
    assert sent.to == ["julie@example.org"]
    assert "/family/join/" in sent.body


def test_coordinator_invites_only_with_the_residents_agreement(cast: Cast) -> None:
    refused = code(
        service.do_invite,
        cast.coordinator,
        cast.jeanne.id,
        first_name="Julie",
        last_name="Martin",
        email="julie@example.org",
        consent=False,
    )
    assert refused == "consent_needed"
    link, _ = invite(cast.jeanne, "julie@example.org", actor=cast.coordinator)
    assert link.consent_recorded_at is not None
    assert link.invited_by_id == cast.coordinator.id


def test_invite_refused_to_others(cast: Cast) -> None:
    kwargs = {"first_name": "Julie", "last_name": "Martin", "email": "j@example.org"}
    assert code(service.do_invite, cast.paul, cast.jeanne.id, **kwargs) == "not_found"
    assert (
        code(service.do_invite, cast.other_coordinator, cast.jeanne.id, consent=True, **kwargs)
        == "not_found"
    )
    assert (
        code(service.do_invite, cast.concierge, cast.jeanne.id, consent=True, **kwargs)
        == "not_found"
    )


def test_invite_refuses_a_staff_or_resident_email(cast: Cast) -> None:
    refused = code(
        service.do_invite,
        cast.jeanne,
        cast.jeanne.id,
        first_name="Camille",
        last_name="R",
        email=cast.coordinator.email,
    )
    assert refused == "email_taken"


def test_sms_invitation_needs_a_gateway(cast: Cast) -> None:
    refused = code(
        service.do_invite,
        cast.jeanne,
        cast.jeanne.id,
        first_name="Julie",
        last_name="Martin",
        channel="sms",
        phone="06 12 34 56 78",
    )
    assert refused == "no_sms"


def test_sms_invitation_sends_the_link_by_text(cast: Cast, app, monkeypatch) -> None:
    app.config["ALERTS_SMS_URL"] = "json://sms.invalid/send?:to={phone}"
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(
        service.channels,
        "send_sms",
        lambda phone, text: sent.append((phone, text)) or service.channels.Delivery(True),
    )
    link = service.do_invite(
        cast.jeanne,
        cast.jeanne.id,
        first_name="Julie",
        last_name="Martin",
        channel="sms",
        phone="06 12 34 56 78",
    )
    assert sent == []  # only once committed
    db.session.commit()
    [(phone, text)] = sent
    assert phone == "+33612345678"
    assert "/family/join/" in text
    assert link.relative.email is None


def test_join_accepts_and_opens_the_conversation(cast: Cast, julie: Person) -> None:
    assert service.in_circle(cast.jeanne.id, julie.id)
    [link] = service.list_residents_of(julie)
    conversation = db.session.get(Conversation, link.conversation_id)
    assert conversation.kind == ConversationKind.DIRECT
    assert messaging.may_read(julie, conversation)
    assert messaging.may_read(cast.jeanne, conversation)
    assert not messaging.may_read(cast.paul, conversation)
    message = messaging.do_send_message(
        julie, conversation.id, client_id="c-0000001", body="Bonjour maman"
    )
    db.session.commit()
    assert message.message.body == "Bonjour maman"


def test_join_link_works_once(invitation: Invitation) -> None:
    tok = invitation.token
    service.do_join(tok, first_name="Julie", last_name="Martin", email="julie@example.org")
    db.session.commit()
    assert code(service.do_join, tok, first_name="J", last_name="M", email="j@example.org") == (
        "link_gone"
    )


def test_join_with_a_password_then_log_in(cast: Cast, invitation: Invitation) -> None:
    service.do_join(
        invitation.token,
        first_name="Julie",
        last_name="Martin",
        email="julie@example.org",
        use_password=True,
        password="a long enough secret",
        confirm="a long enough secret",
    )
    db.session.commit()
    person = service.do_login_with_password("julie@example.org", "a long enough secret")
    assert person.role == Role.RELATIVE
    assert code(service.do_login_with_password, "julie@example.org", "wrong") == "bad_login"
    # A member of staff cannot log in through the family page.
    assert (
        code(service.do_login_with_password, cast.coordinator.email, "correct horse battery staple")
        == "bad_login"
    )


@pytest.mark.usefixtures("julie")
def test_login_link_by_email(cast: Cast) -> None:
    service.do_request_login_link("julie@example.org")
    db.session.commit()
    person = service.do_login_with_link(last_token("login"))
    assert person.email == "julie@example.org"
    db.session.commit()
    assert code(service.do_login_with_link, last_token("login")) == "link_gone"


def test_login_link_is_never_sent_to_staff(cast: Cast) -> None:
    service.do_request_login_link(cast.coordinator.email)
    db.session.commit()
    assert mail.outbox() == []


def test_family_group_once_two_relatives_joined(cast: Cast, julie: Person) -> None:
    assert service.family_group_id(cast.jeanne.id) is None
    marc = join(cast.jeanne, "marc@example.org", "Marc")
    group_id = service.family_group_id(cast.jeanne.id)
    group = db.session.get(Conversation, group_id)
    assert group.kind == ConversationKind.GROUP
    assert set(messaging.active_member_ids(group)) == {cast.jeanne.id, julie.id, marc.id}


def test_one_relative_in_two_circles(cast: Cast, julie: Person) -> None:
    _link, tok = invite(cast.paul, "julie@example.org")
    assert service.do_join(tok).id == julie.id
    db.session.commit()
    assert {link.resident_id for link in service.list_residents_of(julie)} == {
        cast.jeanne.id,
        cast.paul.id,
    }


def test_news_show_only_what_the_resident_ticked(
    cast: Cast, julie: Person, julies_link: FamilyLink
) -> None:
    news = service.get_news(julie, cast.jeanne.id)
    assert news.activities is None and news.checked_in_today is None
    service.do_set_visibility(
        cast.jeanne, julies_link.id, activities_shown=True, check_in_shown=False
    )
    db.session.commit()
    news = service.get_news(julie, cast.jeanne.id)
    assert news.activities == [] and news.checked_in_today is None


def test_news_refused_outside_the_circle(cast: Cast, julie: Person) -> None:
    assert code(service.get_news, julie, cast.paul.id) == "not_found"
    assert code(service.get_news, cast.paul, cast.jeanne.id) == "not_found"


def test_visibility_only_by_the_resident_or_coordinator(
    cast: Cast, julie: Person, julies_link: FamilyLink
) -> None:
    for stranger in (julie, cast.paul, cast.other_coordinator, cast.concierge):
        assert (
            code(
                service.do_set_visibility,
                stranger,
                julies_link.id,
                activities_shown=True,
                check_in_shown=True,
            )
            == "not_found"
        )
    service.do_set_visibility(
        cast.coordinator, julies_link.id, activities_shown=True, check_in_shown=True
    )
    assert julies_link.sees_check_in


def test_emergency_contact_is_linked_not_copied(
    cast: Cast, julie: Person, julies_link: FamilyLink
) -> None:
    service.do_set_emergency(cast.jeanne, julies_link.id, named=True, consent=True)
    db.session.commit()
    contact = db.session.get(EmergencyContact, julies_link.emergency_contact_id)
    assert contact.person_id == cast.jeanne.id
    assert contact.email == julie.email
    service.do_set_emergency(cast.jeanne, julies_link.id, named=False, consent=False)
    db.session.commit()
    assert db.session.get(EmergencyContact, contact.id) is None


def test_remove_ends_access_at_once(cast: Cast, julie: Person, julies_link: FamilyLink) -> None:
    service.do_set_emergency(cast.jeanne, julies_link.id, named=True, consent=True)
    conversation_id = julies_link.conversation_id
    version = julie.session_version
    service.do_remove(cast.jeanne, julies_link.id)
    db.session.commit()
    assert not service.in_circle(cast.jeanne.id, julie.id)
    conversation = db.session.get(Conversation, conversation_id)
    assert not messaging.may_read(julie, conversation)
    assert db.session.scalars(select(EmergencyContact)).all() == []
    db.session.refresh(julie)
    assert not julie.active  # in no circle any more
    assert julie.session_version > version


def test_remove_only_by_the_resident_or_coordinator(
    cast: Cast, julie: Person, julies_link: FamilyLink
) -> None:
    assert code(service.do_remove, julie, julies_link.id) == "not_found"
    assert code(service.do_remove, cast.paul, julies_link.id) == "not_found"
    service.do_remove(cast.coordinator, julies_link.id)
    db.session.commit()
    assert service.list_circle(cast.jeanne.id) == []


def test_removed_relative_leaves_the_family_group(cast: Cast, julie: Person, marc: Person) -> None:
    group = db.session.get(Conversation, service.family_group_id(cast.jeanne.id))
    link = next(link for link in service.list_circle(cast.jeanne.id) if link.relative_id == marc.id)
    service.do_remove(cast.jeanne, link.id)
    db.session.commit()
    db.session.expire_all()
    assert set(messaging.active_member_ids(group)) == {cast.jeanne.id, julie.id}


def test_pictures_within_the_circle_only(cast: Cast, julie: Person) -> None:
    assert people.access_avatar(julie, cast.jeanne.id, None).id == cast.jeanne.id
    assert people.access_avatar(cast.jeanne, julie.id, None).id == julie.id
    assert people.access_avatar(cast.coordinator, julie.id, None).id == julie.id
    for hidden in (cast.paul.id, cast.coordinator.id, cast.outsider.id):
        assert code(people.access_avatar, julie, hidden, None) == "not_found"
    assert code(people.access_avatar, cast.paul, julie.id, None) == "not_found"
    assert code(people.access_avatar, cast.other_coordinator, julie.id, None) == "not_found"


def test_relatives_are_in_no_building_list(cast: Cast, julie: Person) -> None:
    assert julie.id not in {p.id for p in people.list_residents(cast.building)}


def test_export_of_both_sides(cast: Cast, julie: Person) -> None:
    mine = build_export(cast.jeanne)["family"]
    assert [r["name"] for r in mine["relatives"]] == [julie.full_name]
    theirs = build_export(julie)["family"]
    assert [c["resident"] for c in theirs["circles"]] == [cast.jeanne.full_name]


@pytest.mark.usefixtures("marc")
def test_erasing_the_resident_removes_the_circle(cast: Cast, julie: Person) -> None:
    resident_id = cast.jeanne.id
    erasure.erase(cast.jeanne, actor=None)
    db.session.commit()
    assert db.session.scalars(select(FamilyLink)).all() == []
    assert db.session.get(FamilyGroup, resident_id) is None
    db.session.refresh(julie)
    assert not julie.active
    assert service.list_residents_of(julie) == []


def test_erasing_a_relative_deletes_their_links(cast: Cast, julie: Person) -> None:
    erasure.erase(julie, actor=None)
    db.session.commit()
    assert service.list_circle(cast.jeanne.id) == []
    assert db.session.scalars(select(Person).where(Person.role == Role.RELATIVE)).all() == []


def test_close_account(cast: Cast, julie: Person) -> None:
    service.do_close_account(julie)
    db.session.commit()
    assert not julie.active
    assert service.list_circle(cast.jeanne.id) == []


def test_invitation_link_expires(invitation: Invitation, monkeypatch: pytest.MonkeyPatch) -> None:
    later = utcnow() + timedelta(days=8)
    monkeypatch.setattr(service, "utcnow", lambda: later)
    assert code(service.check_invitation, invitation.token) == "link_gone"
