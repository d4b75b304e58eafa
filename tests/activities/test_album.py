from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from PIL import Image

from activities import album, service
from portal.errors import DomainError
from portal.people.models import Role
from tests.activities.test_service import make_activity
from tests.factories import make_building, make_resident, make_staff


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "#884422").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture
def world(app):
    building = make_building()
    staff = make_staff(Role.COORDINATOR, [building])
    occurrence = make_activity(staff, building, capacity=5).occurrences[0]
    came, other = make_resident(building), make_resident(building)
    service.do_sign_up(came, occurrence.id)
    return {"staff": staff, "occurrence": occurrence, "came": came, "other": other}


def test_album_is_for_participants_and_staff(world):
    occurrence = world["occurrence"]
    with pytest.raises(DomainError) as early:
        album.do_add_photo(world["staff"], occurrence.id, jpeg())
    assert early.value.code == "not_started"
    with time_machine.travel(occurrence.starts_at + timedelta(hours=3), tick=False):
        photo = album.do_add_photo(world["staff"], occurrence.id, jpeg())
    assert album.access_photo(world["came"], photo.id).id == photo.id
    assert album.list_photos(world["other"], occurrence) == []
    with pytest.raises(DomainError):
        album.access_photo(world["other"], photo.id)
    with pytest.raises(DomainError):
        album.do_add_photo(world["came"], occurrence.id, jpeg())


def test_album_pages(world, client, login):
    occurrence = world["occurrence"]
    path = f"/activities/occurrences/{occurrence.id}"
    with time_machine.travel(occurrence.starts_at + timedelta(hours=3), tick=False):
        login(world["staff"])
        html = client.get(path).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
        data = {"csrf_token": token, "photo": (io.BytesIO(jpeg()), "IMG_1.jpg")}
        response = client.post(f"{path}/photos", data=data, content_type="multipart/form-data")
        assert response.status_code == 302
    login(world["came"])
    page = client.get(path).get_data(as_text=True)
    url = re.search(r'href="(/activities/photos/\d+)"', page).group(1)
    with client.get(url) as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    login(world["other"])
    with client.get(url) as hidden:
        assert hidden.status_code == 404


def test_album_photos_follow_the_activities_size_setting(world, app):
    occurrence = world["occurrence"]
    app.config["ACTIVITIES_MAX_PHOTO_BYTES"] = 100
    app.config["MESSAGING_MAX_PHOTO_BYTES"] = 10_000_000  # messaging's own: not read here
    later = occurrence.starts_at + timedelta(hours=3)
    with time_machine.travel(later, tick=False), pytest.raises(DomainError) as large:
        album.do_add_photo(world["staff"], occurrence.id, jpeg())
    assert large.value.code == "too_large"
