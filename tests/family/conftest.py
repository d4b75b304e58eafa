"""Helpers of the family circle tests: a resident with a coordinator, a neighbour, another
building, and a relative invited by email who joined."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import pytest
from flask.testing import FlaskClient

from messaging.family import service
from messaging.family.models import FamilyLink
from portal import mail
from portal.extensions import db
from portal.people.models import Building, Person, Role
from tests.factories import make_building, make_organisation, make_resident, make_staff

LINK = re.compile(r"https?://\S+/family/(join|login)/([A-Za-z0-9_-]+)")


def last_token(kind: str = "join") -> str:
    """The token of the last family link mailed (join or login)."""
    for message in reversed(mail.outbox()):
        found = [m for m in LINK.finditer(message.body) if m.group(1) == kind]
        if found:
            return found[-1].group(2)
    raise AssertionError("no family link was mailed")


def token(client: FlaskClient) -> str:
    """The CSRF token of the session, read from a page's meta tag."""
    html = client.get("/help").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, html
    return match.group(1)


def post(client: FlaskClient, url: str, data: dict[str, str] | None = None):
    """Send a form as the browser does, with the CSRF token."""
    return client.post(url, data={"csrf_token": token(client), **(data or {})})


def invite(resident: Person, email: str, first_name: str = "Julie", actor: Person | None = None):
    """Invite by email (as the resident unless `actor`), commit, return the link and token."""
    link = service.do_invite(
        actor or resident,
        resident.id,
        first_name=first_name,
        last_name="Martin",
        relation="my daughter",
        channel="email",
        email=email,
        consent=actor is not None,
    )
    db.session.commit()
    return link, last_token()


def join(resident: Person, email: str, first_name: str = "Julie") -> Person:
    """A relative invited by the resident who joined with a login link each time."""
    _link, tok = invite(resident, email, first_name)
    relative = service.do_join(tok, first_name=first_name, last_name="Martin", email=email)
    db.session.commit()
    return relative


@dataclass
class Cast:
    building: Building
    other: Building
    jeanne: Person
    paul: Person
    coordinator: Person
    other_coordinator: Person
    concierge: Person
    outsider: Person


@pytest.fixture
def cast(app) -> Iterator[Cast]:
    """The people of two buildings, inside a request context (mails build their links)."""
    with app.test_request_context():
        yield _cast()


def _cast() -> Cast:
    org = make_organisation()
    building = make_building(org, "Les Tilleuls")
    other = make_building(org, "Les Acacias")
    jeanne = make_resident(building, first_name="Jeanne", locale="en")
    paul = make_resident(building, first_name="Paul", locale="en")
    coordinator = make_staff(Role.COORDINATOR, [building], locale="en")
    other_coordinator = make_staff(Role.COORDINATOR, [other], locale="en")
    concierge = make_staff(Role.CONCIERGE, [building], locale="en")
    outsider = make_resident(other, first_name="Odette", locale="en")
    db.session.commit()
    return Cast(building, other, jeanne, paul, coordinator, other_coordinator, concierge, outsider)


class Invitation(NamedTuple):
    """An invitation's link and the join token its mail carried."""

    link: FamilyLink
    token: str


@pytest.fixture
def invitation(cast: Cast) -> Invitation:
    """Julie invited by email into Jeanne's circle, not joined yet."""
    return Invitation(*invite(cast.jeanne, "julie@example.org"))


@pytest.fixture
def julie(cast: Cast) -> Person:
    """Julie, invited by Jeanne, who joined."""
    return join(cast.jeanne, "julie@example.org", "Julie")


@pytest.fixture
def marc(cast: Cast, julie: Person) -> Person:
    """Marc, a second relative of Jeanne, who joined after Julie."""
    return join(cast.jeanne, "marc@example.org", "Marc")


@pytest.fixture
def julies_link(cast: Cast, julie: Person) -> FamilyLink:
    """Julie's link to Jeanne, the only one in Jeanne's circle."""
    [link] = service.list_circle(cast.jeanne.id)
    return link
