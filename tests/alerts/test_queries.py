"""The alert pages cost the same number of SQL statements however many alerts, steps or
staff they show, and the escalation job costs the same for each alert it tells."""

from __future__ import annotations

from datetime import time

from portal.alerts import service
from portal.alerts.models import AlertKind
from portal.extensions import db
from portal.people.models import Role
from tests.alerts.conftest import ALL_WEEK, NIGHT, Cast
from tests.factories import make_resident, make_staff
from tests.queries import statements as counting_statements
from tests.queries import statements_for


def raise_acknowledged(cast: Cast, count: int, rounds: int = 1) -> list[int]:
    """Alerts about residents of their own flats, each told in some rounds (a timeline of
    several lines), then acknowledged by another member of staff."""
    ids = []
    for _ in range(count):
        resident = make_resident(cast.building, first_name="Rose")
        staff = make_staff(Role.CONCIERGE, [cast.building])
        alert, _ = service.do_raise(
            AlertKind.HELP_CALL,
            cast.building.id,
            f"queries:{resident.id}",
            person_id=resident.id,
            now=NIGHT,
        )
        db.session.commit()
        for n in range(rounds):
            service.run_round(alert.id, NIGHT + n * service.escalate_after(), "http://portal.test/")
        service.do_acknowledge(staff, alert.id, now=NIGHT)
        db.session.commit()
        ids.append(alert.id)
    return ids


def test_the_alert_list_costs_the_same_for_two_alerts_or_six(client, login, rota: Cast):
    login(rota.manager)
    page = f"/alerts?building={rota.building.id}"
    raise_acknowledged(rota, 2)
    few = statements_for(client, page)
    raise_acknowledged(rota, 4)
    assert statements_for(client, page) == few


def test_an_alert_timeline_costs_the_same_however_long(client, login, rota: Cast):
    login(rota.manager)
    [short] = raise_acknowledged(rota, 1)
    [long] = raise_acknowledged(rota, 1, rounds=3)  # the night concierge, second, fallback
    assert len(service.list_steps(db.session.get(service.Alert, long))) > len(
        service.list_steps(db.session.get(service.Alert, short))
    )
    assert statements_for(client, f"/alerts/{long}") == statements_for(client, f"/alerts/{short}")


def test_the_rota_page_costs_the_same_for_few_or_many_staff(client, login, rota: Cast):
    login(rota.manager)
    page = f"/alerts/rota?building={rota.building.id}"
    few = statements_for(client, page)
    for _ in range(4):
        newcomer = make_staff(Role.CONCIERGE, [rota.building])
        b = rota.building.id
        service.do_add_entry(rota.manager, b, newcomer.id, ALL_WEEK, time(8), time(9))
    db.session.commit()
    assert statements_for(client, page) == few


def test_the_escalation_job_costs_the_same_for_each_alert(app, rota: Cast):
    """Each alert's round is its own transactions; its cost does not grow with the others
    (about 18 statements an alert told by email: claim, ladder, lines, outcomes)."""

    def job_statements(count: int) -> int:
        for n in range(count):
            resident = make_resident(rota.building, first_name="Rose")
            service.do_raise(
                AlertKind.HELP_CALL,
                rota.building.id,
                f"job:{count}:{n}",
                person_id=resident.id,
                now=NIGHT,
            )
        db.session.commit()
        with counting_statements() as statements:
            assert service.run_due(NIGHT) == count
        return len(statements)

    two, six = job_statements(2), job_statements(6)
    per_alert = (six - two) // 4
    assert six == two + 4 * per_alert  # linear: a fixed cost per alert told
    assert two - 2 * per_alert <= 4  # and nothing more than the one list of due alerts
