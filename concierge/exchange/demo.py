"""Demo content of the service exchange: offers, and requests at each step."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from concierge.exchange import service as helping
from portal.demo import on_demo_built
from portal.i18n import zone_of
from portal.people import service as people
from portal.people.models import Building, Person

YEAR = 2026


def _at(building: Building, days: int, hour: int) -> datetime:
    """A full hour some days from now, in the building's time zone."""
    zone = zone_of(building)
    return datetime.combine(datetime.now(zone).date() + timedelta(days=days), time(hour), zone)


def _pick(residents: list[Person], low: int, high: int, skip: set[int]) -> Person:
    """The first resident of an age range not yet used by the demo."""
    return next(
        p
        for p in residents
        if p.birth_year and low <= YEAR - p.birth_year <= high and p.id not in skip
    )


@on_demo_built
def seed_help(building: Building) -> None:
    """Jeanne asks for groceries; a teenager and a parent offer help; one run is thanked."""
    residents = people.list_residents(building)
    jeanne = next(p for p in residents if p.first_name == "Jeanne" and p.last_name == "Martin")
    used = {jeanne.id}
    teen = _pick(residents, 13, 17, used)
    parent = _pick(residents, 36, 48, used | {teen.id})
    elder = _pick(residents, 78, 99, used | {teen.id, parent.id})
    helping.do_save_offer(teen, "tablet", "Après l'école, le mardi et le jeudi")
    helping.do_save_offer(parent, "groceries", "Le samedi matin")
    helping.do_save_offer(parent, "accompaniment", "Le mercredi après-midi")
    helping.do_create_request(
        jeanne,
        kind="groceries",
        urgency="soon",
        details="Pain, lait, deux compotes, du café",
        window_start=_at(building, 1, 10),
        window_end=_at(building, 1, 12),
    )
    helping.do_create_request(
        elder,
        kind="company",
        urgency="flexible",
        details="Une promenade au parc, au calme",
        window_start=_at(building, 2, 15),
        window_end=_at(building, 2, 17),
    )
    tablet = helping.do_create_request(
        jeanne,
        kind="tablet",
        urgency="flexible",
        details="Envoyer des photos à ma petite-fille",
        window_start=_at(building, 0, 17),
        window_end=_at(building, 3, 19),
    )
    helping.do_take(teen, tablet.id)
    helping.do_mark_done(teen, tablet.id, 60)
    helping.do_thank(jeanne, tablet.id, "Merci, c'est magique de voir les photos !")
