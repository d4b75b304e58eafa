"""docs/api.md and the fuzz agree: every endpoint and client-to-server event the docs name
is one the fuzz sends to, with the query and payload keys the docs give it."""

from __future__ import annotations

import pytest

from tests.fuzz import discovery
from tests.fuzz.discovery import discovered, doc_covered_by

pytestmark = pytest.mark.fuzz


def test_every_documented_endpoint_is_fuzzed() -> None:
    routes, _ = discovered()
    documented = discovery.doc_endpoints()
    assert len(documented) > 30  # the parser still reads the docs
    missing = [
        f"docs/api.md:{doc.line}: {doc.method or 'any method'} {doc.path}"
        for doc in documented
        if not any(doc_covered_by(doc, target) for target in routes)
    ]
    assert not missing, "documented, but not fuzzed (no such rule and method):\n" + "\n".join(
        missing
    )


def test_documented_query_keys_are_fuzzed() -> None:
    routes, _ = discovered()
    missing = [
        f"docs/api.md:{doc.line}: {doc.path} ?{key}="
        for doc in discovery.doc_endpoints()
        for key in sorted(doc.query_keys)
        if not any(doc_covered_by(doc, t) and key in t.query_keys for t in routes)
    ]
    assert not missing, "documented query keys the fuzz never sends:\n" + "\n".join(missing)


def test_documented_json_bodies_are_fuzzed_with_their_keys() -> None:
    routes, _ = discovered()
    documented = [doc for doc in discovery.doc_endpoints() if doc.body_keys]
    assert documented  # "body as `send_message`" is still read
    missing = [
        f"docs/api.md:{doc.line}: {doc.path} body {sorted(doc.body_keys)}"
        for doc in documented
        if not any(
            doc_covered_by(doc, t) and t.reads_json and doc.body_keys <= t.json_keys for t in routes
        )
    ]
    assert not missing, "documented JSON bodies the fuzz does not send:\n" + "\n".join(missing)


def test_every_documented_event_is_fuzzed_with_its_keys() -> None:
    _, events = discovered()
    by_name = {event.name: event for event in events}
    documented = discovery.doc_events()
    assert len(documented) >= 10  # the parser still reads the docs
    problems = []
    for doc in documented:
        target = by_name.get(doc.name)
        if target is None:
            problems.append(f"docs/api.md:{doc.line}: {doc.name} has no handler to fuzz")
        elif not doc.keys <= target.keys:
            problems.append(f"docs/api.md:{doc.line}: {doc.name} keys {sorted(doc.keys)}")
    assert not problems, "documented events the fuzz does not cover:\n" + "\n".join(problems)


def test_the_check_notices_what_the_app_lacks() -> None:
    """The cross-check would fail on an endpoint or an event the app does not have."""
    routes, events = discovered()
    text = (
        "| `GET /api/nothing/<id>` | x |\n\n"
        "| event | payload |\n| --- | --- |\n| `vanish` | `{id}` |\n"
    )
    (endpoint,) = discovery.doc_endpoints(text)
    assert not any(doc_covered_by(endpoint, target) for target in routes)
    (event,) = discovery.doc_events(text)
    assert event.name == "vanish" and event.keys == {"id"}
    assert event.name not in {e.name for e in events}
