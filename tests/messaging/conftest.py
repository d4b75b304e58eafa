from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

import pytest
from PIL import Image

from portal.extensions import db
from portal.people.models import Building, Person, Role
from tests.factories import make_building, make_organisation, make_resident, make_staff


@dataclass
class World:
    building: Building
    other_building: Building
    alice: Person
    bob: Person
    carol: Person
    stranger: Person
    concierge: Person
    coordinator: Person


@pytest.fixture
def world(app) -> World:
    org = make_organisation()
    building, other = make_building(org), make_building(org)
    world = World(
        building=building,
        other_building=other,
        alice=make_resident(building, first_name="Alice"),
        bob=make_resident(building, first_name="Bob"),
        carol=make_resident(building, first_name="Carol"),
        stranger=make_resident(other, first_name="Sam"),
        concierge=make_staff(Role.CONCIERGE, [building], organisation=org),
        coordinator=make_staff(Role.COORDINATOR, [building], organisation=org),
    )
    db.session.commit()  # the people exist for the requests, which use their own sessions
    return world


def cid() -> str:
    return str(uuid.uuid4())


def jpeg_bytes(size: tuple[int, int] = (64, 48), with_exif: bool = True) -> bytes:
    image = Image.new("RGB", size, "#3366aa")
    buffer = io.BytesIO()
    exif = Image.Exif()
    if with_exif:
        exif[0x010F] = "SpyCam"  # Make
        exif[0x8825] = {2: (48, 51, 0)}  # GPS info
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()
