"""The home screens read their tiles' badges in one statement and stay within ten in all,
and every badge written as SQL counts what its domain's own count function counts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest

from activities import service as activities
from activities.tiles import list_today
from concierge.desk import parcels, tickets
from concierge.desk import queue as desk_queue
from concierge.exchange import service as helping
from messaging import service as messaging
from messaging.announcements import service as announcements
from portal.db import utcnow
from portal.home.tiles import count_now, get_tile, tiles_for
from portal.notifications import service as notifications
from portal.people.models import Building, Person, Role
from portal.wellbeing import jobs as wellbeing_jobs
from portal.wellbeing import service as wellbeing
from tests.factories import make_building, make_organisation, make_resident, make_staff
from tests.queries import statements

MAX_STATEMENTS = 10


@dataclass
class World:
    building: Building
    other: Building
    jeanne: Person
    paul: Person
    lucie: Person
    coordinator: Person
    concierge: Person
    manager: Person

    def everyone(self) -> list[Person]:
        return [self.jeanne, self.paul, self.lucie, self.coordinator, self.concierge, self.manager]


@pytest.fixture
def world(app) -> World:
    """Two buildings of one organisation with something behind every badge."""
    org = make_organisation()
    building, other = make_building(org), make_building(org)
    coordinator = make_staff(Role.COORDINATOR, [building, other])
    concierge = make_staff(Role.CONCIERGE, [building])
    manager = make_staff(Role.MANAGER, [], organisation=org)
    jeanne = make_resident(building)
    paul = make_resident(building, first_name="Paul")
    lucie = make_resident(other, first_name="Lucie")
    # Activities today in both buildings; Jeanne joins one.
    start = utcnow() + timedelta(minutes=20)
    for place in (building, other):
        made = activities.do_create_activity(
            coordinator,
            place.id,
            title="Belote",
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
        )
    activities.do_sign_up(lucie, made.occurrences[0].id)
    # Help between neighbours: one open request, one Jeanne took.
    window = (utcnow() + timedelta(minutes=30), utcnow() + timedelta(hours=2))
    helping.do_create_request(
        paul, kind="groceries", window_start=window[0], window_end=window[1], details="Du pain"
    )
    taken = helping.do_create_request(
        paul, kind="company", window_start=window[0], window_end=window[1]
    )
    helping.do_take(jeanne, taken.id)  # writes to Paul in their conversation
    direct = messaging.get_or_create_direct(paul, jeanne.id)
    messaging.do_send_message(paul, direct.id, client_id=str(uuid.uuid4()), body="Merci !")
    # The desk: a parcel and a report for Jeanne's flat.
    parcels.do_log_parcel(concierge, jeanne.dwelling_id, carrier="La Poste")
    tickets.do_create_ticket(jeanne, category="water", description="Fuite sous l'évier")
    # A pinned announcement, and the "To call" list: a help call and a missed check-in.
    announcements.do_publish(
        coordinator, building_id=building.id, title="Canicule", body="Buvez de l'eau.", pinned=True
    )
    wellbeing.do_send_help_call(paul)
    wellbeing.do_opt_in(jeanne, time(11, 0), now=datetime(2026, 11, 23, 7, tzinfo=UTC))
    wellbeing_jobs.run_missed_checkins(datetime(2026, 11, 23, 10, 5, tzinfo=UTC))
    return World(building, other, jeanne, paul, lucie, coordinator, concierge, manager)


# Each badge written as SQL, and the function of its domain that counts the same thing.
SERVICE_COUNTS = {
    "messages": messaging.total_unread,
    "activities": lambda person: len(list_today(person)),
    "help": helping.count_for_badge,
    "concierge": parcels.count_waiting_for,
    "announcements": announcements.count_unread,
    "desk": desk_queue.count_open_items,
    "wellbeing": wellbeing.count_to_call,
}


def test_every_badge_written_as_sql_counts_what_its_domain_counts(app, world: World):
    for alert_concierge in (False, True):
        wellbeing.do_set_alert_concierge(world.coordinator, world.building.id, alert_concierge)
        for person in world.everyone():
            with app.test_request_context():
                views = {view["tile"].key: view for view in tiles_for(person)}
                for key, service_count in SERVICE_COUNTS.items():
                    tile = get_tile(key)
                    assert tile is not None and tile.badge_count is not None, key
                    if person.role not in tile.roles:
                        continue
                    expected = service_count(person)
                    assert views[key]["badge"] == expected, (key, person.role)
                    assert tile.badge is not None and tile.badge(person) == expected, key
                if person.role == Role.RESIDENT:
                    hint = get_tile("concierge").hint_count  # type: ignore[union-attr]
                    assert count_now(hint, person) == tickets.count_open_for(person)


def test_badges_are_not_all_zero_in_this_world(app, world: World):
    """Guards the test above: the counts it compares are not trivially equal."""
    assert messaging.total_unread(world.jeanne) == 1
    assert len(list_today(world.jeanne)) == 1
    assert helping.count_for_badge(world.jeanne) == 1
    assert parcels.count_waiting_for(world.jeanne) == 1
    assert announcements.count_unread(world.jeanne) == 1
    assert desk_queue.count_open_items(world.manager) == 2
    assert wellbeing.count_to_call(world.coordinator) == 2
    assert tickets.count_open_for(world.jeanne) == 1


def test_resident_home_reads_every_badge_in_one_statement_and_ten_at_most(
    client, login, world: World
):
    login(world.jeanne)
    with statements() as seen:
        response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Parcels: 1" in html and "1 today" in html and "1 report in progress" in html
    assert "Canicule" in html and "A parcel is waiting for you at the desk" in html
    assert len(seen) <= MAX_STATEMENTS, "\n".join(seen)
    counting = [s for s in seen if "count(" in s.lower()]
    assert len(counting) == 1, "\n".join(counting)  # badges and hint together
    # No bell: a resident's top bar holds their name and Help; notifications are in settings.
    assert notifications.count_unread(world.jeanne) > 0
    assert f"{notifications.count_unread(world.jeanne)} new</span>" not in html


@pytest.mark.parametrize("role", ["manager", "coordinator", "concierge"])
def test_staff_home_stays_within_ten_statements(client, login, world: World, role: str):
    login(getattr(world, role))
    with statements() as seen:
        response = client.get("/")
    assert response.status_code == 200
    assert len(seen) <= MAX_STATEMENTS, "\n".join(seen)
    buildings = [s for s in seen if s.startswith("SELECT buildings.")]
    assert len(buildings) <= 1, "\n".join(buildings)  # read once per request


def test_home_badges_follow_changes_between_requests(client, login, world: World):
    """What a request remembers is forgotten by the next one."""
    login(world.jeanne)
    assert "Parcels: 1" in client.get("/").get_data(as_text=True)
    parcels.do_log_parcel(world.concierge, world.jeanne.dwelling_id, carrier="UPS")
    html = client.get("/").get_data(as_text=True)
    assert "Parcels: 2" in html and "2 parcels are waiting for you at the desk" in html
    assert client.get("/api/home/tiles/activities/badge").get_json()["count"] == 1
