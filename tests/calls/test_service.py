"""Video calls' service: who may call whom, the life of a call, the missed-call message, the
jobs that settle forgotten calls, the log's retention and its part of data rights."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from messaging import service as messaging
from messaging.calls import ice, jobs, service
from messaging.calls.models import Call, CallOutcome, CallStatus
from messaging.calls.privacy import export_calls
from messaging.calls.rules import may_call
from messaging.models import Message
from portal.datarights import erasure
from portal.extensions import db
from tests.conftest import code

NOW = datetime(2027, 3, 2, 15, 0, tzinfo=UTC)


def messages_in(conversation_id: int) -> list[Message]:
    return list(
        db.session.scalars(
            select(Message).where(Message.conversation_id == conversation_id).order_by(Message.id)
        )
    )


# Who may call whom -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "allowed"),
    [
        ("jeanne", "coordinator", True),
        ("jeanne", "concierge", True),
        ("jeanne", "julie", True),
        ("jeanne", "manager", False),
        ("jeanne", "other_coordinator", False),
        ("jeanne", "paul", False),
        ("jeanne", "stranger", False),
        ("jeanne", "outsider", False),
        ("jeanne", "jeanne", False),
        ("coordinator", "concierge", False),
        ("julie", "coordinator", False),
        ("julie", "paul", False),
        ("stranger", "paul", True),
    ],
)
def test_may_call_is_resident_with_staff_of_her_building_or_her_circle(cast, a, b, allowed):
    first, second = getattr(cast, a), getattr(cast, b)
    assert may_call(first, second) is allowed
    assert may_call(second, first) is allowed  # either side may start the call


def test_a_closed_account_may_no_longer_call_or_be_called(cast):
    cast.julie.active = False
    assert may_call(cast.jeanne, cast.julie) is False
    assert may_call(cast.julie, cast.jeanne) is False


def test_starting_a_call_to_someone_one_may_not_call_is_forbidden(cast, events):
    for caller, callee in ((cast.jeanne, cast.paul), (cast.stranger, cast.jeanne)):
        assert code(service.do_start_call, caller, callee.id) == "forbidden"
    assert code(service.do_start_call, cast.jeanne, 999_999) == "forbidden"
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Call)) == 0
    assert events.named(service.EVENT_RINGING) == []


# The life of a call ----------------------------------------------------------------------


def test_a_call_rings_only_on_the_callees_screens(cast, events):
    call = service.do_start_call(cast.coordinator, cast.jeanne.id)
    db.session.commit()
    assert call.status == CallStatus.RINGING and call.outcome is None
    ringing = events.named(service.EVENT_RINGING)
    assert [e.to for e in ringing] == [f"user:{cast.jeanne.id}"]
    assert ringing[0].payload["caller"]["name"] == cast.coordinator.full_name
    avatar = ringing[0].payload["caller"]["avatar_url"]
    assert avatar.startswith(f"/people/{cast.coordinator.id}/avatar")
    assert ringing[0].payload["ring_seconds"] == 45


def test_answering_makes_the_call_active_and_tells_both(cast, events):
    call = service.do_start_call(cast.jeanne, cast.julie.id)
    db.session.commit()
    assert code(service.do_answer_call, cast.jeanne, call.id) == "not_found"  # the caller
    assert code(service.do_answer_call, cast.paul, call.id) == "not_found"  # not in it
    service.do_answer_call(cast.julie, call.id, sid="julie-screen")
    db.session.commit()
    assert call.status == CallStatus.ACTIVE and call.answered_at is not None
    assert call.callee_sid == "julie-screen"
    rooms = {e.to for e in events.named(service.EVENT_ANSWERED)}
    assert rooms == {f"user:{cast.jeanne.id}", f"user:{cast.julie.id}"}
    assert code(service.do_answer_call, cast.julie, call.id) == "ended"  # only once


def test_hanging_up_ends_an_answered_call_for_both_with_its_length(cast, events):
    with time_machine.travel(NOW, tick=False):
        call = service.do_start_call(cast.jeanne, cast.coordinator.id)
        service.do_answer_call(cast.coordinator, call.id)
    with time_machine.travel(NOW + timedelta(minutes=3, seconds=20), tick=False):
        service.do_hang_up(cast.coordinator, call.id)
    db.session.commit()
    assert call.status == CallStatus.ENDED and call.outcome == CallOutcome.ANSWERED
    assert call.duration_seconds == 200
    assert call.caller_sid is None and call.callee_sid is None
    ended = events.named(service.EVENT_ENDED)
    assert {e.to for e in ended} == {f"user:{cast.jeanne.id}", f"user:{cast.coordinator.id}"}
    assert messages_in(call.conversation_id) == []  # an answered call leaves no message
    service.do_hang_up(cast.jeanne, call.id)  # hanging up again changes nothing
    assert call.outcome == CallOutcome.ANSWERED
    assert code(service.do_hang_up, cast.paul, call.id) == "not_found"


def test_not_now_leaves_a_missed_call_in_their_conversation(cast):
    conversation = messaging.get_or_create_direct(cast.jeanne, cast.coordinator.id)
    call = service.do_start_call(cast.coordinator, cast.jeanne.id, conversation_id=conversation.id)
    service.do_decline_call(cast.jeanne, call.id)
    db.session.commit()
    assert call.outcome == CallOutcome.DECLINED and call.conversation_id == conversation.id
    [message] = messages_in(conversation.id)
    assert message.sender_id == cast.coordinator.id
    assert cast.coordinator.full_name in message.body
    assert message.client_id == f"call-{call.id}-missed"
    assert code(service.do_decline_call, cast.coordinator, call.id) == "not_found"


def test_a_caller_who_gives_up_leaves_a_missed_call_in_the_family_conversation(cast):
    call = service.do_start_call(cast.julie, cast.jeanne.id)
    service.do_hang_up(cast.julie, call.id)
    db.session.commit()
    assert call.outcome == CallOutcome.MISSED
    conversation = db.session.get(messaging.Conversation, call.conversation_id)
    assert messaging.direct_partner_id(conversation, cast.jeanne.id) == cast.julie.id
    [message] = messages_in(conversation.id)
    assert message.sender_id == cast.julie.id and "Julie" in message.body


def test_the_missed_call_is_written_in_the_language_of_the_one_who_missed_it(cast, app):
    assert cast.jeanne.locale == "fr"
    text = service.missed_call_text(cast.coordinator, cast.jeanne)
    assert cast.coordinator.full_name in text
    cast.jeanne.locale = "en"
    assert service.missed_call_text(cast.coordinator, cast.jeanne) == (
        f"Missed video call from {cast.coordinator.full_name}"
    )


def test_a_call_cannot_start_from_someone_elses_conversation(cast):
    neighbours = messaging.get_or_create_direct(cast.jeanne, cast.paul.id)
    assert (
        code(service.do_start_call, cast.jeanne, cast.coordinator.id, conversation_id=neighbours.id)
        == "bad_conversation"
    )
    theirs = messaging.get_or_create_direct(cast.paul, cast.concierge.id)
    assert (
        code(service.do_start_call, cast.jeanne, cast.concierge.id, conversation_id=theirs.id)
        == "not_found"
    )


def test_staff_may_call_from_the_residents_desk_conversation(cast):
    desk = messaging.get_or_create_desk(cast.jeanne)
    call = service.do_start_call(cast.concierge, cast.jeanne.id, conversation_id=desk.id)
    assert call.conversation_id == desk.id
    assert service.call_target(cast.concierge, desk).id == cast.jeanne.id
    assert service.call_target(cast.jeanne, desk) is None


def test_call_target_is_the_conversations_other_person_when_they_may_call(cast):
    with_staff = messaging.get_or_create_direct(cast.jeanne, cast.coordinator.id)
    neighbours = messaging.get_or_create_direct(cast.jeanne, cast.paul.id)
    assert service.call_target(cast.jeanne, with_staff).id == cast.coordinator.id
    assert service.call_target(cast.coordinator, with_staff).id == cast.jeanne.id
    assert service.call_target(cast.jeanne, neighbours) is None


def test_someone_already_in_a_call_is_busy(cast):
    service.do_start_call(cast.coordinator, cast.jeanne.id)
    db.session.commit()
    assert code(service.do_start_call, cast.julie, cast.jeanne.id) == "busy"


def test_starting_a_new_call_ends_the_callers_previous_one(cast):
    first = service.do_start_call(cast.jeanne, cast.coordinator.id)
    second = service.do_start_call(cast.jeanne, cast.julie.id)
    db.session.commit()
    assert first.status == CallStatus.ENDED and first.outcome == CallOutcome.MISSED
    assert second.status == CallStatus.RINGING


def test_a_call_rung_out_cannot_be_answered_and_frees_the_callee(cast):
    with time_machine.travel(NOW, tick=False):
        call = service.do_start_call(cast.coordinator, cast.jeanne.id)
        db.session.commit()
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        assert service.list_ringing_for(cast.jeanne) == []
        assert code(service.do_answer_call, cast.jeanne, call.id) == "ended"
        again = service.do_start_call(cast.julie, cast.jeanne.id)  # no longer busy
    assert again.status == CallStatus.RINGING


def test_losing_the_connection_of_a_screen_in_a_call_ends_it(cast, events):
    call = service.do_start_call(cast.jeanne, cast.coordinator.id, sid="tablet")
    service.do_answer_call(cast.coordinator, call.id, sid="desk-pc")
    db.session.commit()
    assert service.do_end_for_connection("another-screen") == 0
    assert service.do_end_for_connection("desk-pc") == 1
    db.session.commit()
    assert call.status == CallStatus.ENDED and call.outcome == CallOutcome.ANSWERED
    assert len(events.named(service.EVENT_ENDED)) == 2


# Signals ----------------------------------------------------------------------------------


def test_a_signal_is_rebuilt_from_its_checked_fields_only(cast):
    offer = service.check_signal({"type": "offer", "sdp": "v=0\r\n", "extra": "<script>"})
    assert offer == {"type": "offer", "sdp": "v=0\r\n"}
    candidate = service.check_signal(
        {
            "type": "candidate",
            "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host", "x": 1},
        }
    )
    assert candidate["candidate"] == {
        "candidate": "candidate:1 1 udp 1 127.0.0.1 5000 typ host",
        "sdpMid": None,
        "sdpMLineIndex": None,
        "usernameFragment": None,
    }
    for wrong in (
        None,
        "offer",
        {"type": "offer"},
        {"type": "offer", "sdp": "x" * (service.MAX_SDP + 1)},
        {"type": "bye"},
        {"type": "candidate", "candidate": "x"},
        {"type": "candidate", "candidate": {"candidate": 1}},
        {"type": "candidate", "candidate": {"candidate": "", "sdpMLineIndex": True}},
        {"type": "candidate", "candidate": {"candidate": "", "sdpMLineIndex": 999}},
    ):
        assert code(service.check_signal, wrong) in {"bad_signal", "bad_request"}, wrong


def test_signals_belong_to_a_call_under_way_between_people_who_may_call(cast):
    call = service.do_start_call(cast.jeanne, cast.julie.id, sid="tablet")
    db.session.commit()
    offer = {"type": "offer", "sdp": "v=0\r\n"}
    assert code(service.send_signal, cast.jeanne, call.id, offer, sid="tablet") == "ended"
    service.do_answer_call(cast.julie, call.id, sid="phone")
    db.session.commit()
    assert code(service.send_signal, cast.paul, call.id, offer) == "not_found"
    assert code(service.send_signal, cast.jeanne, call.id, offer, sid="kitchen") == "other_screen"
    assert code(service.send_signal, cast.julie, call.id, offer, sid="phone") == "bad_signal"
    service.send_signal(cast.jeanne, call.id, offer, sid="tablet")
    cast.julie.active = False  # her account closed meanwhile: the next signal is refused
    assert code(service.send_signal, cast.jeanne, call.id, offer, sid="tablet") == "forbidden"


# ICE servers ------------------------------------------------------------------------------


def test_ice_servers_are_configuration_with_short_lived_turn_logins(cast, app):
    assert ice.ice_servers(cast.jeanne) == []
    app.config.update(
        CALLS_STUN_URLS=("stun:turn.example.org:3478",),
        CALLS_TURN_URLS=("turn:turn.example.org:3478?transport=udp",),
        CALLS_TURN_SECRET="s3cret",
        CALLS_TURN_TTL_SECONDS=3600,
    )
    with time_machine.travel(NOW, tick=False):
        stun, turn = ice.ice_servers(cast.jeanne)
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    expiry = int(NOW.timestamp()) + 3600
    assert turn["username"] == f"{expiry}:{cast.jeanne.id}"
    # coturn's use-auth-secret: base64(HMAC-SHA1(secret, username)).
    digest = hmac.new(b"s3cret", turn["username"].encode(), hashlib.sha1).digest()
    assert turn["credential"] == base64.b64encode(digest).decode()
    app.config.update(CALLS_TURN_SECRET=None, CALLS_TURN_USERNAME="bv", CALLS_TURN_PASSWORD="pw")
    assert ice.ice_servers(cast.jeanne)[1]["username"] == "bv"


def test_ice_settings_are_read_from_the_environment():
    from portal.config import from_env

    found = from_env(
        {
            "BV_STUN_URLS": "stun:a.example:3478, stun:b.example:3478",
            "BV_TURN_URLS": "turns:a.example:5349",
            "BV_TURN_SECRET": "x",
            "BV_CALLS_RING_SECONDS": "30",
        }
    )
    assert found["CALLS_STUN_URLS"] == ("stun:a.example:3478", "stun:b.example:3478")
    assert found["CALLS_TURN_URLS"] == ("turns:a.example:5349",)
    assert found["CALLS_TURN_SECRET"] == "x" and found["CALLS_RING_SECONDS"] == 30


# Jobs, retention, data rights ---------------------------------------------------------------


def test_the_minute_job_settles_calls_whose_screens_went_away(cast, events):
    with time_machine.travel(NOW, tick=False):
        rung = service.do_start_call(cast.coordinator, cast.jeanne.id)
        db.session.commit()
    with time_machine.travel(NOW + timedelta(seconds=30), tick=False):
        assert jobs.run_stale() == 0
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        assert jobs.run_stale() == 1
        db.session.commit()
    assert rung.outcome == CallOutcome.MISSED
    assert len(messages_in(rung.conversation_id)) == 1
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        long_call = service.do_start_call(cast.jeanne, cast.julie.id)
        service.do_answer_call(cast.julie, long_call.id)
        db.session.commit()
    with time_machine.travel(NOW + timedelta(minutes=5 + 241), tick=False):
        assert jobs.run_stale() == 1
        db.session.commit()
    assert long_call.outcome == CallOutcome.ANSWERED and long_call.duration_seconds == 241 * 60


def test_the_call_log_is_purged_after_the_messages_retention(cast, app):
    with time_machine.travel(NOW - timedelta(days=731), tick=False):
        old = service.do_start_call(cast.jeanne, cast.julie.id)
        service.do_hang_up(cast.jeanne, old.id)
    with time_machine.travel(NOW - timedelta(days=729), tick=False):
        recent = service.do_start_call(cast.jeanne, cast.julie.id)
        service.do_hang_up(cast.jeanne, recent.id)
    db.session.commit()
    old_id, recent_id = old.id, recent.id
    with time_machine.travel(NOW, tick=False):
        assert jobs.run_purge() == 1
    assert db.session.get(Call, old_id) is None
    assert db.session.get(Call, recent_id) is not None


def test_the_log_is_in_my_data_and_stays_for_the_other_after_erasure(cast):
    call = service.do_start_call(cast.jeanne, cast.julie.id)
    service.do_answer_call(cast.julie, call.id)
    service.do_hang_up(cast.jeanne, call.id)
    db.session.commit()
    [entry] = export_calls(cast.jeanne)
    assert entry["direction"] == "outgoing" and entry["other_person_id"] == cast.julie.id
    assert entry["outcome"] == CallOutcome.ANSWERED
    assert export_calls(cast.julie)[0]["direction"] == "incoming"
    call_id = call.id
    erasure.erase(cast.julie, actor=None)
    db.session.commit()
    kept = db.session.get(Call, call_id)
    assert kept is not None and kept.callee_id is None and kept.caller_id == cast.jeanne.id
    erasure.erase(cast.jeanne, actor=None)
    db.session.commit()
    assert db.session.get(Call, call_id) is None  # nobody left on either side
