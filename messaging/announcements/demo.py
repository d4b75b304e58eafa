"""Demo content of the announcements: a pinned heatwave warning some residents have read,
and a water cut."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from messaging.announcements import service
from portal.demo import on_demo_built
from portal.i18n import zone_of
from portal.people import service as people
from portal.people.models import Building, Role

HEATWAVE_TEXT = (
    "Fortes chaleurs annoncées jusqu'à dimanche. Buvez de l'eau souvent, même sans soif. "
    "Fermez les volets le jour et aérez la nuit. La salle commune du rez-de-chaussée est "
    "rafraîchie de 14 h à 18 h : venez vous y reposer. En cas de malaise, appelez le 15."
)
WATER_TEXT = (
    "L'eau sera coupée jeudi de 9 h à 12 h pour des travaux sur la colonne. "
    "Pensez à remplir une carafe et une bouteille la veille au soir."
)


def _days_ahead(building: Building, days: int) -> datetime:
    """8 pm, `days` days from today, in the building's time zone."""
    zone = zone_of(building)
    day = datetime.now(zone).date() + timedelta(days=days)
    return datetime.combine(day, time(20, 0), tzinfo=zone)


@on_demo_built
def seed_announcements(building: Building) -> None:
    """The coordinator pins a heatwave warning; a dozen residents have already read it."""
    staff = people.list_staff(building.id, [Role.COORDINATOR]) or people.list_staff(building.id)
    if not staff:
        return
    author = staff[0]
    service.do_publish(
        author,
        building_id=building.id,
        title="Eau coupée jeudi matin",
        body=WATER_TEXT,
        visible_until=_days_ahead(building, 6),
    )
    heatwave = service.do_publish(
        author,
        building_id=building.id,
        title="Alerte canicule : prenez soin de vous",
        body=HEATWAVE_TEXT,
        pinned=True,
        visible_until=_days_ahead(building, 5),
    )
    residents = [p for p in people.list_residents(building) if p.active]
    for resident in residents[::8]:
        service.do_mark_read(resident, heatwave.id)
