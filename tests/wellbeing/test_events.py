"""Live events reach the building's staff and the resident, and nobody else."""

from __future__ import annotations

from portal.extensions import db
from portal.wellbeing import service
from tests.wellbeing.conftest import Cast


def names(sock) -> list[str]:
    return [event["name"] for event in sock.get_received()]


def test_help_call_reaches_the_buildings_staff_sockets_and_the_residents(socket_client, cast: Cast):
    concierge = socket_client(cast.concierge)
    manager = socket_client(cast.manager)
    other = socket_client(cast.other_concierge)
    jeanne = socket_client(cast.jeanne)
    paul = socket_client(cast.paul)
    for sock in (concierge, manager, other, jeanne, paul):
        sock.get_received()
    call, _ = service.do_send_help_call(cast.jeanne)
    db.session.commit()  # events leave once the call is stored
    assert service.EVENT_CHANGED in names(concierge)
    assert service.EVENT_CHANGED in names(manager)
    assert service.EVENT_CHANGED not in names(other)
    assert service.EVENT_HELP_CALL in names(jeanne)
    assert names(paul) == []
    service.do_acknowledge(cast.concierge, call.id)
    db.session.commit()
    [seen] = [e for e in jeanne.get_received() if e["name"] == service.EVENT_HELP_CALL]
    assert seen["args"][0]["status"] == "seen"
