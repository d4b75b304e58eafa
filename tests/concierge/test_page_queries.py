"""The desk's list pages cost the same number of SQL statements however long the list:
no statement per ticket, parcel, dwelling or logbook entry."""

from __future__ import annotations

import pytest

from concierge.desk import parcels, tickets
from portal.extensions import db
from portal.people import service as people
from portal.people.models import DwellingType, Role
from tests.factories import make_building, make_resident, make_staff
from tests.queries import statements_for


@pytest.fixture
def building(app):
    return make_building()


@pytest.fixture
def concierge(building):
    return make_staff(Role.CONCIERGE, [building])


def add_households(building, concierge, count: int) -> None:
    """Dwellings with a resident, a report and a parcel each."""
    start = len(building.dwellings)
    specs = [(f"9{start + n:02d}", 9, DwellingType.T2) for n in range(count)]
    for dwelling in people.do_create_dwellings(building, specs):
        resident = make_resident(dwelling=dwelling, pin=None)
        tickets.do_create_ticket(resident, category="water", description="Une fuite")
        parcels.do_log_parcel(concierge, dwelling.id, carrier="La Poste")
    db.session.commit()  # the requests read them through their own connections


@pytest.mark.parametrize("path", ["/desk", "/desk/queue", "/desk/dwellings"])
def test_desk_pages_cost_the_same_for_one_or_many_households(
    building, concierge, client, login, path
):
    login(concierge)
    add_households(building, concierge, 1)
    few = statements_for(client, path)
    add_households(building, concierge, 6)
    many = statements_for(client, path)

    assert many == few


def test_logbook_costs_the_same_for_one_or_many_resolved_reports(
    building, concierge, client, login
):
    resident = make_resident(building, pin=None)

    def resolve_reports(count: int) -> None:
        for _ in range(count):
            ticket = tickets.do_create_ticket(resident, category="heating", description="Froid")
            tickets.do_change_status(concierge, ticket.id, "resolved", "Radiateur purgé")
        db.session.commit()  # the requests read them through their own connections

    login(resident)
    path = f"/dwellings/{resident.dwelling_id}/logbook"
    resolve_reports(1)
    few = statements_for(client, path)
    resolve_reports(5)
    html = client.get(path).get_data(as_text=True)
    many = statements_for(client, path)

    assert many == few
    assert html.count("Report resolved") >= 6
