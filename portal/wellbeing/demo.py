"""Demo content: a few residents over 75 enrolled in the daily check-in, one checked in."""

from __future__ import annotations

from datetime import time

from portal.demo import on_demo_built
from portal.people import service as people
from portal.people.models import Building, Person, Role
from portal.wellbeing import service

YEAR = 2026
DEMO_TIMES = (time(10, 0), time(11, 0), time(11, 30))


def _elders(building: Building, count: int) -> list[Person]:
    """Up to `count` residents over 75, Jeanne Martin first when she lives here."""
    residents = [p for p in people.list_residents(building) if p.active]
    old = [p for p in residents if p.birth_year and YEAR - p.birth_year >= 75]
    jeanne = [p for p in old if p.first_name == "Jeanne" and p.last_name == "Martin"]
    others = [p for p in old if p not in jeanne]
    return (jeanne + others)[:count]


@on_demo_built
def seed_checkins(building: Building) -> None:
    """Jeanne and two neighbours say each day they are fine; one already did today."""
    coordinators = people.list_staff(building.id, [Role.COORDINATOR])
    elders = _elders(building, len(DEMO_TIMES))
    for resident, at in zip(elders, DEMO_TIMES, strict=False):
        if service.get_enrolment(resident) is not None:
            continue
        if coordinators:
            service.do_enrol(coordinators[0], resident.id, at, consent=True)
        else:
            service.do_opt_in(resident, at)
    if len(elders) > 1:
        service.do_check_in(elders[1])
