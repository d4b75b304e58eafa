"""Video calls' Socket.IO events: every one acknowledged; a call to someone one may not call
and a signal for a call one is not part of are refused; signals reach only the other screen
of the call, rebuilt from their checked fields."""

from __future__ import annotations

from messaging.calls import service
from messaging.calls.models import Call, CallOutcome, CallStatus
from portal.extensions import db

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n"}


def named(sock, name: str) -> list[dict]:
    return [m["args"][0] for m in sock.get_received() if m["name"] == name]


def start(caller_sock, callee, **extra) -> dict:
    return caller_sock.emit("call_start", {"callee_id": callee.id, **extra}, callback=True)


def test_a_call_to_someone_one_may_not_call_is_refused_by_the_server(cast, socket_client):
    jeanne, paul, julie = (socket_client(p) for p in (cast.jeanne, cast.paul, cast.stranger))
    paul.get_received()
    for caller, callee in ((jeanne, cast.paul), (julie, cast.jeanne), (jeanne, cast.manager)):
        ack = start(caller, callee)
        assert ack["ok"] is False and ack["error"] == "forbidden", ack
        assert ack["message"]
    assert named(paul, service.EVENT_RINGING) == []
    assert db.session.query(Call).count() == 0


def test_malformed_call_events_get_a_clear_acknowledgement(cast, socket_client):
    jeanne = socket_client(cast.jeanne)
    for event in ("call_start", "call_answer", "call_decline", "call_hangup", "call_signal"):
        for payload in (None, "x", {"call_id": "1", "callee_id": "2"}, {"call_id": True}):
            ack = jeanne.emit(event, payload, callback=True)
            assert ack["ok"] is False and ack["error"] == "bad_request", (event, payload)


def test_a_whole_call_between_the_tablet_and_a_relative(cast, socket_client):
    jeanne, julie = socket_client(cast.jeanne), socket_client(cast.julie)
    for sock in (jeanne, julie):
        sock.get_received()

    ack = start(julie, cast.jeanne)
    assert ack["ok"] is True and ack["ring_seconds"] == 45 and ack["ice_servers"] == []
    call_id = ack["call"]["id"]
    [ringing] = named(jeanne, service.EVENT_RINGING)
    assert ringing["id"] == call_id and ringing["caller"]["id"] == cast.julie.id

    caught = jeanne.emit("call_catch_up", {}, callback=True)
    assert [c["id"] for c in caught["ringing"]] == [call_id]

    answered = jeanne.emit("call_answer", {"call_id": call_id}, callback=True)
    assert answered["ok"] and answered["call"]["status"] == "active"
    assert [e["id"] for e in named(julie, service.EVENT_ANSWERED)] == [call_id]

    assert julie.emit("call_signal", {"call_id": call_id, "signal": OFFER}, callback=True) == {
        "ok": True
    }
    candidate = {
        "type": "candidate",
        "candidate": {"candidate": "candidate:1 1 udp 2 127.0.0.1 50000 typ host", "sdpMid": "0"},
        "note": "dropped",
    }
    jeanne.emit("call_signal", {"call_id": call_id, "signal": candidate}, callback=True)
    [offer] = named(jeanne, service.EVENT_SIGNAL)
    assert offer == {"call_id": call_id, "signal": OFFER}
    [relayed] = named(julie, service.EVENT_SIGNAL)
    assert relayed["signal"]["candidate"]["sdpMid"] == "0" and "note" not in relayed["signal"]

    hung = julie.emit("call_hangup", {"call_id": call_id}, callback=True)
    assert hung["ok"] and hung["call"]["outcome"] == "answered"
    for sock in (jeanne, julie):
        assert [e["id"] for e in named(sock, service.EVENT_ENDED)] == [call_id]
    late = julie.emit("call_signal", {"call_id": call_id, "signal": OFFER}, callback=True)
    assert late["ok"] is False and late["error"] == "ended"


def test_signals_for_a_call_one_is_not_part_of_are_refused(cast, socket_client):
    jeanne, coordinator, paul = (
        socket_client(p) for p in (cast.jeanne, cast.coordinator, cast.paul)
    )
    call_id = start(coordinator, cast.jeanne)["call"]["id"]
    jeanne.emit("call_answer", {"call_id": call_id}, callback=True)
    for sock in (jeanne, coordinator):
        sock.get_received()
    for event, payload in (
        ("call_signal", {"call_id": call_id, "signal": OFFER}),
        ("call_hangup", {"call_id": call_id}),
        ("call_answer", {"call_id": call_id}),
        ("call_decline", {"call_id": call_id}),
    ):
        ack = paul.emit(event, payload, callback=True)
        assert ack["ok"] is False and ack["error"] == "not_found", event
    assert named(jeanne, service.EVENT_SIGNAL) == []
    assert db.session.get(Call, call_id).status == CallStatus.ACTIVE


def test_the_callee_does_not_offer_and_oversized_signals_are_refused(cast, socket_client):
    jeanne, coordinator = socket_client(cast.jeanne), socket_client(cast.coordinator)
    call_id = start(coordinator, cast.jeanne)["call"]["id"]
    jeanne.emit("call_answer", {"call_id": call_id}, callback=True)
    ack = jeanne.emit("call_signal", {"call_id": call_id, "signal": OFFER}, callback=True)
    assert ack["error"] == "bad_signal"
    huge = {"type": "offer", "sdp": "a" * (service.MAX_SDP + 1)}
    ack = coordinator.emit("call_signal", {"call_id": call_id, "signal": huge}, callback=True)
    assert ack["error"] == "bad_signal"


def test_not_now_ends_the_call_for_both(cast, socket_client):
    jeanne, coordinator = socket_client(cast.jeanne), socket_client(cast.coordinator)
    call_id = start(coordinator, cast.jeanne)["call"]["id"]
    for sock in (jeanne, coordinator):
        sock.get_received()
    ack = jeanne.emit("call_decline", {"call_id": call_id}, callback=True)
    assert ack["ok"] and ack["call"]["outcome"] == "declined"
    [ended] = named(coordinator, service.EVENT_ENDED)
    assert ended["outcome"] == "declined"


def test_a_screen_that_leaves_a_call_ends_it(cast, socket_client):
    jeanne, coordinator = socket_client(cast.jeanne), socket_client(cast.coordinator)
    call_id = start(coordinator, cast.jeanne)["call"]["id"]
    jeanne.emit("call_answer", {"call_id": call_id}, callback=True)
    jeanne.get_received()
    coordinator.disconnect()
    db.session.expire_all()
    call = db.session.get(Call, call_id)
    assert call.status == CallStatus.ENDED and call.outcome == CallOutcome.ANSWERED
    assert [e["id"] for e in named(jeanne, service.EVENT_ENDED)] == [call_id]


def test_the_callee_is_busy_during_a_call(cast, socket_client):
    coordinator, julie = socket_client(cast.coordinator), socket_client(cast.julie)
    start(coordinator, cast.jeanne)
    ack = start(julie, cast.jeanne)
    assert ack["ok"] is False and ack["error"] == "busy" and "Jeanne" in ack["message"]


def test_signals_reach_only_the_screen_that_answered(cast, socket_client):
    kitchen, bedroom = socket_client(cast.jeanne), socket_client(cast.jeanne)
    coordinator = socket_client(cast.coordinator)
    call_id = start(coordinator, cast.jeanne)["call"]["id"]
    assert len(named(kitchen, service.EVENT_RINGING)) == 1  # both screens ring
    assert len(named(bedroom, service.EVENT_RINGING)) == 1
    bedroom.emit("call_answer", {"call_id": call_id}, callback=True)
    assert [e["id"] for e in named(kitchen, service.EVENT_ANSWERED)] == [call_id]  # stops ringing
    bedroom.get_received()
    coordinator.emit("call_signal", {"call_id": call_id, "signal": OFFER}, callback=True)
    assert len(named(bedroom, service.EVENT_SIGNAL)) == 1
    assert named(kitchen, service.EVENT_SIGNAL) == []
    candidate = {"type": "candidate", "candidate": {"candidate": ""}}
    ack = kitchen.emit("call_signal", {"call_id": call_id, "signal": candidate}, callback=True)
    assert ack["ok"] is False and ack["error"] == "other_screen"
