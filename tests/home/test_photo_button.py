"""Photos in three taps: every photo input a resident meets is one big button that opens
the tablet's camera directly (capture), never the browser's bare file control."""

from __future__ import annotations

import re

from messaging import service as messaging
from tests.factories import make_building, make_resident

FILE_INPUT = re.compile(r"<input[^>]*type=\"file\"[^>]*>")


def file_inputs(html: str) -> list[str]:
    return FILE_INPUT.findall(html)


def test_report_pages_open_the_camera_from_a_big_button(app, client, login):
    login(make_resident(make_building()))
    for path in ("/my-home", "/tickets/new?category=repair"):
        html = client.get(path).get_data(as_text=True)
        inputs = file_inputs(html)
        assert inputs, path
        for tag in inputs:
            assert 'capture="environment"' in tag and 'accept="image/*"' in tag, (path, tag)
            assert 'class="visually-hidden"' in tag, (path, tag)  # inside its big button
        assert 'class="button button-photo file-button"' in html, path
        assert "data-photo-chosen" in html and "photo-button.js" in html, path


def test_my_home_reports_a_repair_with_one_form(app, client, login):
    login(make_resident(make_building()))
    html = client.get("/my-home").get_data(as_text=True)
    form = html[html.index('class="form panel quick-report"') :]
    form = form[: form.index("</form>")]
    assert 'action="/tickets/new"' in html and 'enctype="multipart/form-data"' in html
    assert 'name="category" value="repair"' in form and 'name="place" value="home"' in form
    assert 'name="csrf_token"' in form and 'name="description"' in form


def test_a_conversation_sends_a_photo_from_the_camera(app, client, login):
    building = make_building()
    me, neighbour = make_resident(building), make_resident(building)
    conversation = messaging.get_or_create_direct(me, neighbour.id)
    login(me)
    html = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    (photo,) = [tag for tag in file_inputs(html) if 'id="photo-input"' in tag]
    assert 'capture="environment"' in photo
