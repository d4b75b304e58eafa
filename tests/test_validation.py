"""The validation layer: ids, text, JSON and days from outside, on every route alike."""

from __future__ import annotations

import io
import json
import re
from datetime import date

import pytest
from flask import request
from wtforms.validators import ValidationError

from portal import validation
from portal.errors import DomainError, Invalid, NotFound
from tests.factories import make_resident


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        ("42", 42),
        (validation.MAX_ID, validation.MAX_ID),
        (validation.MAX_ID + 1, None),
        ("99999999999999999999999", None),
        (10**30, None),
        (0, None),
        (-3, None),
        ("-3", None),
        (True, None),
        (1.0, None),
        (1e300, None),
        ("4 2", None),
        ("٤٢", None),  # Arabic-Indic digits: int() takes them, an id never is
        (None, None),
        ([1], None),
    ],
)
def test_an_id_is_a_whole_number_within_the_databases_range(value, expected):
    assert validation.as_id(value) == expected


def test_message_ids_may_use_the_bigint_range():
    assert validation.as_id(2**40, validation.MAX_BIG_ID) == 2**40
    assert validation.as_id(2**63, validation.MAX_BIG_ID) is None


def test_check_id_refuses_as_not_found():
    with pytest.raises(NotFound):
        validation.check_id(10**30)


def test_text_loses_nul_and_lone_surrogates_but_keeps_everything_else():
    assert validation.clean_text("Bon\x00jour") == "Bonjour"
    assert validation.clean_text("a\ud800b") == "a\ufffdb"
    kept = "Être là ‏مرحبا 👵🏽 \u202e"
    assert validation.clean_text(kept) == kept


def test_json_is_cleaned_and_bounded_in_depth():
    assert validation.loads('{"body": "a\\u0000b\\ud800", "n": [1, "\\u0000"]}') == {
        "body": "ab\ufffd",
        "n": [1, ""],
    }
    with pytest.raises(ValueError):
        validation.loads("[" * 5000 + "]" * 5000)
    with pytest.raises(ValueError):
        validation.loads("[" * 40 + "]" * 40)
    assert validation.loads(json.dumps({"a": [[{"b": 1}]]})) == {"a": [[{"b": 1}]]}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-31", date(2026, 3, 31)),
        ("9999-12-31", None),
        ("1999-12-31", None),
        ("2026-13-01", None),
        ("yesterday", None),
        ("2026-03-31" * 100, None),
        (None, None),
    ],
)
def test_a_day_is_one_a_person_could_mean(value, expected):
    assert validation.as_day(value) == expected


def test_check_day_refuses_with_a_clear_message(app):
    with pytest.raises(Invalid) as refused:
        validation.check_day("9999-12-31")
    assert "2000" in refused.value.message


def test_a_huge_id_in_a_url_is_not_found(client):
    assert client.get("/messages/99999999999999999999999").status_code == 404


def test_deep_json_is_a_clear_400(client, login):
    login(make_resident())
    page = client.get("/messages").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert csrf
    body = "[" * 5000 + "]" * 5000
    answer = client.post(
        "/api/messaging/conversations/1/messages",
        data=body,
        content_type="application/json",
        headers={"Accept": "application/json", "X-CSRFToken": csrf.group(1)},
    )
    assert answer.status_code == 400
    assert answer.get_json()["ok"] is False


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0, 0),
        ("0", 0),
        (7, 7),
        ("7", 7),
        (validation.MAX_BIG_ID, validation.MAX_BIG_ID),
        (validation.MAX_BIG_ID + 1, None),
        (False, None),
        (0.0, None),
        (-1, None),
        ("00", None),
        ("x", None),
    ],
)
def test_a_place_in_a_conversation_is_zero_or_a_message_id(value, expected):
    assert validation.as_cursor(value) == expected


@pytest.mark.parametrize("limit", [0, 1, 9, 10, 99, 100, 305, 1000, 2000, 9999])
def test_the_url_pattern_of_an_id_matches_exactly_the_numbers_up_to_the_limit(limit):
    pattern = re.compile(validation.decimal_at_most(limit))
    for number in range(0, limit * 3 + 30):
        assert bool(pattern.fullmatch(str(number))) == (number <= limit), number
        assert bool(pattern.fullmatch(f"00{number}")) == (number <= limit), number
    for text in ("", "-1", "٣", "1.0", "+1", " 1"):
        assert not pattern.fullmatch(text), text


def test_the_url_patterns_of_ids_stop_at_integer_and_bigint():
    for maximum in (validation.MAX_ID, validation.MAX_BIG_ID):
        pattern = re.compile(validation.decimal_at_most(maximum))
        assert pattern.fullmatch(str(maximum)) and pattern.fullmatch(str(maximum - 1))
        assert not pattern.fullmatch(str(maximum + 1)) and not pattern.fullmatch("9" * 30)


def test_a_payload_id_is_a_whole_number_within_range(app):
    assert validation.payload_id({"id": 5}, "id") == 5
    for malformed in ({"id": "5"}, {"id": True}, {"id": 1.0}, {"id": None}, {}, [5], None):
        with pytest.raises(DomainError) as refused:
            validation.payload_id(malformed, "id")
        assert refused.value.code == "bad_request", malformed
    for out_of_range in (0, -1, validation.MAX_ID + 1, 10**30):
        with pytest.raises(NotFound) as missing:
            validation.payload_id({"id": out_of_range}, "id", message="Gone.")
        assert missing.value.message == "Gone."
    big = validation.payload_id({"id": 2**40}, "id", validation.MAX_BIG_ID)
    assert big == 2**40


def test_query_ids_and_places(app):
    with app.test_request_context("/?building=3&empty=&huge=99999999999999999999&before=0"):
        assert validation.query_id("building") == 3
        assert validation.query_id("empty") is None and validation.query_id("absent") is None
        with pytest.raises(NotFound):
            validation.query_id("huge")
        assert validation.query_cursor("before") == 0
        with pytest.raises(DomainError):
            validation.query_cursor("huge")  # beyond bigint: no place in any conversation
    with app.test_request_context("/?after=-1"), pytest.raises(DomainError) as bad:
        validation.query_cursor("after")
    assert bad.value.status == 400


def test_id_choice_refuses_what_cannot_be_an_id_with_the_fields_usual_words(app):
    class Field:
        def __init__(self, data: object) -> None:
            self.data = data

        def gettext(self, text: str) -> str:
            return text

    for fine in (None, "", "12", str(validation.MAX_ID)):
        validation.id_choice(None, Field(fine))
    for odd in ("99999999999999999999", str(validation.MAX_ID + 1), "-1", "²", "x", "1.5"):
        with pytest.raises(ValidationError, match="Not a valid choice"):
            validation.id_choice(None, Field(odd))


def test_a_socket_packet_that_cannot_be_read_still_names_its_event():
    deep = "[" * 5000 + "]" * 5000
    assert validation.SocketJSON.loads(f'["typing",{deep}]') == [
        "typing",
        validation.UNREADABLE,
    ]
    assert validation.SocketJSON.loads('["ty\\u0000ping", {]') == ["typing", validation.UNREADABLE]
    assert validation.SocketJSON.loads(deep) == ["", validation.UNREADABLE]
    assert validation.SocketJSON.loads('["send_message", {"body": "a\\u0000"}]') == [
        "send_message",
        {"body": "a"},
    ]


def test_file_names_are_cleaned_like_form_fields(app):
    data = {"doc": (io.BytesIO(b"%PDF"), "fac\x00ture.pdf"), "note": "a\x00b"}
    with app.test_request_context("/", method="POST", data=data):
        assert request.files["doc"].filename == "facture.pdf"
        assert request.form["note"] == "ab"
