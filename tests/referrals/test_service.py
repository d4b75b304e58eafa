"""The referrals' service: who may send, read and answer; minimal data; consent first;
audited reads; retention; the figures and data rights."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal import mail
from portal.auth import links
from portal.auth.models import AccountLink, LinkPurpose
from portal.datarights.erasure import do_erase
from portal.datarights.export import build_export
from portal.errors import DomainError
from portal.extensions import db
from portal.figures.service import Period, Scope
from portal.notifications.models import Notification
from portal.people.models import Person, Role
from portal.referrals import jobs, service
from portal.referrals.figures import get_referrals
from portal.referrals.models import PartnerProfile, Referral, ReferralStatus
from tests.conftest import code
from tests.referrals.conftest import Cast, audit_actions, send


def titles_of(person: Person) -> list[str]:
    stmt = select(Notification.title).where(Notification.person_id == person.id)
    return list(db.session.scalars(stmt))


# Sending ------------------------------------------------------------------------------


def test_partner_sends_a_referral_matched_to_the_resident_of_the_flat(cast: Cast):
    referral = send(cast)
    assert referral.status == ReferralStatus.RECEIVED
    assert referral.about_resident and referral.dwelling_number == "12"
    assert referral.resident_id == cast.jeanne.id
    assert titles_of(cast.coordinator)  # the coordinator is notified
    assert titles_of(cast.concierge) == []  # a resident's concern is not the desk's


def test_a_flat_with_an_unclear_name_keeps_the_resident_unknown(cast: Cast):
    referral = send(cast, resident_name="Someone Else")
    assert referral.about_resident and referral.resident_id is None
    assert referral.resident_name == "Someone Else"


def test_a_referral_about_the_building_names_nobody(cast: Cast):
    referral = send(cast, dwelling_number="", resident_name="", concern="dwelling")
    assert not referral.about_resident and referral.resident_id is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"dwelling_number": "99"}, "bad_flat"),
        ({"dwelling_number": "", "resident_name": "Dupont"}, "flat_missing"),
        ({"concern": "diagnosis"}, "bad_concern"),
        ({"urgency": "yesterday"}, "bad_urgency"),
        ({"text": "  "}, "text_missing"),
        ({"text": "x" * 501}, "text_too_long"),
        ({"building_id": None}, "bad_building"),
    ],
)
def test_send_refuses_what_breaks_a_rule(cast: Cast, fields, expected):
    assert code(send, cast, **fields) == expected
    assert db.session.scalar(select(func.count(Referral.id))) == 0


def test_a_partner_sends_only_about_their_own_buildings(cast: Cast):
    assert code(send, cast, cast.far_partner) == "bad_building"
    assert code(send, cast, cast.partner, building_id=cast.other.id) == "bad_building"


@pytest.mark.parametrize("who", ["coordinator", "jeanne", "manager"])
def test_only_partners_send_referrals(cast: Cast, who):
    assert code(send, cast, getattr(cast, who)) == "not_found"


# Reading ------------------------------------------------------------------------------


def test_a_partner_lists_their_own_referrals_only(cast: Cast):
    mine = send(cast)
    send(cast, cast.other_partner)
    assert [r.id for r in service.list_own_referrals(cast.partner)] == [mine.id]
    assert code(service.access_own_referral, cast.other_partner, mine.id) == "not_found"
    assert code(service.access_own_referral, cast.coordinator, mine.id) == "not_found"


def test_only_the_buildings_coordinators_and_managers_handle_referrals(cast: Cast):
    referral = send(cast)
    assert service.access_referral(cast.coordinator, referral.id) is referral
    assert service.access_referral(cast.manager, referral.id) is referral
    for person in (cast.concierge, cast.other_coordinator, cast.partner, cast.jeanne):
        assert code(service.access_referral, person, referral.id) == "not_found"
        assert service.list_referrals(person, cast.building.id) == []


def test_open_referrals_are_listed_most_urgent_first(cast: Cast):
    first = send(cast, urgency="low")
    urgent = send(cast, urgency="urgent")
    assert [line.id for line in service.list_referrals(cast.coordinator, cast.building.id)] == [
        urgent.id,
        first.id,
    ]


def test_reading_a_referral_is_audited_without_its_text(cast: Cast):
    referral = send(cast)
    view = service.get_referral_for_staff(cast.coordinator, referral.id)
    db.session.commit()
    assert view.resident.id == cast.jeanne.id
    assert audit_actions(referral.id) == ["referral.read"]
    from portal.audit.models import AuditEntry

    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "referral.read")).one()
    assert entry.subject_id == cast.jeanne.id and "fridge" not in str(entry.detail)


# Consent and answers --------------------------------------------------------------------


def test_a_note_about_a_resident_needs_their_consent_first(cast: Cast):
    referral = send(cast)
    assert code(service.do_answer, cast.coordinator, referral.id, "in_progress", "Seen her.") == (
        "consent_needed"
    )
    db.session.rollback()
    service.do_answer(cast.coordinator, referral.id, "in_progress", "")  # a status alone is fine
    service.do_record_consent(cast.coordinator, referral.id)
    service.do_answer(cast.coordinator, referral.id, "closed", "We visited her.")
    db.session.commit()
    assert referral.status == ReferralStatus.CLOSED and referral.closed_at is not None
    assert referral.answer_note == "We visited her."
    assert referral.consent_recorded_by_id == cast.coordinator.id
    assert len(titles_of(cast.partner)) == 2  # told of each answer
    assert audit_actions(referral.id)[-3:] == [
        "referral.answered",
        "referral.consent_recorded",
        "referral.answered",
    ]


def test_a_building_concern_is_answered_without_consent(cast: Cast):
    referral = send(cast, dwelling_number="", resident_name="", concern="dwelling")
    service.do_answer(cast.coordinator, referral.id, "in_progress", "The lift is ordered.")
    assert referral.answer_note == "The lift is ordered."
    assert code(service.do_record_consent, cast.coordinator, referral.id) == "no_consent"


def test_answers_check_who_and_what(cast: Cast):
    referral = send(cast)
    for person in (cast.concierge, cast.other_coordinator, cast.partner):
        assert code(service.do_answer, person, referral.id, "closed", "") == "not_found"
        assert code(service.do_record_consent, person, referral.id) == "not_found"
    assert code(service.do_answer, cast.coordinator, referral.id, "lost", "") == "bad_status"
    assert code(service.do_answer, cast.coordinator, referral.id, "closed", "x" * 301) == (
        "note_too_long"
    )


def test_events_go_to_the_buildings_coordinators_and_the_partner(cast: Cast, events):
    referral = send(cast)
    service.do_answer(cast.coordinator, referral.id, "in_progress", "")
    db.session.commit()
    rooms = [e.to for e in events.named(service.EVENT_CHANGED)]
    assert rooms == [
        f"referrals:{cast.building.id}",
        f"user:{cast.partner.id}",
        f"referrals:{cast.building.id}",
        f"user:{cast.partner.id}",
    ]
    payload = events.named(service.EVENT_CHANGED)[-1].payload
    assert payload == {
        "building_id": cast.building.id,
        "referral_id": referral.id,
        "status": "in_progress",
    }


# Partners -----------------------------------------------------------------------------


def test_invitation_mails_a_one_time_partner_link(app, cast: Cast):
    with app.test_request_context():
        partner, created = service.do_invite_partner(
            cast.coordinator,
            email="Nadia@Example.org",
            first_name="Nadia",
            last_name="Benali",
            kind="home_care",
            organisation_name="ADMR",
            building_ids=[cast.building.id],
        )
        db.session.commit()
    assert created and partner.role == Role.PARTNER and partner.email == "nadia@example.org"
    assert partner.building_id is None and partner.staff_buildings == []
    assert db.session.get(PartnerProfile, partner.id).organisation_name == "ADMR"
    link = db.session.scalars(select(AccountLink).where(AccountLink.person_id == partner.id)).one()
    assert link.purpose == LinkPurpose.PARTNER
    assert link.expires_at - link.created_at >= timedelta(days=6)
    [sent] = [m for m in mail.outbox() if m.to == ["nadia@example.org"]]
    assert "/account/" in sent.body


def test_a_partner_sets_a_password_from_the_link_and_logs_in(app, cast: Cast):
    with app.test_request_context():
        partner, _ = service.do_invite_partner(
            cast.coordinator,
            email="nadia@example.org",
            first_name="Nadia",
            last_name="Benali",
            kind="home_care",
            organisation_name="ADMR",
            building_ids=[cast.building.id],
        )
        token = links.do_issue_link(partner, LinkPurpose.PARTNER, cast.coordinator)
    db.session.commit()
    links.do_use_link(token, "a long enough password", "a long enough password")
    from portal.auth import service as auth

    assert auth.do_login_staff("nadia@example.org", "a long enough password").id == partner.id


def test_invitations_check_who_and_which_buildings(cast: Cast):
    fields = {
        "email": "x@example.org",
        "first_name": "X",
        "last_name": "Y",
        "kind": "technician",
        "organisation_name": "Habitat",
    }
    for person in (cast.concierge, cast.partner, cast.jeanne):
        assert code(
            service.do_invite_partner, person, building_ids=[cast.building.id], **fields
        ) == ("forbidden")
    assert (
        code(service.do_invite_partner, cast.coordinator, building_ids=[cast.other.id], **fields)
        == "forbidden"
    )
    assert code(service.do_invite_partner, cast.coordinator, building_ids=[], **fields) == (
        "no_building"
    )
    taken = {**fields, "email": cast.coordinator.email}
    assert (
        code(service.do_invite_partner, cast.coordinator, building_ids=[cast.building.id], **taken)
        == "email_taken"
    )


def test_inviting_a_known_partner_attaches_the_building(cast: Cast):
    partner, created = service.do_invite_partner(
        cast.manager,
        email=cast.far_partner.email,
        first_name="Lea",
        last_name="Partner",
        kind="social_worker",
        organisation_name="CCAS",
        building_ids=[cast.building.id],
    )
    assert not created and partner.id == cast.far_partner.id
    assert service.partner_building_ids(partner) == {cast.building.id, cast.other.id}


def test_a_detached_partner_no_longer_sends_about_the_building(cast: Cast):
    send(cast)
    service.do_detach_partner(cast.coordinator, cast.partner.id, cast.building.id)
    assert code(send, cast) == "bad_building"
    assert len(service.list_own_referrals(cast.partner)) == 1  # their past ones stay
    assert (
        code(
            service.do_detach_partner,
            cast.other_coordinator,
            cast.other_partner.id,
            cast.building.id,
        )
        == "not_found"
    )


def test_partners_list_is_per_building(cast: Cast):
    names = {p.full_name for p in service.list_partners(cast.coordinator, cast.building.id)}
    assert names == {cast.partner.full_name, cast.other_partner.full_name}
    assert service.list_partners(cast.concierge, cast.building.id) == []


# Retention, figures, data rights -------------------------------------------------------


def test_closed_referrals_lose_their_text_after_30_days(cast: Cast):
    old = send(cast)
    service.do_answer(cast.coordinator, old.id, "closed", "", now=datetime(2026, 1, 1, tzinfo=UTC))
    still_open = send(cast)
    db.session.commit()
    assert jobs.run_purge() == 1
    db.session.refresh(old)
    assert (old.text, old.resident_id, old.dwelling_number, old.resident_name) == ("", None, "", "")
    assert old.concern.value == "isolation"  # the figures keep counting it
    db.session.refresh(still_open)
    assert still_open.text and still_open.resident_id == cast.jeanne.id


def test_referrals_are_counted_per_building_and_week(cast: Cast):
    monday = date(2026, 11, 16)
    send(cast, urgency="urgent", now=datetime(2026, 11, 17, 10, tzinfo=UTC))
    send(cast, now=datetime(2026, 11, 24, 10, tzinfo=UTC))
    send(cast, cast.far_partner, building_id=cast.other.id, dwelling_number="", resident_name="")
    period = Period((monday, monday + timedelta(days=7)), "Europe/Paris")
    scope = Scope(str(cast.building.id), (cast.building.id,), cast.building.name, "Europe/Paris")
    figure = get_referrals(scope, period)
    assert figure.value(monday.isoformat(), "received") == 1
    assert figure.value(monday.isoformat(), "urgent") == 1
    assert figure.value("total", "received") == 2


def test_export_gives_the_partner_their_referrals_and_the_resident_no_partner_words(cast: Cast):
    send(cast)
    partner_part = build_export(cast.partner)["referrals"]
    assert partner_part["sent"][0]["text"] == "Her fridge was empty twice this week."
    assert partner_part["partner"]["building_ids"] == [cast.building.id]
    resident_part = build_export(cast.jeanne)["referrals"]
    assert resident_part["about_me"][0]["concern"] == "isolation"
    assert "fridge" not in str(resident_part)


def test_erasing_the_resident_removes_referrals_about_them_and_a_partner_keeps_none(cast: Cast):
    about_jeanne = send(cast).id
    building_one = send(cast, dwelling_number="", resident_name="").id
    do_erase(cast.manager, cast.jeanne, cast.jeanne.full_name)
    db.session.commit()
    assert db.session.get(Referral, about_jeanne) is None
    do_erase(cast.manager, cast.partner, cast.partner.full_name)
    db.session.commit()
    kept = db.session.get(Referral, building_one)
    assert kept is not None and kept.partner_id is None
    assert db.session.get(PartnerProfile, cast.partner.id) is None


def test_no_referral_error_leaks_partner_data(cast: Cast):
    with pytest.raises(DomainError):
        service.access_own_referral(cast.partner, 12345)


def test_a_manager_never_turns_someone_into_a_partner_or_back(cast: Cast):
    from portal.admin import people_admin

    assert code(people_admin.do_change_role, cast.manager, cast.jeanne, Role.PARTNER) == "bad_role"
    assert code(people_admin.do_change_role, cast.manager, cast.partner, Role.COORDINATOR) in {
        "bad_role",
        "forbidden",
    }
    assert cast.jeanne.role == Role.RESIDENT and cast.partner.role == Role.PARTNER
