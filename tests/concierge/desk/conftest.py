"""What the desk's tests share: a building and its concierge."""

from __future__ import annotations

import pytest

from portal.people.models import Building, Person, Role
from tests.factories import make_building, make_staff


@pytest.fixture
def building(app) -> Building:
    return make_building()


@pytest.fixture
def concierge(building: Building) -> Person:
    return make_staff(Role.CONCIERGE, [building])
