from __future__ import annotations

import subprocess
import sys

from portal import realtime
from portal.people.models import Person
from tests.factories import make_building, make_resident


def test_publish_waits_for_the_commit(app, db, events):
    resident = make_resident()
    realtime.publish("test.thing_happened", {"n": 1}, to=realtime.user_room(resident.id))
    assert events == []
    db.session.commit()
    assert [(e.name, e.payload, e.to) for e in events] == [
        ("test.thing_happened", {"n": 1}, f"user:{resident.id}")
    ]


def test_rollback_drops_published_events(app, db, events):
    resident = make_resident()
    db.session.commit()
    resident.first_name = "Changed"
    realtime.publish("test.thing_happened", {}, to=realtime.user_room(resident.id))
    db.session.rollback()
    db.session.commit()
    assert events == []
    assert db.session.get(Person, resident.id).first_name != "Changed"


def test_published_event_reaches_only_the_addressed_person(app, db, socket_client):
    building = make_building()
    alice = make_resident(building, first_name="Alice")
    bob = make_resident(building, first_name="Bob")
    alice_socket = socket_client(alice)
    bob_socket = socket_client(bob)
    alice_socket.get_received()
    bob_socket.get_received()

    realtime.publish("test.for_alice", {"hello": "Alice"}, to=realtime.user_room(alice.id))
    db.session.commit()

    alice_got = alice_socket.get_received()
    assert [(m["name"], m["args"][0]) for m in alice_got] == [
        ("test.for_alice", {"hello": "Alice"})
    ]
    assert bob_socket.get_received() == []


def test_building_events_reach_only_that_building(app, db, socket_client):
    here = make_building()
    elsewhere = make_building()
    neighbour = make_resident(here)
    stranger = make_resident(elsewhere)
    near, far = socket_client(neighbour), socket_client(stranger)
    realtime.publish("test.building_news", {}, to=realtime.building_room(here.id))
    db.session.commit()
    assert [m["name"] for m in near.get_received()] == ["test.building_news"]
    assert far.get_received() == []


def test_the_resync_window_grows_with_the_sockets_of_the_process():
    from portal.realtime import RESYNC_WINDOW_MAX, resync_window

    assert resync_window(0, 100) == resync_window(1, 100) == 1
    assert resync_window(250, 100) == 3
    assert resync_window(5_000, 100) == 50
    assert resync_window(40_000, 100) == RESYNC_WINDOW_MAX


SECOND_APP = """
from portal.factory import create_app
from portal.extensions import socketio
config = {"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
create_app(config)
first = set(socketio.server.handlers["/"])
create_app(config)
print(sorted(first - set(socketio.server.handlers["/"])), "send_message" in first)
"""


def test_a_second_app_of_a_fresh_process_has_every_socket_handler():
    # In a fresh process the domains are first imported by create_app itself: a handler
    # declared once the first app's server exists would be missing from the second app.
    done = subprocess.run(
        [sys.executable, "-c", SECOND_APP], capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[0] == "[] True", done.stdout + done.stderr
