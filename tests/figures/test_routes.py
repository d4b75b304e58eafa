"""The figures page and CSV exports: who sees which building, the CSV equals the figures and
the database, every export is audited, and bad parameters get a translated 422."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from activities.models import Activity
from concierge.desk.models import Ticket, TicketCategory
from messaging.models import Conversation, Message
from portal.audit.models import AuditEntry
from portal.extensions import db
from portal.figures import service as figures
from portal.figures.routes import to_csv
from tests.figures import dataset
from tests.figures.dataset import World


@pytest.fixture
def world(app) -> World:
    today = datetime.now(UTC).astimezone(ZoneInfo("Europe/Paris")).date()
    return dataset.build(today - timedelta(days=today.weekday()))


def read_csv(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def get_as(client, login, person, url: str):
    login(person)
    return client.get(url)


@pytest.mark.parametrize(
    ("who", "building", "status"),
    [
        ("coordinator", "a", 200),
        ("coordinator", "b", 404),
        ("coordinator", "c", 404),
        ("coordinator", "all", 404),
        ("manager", "a", 200),
        ("manager", "b", 200),
        ("manager", "all", 200),
        ("manager", "c", 404),
        ("other_manager", "a", 404),
        ("concierge", "a", 404),
        ("jeanne", "a", 404),
    ],
)
def test_access_matrix(client, login, world: World, who: str, building: str, status: int) -> None:
    key = "all" if building == "all" else str(getattr(world, building).id)
    page = get_as(client, login, world.people[who], f"/staff/figures?building={key}&weeks=4")
    assert page.status_code == status
    export = client.get(f"/staff/figures/tickets.csv?building={key}&weeks=4")
    assert export.status_code == status


def test_figures_page_shows_every_figure_with_its_table(client, login, world: World) -> None:
    page = get_as(client, login, world.people["coordinator"], "/staff/figures?weeks=4")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for key in figures.figure_keys():
        assert f'id="figure-{key}"' in html
        assert f"/staff/figures/{key}.csv?building={world.a.id}" in html
    assert "chart.js/dist/chart.umd.min.js" in html
    assert html.count("<table") == len(figures.figure_keys())
    # The heating row of the tickets table: 3 reported, 2 resolved, median 6.5 hours.
    heating = re.search(r'data-key="heating">.*?</tr>', html, re.S)
    assert heating is not None
    assert re.findall(r"<td[^>]*>([^<]*)</td>", heating.group(0)) == ["3", "2", "6.5"]


def test_staff_home_shows_the_figures_tile_to_coordinator_and_manager(client, login, world) -> None:
    for who, shown in (("coordinator", True), ("manager", True), ("concierge", False)):
        home = get_as(client, login, world.people[who], "/").get_data(as_text=True)
        assert ('href="/staff/figures"' in home) is shown, who


def test_tickets_csv_equals_the_figure_and_the_database(client, login, world: World) -> None:
    coordinator = world.people["coordinator"]
    response = get_as(client, login, coordinator, "/staff/figures/tickets.csv?weeks=4")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response.data)
    assert rows[0] == ["Category", "Reported", "Resolved", "Hours to resolve (median)"]
    found = {c.value: r[1:] for c, r in zip(TicketCategory, rows[1:], strict=True)}
    assert found["heating"] == ["3", "2", "6.5"]
    assert found["water"] == ["1", "1", "2.5"]
    assert found["lift"] == ["0", "0", ""]
    period = figures.check_period("4", None, "Europe/Paris", datetime.now(UTC))
    start, end = period.moment_bounds()[0], period.moment_bounds()[-1]
    in_db = db.session.scalar(
        select(func.count(Ticket.id)).where(
            Ticket.building_id == world.a.id, Ticket.created_at >= start, Ticket.created_at < end
        )
    )
    assert sum(int(r[1]) for r in rows[1:]) == in_db == 4


def test_every_csv_equals_its_figure(app, client, login, world: World) -> None:
    manager = world.people["manager"]
    login(manager)
    now = datetime.now(UTC)
    scope = figures.access_scope(manager, "all")
    period = figures.check_period("4", None, scope.zone, now)
    for key in figures.figure_keys():
        response = client.get(f"/staff/figures/{key}.csv?building=all&weeks=4")
        assert response.status_code == 200, key
        with app.test_request_context(), force_locale("en"):
            figure = figures.get_figure(key, scope, period, now)
            expected = to_csv(figure).encode()
        assert response.data == expected, (key, response.data, expected)
        rows = read_csv(response.data)
        assert len(rows) == len(figure.rows) + 1
        assert rows[0][0] == figure.row_header


def test_messages_csv_equals_the_database(client, login, world: World) -> None:
    url = "/staff/figures/messages.csv?building=all&weeks=4"
    response = get_as(client, login, world.people["manager"], url)
    rows = read_csv(response.data)
    totals = {r[0]: int(r[-1]) for r in rows[1:]}
    zone = ZoneInfo("Europe/Paris")
    for monday in world.mondays:
        start = datetime.combine(monday, datetime.min.time(), tzinfo=zone)
        stmt = (
            select(func.count(Message.id))
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Conversation.building_id.in_([world.a.id, world.b.id]),
                Message.created_at >= start,
                Message.created_at < start + timedelta(days=7),
            )
        )
        assert totals[monday.isoformat()] == db.session.scalar(stmt)
    assert totals[world.mondays[1].isoformat()] == 4  # 3 in A, 1 in B


def test_french_csv_uses_french_words_and_decimal_comma(client, login, world: World) -> None:
    login(world.people["coordinator"])
    response = client.get("/staff/figures/help.csv?weeks=4", headers={"Accept-Language": "fr"})
    rows = read_csv(response.data)
    assert rows[-1][1:] == ["5", "2", "30,0"]
    assert rows[2][1:] == ["2", "1", "60,0"]


def test_export_is_written_to_the_audit_log(client, login, world: World) -> None:
    coordinator = world.people["coordinator"]
    get_as(client, login, coordinator, "/staff/figures/pyramid.csv?weeks=4")
    stmt = select(AuditEntry).where(AuditEntry.action == "figures.exported")
    entry = db.session.scalars(stmt).one()
    assert entry.actor_id == coordinator.id
    assert entry.building_id == world.a.id
    assert entry.detail["figure"] == "pyramid"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/staff/figures?weeks=5", "Please choose one of the periods shown."),
        ("/staff/figures?until=not-a-date", "Please give the last day as a date"),
        ("/staff/figures?until=2999-01-01", "The last day must be today or a day before."),
        ("/staff/figures?building=abc", "Please choose one of the buildings shown."),
        ("/staff/figures/salaries.csv", "This figure does not exist."),
        ("/staff/figures/tickets.csv?weeks=0", "Please choose one of the periods shown."),
    ],
)
def test_bad_parameters_get_a_translated_422(
    client, login, world: World, url: str, message: str
) -> None:
    login(world.people["coordinator"])
    english = client.get(url)
    assert english.status_code == 422
    assert message in english.get_data(as_text=True)
    french = client.get(url, headers={"Accept-Language": "fr"})
    assert french.status_code == 422
    assert french.get_data(as_text=True) != english.get_data(as_text=True)
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_chart_js_is_served_from_the_vendor_route(client) -> None:
    response = client.get("/vendor/chart.js/dist/chart.umd.min.js")
    assert response.status_code == 200
    assert b"Chart.js v4" in response.data[:200]
    response.close()


def test_csv_never_holds_a_formula(client, login, world: World) -> None:
    activity = db.session.get(Activity, world.activities["Jeux"])
    activity.title = "=HYPERLINK(1)"
    db.session.commit()
    login(world.people["coordinator"])
    rows = read_csv(client.get("/staff/figures/attendance.csv?weeks=4").data)
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)", "Tricot"]
