"""Live events of the referrals reach the building's coordinators and the partner who sent
it, and nobody else; a partner's socket joins no room of a building."""

from __future__ import annotations

from portal.extensions import db, socketio
from portal.referrals import service
from portal.wellbeing import service as wellbeing
from tests.referrals.conftest import Cast, send


def names(sock) -> list[str]:
    return [event["name"] for event in sock.get_received()]


def rooms_of(sock) -> set[str]:
    manager = socketio.server.manager
    sid = manager.sid_from_eio_sid(sock.eio_sid, "/")
    return {room for room in manager.get_rooms(sid, "/") if room != sid}


def test_a_partners_socket_joins_only_their_own_room(socket_client, cast: Cast):
    assert rooms_of(socket_client(cast.partner)) == {f"user:{cast.partner.id}"}
    assert f"referrals:{cast.building.id}" in rooms_of(socket_client(cast.coordinator))
    assert f"referrals:{cast.building.id}" not in rooms_of(socket_client(cast.concierge))


def test_a_referral_reaches_the_coordinator_live_and_its_answer_the_partner(
    socket_client, cast: Cast
):
    coordinator = socket_client(cast.coordinator)
    manager = socket_client(cast.manager)
    concierge = socket_client(cast.concierge)
    far = socket_client(cast.other_coordinator)
    partner = socket_client(cast.partner)
    colleague = socket_client(cast.other_partner)
    for sock in (coordinator, manager, concierge, far, partner, colleague):
        sock.get_received()
    referral = send(cast)
    assert service.EVENT_CHANGED in names(coordinator)
    assert service.EVENT_CHANGED in names(manager)
    assert service.EVENT_CHANGED not in names(concierge)
    assert names(far) == []
    assert service.EVENT_CHANGED in names(partner)
    service.do_answer(cast.coordinator, referral.id, "in_progress", "")
    db.session.commit()
    [changed] = [e for e in partner.get_received() if e["name"] == service.EVENT_CHANGED]
    assert changed["args"][0] == {
        "building_id": cast.building.id,
        "referral_id": referral.id,
        "status": "in_progress",
    }
    assert names(colleague) == []  # another partner of the building hears nothing


def test_a_partner_hears_nothing_of_the_buildings_life(socket_client, cast: Cast):
    partner = socket_client(cast.partner)
    partner.get_received()
    wellbeing.do_send_help_call(cast.jeanne)
    db.session.commit()
    assert names(partner) == []
