"""Where a resident's emergency contacts come from: the domain that keeps them registers a
source at import (portal.wellbeing does); escalation asks it when nobody on call answered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class EmergencyAddress:
    """One person to tell about a resident, as the resident named and consented to."""

    name: str
    email: str | None
    phone: str | None  # E.164, e.g. +33612345678
    locale: str  # the language the contact is written to in ("fr", "en", "ar")


ContactsSource = Callable[[int], list[EmergencyAddress]]

_sources: list[ContactsSource] = []


def register_contacts_source(source: ContactsSource) -> ContactsSource:
    """Add a lookup `person_id -> [EmergencyAddress]` (usable as a decorator)."""
    if source not in _sources:
        _sources.append(source)
    return source


def emergency_addresses(person_id: int) -> list[EmergencyAddress]:
    """Every emergency contact a resident named and consented to be told about."""
    return [address for source in _sources for address in source(person_id)]
