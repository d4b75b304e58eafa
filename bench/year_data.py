"""A year of life in a 200-resident building, written with bulk inserts for the benchmarks.

The building, its dwellings and its people are made through the people service; the
year's volume (messages, activities and sign-ups, help, tickets, parcels, logbook,
visits, notifications) goes in as bulk inserts that keep the invariants the services
keep (a conversation's last message, read pointers, one sign-up per person and date,
ids that grow with time), so a page sees what it would see after a real year.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text

from activities.models import (
    Activity,
    ActivityPhoto,
    Booking,
    BookingStatus,
    Occurrence,
    Proposal,
    ProposalStatus,
    Recurrence,
    Room,
    Signup,
    SignupStatus,
)
from concierge.desk.models import (
    LogbookEntry,
    LogbookKind,
    Parcel,
    ParcelSize,
    Priority,
    Ticket,
    TicketCategory,
    TicketStatus,
    TicketUpdate,
    UpdateKind,
    Visit,
    VisitKind,
)
from concierge.exchange.models import (
    HelperProfile,
    HelpKind,
    HelpOffer,
    HelpRequest,
    HelpStatus,
    Urgency,
)
from messaging.models import (
    Conversation,
    ConversationKind,
    Membership,
    Message,
    MessageKind,
    Reaction,
)
from portal import demo
from portal.auth import service as auth
from portal.extensions import db
from portal.notifications.models import Notification
from portal.people import service as people
from portal.people.models import Building, Dwelling, DwellingType, Person, Role

DAYS = 365
FLOORS = 7
PHRASES = (
    "Bonjour, vous allez bien ?",
    "Merci beaucoup pour hier !",
    "Je descends chercher le courrier, vous voulez quelque chose ?",
    "On se voit à l'atelier jeudi ?",
    "Il fait beau, une petite promenade cet après-midi ?",
    "J'ai fait une tarte aux pommes, passez en prendre une part.",
    "Mon petit-fils vient dimanche, il peut regarder votre tablette.",
    "Bonne nuit et à demain.",
    "L'ascenseur remarche, bonne nouvelle.",
    "Vous avez besoin de pain ?",
)
STAFF = (
    (Role.COORDINATOR, "Camille", "Roussel"),
    (Role.CONCIERGE, "Karim", "Benali"),
    (Role.CONCIERGE, "Nadia", "Lemoine"),
    (Role.MANAGER, "Sophie", "Marchand"),
    (Role.MANAGER, "Pierre", "Vasseur"),
)
BENCH_PIN = "1234"


@dataclass
class Year:
    """Ids the page benchmark needs: who to log in as, and which object to open."""

    building_id: int
    resident_id: int
    staff: dict[str, int]
    conversation_id: int
    occurrence_id: int
    help_request_id: int
    ticket_id: int
    dwelling_id: int
    room_id: int
    counts: dict[str, int] = field(default_factory=dict)


class Ids:
    """Explicit ids for bulk-inserted rows (children need their parents' ids)."""

    def __init__(self) -> None:
        self.next: dict[str, int] = {}

    def take(self, table: str) -> int:
        value = self.next.get(table, 0) + 1
        self.next[table] = value
        return value


def build_year(seed: int = 11, residents: int = 200, dwellings: int = 100) -> Year:
    """Write the building and its year; return the ids the benchmark opens."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=DAYS)
    building, homes, people_list, staff = _people(rng, residents, dwellings)
    ids = Ids()
    counts: dict[str, int] = {}
    resident_ids = [p.id for p in people_list]
    staff_ids = {role: pid for role, pid in staff.items()}
    hero = people_list[0].id
    conversations = _messaging(rng, building.id, resident_ids, staff_ids, hero, start, now, counts)
    occurrence = _activities(rng, building.id, resident_ids, staff_ids, start, now, ids, counts)
    help_id = _helping(rng, building.id, resident_ids, staff_ids, hero, start, now, ids, counts)
    ticket_id = _desk(
        rng, building.id, homes, people_list, staff_ids, hero, start, now, ids, counts
    )
    _notifications(rng, resident_ids, hero, start, now, counts)
    _fix_sequences()
    db.session.commit()
    hero_person = db.session.get(Person, hero)
    assert hero_person is not None and hero_person.dwelling_id is not None
    return Year(
        building_id=building.id,
        resident_id=hero,
        staff={role.value: pid for role, pid in staff_ids.items()},
        conversation_id=conversations,
        occurrence_id=occurrence,
        help_request_id=help_id,
        ticket_id=ticket_id,
        dwelling_id=hero_person.dwelling_id,
        room_id=db.session.scalars(select(Room.id)).first() or 0,
        counts=counts,
    )


# People -----------------------------------------------------------------------------------


def _people(
    rng: random.Random, residents: int, dwellings: int
) -> tuple[Building, list[Dwelling], list[Person], dict[Role, int]]:
    org = people.do_create_organisation(f"Bailleur du banc d'essai {rng.randrange(10**6)}")
    building = people.do_create_building(
        org,
        "Résidence du banc d'essai",
        address="1 rue des Essais, 59000 Lille",
        concierge_phone="03 20 00 00 00",
        concierge_hours="9 h–17 h",
    )
    per_floor = -(-dwellings // FLOORS)
    kinds = (DwellingType.T1, DwellingType.T2, DwellingType.T2, DwellingType.T3, DwellingType.T4)
    specs = [
        (f"{n // per_floor}{n % per_floor + 1:02d}", n // per_floor, kinds[n % len(kinds)])
        for n in range(dwellings)
    ]
    homes = people.do_create_dwellings(building, specs)
    pin_hash = auth.hash_secret(BENCH_PIN)
    firsts = demo.SENIOR_WOMEN + demo.SENIOR_MEN + demo.ADULT_WOMEN + demo.ADULT_MEN
    residents_list: list[Person] = []
    for n in range(residents):
        # Every dwelling has one resident, then the larger households fill up.
        home = homes[n] if n < len(homes) else homes[rng.randrange(len(homes))]
        born = rng.choice(
            (rng.randint(1930, 1952), rng.randint(1955, 1995), rng.randint(2008, 2020))
        )
        person = people.add_person(
            organisation=org,
            role=Role.RESIDENT,
            first_name=rng.choice(firsts),
            last_name=demo.SURNAMES[n % len(demo.SURNAMES)],
            dwelling=home,
            birth_year=born,
            locale="fr",
        )
        person.pin_hash = pin_hash
        person.in_directory = rng.random() < 0.6
        person.last_seen_at = datetime.now(UTC) - timedelta(minutes=rng.randrange(10_000))
        residents_list.append(person)
    staff: dict[Role, int] = {}
    staff_people = []
    for n, (role, first, last) in enumerate(STAFF):
        person = people.add_person(
            organisation=org,
            role=role,
            first_name=first,
            last_name=last,
            building=building,
            covered_buildings=[building],
            email=f"bench-{n}-{rng.randrange(10**9)}@example.org",
        )
        staff_people.append(person)
    db.session.commit()
    for person in staff_people:
        staff.setdefault(person.role, person.id)
    return building, homes, residents_list, staff


def _bulk(model: Any, rows: Sequence[dict[str, Any]], chunk: int = 5000) -> None:
    """Insert rows in chunks; a key some rows lack takes the column's default (or NULL)."""
    table: Table = model.__table__
    keys = {key for row in rows for key in row}
    fill = {}
    for key in keys:
        default = table.c[key].default
        fill[key] = default.arg if default is not None and default.is_scalar else None
    for offset in range(0, len(rows), chunk):
        batch = [{**fill, **row} for row in rows[offset : offset + chunk]]
        db.session.execute(insert(table), batch)


def _moment(rng: random.Random, start: datetime, now: datetime) -> datetime:
    """A time of day between 8:00 and 21:00 (UTC is fine for volume) during the year."""
    day = start + timedelta(days=rng.randrange((now - start).days))
    return day.replace(hour=rng.randint(7, 20), minute=rng.randrange(60), second=rng.randrange(60))


# Messaging --------------------------------------------------------------------------------


def _messaging(
    rng: random.Random,
    building_id: int,
    residents: list[int],
    staff: dict[Role, int],
    hero: int,
    start: datetime,
    now: datetime,
    counts: dict[str, int],
) -> int:
    """Direct and group conversations, each resident's desk, the announcements; returns the
    busiest conversation of the hero."""
    conversations: list[dict[str, Any]] = []
    members: dict[int, list[int]] = {}
    conv_id = 0

    def add(kind: ConversationKind, people_ids: list[int], **extra: Any) -> int:
        nonlocal conv_id
        conv_id += 1
        conversations.append(
            {
                "id": conv_id,
                "building_id": building_id,
                "kind": kind,
                "title": "",
                "created_at": start,
                "updated_at": start,
                **extra,
            }
        )
        members[conv_id] = people_ids
        return conv_id

    pairs: set[tuple[int, int]] = set()
    for other in rng.sample(residents[1:], 25):  # the hero talks with 25 neighbours
        pairs.add((min(hero, other), max(hero, other)))
    while len(pairs) < 320:
        a, b = rng.sample(residents, 2)
        pairs.add((min(a, b), max(a, b)))
    direct = [
        add(ConversationKind.DIRECT, [a, b], direct_key=f"{a}:{b}", created_by_id=a)
        for a, b in sorted(pairs)
    ]
    groups = []
    for n in range(16):
        size = rng.randint(4, 30)
        group_members = rng.sample(residents, size)
        if n < 6 and hero not in group_members:
            group_members.append(hero)
        groups.append(
            add(
                ConversationKind.GROUP,
                group_members,
                title=f"Groupe {n + 1}",
                created_by_id=group_members[0],
            )
        )
    desks = {
        pid: add(ConversationKind.DESK, [pid], desk_resident_id=pid, created_by_id=pid)
        for pid in residents
    }
    announcements = add(ConversationKind.ANNOUNCEMENTS, [])
    _bulk(Conversation, conversations)

    raw: list[tuple[datetime, int, int, bool]] = []  # when, conversation, sender, as desk
    hero_direct = [c for c in direct if hero in members[c]]
    for conv in direct:
        weight = 400 if conv in hero_direct[:3] else 110
        for _ in range(rng.randint(weight // 2, weight * 3 // 2)):
            raw.append((_moment(rng, start, now), conv, rng.choice(members[conv]), False))
    for conv in groups:
        for _ in range(rng.randint(600, 2600)):
            raw.append((_moment(rng, start, now), conv, rng.choice(members[conv]), False))
    desk_staff = staff[Role.CONCIERGE]
    for pid, conv in desks.items():
        for _ in range(rng.randrange(0, 30)):
            sender, as_desk = (pid, False) if rng.random() < 0.5 else (desk_staff, True)
            raw.append((_moment(rng, start, now), conv, sender, as_desk))
    for _ in range(150):
        raw.append((_moment(rng, start, now), announcements, staff[Role.COORDINATOR], False))
    raw.sort()
    last: dict[int, tuple[int, datetime]] = {}
    rows = []
    for n, (when, conv, sender, as_desk) in enumerate(raw, start=1):
        rows.append(
            {
                "id": n,
                "conversation_id": conv,
                "sender_id": sender,
                "client_id": f"bench-{n}",
                "kind": MessageKind.TEXT,
                "body": PHRASES[n % len(PHRASES)],
                "as_desk": as_desk,
                "created_at": when,
            }
        )
        last[conv] = (n, when)
    _bulk(Message, rows)
    for conv, (message_id, when) in last.items():
        db.session.execute(
            Conversation.__table__.update()
            .where(Conversation.__table__.c.id == conv)
            .values(last_message_id=message_id, last_message_at=when)
        )
    membership_rows = []
    for conv, people_ids in members.items():
        top = last.get(conv, (0, start))[0]
        for pid in people_ids:
            # Most have read everything; some are a few messages behind.
            behind = 0 if rng.random() < 0.7 else rng.randrange(1, 15)
            membership_rows.append(
                {
                    "conversation_id": conv,
                    "person_id": pid,
                    "joined_at": start,
                    "is_admin": pid == people_ids[0],
                    "last_read_message_id": max(0, top - behind),
                    "last_read_at": now,
                }
            )
    _bulk(Membership, membership_rows)
    announcement_ids = [r["id"] for r in rows if r["conversation_id"] == announcements]
    reactions = [
        {
            "message_id": mid,
            "person_id": pid,
            "emoji": rng.choice(("👍", "❤️", "😊")),
            "created_at": now,
        }
        for mid in announcement_ids[-40:]
        for pid in rng.sample(residents, 12)
    ]
    _bulk(Reaction, reactions)
    counts.update(conversations=len(conversations), messages=len(rows), reactions=len(reactions))
    busiest = max(hero_direct, key=lambda c: sum(1 for r in raw if r[1] == c))
    return busiest


# Activities -------------------------------------------------------------------------------


def _activities(
    rng: random.Random,
    building_id: int,
    residents: list[int],
    staff: dict[Role, int],
    start: datetime,
    now: datetime,
    ids: Ids,
    counts: dict[str, int],
) -> int:
    """Weekly and monthly series and one-off events over the year and the next two months,
    with sign-ups, waiting lists and attendance; returns this week's busiest occurrence."""
    coordinator = staff[Role.COORDINATOR]
    rooms = [
        {
            "id": 1,
            "building_id": building_id,
            "name": "Salle commune",
            "capacity": 40,
            "opens_at": time(8),
            "closes_at": time(22),
            "max_minutes": 240,
            "needs_approval": False,
        },
        {
            "id": 2,
            "building_id": building_id,
            "name": "Atelier",
            "capacity": 12,
            "opens_at": time(9),
            "closes_at": time(19),
            "max_minutes": 180,
            "needs_approval": True,
        },
    ]
    _bulk(Room, rooms)
    end = now + timedelta(days=60)
    categories = ("meal", "crafts", "learning", "digital", "sport", "games", "culture", "other")
    activities, occurrences, signups = [], [], []
    series = [(Recurrence.WEEKLY, 7)] * 10 + [(Recurrence.MONTHLY, 30)] * 4
    series += [(Recurrence.NONE, 0)] * 50
    for n, (recurrence, step) in enumerate(series):
        activity_id = ids.take("activities")
        first = start + timedelta(days=rng.randrange(7)) if step else _moment(rng, start, end)
        first = first.replace(hour=rng.choice((9, 10, 14, 15, 17)), minute=0, second=0)
        capacity = rng.choice((None, 8, 12, 20, 30))
        activities.append(
            {
                "id": activity_id,
                "building_id": building_id,
                "title": f"Activité {n + 1}",
                "description": "Venez nombreux !",
                "category": categories[n % len(categories)],
                "place": "Salle commune",
                "room_id": 1 if n % 3 == 0 else None,
                "capacity": capacity,
                "audience": "everyone",
                "recurrence": recurrence,
                "repeat_until": end.date() if step else None,
                "created_by_id": coordinator,
                "created_at": start,
                "updated_at": start,
            }
        )
        moments = [first]
        while step and moments[-1] + timedelta(days=step) < end:
            moments.append(moments[-1] + timedelta(days=step))
        for moment in moments:
            occurrence_id = ids.take("occurrences")
            cancelled = moment if rng.random() < 0.03 else None
            occurrences.append(
                {
                    "id": occurrence_id,
                    "activity_id": activity_id,
                    "starts_at": moment,
                    "ends_at": moment + timedelta(hours=2),
                    "capacity": capacity,
                    "cancelled_at": cancelled,
                    "created_at": start,
                    "updated_at": start,
                }
            )
            signups += _signups(rng, occurrence_id, moment, capacity, residents, now, ids)
    _bulk(Activity, activities)
    _bulk(Occurrence, occurrences)
    _bulk(Signup, signups)
    bookings = []
    for _ in range(300):
        when = _moment(rng, start, end).replace(minute=0, second=0)
        bookings.append(
            {
                "room_id": rng.choice((1, 2)),
                "person_id": rng.choice(residents),
                "starts_at": when,
                "ends_at": when + timedelta(hours=2),
                "purpose": "Anniversaire",
                "status": rng.choice(list(BookingStatus)),
                "created_at": when,
                "updated_at": when,
            }
        )
    _bulk(Booking, bookings)
    proposals = []
    for n in range(30):
        when = _moment(rng, start, end)
        proposals.append(
            {
                "building_id": building_id,
                "proposer_id": rng.choice(residents),
                "title": f"Proposition {n + 1}",
                "description": "Et si on…",
                "place": "",
                "starts_at": when,
                "ends_at": when + timedelta(hours=2),
                "status": rng.choice(list(ProposalStatus)),
                "created_at": when,
                "updated_at": when,
            }
        )
    _bulk(Proposal, proposals)
    photos = [
        {
            "occurrence_id": o["id"],
            "uploaded_by_id": coordinator,
            "file_name": f"bench-photo-{o['id']}-{k}.jpg",
            "thumb_name": f"bench-thumb-{o['id']}-{k}.jpg",
            "created_at": o["ends_at"],
        }
        for o in occurrences[::10]
        if o["starts_at"] < now
        for k in range(3)
    ]
    _bulk(ActivityPhoto, photos)
    counts.update(
        activities=len(activities),
        occurrences=len(occurrences),
        signups=len(signups),
        bookings=len(bookings),
        proposals=len(proposals),
    )
    week = [o for o in occurrences if now <= o["starts_at"] < now + timedelta(days=7)]
    busiest = max(
        week or occurrences, key=lambda o: sum(1 for s in signups if s["occurrence_id"] == o["id"])
    )
    return int(busiest["id"])


def _signups(
    rng: random.Random,
    occurrence_id: int,
    moment: datetime,
    capacity: int | None,
    residents: list[int],
    now: datetime,
    ids: Ids,
) -> list[dict[str, Any]]:
    wanted = rng.randint(3, 30)
    taken = 0
    rows = []
    for pid in rng.sample(residents, wanted):
        guests = 1 if rng.random() < 0.1 else 0
        full = capacity is not None and taken + 1 + guests > capacity
        status = SignupStatus.WAITLISTED if full else SignupStatus.CONFIRMED
        if rng.random() < 0.08:
            status = SignupStatus.CANCELLED
        if status == SignupStatus.CONFIRMED:
            taken += 1 + guests
        attended = (
            (rng.random() < 0.85) if moment < now and status == SignupStatus.CONFIRMED else None
        )
        queued = moment - timedelta(days=rng.randint(1, 14))
        rows.append(
            {
                "id": ids.take("signups"),
                "occurrence_id": occurrence_id,
                "person_id": pid,
                "guests": guests,
                "status": status,
                "show_name": rng.random() < 0.8,
                "queued_at": queued,
                "attended": attended,
                "created_at": queued,
                "updated_at": queued,
            }
        )
    return rows


# Help between neighbours -----------------------------------------------------------------


def _helping(
    rng: random.Random,
    building_id: int,
    residents: list[int],
    staff: dict[Role, int],
    hero: int,
    start: datetime,
    now: datetime,
    ids: Ids,
    counts: dict[str, int],
) -> int:
    """Offers, and requests in every state over the year; returns one the hero asked."""
    kinds = list(HelpKind)
    offers, seen = [], set()
    for pid in rng.sample(residents, 70):
        for kind in rng.sample(kinds, rng.randint(1, 3)):
            if (pid, kind) not in seen:
                seen.add((pid, kind))
                offers.append(
                    {
                        "building_id": building_id,
                        "person_id": pid,
                        "kind": kind,
                        "availability": "Le matin",
                        "active": rng.random() < 0.9,
                        "created_at": start,
                        "updated_at": start,
                    }
                )
    _bulk(HelpOffer, offers)
    _bulk(
        HelperProfile,
        [
            {"person_id": pid, "show_thanks": True, "created_at": start, "updated_at": start}
            for pid in sorted({o["person_id"] for o in offers})[::2]
        ],
    )
    requests = []
    finished = (HelpStatus.DONE, HelpStatus.THANKED, HelpStatus.CANCELLED, HelpStatus.EXPIRED)
    for n in range(700):
        created = _moment(rng, start, now)
        status = (
            rng.choice(finished)
            if created < now - timedelta(days=7)
            else rng.choice((HelpStatus.OPEN, HelpStatus.TAKEN, HelpStatus.DONE, HelpStatus.OPEN))
        )
        requester = hero if n % 40 == 0 else rng.choice(residents)
        helper = rng.choice([r for r in residents[:60] if r != requester])
        taken = status in (HelpStatus.TAKEN, HelpStatus.DONE, HelpStatus.THANKED)
        window_start = created + timedelta(hours=rng.randint(1, 48))
        if status == HelpStatus.OPEN:
            window_start = now + timedelta(hours=rng.randint(1, 72))
        kind = rng.choice(kinds)
        requests.append(
            {
                "id": ids.take("help"),
                "building_id": building_id,
                "requester_id": requester,
                "kind": kind,
                "urgency": rng.choice(list(Urgency)),
                "details": "Pharmacie du Centre"
                if kind == HelpKind.PHARMACY
                else "Du pain, du lait",
                "health_consent_at": created if kind == HelpKind.PHARMACY else None,
                "window_start": window_start,
                "window_end": window_start + timedelta(hours=6),
                "status": status,
                "helper_id": helper if taken else None,
                "taken_at": created + timedelta(hours=1) if taken else None,
                "done_at": window_start
                if status in (HelpStatus.DONE, HelpStatus.THANKED)
                else None,
                "minutes_given": rng.choice((30, 45, 60, 90))
                if status == HelpStatus.THANKED
                else None,
                "thanked_at": window_start if status == HelpStatus.THANKED else None,
                "thanks_note": "Merci mille fois !" if status == HelpStatus.THANKED else None,
                "closed_at": window_start if status in finished else None,
                "created_at": created,
                "updated_at": created,
            }
        )
    _bulk(HelpRequest, requests)
    counts.update(help_offers=len(offers), help_requests=len(requests))
    mine = [r for r in requests if r["requester_id"] == hero and r["status"] == HelpStatus.TAKEN]
    mine = mine or [r for r in requests if r["requester_id"] == hero]
    return int(mine[-1]["id"])


# The concierge desk ----------------------------------------------------------------------


def _desk(
    rng: random.Random,
    building_id: int,
    homes: list[Dwelling],
    residents: list[Person],
    staff: dict[Role, int],
    hero: int,
    start: datetime,
    now: datetime,
    ids: Ids,
    counts: dict[str, int],
) -> int:
    """Tickets with their updates, parcels, logbook entries, visits; returns the hero's most
    discussed ticket."""
    concierge = staff[Role.CONCIERGE]
    tickets, updates, entries = [], [], []
    flow = [
        TicketStatus.ACKNOWLEDGED,
        TicketStatus.IN_PROGRESS,
        TicketStatus.WAITING_CONTRACTOR,
        TicketStatus.RESOLVED,
        TicketStatus.CLOSED,
    ]
    by_id = {p.id: p for p in residents}
    for n in range(500):
        reporter = by_id[hero] if n % 25 == 0 else rng.choice(residents)
        created = _moment(rng, start, now)
        recent = created > now - timedelta(days=20)
        # Recent reports are still being handled; a few old ones still wait for a contractor.
        steps = rng.randint(0, 2) if recent else (3 if rng.random() < 0.05 else rng.randint(4, 5))
        status = flow[steps - 1] if steps else TicketStatus.NEW
        ticket_id = ids.take("tickets")
        tickets.append(
            {
                "id": ticket_id,
                "building_id": building_id,
                "dwelling_id": reporter.dwelling_id,
                "reporter_id": reporter.id,
                "posted_by_id": reporter.id,
                "category": rng.choice(list(TicketCategory)),
                "description": "Le robinet de la cuisine fuit depuis ce matin.",
                "in_common_areas": rng.random() < 0.2,
                "status": status,
                "priority": rng.choice(list(Priority)),
                "assignee_id": concierge if steps else None,
                "acknowledged_at": created + timedelta(hours=2) if steps else None,
                "resolved_at": created + timedelta(days=3) if steps >= 4 else None,
                "closed_at": created + timedelta(days=5) if steps >= 5 else None,
                "rating": rng.randint(3, 5) if steps >= 5 and rng.random() < 0.5 else None,
                "created_at": created,
                "updated_at": created,
            }
        )
        previous = TicketStatus.NEW
        for step in range(steps):
            when = created + timedelta(hours=2 + 20 * step)
            updates.append(
                _update(
                    ids,
                    ticket_id,
                    concierge,
                    UpdateKind.STATUS,
                    when,
                    old=previous.value,
                    new=flow[step].value,
                )
            )
            previous = flow[step]
            for kind, internal in ((UpdateKind.REPLY, False), (UpdateKind.NOTE, True)):
                if rng.random() < 0.6:
                    updates.append(
                        _update(
                            ids,
                            ticket_id,
                            concierge,
                            kind,
                            when,
                            internal=internal,
                            body="Le plombier passe demain matin.",
                        )
                    )
        if steps >= 4 and reporter.dwelling_id:
            entries.append(
                {
                    "dwelling_id": reporter.dwelling_id,
                    "kind": LogbookKind.TICKET,
                    "title": "Fuite réparée",
                    "body": "Joint changé.",
                    "happened_on": (created + timedelta(days=3)).date(),
                    "author_id": concierge,
                    "ticket_id": ticket_id,
                    "created_at": created,
                    "updated_at": created,
                }
            )
    _bulk(Ticket, tickets)
    _bulk(TicketUpdate, updates)
    for home in homes:
        for kind in (LogbookKind.BOILER, LogbookKind.INSPECTION, LogbookKind.REPAIR):
            when = _moment(rng, start, now)
            entries.append(
                {
                    "dwelling_id": home.id,
                    "kind": kind,
                    "title": "Entretien annuel",
                    "body": "RAS.",
                    "happened_on": when.date(),
                    "author_id": concierge,
                    "created_at": when,
                    "updated_at": when,
                }
            )
    _bulk(LogbookEntry, entries)
    parcels = []
    for _ in range(4000):
        when = _moment(rng, start, now)
        waiting = when > now - timedelta(days=4) and rng.random() < 0.6
        home = rng.choice(homes)
        parcels.append(
            {
                "building_id": building_id,
                "dwelling_id": home.id,
                "carrier": rng.choice(("La Poste", "Colissimo", "Chronopost", "DPD")),
                "size": rng.choice(list(ParcelSize)),
                "note": "",
                "logged_by_id": concierge,
                "collected_at": None if waiting else when + timedelta(hours=rng.randint(1, 72)),
                "collected_by_name": "" if waiting else "Le résident",
                "created_at": when,
                "updated_at": when,
            }
        )
    hero_home = by_id[hero].dwelling_id
    for k in range(3):  # the hero has parcels waiting
        parcels.append(
            {
                "building_id": building_id,
                "dwelling_id": hero_home,
                "carrier": "La Poste",
                "size": ParcelSize.SMALL,
                "note": "",
                "logged_by_id": concierge,
                "collected_at": None,
                "created_at": now - timedelta(hours=k + 1),
                "updated_at": now,
            }
        )
    _bulk(Parcel, parcels)
    visits = []
    for _ in range(300):
        when = _moment(rng, start, now + timedelta(days=30))
        home = rng.choice(homes)
        visits.append(
            {
                "building_id": building_id,
                "dwelling_id": home.id,
                "person_id": home.residents[0].id if home.residents else None,
                "kind": rng.choice(list(VisitKind)),
                "visitor": "Infirmière",
                "starts_at": when,
                "ends_at": when + timedelta(hours=2),
                "note": "",
                "created_at": when,
                "updated_at": when,
            }
        )
    _bulk(Visit, visits)
    counts.update(
        tickets=len(tickets),
        ticket_updates=len(updates),
        logbook_entries=len(entries),
        parcels=len(parcels),
        visits=len(visits),
    )
    mine = [t["id"] for t in tickets if t["reporter_id"] == hero]
    return max(mine, key=lambda tid: sum(1 for u in updates if u["ticket_id"] == tid))


def _update(
    ids: Ids,
    ticket_id: int,
    author: int,
    kind: UpdateKind,
    when: datetime,
    *,
    internal: bool = False,
    body: str = "",
    old: str | None = None,
    new: str | None = None,
) -> dict[str, Any]:
    return {
        "id": ids.take("updates"),
        "ticket_id": ticket_id,
        "author_id": author,
        "kind": kind,
        "internal": internal,
        "body": body,
        "old_value": old,
        "new_value": new,
        "created_at": when,
        "updated_at": when,
    }


# Notifications ---------------------------------------------------------------------------


def _notifications(
    rng: random.Random,
    residents: list[int],
    hero: int,
    start: datetime,
    now: datetime,
    counts: dict[str, int],
) -> None:
    kinds = (
        "concierge.parcel",
        "activities.reminder",
        "concierge.ticket_status",
        "activities.changed",
        "concierge.help_taken",
    )
    rows = []
    for pid in residents:
        for _ in range(rng.randint(60, 200) if pid != hero else 250):
            when = _moment(rng, start, now)
            rows.append(
                {
                    "person_id": pid,
                    "kind": rng.choice(kinds),
                    "title": "Un colis vous attend à la loge.",
                    "url": "/my-home",
                    "created_at": when,
                    "read_at": when if when < now - timedelta(days=3) else None,
                }
            )
    _bulk(Notification, rows)
    counts["notifications"] = len(rows)


def _fix_sequences() -> None:
    """PostgreSQL: move each id sequence past the explicit ids written above."""
    bind = db.session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    tables: Iterable[Any] = (
        Activity,
        Occurrence,
        Signup,
        HelpRequest,
        Ticket,
        TicketUpdate,
        Message,
        Conversation,
        Room,
    )
    for model in tables:
        name = model.__tablename__
        top = db.session.scalar(select(func.max(model.__table__.c.id))) or 0
        db.session.execute(
            text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"), {"t": name, "v": top + 1}
        )
