"""What people wrote (names, group titles, message text) is isolated from the page's
direction (`<bdi>` or dir="auto"), so French text reads correctly on an Arabic page."""

from __future__ import annotations

import uuid

from messaging import service as messaging
from tests.factories import make_building, make_resident


def test_names_and_messages_are_isolated_on_arabic_pages(app, client, login):
    building = make_building()
    reader = make_resident(building, first_name="Nadia", last_name="Haddad", locale="ar")
    writer = make_resident(building, first_name="Karim", last_name="Dupont", locale="fr")
    conversation = messaging.get_or_create_direct(reader, writer.id)
    messaging.do_send_message(
        writer, conversation.id, client_id=str(uuid.uuid4()), body="Bonjour Nadia, 3 pommes ?"
    )
    login(reader)

    inbox = client.get("/messages").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in inbox
    assert '<bdi class="conversation-title">Karim Dupont</bdi>' in inbox
    assert '<span class="conversation-preview" dir="auto">Bonjour Nadia' in inbox

    page = client.get(f"/messages/{conversation.id}").get_data(as_text=True)
    assert '<h1 class="conversation-name"><bdi>Karim Dupont</bdi></h1>' in page

    new = client.get("/messages/new").get_data(as_text=True)
    assert '<span class="person-name"><bdi>Karim Dupont</bdi></span>' in new

    found = client.get("/messages/search", query_string={"q": "pommes"}).get_data(as_text=True)
    assert '<p class="small"><bdi>Karim Dupont</bdi> ·' in found
    assert '<p dir="auto">Bonjour Nadia, 3 pommes ?</p>' in found

    helper = client.get(f"/neighbours/people/{writer.id}").get_data(as_text=True)
    assert "<h1><bdi>Karim D.</bdi></h1>" in helper
    assert "<bdi>Karim</bdi>" in helper  # "Write to Karim", in Arabic
