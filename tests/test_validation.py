"""The validation layer: ids, text, JSON and days from outside, on every route alike."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from portal import validation
from portal.errors import Invalid, NotFound
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
