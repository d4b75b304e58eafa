"""The building the fuzz runs in: two residents, a coordinator, a concierge, a manager and
something of every kind (conversations with messages, activities with dates, help
requests, a ticket, parcels, announcements, logbook entries with a document, a help call, a
missed check-in, notifications), so that ids drawn by the fuzz point at real things."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Integer, select

from activities import ical, proposals
from concierge.desk import logbook, parcels
from portal.auth import service as auth
from portal.extensions import db
from portal.people.models import Building, Person, Role
from portal.wellbeing import jobs as wellbeing_jobs
from portal.wellbeing import service as wellbeing
from tests.datarights.world import build_world, local
from tests.factories import make_resident, make_staff

# The roles the fuzz logs in as; "anonymous" sends no session at all.
ROLES = ("resident", "neighbour", "coordinator", "concierge", "manager", "anonymous")
STAFF_ROLE = {"coordinator": Role.COORDINATOR, "concierge": Role.CONCIERGE, "manager": Role.MANAGER}

# Which table a path argument or a field names; anything else draws from every table.
ID_TABLES = {
    "activity_id": ("activities",),
    "attachment_id": ("attachments",),
    "booking_id": ("room_bookings",),
    "building_id": ("buildings",),
    "call_id": ("help_calls",),
    "conversation_id": ("conversations",),
    "document_id": ("logbook_documents",),
    "dwelling_id": ("dwellings",),
    "message_id": ("messages",),
    "missed_id": ("missed_checkins",),
    "notification_id": ("notifications",),
    "occurrence_id": ("activity_occurrences",),
    "offer_id": ("help_offers",),
    "parcel_id": ("parcels",),
    "person_id": ("people",),
    "photo_id": ("activity_photos", "ticket_photos"),
    "proposal_id": ("activity_proposals",),
    "request_id": ("help_requests",),
    "room_id": ("common_rooms",),
    "ticket_id": ("tickets",),
    "visit_id": ("visits",),
    # form fields and query keys that hold ids
    "after": ("messages",),
    "assignee": ("people",),
    "before": ("messages",),
    "building": ("buildings",),
    "collected_by": ("people",),
    "dwelling": ("dwellings",),
    "members": ("people",),
    "neighbour": ("people",),
    "present": ("people",),
    "requester": ("people",),
    "resident": ("people",),
    "room": ("common_rooms",),
}


@dataclass
class FuzzWorld:
    """Ids of the people to log in as and of everything in the database, by table."""

    building_id: int
    actors: dict[str, int]
    ids: dict[str, list[int]] = field(default_factory=dict)
    tokens: list[str] = field(default_factory=list)

    def ids_for(self, name: str) -> list[int]:
        """Real ids for a path argument, field or key; every id there is when unknown."""
        tables = ID_TABLES.get(name)
        if tables is None and name.endswith("_id"):
            stem = name.removesuffix("_id")
            tables = tuple(t for t in self.ids if stem in t)
        found = sorted({i for t in tables or () for i in self.ids.get(t, [])})
        return found or self.all_ids()

    def all_ids(self) -> list[int]:
        return sorted({i for values in self.ids.values() for i in values}) or [1]


def build_fuzz_world() -> FuzzWorld:
    """Everything of tests/datarights/world.py, and what it lacks for the fuzz."""
    world = build_world()
    building, paul, jeanne = world.building, world.paul, world.jeanne
    concierge, coordinator = world.concierge, world.coordinator
    tokens = [
        auth.do_issue_card(paul, issued_by=coordinator),
        ical.do_new_feed_token(paul),
    ]
    parcels.do_log_parcel(concierge, paul.dwelling_id, carrier="DHL")
    proposals.do_propose(paul, title="Belote", starts_at=local(6, 14), ends_at=local(6, 16))
    logbook.do_add_entry(
        concierge,
        jeanne.dwelling_id,
        kind="boiler",
        title="Chaudière",
        happened_on=datetime.now(UTC).date(),
        documents=[("contrat.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")],
    )
    wellbeing.do_send_help_call(paul)
    wellbeing.do_opt_in(paul, time(6, 0))
    db.session.flush()
    # Paul did not check in by 06:00: tonight's job finds him (a missed check-in).
    tonight = datetime.combine(datetime.now(UTC).date(), time(21, 0), tzinfo=UTC)
    wellbeing_jobs.run_missed_checkins(tonight + timedelta(minutes=1))
    db.session.commit()
    actors = {
        "resident": jeanne.id,
        "neighbour": paul.id,
        "coordinator": coordinator.id,
        "concierge": concierge.id,
        "manager": world.manager.id,
    }
    fuzz_world = FuzzWorld(building.id, actors, tokens=tokens)
    refresh_ids(fuzz_world)
    return fuzz_world


def refresh_ids(world: FuzzWorld) -> None:
    """Read again every integer id of every table."""
    world.ids = {}
    for table in db.metadata.sorted_tables:
        column = table.columns.get("id")
        if column is None or not isinstance(column.type, Integer):
            continue
        world.ids[table.name] = list(db.session.scalars(select(column).limit(500)))


def actor(world: FuzzWorld, role: str) -> Person | None:
    """The person to log in as for a role, made again if the fuzz erased, deactivated,
    moved or re-roled them (their own pages must stay reachable)."""
    if role == "anonymous":
        return None
    person = db.session.get(Person, world.actors[role])
    expected = STAFF_ROLE.get(role, Role.RESIDENT)
    usable = (
        person is not None
        and person.active
        and person.role == expected
        and (person.is_staff or person.dwelling_id is not None)
        and (not person.is_staff or person.building_id == world.building_id)
    )
    if usable:
        return person
    building = db.session.get(Building, world.building_id)
    if role in STAFF_ROLE:
        person = make_staff(STAFF_ROLE[role], [building], locale="en")
    else:
        person = make_resident(building, locale="en")
    db.session.commit()
    world.actors[role] = person.id
    return person
