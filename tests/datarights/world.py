"""A building where one resident and one coordinator have data in every domain, built
through the services (used by the export and erasure tests)."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from PIL import Image

from activities import album, ical, proposals, reminders, rooms
from activities import service as activities
from concierge.desk import logbook, parcels, tickets, visits
from concierge.exchange import service as helping
from messaging import service as messaging
from messaging.announcements import service as notices
from portal.audit import service as audit
from portal.auth import service as auth
from portal.extensions import db
from portal.people import service as people
from portal.people.models import Building, Person, Role
from portal.wellbeing import service as wellbeing
from tests.factories import make_building, make_resident, make_staff

PARIS = ZoneInfo("Europe/Paris")


def jpeg_bytes(colour: str = "#3366aa") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def local(days: int, hour: int) -> datetime:
    day = (datetime.now(PARIS) + timedelta(days=days)).date()
    return datetime.combine(day, time(hour), tzinfo=PARIS)


@dataclass
class World:
    building: Building
    jeanne: Person  # the resident with data everywhere
    paul: Person  # her neighbour
    coordinator: Person  # staff with data everywhere
    concierge: Person
    manager: Person
    direct_id: int
    ticket_id: int
    jeanne_message_id: int
    jeanne_photo_message_id: int


def send(person: Person, conversation_id: int, **fields: object) -> int:
    result = messaging.do_send_message(
        person, conversation_id, client_id=str(uuid.uuid4()), **fields
    )
    return result.message.id


def build_world() -> World:
    building = make_building()
    jeanne = make_resident(building, first_name="Jeanne", last_name="Martin", locale="en")
    paul = make_resident(building, first_name="Paul", last_name="Durand", locale="en")
    coordinator = make_staff(Role.COORDINATOR, [building], locale="en")
    concierge = make_staff(Role.CONCIERGE, [building], locale="en")
    manager = make_staff(Role.MANAGER, [building], locale="en")

    # Profile, card, preferences.
    people.do_update_profile(
        jeanne,
        display_name="Jeannette",
        languages="français",
        interests="tricot",
        can_help_with="couture",
        in_directory=True,
        photo=jpeg_bytes(),
    )
    auth.do_issue_card(jeanne, issued_by=coordinator)
    auth.do_issue_card(paul, issued_by=coordinator)

    # Activities: her sign-up, reminders, feed, proposal, booking; his plans.
    activity = activities.do_create_activity(
        coordinator, building.id, title="Goûter", starts_at=local(2, 15), ends_at=local(2, 17)
    )
    activities.do_sign_up(jeanne, activity.occurrences[0].id)
    reminders.do_set_preference(jeanne.id, day_before=True, hour_before=False)
    ical.do_new_feed_token(jeanne)
    proposal = proposals.do_propose(
        jeanne, title="Tricot", starts_at=local(5, 14), ends_at=local(5, 16)
    )
    proposals.do_decline(coordinator, proposal.id, "Pas cette semaine")
    room = rooms.do_create_room(
        coordinator,
        building.id,
        name="Salle",
        capacity=20,
        opens_at=time(9),
        closes_at=time(21),
        max_minutes=120,
        needs_approval=False,
    )
    rooms.do_book(jeanne, room.id, local(3, 10), local(3, 11), "Anniversaire")
    past = activities.do_create_activity(
        coordinator, building.id, title="Loto", starts_at=local(1, 10), ends_at=local(1, 12)
    )
    past.occurrences[0].starts_at = datetime.now(UTC) - timedelta(hours=2)
    db.session.commit()
    album.do_add_photo(coordinator, past.occurrences[0].id, jpeg_bytes("#aa3333"))

    # Messaging: direct with a photo, a group she made, the desk, announcements.
    direct = messaging.get_or_create_direct(jeanne, paul.id)
    jeanne_message_id = send(jeanne, direct.id, body="Bonjour Paul !")
    upload = messaging.do_save_upload(jeanne, "photo", jpeg_bytes("#33aa33"))
    photo_message_id = send(jeanne, direct.id, kind="photo", attachment_id=upload.id)
    paul_message_id = send(paul, direct.id, body="Bonjour Jeanne")
    messaging.do_save_upload(jeanne, "photo", jpeg_bytes("#3333aa"))  # never sent
    group = messaging.do_create_group(jeanne, "Club tricot", [paul.id])
    send(jeanne, group.id, body="Jeudi ?")
    desk = messaging.get_or_create_desk(jeanne)
    send(jeanne, desk.id, body="Ma clé est cassée")
    announcements = messaging.get_or_create_announcements(building.id)
    announcement_id = send(coordinator, announcements.id, body="Fête jeudi")
    messaging.do_toggle_reaction(jeanne, announcement_id, "👍")
    messaging.do_report(jeanne, paul_message_id, "test")
    messaging.do_hide_message(coordinator, paul_message_id)

    # Help between neighbours: she asks (a pharmacy run), helps, offers.
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=1)
    pharmacy = helping.do_create_request(
        jeanne,
        kind="pharmacy",
        window_start=start,
        window_end=start + timedelta(hours=3),
        details="Pharmacie du Centre",
        health_consent=True,
    )
    helping.do_take(paul, pharmacy.id)
    helping.get_details(jeanne, pharmacy, "web")
    groceries = helping.do_create_request(
        paul,
        kind="groceries",
        window_start=start,
        window_end=start + timedelta(hours=3),
        details="pain",
    )
    helping.do_take(jeanne, groceries.id)
    helping.do_save_offer(jeanne, "groceries", "le mardi")
    helping.do_set_show_thanks(jeanne, True)
    walk = helping.do_create_request(
        paul, kind="groceries", window_start=start, window_end=start + timedelta(hours=3)
    )
    helping.do_propose(concierge, walk.id, jeanne.id)

    # The desk: a ticket with a photo, replies and a note; a parcel she collected; a visit.
    ticket = tickets.do_create_ticket(
        jeanne, category="heating", description="Radiateur froid", photos=[jpeg_bytes("#aaaa33")]
    )
    tickets.do_add_reply(concierge, ticket.id, "Le chauffagiste passe lundi.")
    tickets.do_add_reply(concierge, ticket.id, "Locataire absente le matin", internal=True)
    tickets.do_assign(concierge, ticket.id, coordinator.id)
    parcel = parcels.do_log_parcel(concierge, jeanne.dwelling_id, carrier="La Poste")
    parcels.do_hand_over(concierge, parcel.id, collected_by_id=jeanne.id)
    visits.do_add_visit(
        jeanne,
        jeanne.dwelling_id,
        kind="visitor",
        visitor="Ma fille",
        starts_at=local(1, 10),
        ends_at=local(1, 12),
    )
    logbook.do_add_entry(
        coordinator,
        jeanne.dwelling_id,
        kind="repair",
        title="Robinet",
        happened_on=datetime.now(PARIS).date(),
    )

    # Wellbeing: the daily check-in, pressed once; an announcement she read.
    wellbeing.do_opt_in(jeanne, time(10, 30))
    wellbeing.do_check_in(jeanne)
    notice = notices.do_publish(
        coordinator, building_id=building.id, title="Coupure d'eau", body="Mardi de 9 h à 12 h."
    )
    notices.do_mark_read(jeanne, notice.id)

    # The audit log: a staff action on her, and her own export.
    audit.do_record("card.issued", actor=coordinator, subject=jeanne)
    audit.do_record("data.exported", actor=jeanne, subject=jeanne)
    db.session.commit()  # the world is there for the pages too (their own sessions)
    return World(
        building,
        jeanne,
        paul,
        coordinator,
        concierge,
        manager,
        direct.id,
        ticket.id,
        jeanne_message_id,
        photo_message_id,
    )
