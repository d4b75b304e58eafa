from __future__ import annotations

import re
from datetime import timedelta

import pytest

from activities import proposals
from activities.models import ProposalStatus
from portal.errors import DomainError
from portal.notifications.service import list_notifications
from portal.people.models import Role
from tests.activities.test_service import in_days
from tests.factories import make_building, make_resident, make_staff


@pytest.fixture
def world(app):
    building = make_building()
    return {
        "building": building,
        "coordinator": make_staff(Role.COORDINATOR, [building]),
        "resident": make_resident(building),
        "outsider": make_staff(Role.COORDINATOR, [make_building()]),
    }


def propose(resident, title="Soirée jeux"):
    start = in_days(5, hour=19)
    end = start + timedelta(hours=2)
    return proposals.do_propose(
        resident, title=title, starts_at=start, ends_at=end, place="Salle commune"
    )


def test_approved_proposal_becomes_an_activity_with_the_resident_as_cohost(world):
    proposal = propose(world["resident"])
    assert [n.kind for n in list_notifications(world["coordinator"].id)] == ["activities.proposed"]
    activity = proposals.do_approve(world["coordinator"], proposal.id, capacity=8)
    assert activity.cohost_id == world["resident"].id and activity.capacity == 8
    assert proposal.status == ProposalStatus.APPROVED
    assert [n.kind for n in list_notifications(world["resident"].id)] == ["activities.approved"]
    with pytest.raises(DomainError) as again:
        proposals.do_approve(world["coordinator"], proposal.id)
    assert again.value.code == "answered"


def test_declined_proposal_sends_the_message(world):
    proposal = propose(world["resident"])
    with pytest.raises(DomainError) as empty:
        proposals.do_decline(world["coordinator"], proposal.id, "  ")
    assert empty.value.code == "empty"
    proposals.do_decline(world["coordinator"], proposal.id, "La salle est prise ce soir-là.")
    titles = [n.title for n in list_notifications(world["resident"].id)]
    assert any("La salle est prise" in t for t in titles)


def test_only_the_buildings_staff_answer(world):
    proposal = propose(world["resident"])
    for person in (world["outsider"], world["resident"]):
        with pytest.raises(DomainError) as error:
            proposals.do_approve(person, proposal.id)
        assert error.value.code == "forbidden"


def test_proposal_pages(world, client, login):
    login(world["resident"])
    html = client.get("/activities/propose").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    day = in_days(4).date().isoformat()
    data = {"csrf_token": token, "title": "Pétanque", "day": day, "start": "15:00", "end": "14:00"}
    response = client.post("/activities/propose", data=data)
    assert response.status_code == 422  # end before start
    assert "The end must come after the start." in response.get_data(as_text=True)
    data["end"] = "17:00"
    assert client.post("/activities/propose", data=data).status_code == 302
    assert client.get("/activities/proposals").status_code == 404
    login(world["coordinator"])
    assert "Pétanque" in client.get("/activities/proposals").get_data(as_text=True)
