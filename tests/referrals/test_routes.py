"""Pages of the referrals, with CSRF: the partner sends and follows; the coordinator finds
them on the "To call" list and the desk's queue, records consent and answers."""

from __future__ import annotations

from sqlalchemy import func, select

from portal import mail
from portal.extensions import db
from portal.people.models import Person, Role
from portal.referrals import service
from portal.referrals.models import Referral, ReferralStatus
from tests.referrals.conftest import Cast, audit_actions, post, send

FORM = {
    "building": "",
    "dwelling": "12",
    "resident_name": "Dupont",
    "concern": "health",
    "urgency": "urgent",
    "text": "She did not open the door this morning.",
}


def referral_count() -> int:
    return int(db.session.scalar(select(func.count(Referral.id))) or 0)


# The partner ----------------------------------------------------------------------------


def test_a_partners_home_is_their_referrals(client, login, cast: Cast):
    login(cast.partner)
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/referrals")
    page = client.get("/referrals").get_data(as_text=True)
    assert "You have not sent any referral yet." in page


def test_partner_sends_a_referral_from_the_form(client, login, cast: Cast):
    login(cast.partner)
    form = client.get("/referrals/new").get_data(as_text=True)
    assert "Les Tilleuls" in form and "Les Acacias" not in form  # their buildings only
    assert "Jeanne" not in form  # no list of residents to browse
    response = post(client, "/referrals/new", {**FORM, "building": str(cast.building.id)})
    assert response.status_code == 302 and response.headers["Location"] == "/referrals"
    referral = db.session.scalars(select(Referral)).one()
    assert referral.resident_id == cast.jeanne.id and referral.urgency.value == "urgent"
    page = client.get("/referrals").get_data(as_text=True)
    assert "Received" in page and "Flat 12" in page


def test_the_form_says_what_is_wrong_beside_the_field(client, login, cast: Cast):
    login(cast.partner)
    response = post(
        client, "/referrals/new", {**FORM, "building": str(cast.building.id), "dwelling": "99"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "This building has no flat with this number." in page
    assert 'id="dwelling-errors"' in page
    other = post(client, "/referrals/new", {**FORM, "building": str(cast.other.id)})
    assert other.status_code == 422 and "Please choose one of your buildings." in other.get_data(
        as_text=True
    )
    assert referral_count() == 0


def test_forms_need_their_csrf_token(client, login, cast: Cast):
    login(cast.partner)
    data = {**FORM, "building": str(cast.building.id)}
    assert post(client, "/referrals/new", data, csrf=False).status_code == 400
    referral = send(cast)
    login(cast.coordinator)
    url = f"/staff/referrals/{referral.id}/answer"
    assert post(client, url, {"status": "closed"}, csrf=False).status_code == 400
    assert referral_count() == 1 and referral.status == ReferralStatus.RECEIVED


# The coordinator ------------------------------------------------------------------------


def test_a_referral_is_on_the_to_call_list_and_the_desk_queue(client, login, cast: Cast):
    referral = send(cast, urgency="urgent")
    login(cast.coordinator)
    to_call = client.get(f"/wellbeing/to-call?building={cast.building.id}").get_data(as_text=True)
    assert 'id="referrals-title"' in to_call and f'data-referral="{referral.id}"' in to_call
    assert "referrals.referral_changed" in to_call  # the list re-reads itself on its event
    assert "Her fridge" not in to_call  # the text only on the referral's (audited) page
    desk = client.get(f"/desk/queue?building={cast.building.id}").get_data(as_text=True)
    assert f"/staff/referrals/{referral.id}" in desk
    login(cast.concierge)
    to_call = client.get(f"/wellbeing/to-call?building={cast.building.id}").get_data(as_text=True)
    assert "data-referral" not in to_call
    desk = client.get(f"/desk/queue?building={cast.building.id}").get_data(as_text=True)
    assert "/staff/referrals/" not in desk


def test_the_staff_list_and_badge(client, login, cast: Cast):
    send(cast)
    login(cast.coordinator)
    page = client.get("/staff/referrals").get_data(as_text=True)
    assert "Isolation" in page and "CCAS Sonia" in page
    assert client.get("/api/referrals/badge").get_json() == {"count": 1}
    assert "Referrals" in client.get("/").get_data(as_text=True)  # the home tile


def test_opening_a_referral_is_audited_and_shows_its_text(client, login, cast: Cast):
    referral = send(cast)
    login(cast.coordinator)
    page = client.get(f"/staff/referrals/{referral.id}").get_data(as_text=True)
    assert "Her fridge was empty twice this week." in page and cast.jeanne.full_name in page
    assert audit_actions(referral.id) == ["referral.read"]


def test_consent_then_answer_reach_the_partners_page(client, login, cast: Cast):
    referral = send(cast)
    login(cast.coordinator)
    url = f"/staff/referrals/{referral.id}"
    refused = post(client, f"{url}/answer", {"status": "in_progress", "note": "We called her."})
    assert refused.status_code == 422
    assert "Record the resident&#39;s consent" in refused.get_data(as_text=True)
    assert post(client, f"{url}/consent", {}).status_code == 422  # the box must be ticked
    assert post(client, f"{url}/consent", {"consent": "y"}).status_code == 302
    answered = post(client, f"{url}/answer", {"status": "in_progress", "note": "We called her."})
    assert answered.status_code == 302
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.IN_PROGRESS and referral.consent_recorded_at
    login(cast.partner)
    page = client.get("/referrals/list").get_data(as_text=True)
    assert "In progress" in page and "We called her." in page


def test_other_staff_cannot_open_or_answer(client, login, cast: Cast):
    referral = send(cast)
    url = f"/staff/referrals/{referral.id}"
    for person in (cast.concierge, cast.other_coordinator, cast.jeanne):
        login(person)
        assert client.get(url).status_code == 404
        assert post(client, f"{url}/answer", {"status": "closed"}).status_code == 404
        assert post(client, f"{url}/consent", {"consent": "y"}).status_code == 404
        assert client.get(f"/staff/referrals?building={cast.building.id}").status_code == 404
    db.session.refresh(referral)
    assert referral.status == ReferralStatus.RECEIVED and audit_actions(referral.id) == []


# Partners -------------------------------------------------------------------------------


def test_the_coordinator_invites_a_partner_by_email(client, login, cast: Cast):
    login(cast.coordinator)
    page = client.get("/staff/partners").get_data(as_text=True)
    assert cast.partner.full_name in page and cast.far_partner.full_name not in page
    response = post(
        client,
        "/staff/partners",
        {
            "first_name": "Nadia",
            "last_name": "Benali",
            "email": "nadia@example.org",
            "kind": "home_care",
            "organisation": "ADMR",
            "buildings": str(cast.building.id),
        },
    )
    assert response.status_code == 302
    nadia = db.session.scalars(select(Person).where(Person.email == "nadia@example.org")).one()
    assert nadia.role == Role.PARTNER
    assert service.partner_building_ids(nadia) == {cast.building.id}
    assert [m.to for m in mail.outbox()][-1] == ["nadia@example.org"]


def test_an_invitation_to_a_building_one_does_not_handle_is_refused(client, login, cast: Cast):
    login(cast.coordinator)
    response = post(
        client,
        "/staff/partners",
        {
            "first_name": "Nadia",
            "last_name": "Benali",
            "email": "nadia@example.org",
            "kind": "home_care",
            "organisation": "ADMR",
            "buildings": str(cast.other.id),
        },
    )
    assert response.status_code == 403
    assert db.session.scalar(select(Person).where(Person.email == "nadia@example.org")) is None


def test_the_coordinator_removes_a_partner_from_the_building(client, login, cast: Cast):
    login(cast.coordinator)
    url = f"/staff/partners/{cast.partner.id}/detach?building={cast.building.id}"
    assert post(client, url).status_code == 302
    assert service.partner_building_ids(cast.partner) == set()
    login(cast.concierge)
    url = f"/staff/partners/{cast.other_partner.id}/detach?building={cast.building.id}"
    assert post(client, url).status_code == 404
