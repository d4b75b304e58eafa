"""Retention: each daily purge, run as the scheduler runs it with a frozen clock; what is older
than its period goes, what is younger stays, nobody else's data is touched, and files go only
once the purge is committed."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from PIL import Image
from sqlalchemy import func, select

from concierge.exchange import jobs as exchange_jobs
from concierge.exchange import service as helping
from concierge.exchange.models import HelpRequest, HelpStatus
from messaging import jobs as messaging_jobs
from messaging import service as messaging
from messaging.models import Attachment, Conversation, Membership, Message, Reaction, Report
from portal import retention, scheduler
from portal.admin import people_admin
from portal.audit.models import AuditEntry
from portal.config import from_env
from portal.datarights import erasure
from portal.datarights import jobs as datarights_jobs
from portal.extensions import db
from portal.notifications import jobs as notifications_jobs
from portal.notifications.models import Notification
from portal.notifications.service import add_notification
from portal.people import jobs as people_jobs
from portal.people import service as people
from portal.people.models import ActivityDay, Person, Role
from portal.uploads import path_of
from portal.wellbeing import jobs as wellbeing_jobs
from portal.wellbeing.models import AlertStatus, CallStatus, Checkin, HelpCall, MissedCheckin
from tests.factories import make_building, make_resident, make_staff

NOW = datetime(2029, 6, 15, 3, 0, tzinfo=UTC)
PURGES = {
    "messaging.purge": "MESSAGING_RETENTION_DAYS",
    "notifications.purge": "NOTIFICATIONS_RETENTION_DAYS",
    "wellbeing.purge": "WELLBEING_RETENTION_DAYS",
    "people.activity_days_purge": "PEOPLE_ACTIVITY_RETENTION_DAYS",
    "datarights.closed_accounts": "DATARIGHTS_CLOSED_ACCOUNT_DAYS",
    "audit.purge": "AUDIT_RETENTION_DAYS",
}


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def jpeg_bytes(colour: str = "#3366aa") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    """Two rows a batch: every purge below needs several batches, as years of data would."""
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)


@pytest.fixture
def building(app):
    return make_building()


@pytest.fixture
def jeanne(building):
    return make_resident(building, first_name="Jeanne", locale="en")


@pytest.fixture
def paul(building):
    return make_resident(building, first_name="Paul", locale="en")


# Settings and schedule -------------------------------------------------------------------


def test_the_defaults_are_those_the_readme_explains(app):
    assert app.config["MESSAGING_RETENTION_DAYS"] == 730
    assert app.config["NOTIFICATIONS_RETENTION_DAYS"] == 90
    assert app.config["WELLBEING_RETENTION_DAYS"] == 365
    assert app.config["PEOPLE_ACTIVITY_RETENTION_DAYS"] == 730
    assert app.config["DATARIGHTS_CLOSED_ACCOUNT_DAYS"] == 180
    assert app.config["AUDIT_RETENTION_DAYS"] == 365


def test_the_periods_are_read_from_the_environment():
    environ = {
        "BV_MESSAGING_RETENTION_DAYS": "365",
        "BV_NOTIFICATIONS_RETENTION_DAYS": "30",
        "BV_WELLBEING_RETENTION_DAYS": "180",
        "BV_ACTIVITY_DAYS_RETENTION_DAYS": "400",
        "BV_CLOSED_ACCOUNT_DAYS": "90",
    }
    assert from_env(environ) == {
        "MESSAGING_RETENTION_DAYS": 365,
        "NOTIFICATIONS_RETENTION_DAYS": 30,
        "WELLBEING_RETENTION_DAYS": 180,
        "PEOPLE_ACTIVITY_RETENTION_DAYS": 400,
        "DATARIGHTS_CLOSED_ACCOUNT_DAYS": 90,
    }


def test_every_purge_runs_daily(app):
    built = scheduler.build_scheduler(app, blocking=False)
    for job_id in PURGES:
        job = built.get_job(job_id)
        assert job is not None, job_id
        assert job.trigger.interval == timedelta(days=1)
    assert built.get_job("concierge.help") is not None  # the pharmacy purge, every 5 minutes


@pytest.mark.parametrize("wrong", [0, -5, "90", None, True])
def test_a_period_that_would_erase_too_early_stops_the_scheduler(app, wrong):
    app.config["NOTIFICATIONS_RETENTION_DAYS"] = wrong
    with pytest.raises(retention.RetentionError):
        scheduler.build_scheduler(app, blocking=False)
    with pytest.raises(retention.RetentionError):
        retention.cutoff("NOTIFICATIONS_RETENTION_DAYS", NOW)


# Notifications ---------------------------------------------------------------------------


def test_notifications_older_than_90_days_go_read_or_not(app, jeanne, paul):
    kept, gone = [], []
    for person in (jeanne, paul):
        for age, into in ((400, gone), (91, gone), (89, kept), (1, kept)):
            with time_machine.travel(ago(age), tick=False):
                into.append(add_notification(person.id, "test", f"{age} days").id)
    db.session.get(Notification, gone[0]).read_at = ago(300)
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        assert notifications_jobs.run_purge() == 4
    db.session.expire_all()
    assert sorted(db.session.scalars(select(Notification.id))) == sorted(kept)


# Activity days ---------------------------------------------------------------------------


def test_activity_days_older_than_two_years_go(app, jeanne, paul):
    days = {
        jeanne.id: [date(2027, 6, 1), date(2027, 6, 2), date(2027, 6, 20), date(2029, 6, 14)],
        paul.id: [date(2026, 1, 1), date(2027, 6, 14), date(2027, 6, 16), date(2028, 1, 1)],
    }
    for person_id, person_days in days.items():
        db.session.add_all(ActivityDay(person_id=person_id, day=d) for d in person_days)
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        assert people_jobs.run_purge() == 4  # before 2027-06-15, two years before NOW
    db.session.expire_all()
    left = db.session.execute(select(ActivityDay.person_id, ActivityDay.day)).all()
    assert sorted(left) == sorted(
        [
            (jeanne.id, date(2027, 6, 20)),
            (jeanne.id, date(2029, 6, 14)),
            (paul.id, date(2027, 6, 16)),
            (paul.id, date(2028, 1, 1)),
        ]
    )


# Wellbeing -------------------------------------------------------------------------------


def test_checkins_and_closed_alerts_older_than_a_year_go_open_ones_stay(app, jeanne, paul):
    building_id = jeanne.building_id
    for person in (jeanne, paul):
        for day in (date(2027, 1, 1), date(2028, 6, 1), date(2028, 6, 20), date(2029, 6, 14)):
            db.session.add(Checkin(person_id=person.id, local_day=day, checked_at=ago(1)))
    missed = {
        "old_closed": (jeanne, date(2028, 1, 5), AlertStatus.REACHED),
        "old_late": (paul, date(2028, 2, 5), AlertStatus.CHECKED_IN),
        "old_open": (paul, date(2028, 3, 5), AlertStatus.OPEN),
        "young_closed": (jeanne, date(2029, 5, 5), AlertStatus.REACHED),
    }
    for person, day, status in missed.values():
        db.session.add(
            MissedCheckin(
                person_id=person.id,
                building_id=building_id,
                local_day=day,
                due_at=ago(1),
                status=status,
            )
        )
    calls = {
        "old_resolved": (jeanne, ago(400), False),
        "old_active": (paul, ago(400), True),
        "young_resolved": (paul, ago(10), False),
    }
    for person, at, active in calls.values():
        status = CallStatus.OPEN if active else CallStatus.RESOLVED
        db.session.add(
            HelpCall(
                person_id=person.id,
                building_id=building_id,
                created_at=at,
                active=active,
                status=status,
            )
        )
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        assert wellbeing_jobs.run_purge() == 4 + 2 + 1
    db.session.expire_all()
    checkins = db.session.execute(select(Checkin.person_id, Checkin.local_day)).all()
    assert sorted(checkins) == sorted(
        (p.id, d) for p in (jeanne, paul) for d in (date(2028, 6, 20), date(2029, 6, 14))
    )
    assert sorted(db.session.scalars(select(MissedCheckin.local_day))) == [
        date(2028, 3, 5),
        date(2029, 5, 5),
    ]
    left_calls = db.session.execute(select(HelpCall.person_id, HelpCall.active)).all()
    assert sorted(left_calls) == sorted([(paul.id, True), (paul.id, False)])


# Messages --------------------------------------------------------------------------------


def send(person: Person, conversation_id: int, **fields) -> int:
    result = messaging.do_send_message(
        person, conversation_id, client_id=str(uuid.uuid4()), **fields
    )
    return result.message.id


def send_photo(person: Person, conversation_id: int, colour: str) -> tuple[int, list[str]]:
    upload = messaging.do_save_upload(person, "photo", jpeg_bytes(colour))
    files = [n for n in (upload.file_name, upload.thumb_name) if n]
    return send(person, conversation_id, kind="photo", attachment_id=upload.id), files


@pytest.fixture
def conversations(app, building, jeanne, paul):
    """Messages two years old and more, and younger ones, in four conversations."""
    coordinator = make_staff(Role.COORDINATOR, [building], locale="en")
    direct = messaging.get_or_create_direct(jeanne, paul.id)
    group = messaging.do_create_group(jeanne, "Club tricot", [paul.id])
    quiet = messaging.do_create_group(paul, "Jardin", [jeanne.id])
    news = messaging.get_or_create_announcements(building.id)
    ids: dict[str, int] = {}
    with time_machine.travel(ago(800), tick=False):
        ids["direct_old"] = send(jeanne, direct.id, body="Bonjour Paul")
        ids["direct_photo"], photo_files = send_photo(jeanne, direct.id, "#33aa33")
        ids["group_reported"] = send(paul, group.id, body="Message signalé")
        ids["group_old"] = send(jeanne, group.id, body="Jeudi ?")
        ids["news_old"] = send(coordinator, news.id, body="Fête jeudi")
        messaging.do_toggle_reaction(jeanne, ids["news_old"], "👍")
        messaging.do_report(jeanne, ids["group_reported"], "pas gentil")
        messaging.do_report(paul, ids["direct_old"], "test")
        messaging.do_dismiss_reports(coordinator, ids["direct_old"])
        unsent_old = messaging.do_save_upload(jeanne, "photo", jpeg_bytes("#aa3333"))
        db.session.commit()
    with time_machine.travel(ago(729), tick=False):
        ids["quiet_recent"] = send(paul, quiet.id, body="Les tomates sont prêtes")
    with time_machine.travel(ago(10), tick=False):
        ids["direct_young"], young_files = send_photo(paul, direct.id, "#3333aa")
        unsent_young = messaging.do_save_upload(paul, "photo", jpeg_bytes("#aaaa33"))
        db.session.commit()
    return {
        "ids": ids,
        "direct": direct.id,
        "group": group.id,
        "quiet": quiet.id,
        "news": news.id,
        "photo_files": photo_files,
        "young_files": young_files,
        "unsent_old": (unsent_old.id, unsent_old.file_name),
        "unsent_young": (unsent_young.id, unsent_young.file_name),
    }


def test_messages_older_than_two_years_go_with_what_only_they_used(conversations, jeanne):
    ids = conversations["ids"]
    reads_before = dict(
        db.session.execute(
            select(Membership.person_id, Membership.last_read_message_id).where(
                Membership.conversation_id == conversations["direct"]
            )
        ).all()
    )
    with time_machine.travel(NOW, tick=False):
        assert messaging_jobs.run_purge() == 4 + 1  # four messages, one upload never sent
    db.session.expire_all()
    left = set(db.session.scalars(select(Message.id)))
    assert left == {ids["group_reported"], ids["quiet_recent"], ids["direct_young"]}
    # Their reactions and handled reports went with them; the open report stays.
    assert count(Reaction) == 0
    assert list(db.session.scalars(select(Report.message_id))) == [ids["group_reported"]]
    # Uploads: the old photo and the old unsent one went, rows and files.
    unsent_old_id, unsent_old_file = conversations["unsent_old"]
    assert not any(path_of(name).exists() for name in conversations["photo_files"])
    assert not path_of(unsent_old_file).exists()
    assert db.session.get(Attachment, unsent_old_id) is None
    assert all(path_of(name).exists() for name in conversations["young_files"])
    assert db.session.get(Attachment, conversations["unsent_young"][0]) is not None
    assert count(Attachment) == 2
    reads_after = dict(
        db.session.execute(
            select(Membership.person_id, Membership.last_read_message_id).where(
                Membership.conversation_id == conversations["direct"]
            )
        ).all()
    )
    assert reads_after == reads_before  # read pointers are ids: nothing to move


def test_a_conversation_points_at_its_newest_message_left_or_none(conversations, jeanne):
    ids = conversations["ids"]
    with time_machine.travel(NOW, tick=False):
        messaging_jobs.run_purge()
    db.session.expire_all()
    direct = db.session.get(Conversation, conversations["direct"])
    assert direct.last_message_id == ids["direct_young"]  # unchanged
    group = db.session.get(Conversation, conversations["group"])
    reported = db.session.get(Message, ids["group_reported"])
    assert (group.last_message_id, group.last_message_at) == (
        reported.id,
        reported.created_at,
    )
    news = db.session.get(Conversation, conversations["news"])
    assert (news.last_message_id, news.last_message_at) == (None, None)
    quiet = db.session.get(Conversation, conversations["quiet"])
    assert quiet.last_message_id == ids["quiet_recent"]
    # Read pointers are ids and stay; the inbox still lists every conversation, newest first.
    pointer = db.session.get(Membership, (conversations["direct"], jeanne.id))
    assert pointer.last_read_message_id == ids["direct_photo"]
    with time_machine.travel(NOW, tick=False):
        summaries = messaging.list_conversations(jeanne)
    listed = [s.conversation.id for s in summaries]
    assert listed.index(conversations["direct"]) < listed.index(conversations["news"])
    by_id = {s.conversation.id: s for s in summaries}
    assert by_id[conversations["news"]].last_message is None
    assert by_id[conversations["direct"]].unread == 1  # Paul's young photo only


def test_message_files_go_only_once_the_purge_is_committed(conversations):
    photo_files = conversations["photo_files"]
    messaging.purge_expired(NOW, 100)
    assert all(path_of(name).exists() for name in photo_files)
    db.session.rollback()  # the purge did not happen: the rows and the files stay
    assert all(path_of(name).exists() for name in photo_files)
    assert db.session.get(Message, conversations["ids"]["direct_photo"]) is not None
    assert messaging.purge_expired(NOW, 100) == 4
    assert all(path_of(name).exists() for name in photo_files)
    db.session.commit()
    assert not any(path_of(name).exists() for name in photo_files)
    assert all(path_of(name).exists() for name in conversations["young_files"])


# The pharmacy run left "taken" -----------------------------------------------------------


def pharmacy_run(requester: Person, helper: Person, opened: datetime, **fields) -> HelpRequest:
    """A pharmacy run asked and taken at `opened`, its window ending four hours later."""
    with time_machine.travel(opened, tick=False):
        start = opened + timedelta(hours=1)
        request = helping.do_create_request(
            requester,
            kind=fields.pop("kind", "pharmacy"),
            window_start=start,
            window_end=start + timedelta(hours=3),
            details=fields.pop("details", "Pharmacie du Centre"),
            health_consent=True,
        )
        helping.do_take(helper, request.id)
        db.session.commit()
    return request


def test_a_pharmacy_run_left_taken_is_erased_30_days_after_its_window(app, jeanne, paul):
    left = pharmacy_run(jeanne, paul, ago(31))  # window ended 30 days and 20 hours ago
    recent = pharmacy_run(jeanne, paul, ago(29))
    groceries = pharmacy_run(paul, jeanne, ago(60), kind="groceries", details="pain")
    with time_machine.travel(NOW, tick=False):
        exchange_jobs.run_help_jobs()
    db.session.expire_all()
    erased = db.session.get(HelpRequest, left.id)
    assert erased.details is None and erased.details_erased_at == NOW
    assert erased.status == HelpStatus.TAKEN  # only the health detail goes
    assert db.session.get(HelpRequest, recent.id).details == "Pharmacie du Centre"
    assert db.session.get(HelpRequest, groceries.id).details == "pain"
    assert helping.purge_health(NOW + timedelta(days=2)) == 1  # the recent one, in its turn


# Closed accounts -------------------------------------------------------------------------


@pytest.fixture
def manager(building):
    return make_staff(Role.MANAGER, [building], locale="en")


def give_photo(person: Person) -> None:
    people.do_update_profile(
        person,
        display_name="",
        languages="",
        interests="",
        can_help_with="",
        in_directory=False,
        photo=jpeg_bytes(),
    )


def close(manager: Person, person: Person, at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        people_admin.do_deactivate(manager, person)
        db.session.commit()


def test_a_closed_account_is_erased_180_days_after_closing(app, manager, jeanne, paul):
    marie = make_resident(make_building(manager.organisation), first_name="Marie")
    give_photo(jeanne)
    with time_machine.travel(ago(600), tick=False):
        louis = make_resident(jeanne.building, first_name="Louis")
        db.session.commit()
    photo = jeanne.photo_path
    jeanne_id, paul_id, louis_id = jeanne.id, paul.id, louis.id
    close(manager, jeanne, ago(181))
    close(manager, paul, ago(179))
    close(manager, louis, ago(400))
    with time_machine.travel(ago(200), tick=False):  # opened again: the delay no longer runs
        people_admin.do_reactivate(manager, louis)
        db.session.commit()
    with time_machine.travel(NOW, tick=False):
        assert datarights_jobs.run_erase_closed() == 1
    db.session.expire_all()
    assert db.session.get(Person, jeanne_id) is None
    assert not path_of(photo).exists()
    assert db.session.get(Person, paul_id) is not None  # closed 179 days ago
    assert db.session.get(Person, louis_id).active  # reopened
    assert db.session.get(Person, marie.id) is not None  # open, and in another building
    erased = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "person.erased")
    ).one()
    assert (erased.actor_id, erased.subject_id) == (None, None)
    assert erased.detail == {"closed_days": 180}
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        assert datarights_jobs.run_erase_closed() == 1  # Paul, in his turn
    db.session.expire_all()
    assert db.session.get(Person, paul_id) is None


def test_a_closed_account_erasure_keeps_its_files_until_committed(app, manager, jeanne):
    give_photo(jeanne)
    photo, jeanne_id = jeanne.photo_path, jeanne.id
    close(manager, jeanne, ago(200))
    assert erasure.do_erase_closed(jeanne_id, NOW) is True
    assert path_of(photo).exists()
    db.session.rollback()
    assert path_of(photo).exists()
    assert db.session.get(Person, jeanne_id) is not None
    assert erasure.do_erase_closed(jeanne_id, NOW) is True
    db.session.commit()
    assert not path_of(photo).exists()
    assert erasure.do_erase_closed(jeanne_id, NOW) is False  # nothing left to do


def test_one_failed_erasure_leaves_that_account_and_erases_the_others(
    app, manager, jeanne, paul, monkeypatch
):
    jeanne_id, paul_id = jeanne.id, paul.id
    close(manager, jeanne, ago(200))
    close(manager, paul, ago(200))
    real_erase = erasure.erase

    def failing_for_jeanne(person, **kwargs):
        result = real_erase(person, **kwargs)
        if person.id == jeanne_id:
            raise RuntimeError("the disk is full")
        return result

    monkeypatch.setattr(erasure, "erase", failing_for_jeanne)
    with time_machine.travel(NOW, tick=False), pytest.raises(ExceptionGroup):
        datarights_jobs.run_erase_closed()
    db.session.expire_all()
    assert db.session.get(Person, jeanne_id) is not None  # undone whole
    assert count(AuditEntry, AuditEntry.action == "person.erased") == 1
    assert db.session.get(Person, paul_id) is None


def test_a_change_to_a_closed_account_starts_its_delay_again(app, manager, jeanne):
    close(manager, jeanne, ago(181))
    with time_machine.travel(ago(5), tick=False):  # a manager edited the closed account
        jeanne.phone = "06 00 00 00 00"
        db.session.commit()
    with time_machine.travel(NOW, tick=False):
        assert erasure.list_closed_to_erase(NOW) == []
    assert erasure.list_closed_to_erase(NOW + timedelta(days=176)) == [jeanne.id]
