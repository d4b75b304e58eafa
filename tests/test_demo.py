from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from portal.auth import service as auth
from portal.demo import DEMO_PASSWORD, DEMO_PIN, YEAR, load_demo
from portal.people.models import Dwelling, Person, Role


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


def test_demo_load_is_idempotent_and_issues_working_cards(app, db):
    first = load_demo()
    second = load_demo()
    assert second.residents == first.residents
    assert db.session.scalar(select(func.count(Person.id))) == first.residents + 3
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
