"""A hand-built building whose figures are known exactly (see the expected values below).

Everything happens in weeks 1 and 2 of a 4-week period (index 0..3) whose last Monday is
given, so the data are in the past whatever day the tests run.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from activities.models import Activity, Occurrence, Signup, SignupStatus
from concierge.desk.models import Ticket, TicketCategory
from concierge.exchange.models import HelpKind, HelpRequest, HelpStatus
from messaging.models import Conversation, ConversationKind, Message, MessageKind
from portal.extensions import db
from portal.people import service as people
from portal.people.models import ActivityDay, Building, DwellingType, Organisation, Person, Role
from tests.factories import make_organisation, make_staff

_ids = itertools.count(1)


@dataclass
class World:
    mondays: list[date]
    ref_year: int
    org: Organisation
    a: Building
    b: Building
    c: Building  # another organisation
    people: dict[str, Person] = field(default_factory=dict)
    activities: dict[str, int] = field(default_factory=dict)

    def at(self, week: int, day: int = 0, hour: int = 10, minute: int = 0) -> datetime:
        """A moment in UTC, on a day of a week of the period (10:00 UTC is the same day in
        Paris, summer or winter)."""
        moment = datetime.combine(self.mondays[week] + timedelta(days=day), time(hour, minute))
        return moment.replace(tzinfo=UTC)

    def day(self, week: int, day: int = 0) -> date:
        return self.mondays[week] + timedelta(days=day)


def build(last_monday: date) -> World:
    mondays = [last_monday - timedelta(weeks=3 - i) for i in range(4)]
    ref_year = (mondays[-1] + timedelta(days=6)).year
    org = make_organisation()
    a = people.do_create_building(org, "Résidence A")
    b = people.do_create_building(org, "Résidence B")
    c = people.do_create_building(make_organisation(), "Résidence C")
    world = World(mondays, ref_year, org, a, b, c)
    _residents(world)
    _activity_days(world)
    _messages(world)
    _attendance(world)
    _help(world)
    _tickets(world)
    db.session.commit()
    return world


# Dwellings, their residents and ages (age = ref_year - birth_year) -------------------------
HOMES = {
    # key: (building, type, [(name, age or None, active)])
    "d1": ("a", DwellingType.T1, [("jeanne", 84, True)]),  # single, normal (1-1=0)
    "d2": ("a", DwellingType.T4, [("marcel", 80, True), ("lea", 15, True)]),  # inter, under
    # family, over (2-4<0)
    "d3": (
        "a",
        DwellingType.T2,
        [("sami", 40, True), ("nora", 38, True), ("adam", 10, True), ("ines", 7, True)],
    ),
    # adults, normal; Odile moved out
    "d4": ("a", DwellingType.T3, [("paul", 66, True), ("rose", 64, True), ("odile", 70, False)]),
    "d5": ("a", DwellingType.T2, [("henri", None, True)]),  # single, age not known
    "d6": ("b", DwellingType.T2, [("bob", 30, True)]),  # single, normal
    "d7": ("c", DwellingType.T2, [("zoe", 20, True)]),
}


def _residents(world: World) -> None:
    for number, (where, kind, members) in HOMES.items():
        building: Building = getattr(world, where)
        dwelling = people.do_create_dwellings(building, [(number, 1, kind)])[0]
        for name, age, active in members:
            person = people.do_create_person(
                organisation=building.organisation,
                role=Role.RESIDENT,
                first_name=name.title(),
                last_name=f"Test{next(_ids)}",
                dwelling=dwelling,
                birth_year=None if age is None else world.ref_year - age,
            )
            person.active = active
            world.people[name] = person
    world.people["coordinator"] = make_staff(Role.COORDINATOR, [world.a])
    world.people["concierge"] = make_staff(Role.CONCIERGE, [world.a])
    world.people["manager"] = make_staff(Role.MANAGER, [world.a], organisation=world.org)
    world.people["other_manager"] = make_staff(Role.MANAGER, [world.c])
    db.session.commit()


ACTIVE_DAYS = {
    "jeanne": [(1, 0), (1, 2), (2, 6), (-1, 6)],  # (-1, 6): the Sunday before the period
    "marcel": [(1, 1)],
    "lea": [(2, 0)],
    "sami": [(2, 3)],
    "paul": [(1, 4)],
    "henri": [(2, 1)],
    "odile": [(1, 0)],  # moved out: not counted
    "bob": [(1, 3)],
    "zoe": [(1, 3)],
}


def _activity_days(world: World) -> None:
    for name, days in ACTIVE_DAYS.items():
        for week, day in days:
            when = world.mondays[0] - timedelta(days=1) if week == -1 else world.day(week, day)
            db.session.add(ActivityDay(person_id=world.people[name].id, day=when))


def _conversation(building: Building, kind: ConversationKind) -> Conversation:
    conversation = Conversation(building_id=building.id, kind=kind, title="")
    db.session.add(conversation)
    db.session.flush()
    return conversation


def _messages(world: World) -> None:
    direct = _conversation(world.a, ConversationKind.DIRECT)
    group = _conversation(world.a, ConversationKind.GROUP)
    other = _conversation(world.b, ConversationKind.DIRECT)
    sends = [
        (direct, "jeanne", world.at(1, 0)),
        (direct, "paul", world.at(1, 1)),
        (direct, "jeanne", world.at(1, 6, 20)),  # Sunday 21:00 in Paris: still week 1
        (direct, "paul", world.at(2, 2)),
        (group, "sami", world.at(2, 3)),
        (group, "lea", world.at(2, 4)),
        (group, "lea", world.at(0, 0) - timedelta(days=3)),  # before the period
        (other, "bob", world.at(1, 2)),
    ]
    for conversation, name, when in sends:
        db.session.add(
            Message(
                conversation_id=conversation.id,
                sender_id=world.people[name].id,
                client_id=f"c{next(_ids)}",
                kind=MessageKind.TEXT,
                body="Bonjour",
                created_at=when,
            )
        )


def _activity(world: World, title: str) -> Activity:
    activity = Activity(building_id=world.a.id, title=title)
    db.session.add(activity)
    db.session.flush()
    world.activities[title] = activity.id
    return activity


def _occurrence(activity: Activity, start: datetime, cancelled: bool = False) -> Occurrence:
    occurrence = Occurrence(
        activity_id=activity.id,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        cancelled_at=start if cancelled else None,
    )
    db.session.add(occurrence)
    db.session.flush()
    return occurrence


def _signup(
    world: World,
    occurrence: Occurrence,
    name: str,
    attended: bool | None,
    status: SignupStatus = SignupStatus.CONFIRMED,
) -> None:
    db.session.add(
        Signup(
            occurrence_id=occurrence.id,
            person_id=world.people[name].id,
            status=status,
            queued_at=occurrence.starts_at - timedelta(days=2),
            attended=attended,
            guests=1,
        )
    )


def _attendance(world: World) -> None:
    knitting = _activity(world, "Tricot")
    first = _occurrence(knitting, world.at(1, 1))
    _signup(world, first, "jeanne", True)
    _signup(world, first, "lea", None)  # attendance not taken: counted
    _signup(world, first, "sami", False)  # marked absent
    _signup(world, first, "paul", None, SignupStatus.WAITLISTED)
    second = _occurrence(knitting, world.at(2, 1))
    _signup(world, second, "jeanne", True)
    _signup(world, second, "marcel", True)
    cancelled = _occurrence(knitting, world.at(2, 2), cancelled=True)
    _signup(world, cancelled, "rose", None)
    games = _activity(world, "Jeux")
    evening = _occurrence(games, world.at(2, 3))
    _signup(world, evening, "adam", True)
    _signup(world, evening, "henri", True)


def _request(
    world: World,
    created: datetime,
    status: HelpStatus,
    taken_after: int | None = None,
    done: datetime | None = None,
) -> None:
    db.session.add(
        HelpRequest(
            building_id=world.a.id,
            requester_id=world.people["jeanne"].id,
            kind=HelpKind.GROCERIES,
            window_start=created,
            window_end=created + timedelta(hours=5),
            status=status,
            created_at=created,
            taken_at=None if taken_after is None else created + timedelta(minutes=taken_after),
            helper_id=world.people["sami"].id if taken_after is not None else None,
            done_at=done,
        )
    )


def _help(world: World) -> None:
    _request(world, world.at(1, 0, 9), HelpStatus.DONE, 30, world.at(1, 1))
    _request(world, world.at(1, 2), HelpStatus.TAKEN, 90)
    _request(world, world.at(2, 0, 8), HelpStatus.THANKED, 10, world.at(2, 1))
    _request(world, world.at(2, 1), HelpStatus.OPEN)
    _request(world, world.at(2, 2), HelpStatus.CANCELLED)


def _ticket(
    world: World,
    building: Building,
    category: TicketCategory,
    created: datetime,
    hours: float | None,
) -> None:
    resolved = None if hours is None else created + timedelta(hours=hours)
    db.session.add(
        Ticket(
            building_id=building.id,
            reporter_id=world.people["jeanne"].id,
            category=category,
            description="Panne",
            created_at=created,
            resolved_at=resolved,
        )
    )


def _tickets(world: World) -> None:
    _ticket(world, world.a, TicketCategory.HEATING, world.at(1, 0, 8), 4)
    _ticket(world, world.a, TicketCategory.HEATING, world.at(1, 1), 9)
    _ticket(world, world.a, TicketCategory.HEATING, world.at(2, 0), None)
    _ticket(world, world.a, TicketCategory.WATER, world.at(2, 0), 2.5)
    _ticket(world, world.a, TicketCategory.LIFT, world.at(0, 0) - timedelta(days=2), 1)
    _ticket(world, world.b, TicketCategory.NOISE, world.at(1, 0), 1)


# What the figures must say for building A over those 4 weeks ------------------------------
EXPECTED_ACTIVE_AGES = {  # week -> band -> residents
    1: {"75_plus": 2, "60_74": 1},
    2: {"75_plus": 1, "under_18": 1, "18_59": 1, "unknown": 1},
}
EXPECTED_ACTIVE_HOUSEHOLDS = {
    1: {"single": 1, "intergenerational": 1, "adults": 1},
    2: {"single": 2, "intergenerational": 1, "family": 1},
}
EXPECTED_PYRAMID = {  # age group -> occupancy -> residents
    8: {"normal": 1, "under": 1},
    6: {"normal": 2},
    4: {"over": 1},
    3: {"over": 1},
    1: {"under": 1, "over": 1},
    0: {"over": 1},
}
EXPECTED_MESSAGES = {1: {"direct": 3}, 2: {"direct": 1, "group": 2}}
EXPECTED_ATTENDANCE = {  # title -> band -> places, then total and bands present
    "Jeux": ({"under_18": 1, "unknown": 1}, 2, 1),
    "Tricot": ({"75_plus": 3, "under_18": 1}, 4, 2),
}
EXPECTED_HELP = {  # week -> (asked, done, median minutes to be taken)
    0: (0, 0, None),
    1: (2, 1, 60.0),
    2: (3, 1, 10.0),
    3: (0, 0, None),
    "total": (5, 2, 30.0),
}
EXPECTED_TICKETS = {"heating": (3, 2, 6.5), "water": (1, 1, 2.5), "lift": (0, 0, None)}
