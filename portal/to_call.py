"""The "To call" list's registry: besides the calls for help and the missed check-ins
(portal.wellbeing), a part of the portal may add a section of people or things the building's
staff should call about (registered at import, like tiles); the list shows each section a
staff member may see, and re-reads itself on its events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.people.models import Building, Person
from portal.registry import Registry


@dataclass(frozen=True)
class ToCallSection:
    """One section of the list: its template, what it shows (None: nothing for this staff
    member, the section is left out), and the Socket.IO events that change it."""

    key: str
    template: str
    context: Callable[[Person, Building], dict[str, Any] | None]
    events: tuple[str, ...] = ()
    order: int = 50


_sections: Registry[ToCallSection] = Registry()


def register_section(section: ToCallSection) -> None:
    """A part of the portal adds its section to the "To call" list."""
    _sections.register(section.key, section, section.order)


def sections_for(staff: Person, building: Building) -> list[dict[str, Any]]:
    """The sections this staff member sees for this building, in order, with their context."""
    shown = []
    for section in _sections.ordered():
        context = section.context(staff, building)
        if context is not None:
            shown.append({"template": section.template, "context": context})
    return shown


def section_events() -> list[str]:
    """Every event that changes a registered section (the list re-reads itself on them)."""
    return sorted({name for section in _sections.values() for name in section.events})
