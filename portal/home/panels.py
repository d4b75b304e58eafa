"""The "Today" panel of the resident's home: what the domains list for the person today."""

from __future__ import annotations

from typing import Any

from portal.home.tiles import Panel, register_panel, today_for
from portal.people.models import Person, Role


def today_context(person: Person) -> dict[str, Any]:
    return {"items": today_for(person)}


register_panel(
    Panel(
        key="today",
        template="home/_today.html",
        context=today_context,
        order=10,
        roles=frozenset({Role.RESIDENT}),
    )
)
