"""Calls' pages: the call log and whom one may call; the conversation's "Video call" button
shows only where its two people may call each other; the call screens are on every page."""

from __future__ import annotations

from messaging import service as messaging
from messaging.calls import service


def test_the_calls_page_lists_the_buildings_staff_and_the_log(cast, client, login):
    call = service.do_start_call(cast.coordinator, cast.jeanne.id)
    service.do_hang_up(cast.coordinator, call.id)
    login(cast.jeanne)
    html = client.get("/calls").get_data(as_text=True)
    assert f'data-call-person="{cast.coordinator.id}"' in html
    assert f'data-call-person="{cast.concierge.id}"' in html
    assert f'data-call-person="{cast.manager.id}"' not in html
    assert f'data-call-person="{cast.julie.id}"' in html
    assert f'data-call-person="{cast.paul.id}"' not in html
    assert f'data-call-person="{cast.stranger.id}"' not in html
    assert 'data-call-log="missed"' in html
    assert cast.coordinator.full_name in html


def test_the_conversation_has_a_call_button_only_for_people_who_may_call(cast, client, login):
    with_staff = messaging.get_or_create_direct(cast.jeanne, cast.coordinator.id)
    neighbours = messaging.get_or_create_direct(cast.jeanne, cast.paul.id)
    login(cast.jeanne)
    page = client.get(f"/messages/{with_staff.id}").get_data(as_text=True)
    assert f'data-call-person="{cast.coordinator.id}"' in page
    assert f'data-call-conversation="{with_staff.id}"' in page
    page = client.get(f"/messages/{neighbours.id}").get_data(as_text=True)
    assert "data-call-person=" not in page


def test_every_page_of_a_logged_in_person_has_the_call_screen(cast, client, login):
    assert 'id="call-overlay"' not in client.get("/login").get_data(as_text=True)
    login(cast.jeanne)
    assert 'id="call-overlay"' in client.get("/").get_data(as_text=True)


def test_a_relative_reaches_the_calls_page_and_her_call_button(cast, client, login):
    login(cast.julie)
    html = client.get("/calls").get_data(as_text=True)
    assert f'data-call-person="{cast.jeanne.id}"' in html
    assert f'data-call-person="{cast.paul.id}"' not in html
    conversation_id = service._conversation_of(cast.julie, cast.jeanne, None)
    page = client.get(f"/messages/{conversation_id}").get_data(as_text=True)
    assert f'data-call-person="{cast.jeanne.id}"' in page


def test_the_residents_desk_conversation_leads_to_the_calls_page(cast, client, login):
    desk = messaging.get_or_create_desk(cast.jeanne)
    login(cast.jeanne)
    page = client.get(f"/messages/{desk.id}").get_data(as_text=True)
    assert 'href="/calls"' in page and "data-call-person=" not in page
