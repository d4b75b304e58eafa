"""Messages the system writes for a person ("I'll do it: …") are stored as a key with
parameters and shown in each reader's language, on the page, in the API and live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import force_locale
from markupsafe import escape

from concierge.exchange import service as helping
from messaging import service as messaging
from messaging.models import Message
from portal.extensions import db
from portal.people.models import Person
from portal.realtime import user_room
from tests.factories import make_building, make_resident

FRENCH = "Je m'en occupe"
ENGLISH = "I'll do it"


def take_between(helper: Person, requester: Person) -> Message:
    """The helper takes the requester's groceries; the conversation's first message."""
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=2)
    request = helping.do_create_request(
        requester, kind="groceries", window_start=start, window_end=start + timedelta(hours=2)
    )
    helping.do_take(helper, request.id)
    db.session.commit()
    conversation = messaging.access_conversation(requester, request.conversation_id)
    (message,) = messaging.list_messages(requester, conversation)
    return message


def test_the_take_message_is_stored_as_a_key_with_its_parameters(app):
    building = make_building()
    helper = make_resident(building, first_name="Karim", locale="fr")
    requester = make_resident(building, first_name="Mary", locale="en")
    message = take_between(helper, requester)
    assert message.body_key == helping.TAKEN_TEXT
    assert message.body_params is not None and message.body_params["kind"] == "groceries"
    assert datetime.fromisoformat(message.body_params["when"]).tzinfo is not None
    assert FRENCH in message.body  # the writer's version, kept for search and export


def test_each_reader_sees_the_take_message_in_their_own_language(app):
    building = make_building()
    helper = make_resident(building, first_name="Karim", locale="fr")
    requester = make_resident(building, first_name="Mary", locale="en")
    message = take_between(helper, requester)
    with force_locale("en"):
        english = messaging.message_payload(message, requester)["body"]
    with force_locale("ar"):
        arabic = messaging.message_payload(message, requester)["body"]
    with force_locale("fr"):
        french = messaging.message_payload(message, helper)["body"]
    assert english.startswith(ENGLISH) and "Groceries" in english
    assert french.startswith(FRENCH)
    assert arabic not in (english, french) and "%(" not in arabic


def test_the_conversation_page_writes_it_in_the_readers_language(app, client, login):
    building = make_building()
    helper = make_resident(building, first_name="Karim", locale="fr")
    requester = make_resident(building, first_name="Mary", locale="en")
    message = take_between(helper, requester)
    login(requester)
    html = client.get(f"/messages/{message.conversation_id}").get_data(as_text=True)
    assert escape(ENGLISH) in html and escape(FRENCH) not in html
    assert 'class="message-text" dir="auto"' in html  # user text isolated in RTL pages


def test_the_live_event_is_written_for_each_person_in_their_language(app, events):
    building = make_building()
    helper = make_resident(building, first_name="Karim", locale="fr")
    requester = make_resident(building, first_name="Mary", locale="en")
    take_between(helper, requester)
    created = events.named(messaging.EVENT_CREATED)
    bodies = {e.to: e.payload["body"] for e in created}
    assert bodies[user_room(requester.id)].startswith(ENGLISH)
    assert bodies[user_room(helper.id)].startswith(FRENCH)


def test_a_message_with_an_unknown_key_shows_the_stored_text(app):
    building = make_building()
    helper = make_resident(building, first_name="Karim", locale="fr")
    requester = make_resident(building, first_name="Mary", locale="en")
    message = take_between(helper, requester)
    message.body_key = "gone.key"
    assert messaging.message_text(message, requester) == message.body
    message.body_key, message.body_params = helping.TAKEN_TEXT, {"kind": "no-such-kind"}
    assert messaging.message_text(message, requester) == message.body


def test_the_inbox_preview_is_written_in_the_readers_language(app, client, login):
    building = make_building()
    helper = make_resident(building, first_name="Karim", locale="fr")
    requester = make_resident(building, first_name="Mary", locale="en")
    take_between(helper, requester)
    login(requester)
    html = client.get("/messages").get_data(as_text=True)
    assert escape(ENGLISH) in html and escape(FRENCH) not in html
    login(helper)
    html = client.get("/messages").get_data(as_text=True)
    assert escape(FRENCH) in html and escape(ENGLISH) not in html


def test_search_finds_and_shows_it_in_the_readers_language(app, client, login):
    building = make_building()
    helper = make_resident(building, first_name="Karim", locale="fr")
    requester = make_resident(building, first_name="Mary", locale="en")
    message = take_between(helper, requester)
    login(requester)
    # Words the English reader reads (the stored text is the French writer's) ...
    html = client.get("/messages/search", query_string={"q": "do it"}).get_data(as_text=True)
    assert "1 message found" in html and f"#message-{message.id}" in html
    assert escape(ENGLISH) in html and escape(FRENCH) not in html
    # ... and the writer's words still find it, shown as the reader reads it.
    html = client.get("/messages/search", query_string={"q": "occupe"}).get_data(as_text=True)
    assert f"#message-{message.id}" in html and escape(ENGLISH) in html
    answer = client.get("/api/messaging/search", query_string={"q": "GROCERIES"}).get_json()
    assert [m["id"] for m in answer["messages"]] == [message.id]
    assert answer["messages"][0]["body"].startswith(ENGLISH)
    assert (
        client.get("/api/messaging/search", query_string={"q": "nothing like it"}).get_json()[
            "messages"
        ]
        == []
    )


def test_search_reads_system_texts_only_in_the_persons_conversations(app, client, login):
    building = make_building()
    take_between(
        make_resident(building, first_name="Karim", locale="fr"),
        make_resident(building, first_name="Mary", locale="en"),
    )
    login(make_resident(building, first_name="Zoé", locale="en"))
    answer = client.get("/api/messaging/search", query_string={"q": "do it"}).get_json()
    assert answer["messages"] == []


def test_the_live_event_is_written_in_easy_wording_for_who_chose_it(app, events):
    building = make_building()
    helper = make_resident(building, first_name="Karim", locale="fr")
    requester = make_resident(building, first_name="Mary", locale="en")
    requester.easy_read = True
    take_between(helper, requester)
    bodies = {e.to: e.payload["body"] for e in events.named(messaging.EVENT_CREATED)}
    assert bodies[user_room(requester.id)].startswith("I will do it")  # the easy wording
    assert bodies[user_room(helper.id)].startswith(FRENCH)
