from __future__ import annotations

import re
from collections import Counter
from html import unescape

from sqlalchemy import func, select

from messaging.family import service as family
from portal.auth import service as auth
from portal.demo import DEMO_PASSWORD, DEMO_PIN, YEAR, load_demo
from portal.people.models import Dwelling, Person, Role
from portal.referrals import service as referrals
from portal.referrals.models import Referral, ReferralStatus


def test_demo_building_resembles_the_reference_case(app, db):
    summary = load_demo()
    assert summary.dwellings == 71
    floors = db.session.scalars(select(func.count(func.distinct(Dwelling.floor)))).one()
    assert floors == 6
    assert 100 <= summary.residents <= 120
    residents = db.session.scalars(select(Person).where(Person.role == Role.RESIDENT)).all()
    ages = [YEAR - p.birth_year for p in residents]
    households = Counter(p.dwelling_id for p in residents)
    over_75_alone = [
        p for p in residents if YEAR - p.birth_year >= 75 and households[p.dwelling_id] == 1
    ]
    assert len(over_75_alone) >= 10
    assert sum(1 for age in ages if age < 18) >= 10
    assert sum(1 for age in ages if 13 <= age < 18) >= 2
    roles = Counter(p.role for p in db.session.scalars(select(Person)))
    assert (roles[Role.COORDINATOR], roles[Role.CONCIERGE], roles[Role.MANAGER]) == (1, 1, 1)
    assert (roles[Role.RELATIVE], roles[Role.PARTNER]) == (1, 1)


def test_demo_load_is_idempotent_and_issues_working_cards(app, db):
    first = load_demo()
    second = load_demo()
    assert second.residents == first.residents
    # Residents, three staff, Jeanne's daughter and a partner: made once.
    assert db.session.scalar(select(func.count(Person.id))) == first.residents + 5
    for person, token in second.showcase:
        assert auth.do_login_with_card(token).id == person.id
    old_token = first.showcase[0][1]
    assert auth.find_card(old_token).revoked_at is not None


def test_demo_logins_work(app):
    summary = load_demo()
    jeanne = summary.showcase[0][0]
    assert jeanne.full_name == "Jeanne Martin"
    assert auth.do_login_with_pin(jeanne, DEMO_PIN).id == jeanne.id
    coordinator = next(p for p in summary.staff if p.role == Role.COORDINATOR)
    assert auth.do_login_staff(coordinator.email, DEMO_PASSWORD).id == coordinator.id


def test_demo_cli_prints_the_logins(runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Jeanne Martin" in result.output
    assert "/login/card/" in result.output
    assert DEMO_PASSWORD in result.output
    assert "/family/login" in result.output and "catherine.martin@example.org" in result.output
    assert "n.lefort@ccas-lille.example.org" in result.output
    staff = result.output.split("Staff —")[1].split("\n\n")[0]
    assert "relative" not in staff and "partner" not in staff  # each in their own section


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def test_demo_relative_logs_in_and_sees_jeanne_and_their_messages(app, db, client):
    summary = load_demo()
    jeanne = summary.showcase[0][0]
    [link] = family.list_circle(jeanne.id)
    daughter = link.relative
    assert daughter.role == Role.RELATIVE and link.is_active and daughter.password_hash
    assert link.sees_activities and link.sees_check_in
    neighbour = summary.showcase[1][0]
    conversation_id = link.conversation_id
    page = client.get("/family/login").get_data(as_text=True)
    answer = client.post(
        "/family/login",
        data={"csrf_token": csrf_of(page), "email": daughter.email, "password": DEMO_PASSWORD},
    )
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/family")
    assert "Jeanne Martin" in client.get("/family").get_data(as_text=True)
    assert client.get(f"/family/with/{jeanne.id}").status_code == 200
    messages = client.get(f"/messages/{conversation_id}")
    assert messages.status_code == 200
    html = messages.get_data(as_text=True)
    assert "tarte aux pommes" in html and "Je vous attends pour le goûter" in html
    # Nothing of the building: another resident, the directory, the help board.
    assert client.get(f"/family/with/{neighbour.id}").status_code == 404
    assert client.get("/directory").status_code == 404
    assert client.get("/neighbours").status_code == 404


def test_demo_partner_logs_in_and_sees_their_answered_referral(app, db, client):
    load_demo()
    [partner] = db.session.scalars(select(Person).where(Person.role == Role.PARTNER)).all()
    [referral] = db.session.scalars(select(Referral)).all()
    assert referral.partner_id == partner.id and referral.status == ReferralStatus.IN_PROGRESS
    assert referral.resident_id is not None and referral.answer_note
    assert referrals.partner_building_ids(partner) == {referral.building_id}
    page = client.get("/login/staff").get_data(as_text=True)
    answer = client.post(
        "/login/staff",
        data={"csrf_token": csrf_of(page), "email": partner.email, "password": DEMO_PASSWORD},
    )
    assert answer.status_code == 302
    mine = client.get("/referrals")
    assert mine.status_code == 200
    html = unescape(mine.get_data(as_text=True))
    assert "In progress" in html and referral.answer_note in html
    # Their referrals only: never a page of the building.
    assert client.get(f"/staff/referrals/{referral.id}").status_code == 404
    assert client.get("/directory").status_code == 404
