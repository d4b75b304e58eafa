"""The neighbour service exchange: asking, offering, taking, thanks and health details."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from concierge.exchange import service as helping
from concierge.exchange.models import HealthAccessLog, HelpRequest, HelpStatus
from messaging import service as messaging
from portal.errors import DomainError
from portal.extensions import db
from portal.factory import create_app
from portal.notifications.models import Notification
from portal.people.models import Role
from tests.conftest import code
from tests.factories import make_building, make_resident, make_staff
from tests.live import postgres_schema


def soon(hours: float = 1) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)


def ask(person, kind="groceries", **kwargs) -> HelpRequest:
    start = kwargs.pop("window_start", soon())
    end = kwargs.pop("window_end", start + timedelta(hours=3))
    return helping.do_create_request(
        person, kind=kind, window_start=start, window_end=end, **kwargs
    )


def notifications_of(person) -> list[str]:
    stmt = select(Notification.title).where(Notification.person_id == person.id)
    return list(db.session.scalars(stmt))


@pytest.fixture
def building(app):
    return make_building()


@pytest.fixture
def jeanne(building):
    return make_resident(building, first_name="Jeanne", locale="en")


@pytest.fixture
def paul(building):
    return make_resident(building, first_name="Paul", locale="en")


@pytest.fixture
def lucie(building):
    return make_resident(building, first_name="Lucie", locale="en")


@pytest.fixture
def concierge(building):
    return make_staff(Role.CONCIERGE, [building], locale="en")


@pytest.fixture
def coordinator(building):
    return make_staff(Role.COORDINATOR, [building], locale="en")


def test_neighbours_offering_that_help_are_told_live(jeanne, paul, lucie, events):
    helping.do_save_offer(paul, "groceries", "le mardi")
    helping.do_save_offer(lucie, "tablet")
    request = ask(jeanne, details="pain, lait, pommes")
    db.session.commit()  # as the request that asked does: its events leave with the commit
    assert request.status == HelpStatus.OPEN
    told = [e.to for e in events.named("portal.notification_created")]
    assert told == [f"user:{paul.id}"]
    assert "Jeanne" in notifications_of(paul)[0]
    expected = {"request_id": request.id, "status": "open", "kind": "groceries"}
    assert events.named(helping.EVENT_CHANGED)[-1].payload == expected


def test_the_board_shows_urgent_first_then_newest(jeanne, paul, lucie):
    first = ask(jeanne, urgency="flexible")
    second = ask(paul, urgency="soon")
    urgent = ask(lucie, urgency="urgent")
    newest = ask(jeanne, urgency="soon", kind="company")
    assert [r.id for r in helping.list_open(paul)] == [urgent.id, newest.id, second.id, first.id]
    assert [r.id for r in helping.list_open(paul, helping.HelpKind.COMPANY)] == [newest.id]


def test_bad_input_is_refused_and_nothing_is_stored(jeanne, db):
    start = soon()
    assert code(ask, jeanne, kind="spaceship") == "bad_kind"
    assert code(ask, jeanne, urgency="yesterday") == "bad_urgency"
    assert code(ask, jeanne, window_start=start, window_end=start) == "end_before_start"
    assert code(ask, jeanne, window_start=soon(-5), window_end=soon(-4)) == "past"
    assert code(ask, jeanne, window_end=start + timedelta(days=20)) == "window_too_long"
    assert code(ask, jeanne, details="x" * 1001) == "details_too_long"
    assert code(ask, jeanne, kind="pharmacy", details="Pharmacie du Centre") == "consent_needed"
    assert code(ask, jeanne, kind="pharmacy", health_consent=True) == "bad_pharmacy"
    assert db.session.scalar(select(func.count(HelpRequest.id))) == 0


def test_taking_opens_a_conversation_and_tells_the_requester(jeanne, paul, events):
    request = ask(jeanne)
    helping.do_take(paul, request.id)
    db.session.commit()  # as the request that took it does: its events leave with the commit
    assert request.status == HelpStatus.TAKEN and request.helper_id == paul.id
    conversation = messaging.access_conversation(jeanne, request.conversation_id)
    assert messaging.may_read(paul, conversation)
    messages = messaging.list_messages(jeanne, conversation)
    assert len(messages) == 1 and "Groceries" in messages[0].body
    assert any("Paul" in title for title in notifications_of(jeanne))
    rooms = {e.to for e in events.named(helping.EVENT_CHANGED)}
    assert {f"user:{jeanne.id}", f"user:{paul.id}", f"building:{jeanne.building_id}"} <= rooms


def test_a_taken_request_cannot_be_taken_again_or_by_its_requester(jeanne, paul, lucie):
    request = ask(jeanne)
    assert code(helping.do_take, jeanne, request.id) == "own_request"
    helping.do_take(paul, request.id)
    assert code(helping.do_take, lucie, request.id) == "taken"


def test_a_neighbour_of_another_building_cannot_see_or_take(jeanne):
    request = ask(jeanne)
    stranger = make_resident(make_building())
    assert code(helping.do_take, stranger, request.id) == "not_found"
    assert code(helping.access_request, stranger, request.id) == "not_found"
    assert helping.list_open(stranger) == []


def test_full_workflow_done_then_thanked_counts_on_the_helpers_profile(jeanne, paul):
    request = ask(jeanne)
    helping.do_take(paul, request.id)
    assert code(helping.do_thank, jeanne, request.id) == "not_done"
    assert code(helping.do_mark_done, paul, request.id, "7") == "bad_minutes"
    helping.do_mark_done(paul, request.id, "90")
    assert request.status == HelpStatus.DONE and request.minutes_given == 90
    helping.do_thank(jeanne, request.id, "Merci Paul, les pommes étaient parfaites !")
    assert request.status == HelpStatus.THANKED
    assert any("les pommes" in title for title in notifications_of(paul))
    stats = helping.get_helper_stats(paul.id)
    assert (stats.thanks, stats.done, stats.hours) == (1, 1, 1.5)


def test_requester_releases_a_helper_who_did_not_come(jeanne, paul, lucie):
    request = ask(jeanne)
    helping.do_take(paul, request.id)
    assert code(helping.do_release, lucie, request.id) == "not_requester"
    helping.do_release(jeanne, request.id)
    assert request.status == HelpStatus.OPEN and request.helper_id is None
    assert any("another neighbour" in title for title in notifications_of(paul))
    helping.do_take(lucie, request.id)
    assert request.helper_id == lucie.id


def test_helper_gives_back_and_requester_cancels(jeanne, paul):
    request = ask(jeanne)
    helping.do_take(paul, request.id)
    assert code(helping.do_give_back, jeanne, request.id) == "not_helper"
    helping.do_give_back(paul, request.id)
    assert request.status == HelpStatus.OPEN
    assert any("open again" in title for title in notifications_of(jeanne))
    helping.do_cancel(jeanne, request.id)
    assert request.status == HelpStatus.CANCELLED
    assert code(helping.do_cancel, jeanne, request.id) == "closed"


def test_pharmacy_details_are_for_requester_helper_and_concierge_only(
    jeanne, paul, lucie, concierge, coordinator
):
    request = ask(jeanne, kind="pharmacy", details="Pharmacie des Tilleuls", health_consent=True)
    helping.do_take(paul, request.id)
    for entitled in (jeanne, paul, concierge):
        assert helping.get_details(entitled, request, "page") == "Pharmacie des Tilleuls"
    for other in (lucie, coordinator):
        assert code(helping.get_details, other, request, "page") == "forbidden"
    assert "details" not in helping.request_payload(jeanne, request)
    logs = db.session.scalars(select(HealthAccessLog)).all()
    expected = [(jeanne.id, "page"), (paul.id, "page"), (concierge.id, "page")]
    assert [(log.viewer_id, log.channel) for log in logs] == expected
    assert all("Pharmacie" not in repr(vars(log)) for log in logs)


def test_a_shopping_list_is_readable_by_the_building_and_not_audited(jeanne, lucie):
    request = ask(jeanne, details="pain")
    assert helping.get_details(lucie, request, "page") == "pain"
    assert db.session.scalar(select(func.count(HealthAccessLog.id))) == 0


def test_staff_post_for_a_resident_without_a_tablet(jeanne, paul, coordinator):
    request = ask(coordinator, requester_id=jeanne.id, kind="company")
    assert request.requester_id == jeanne.id and request.posted_by_id == coordinator.id
    assert code(ask, coordinator) == "bad_requester"
    assert code(ask, paul, requester_id=jeanne.id) == "bad_requester"
    other = make_resident(make_building())
    assert code(ask, coordinator, requester_id=other.id) == "bad_requester"
    helping.do_cancel(coordinator, request.id)
    assert request.status == HelpStatus.CANCELLED


def test_concierge_proposes_a_neighbour_who_declines_then_another_accepts(
    jeanne, paul, lucie, concierge
):
    request = ask(jeanne, kind="repair")
    helping.do_save_offer(paul, "repair", "le soir")
    helping.do_save_offer(lucie, "repair")
    assert code(helping.do_propose, paul, request.id, lucie.id) == "forbidden"
    stranger = make_resident(jeanne.building, first_name="Marc")
    assert code(helping.do_propose, concierge, request.id, stranger.id) == "bad_neighbour"
    helping.do_propose(concierge, request.id, paul.id)
    assert [r.id for r in helping.list_helping(paul)] == [request.id]
    assert code(helping.do_decline, lucie, request.id) == "not_proposed"
    helping.do_decline(paul, request.id)
    assert request.proposed_to_id is None
    assert any("Paul" in title for title in notifications_of(concierge))
    helping.do_propose(concierge, request.id, lucie.id)
    helping.do_take(lucie, request.id)
    assert request.helper_id == lucie.id and request.proposed_to_id is None


def test_the_concierge_can_take_a_request_on(jeanne, concierge):
    request = ask(jeanne)
    helping.do_take(concierge, request.id)
    assert request.helper_id == concierge.id and request.conversation_id is not None


def test_offers_are_one_per_kind_and_can_be_withdrawn(paul, lucie, concierge):
    helping.do_save_offer(paul, "tablet", "après l'école")
    helping.do_save_offer(paul, "tablet", "le mercredi")
    offers = helping.list_my_offers(paul)
    assert [(o.kind.value, o.availability) for o in offers] == [("tablet", "le mercredi")]
    assert code(helping.do_save_offer, concierge, "tablet") == "forbidden"
    offer = helping.list_my_offers(paul)[0]
    assert code(helping.do_withdraw_offer, lucie, offer.id) == "not_found"
    helping.do_withdraw_offer(paul, offer.id)
    assert helping.list_offers(lucie) == []


def test_thanks_shown_to_neighbours_only_with_consent(paul):
    assert helping.shows_thanks(paul.id) is False
    helping.do_set_show_thanks(paul, True)
    assert helping.shows_thanks(paul.id) is True


def test_figures_count_requests_help_and_hours(jeanne, paul, lucie, coordinator):
    done = ask(jeanne)
    helping.do_take(paul, done.id)
    helping.do_mark_done(paul, done.id, 60)
    helping.do_thank(jeanne, done.id)
    ask(lucie, kind="company")
    cancelled = ask(jeanne, kind="company")
    helping.do_cancel(jeanne, cancelled.id)
    figures = helping.get_figures(coordinator, jeanne.building_id, soon(-24))
    by_kind = {k.kind.value: k for k in figures.kinds}
    counted = (figures.asked, figures.helped, figures.hours, figures.helpers, figures.thanks)
    assert counted == (3, 1, 1.0, 1, 1)
    assert (by_kind["company"].asked, by_kind["company"].cancelled) == (2, 1)
    assert code(helping.get_figures, jeanne, jeanne.building_id, soon(-24)) == "forbidden"


def race_to_take(uri: str, runners: int = 6) -> list[str]:
    """Several neighbours tap "I'll do it" at the same moment, each in its own thread."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        db.create_all()
        building = make_building()
        requester = make_resident(building, pin=None)
        request_id = ask(requester).id
        ids = [make_resident(building, pin=None).id for _ in range(runners)]
        db.session.commit()  # the runners read it through their own connections
        db.session.remove()
    barrier = threading.Barrier(runners)
    outcomes: list[str] = []

    def run(person_id: int) -> None:
        with app.app_context(), app.test_request_context():
            from portal.people.models import Person

            person = db.session.get(Person, person_id)
            barrier.wait()
            try:
                helping.do_take(person, request_id)
                db.session.commit()  # as the request or socket event that takes it does
                outcomes.append("won")
            except DomainError as error:
                outcomes.append(error.code)
            except Exception as error:
                outcomes.append(f"error: {error!r}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(pid,)) for pid in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with app.app_context():
        stored = db.session.get(HelpRequest, request_id)
        assert stored is not None and stored.helper_id in ids
        db.session.remove()
        db.engine.dispose()
    return sorted(outcomes)


def test_two_neighbours_taking_at_once_on_sqlite_one_wins(tmp_path):
    outcomes = race_to_take(f"sqlite:///{tmp_path / 'race.sqlite3'}")
    assert outcomes == ["taken"] * 5 + ["won"]


@pytest.mark.postgres
def test_two_neighbours_taking_at_once_on_postgresql_one_wins():
    with postgres_schema("helprace") as url:
        assert race_to_take(url) == ["taken"] * 5 + ["won"]


def test_the_demo_shows_requests_offers_and_thanks(app):
    from portal.demo import load_demo

    summary = load_demo()
    jeanne = summary.showcase[0][0]
    assert {r.kind.value for r in helping.list_open(jeanne)} == {"groceries", "company"}
    assert len(helping.list_offers(jeanne)) == 3
    thanked = helping.list_thanks_notes(helping.list_offers(jeanne)[-1][1].id)
    assert [r.thanks_note for r in thanked] == ["Merci, c'est magique de voir les photos !"]
    load_demo()  # a second run adds nothing
    assert len(helping.list_open(jeanne)) == 2
