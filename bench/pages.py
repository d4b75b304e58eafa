"""Page benchmark: server time and SQL queries of every main page after a year of data.

    .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --database-url postgresql+psycopg://postgres@127.0.0.1/test

Writes a year of a 200-resident building into a fresh database (bench/year_data.py), then
requests each page in-process with the Flask test client, logged in as the person who
would open it: a warm-up, then --repeat timed requests (time.perf_counter around the whole
request) and the SQL statements of one request counted by a `before_cursor_execute`
listener. Pages are listed in PAGES as (name, role, endpoint, arguments); an endpoint the
app does not register is skipped, and every other GET page without URL arguments found at
run time is measured too (as the first role it answers 200 for). Prints a table, then as
its last line one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import create_tables, log, make_app, percentile, prepare_database
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import event, text
from year_data import Year, build_year

TARGET_P95_MS = 20.0
TARGET_QUERIES = 10

Args = Callable[[Year], dict[str, Any]]


def none(_: Year) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Page:
    name: str
    role: str  # "resident", "coordinator", "concierge" or "manager"
    endpoint: str
    args: Args = none
    query: str = ""


PAGES: tuple[Page, ...] = (
    # Residents
    Page("home", "resident", "home.index"),
    Page("messages inbox", "resident", "messaging.inbox"),
    Page(
        "conversation",
        "resident",
        "messaging.conversation",
        lambda y: {"conversation_id": y.conversation_id},
    ),
    Page("desk conversation", "resident", "messaging.desk"),
    Page("message search", "resident", "messaging.search_page", query="q=tarte"),
    Page("activities week", "resident", "activities.calendar", query="range=week"),
    Page("activities month", "resident", "activities.calendar", query="range=month"),
    Page(
        "activity",
        "resident",
        "activities.occurrence",
        lambda y: {"occurrence_id": y.occurrence_id},
    ),
    Page("my calendar", "resident", "activities.my_calendar"),
    Page("common rooms", "resident", "activities.rooms_page"),
    Page("common room", "resident", "activities.room", lambda y: {"room_id": y.room_id}),
    Page("neighbours board", "resident", "concierge.help_board"),
    Page(
        "help request",
        "resident",
        "concierge.help_request",
        lambda y: {"request_id": y.help_request_id},
    ),
    Page("my tickets", "resident", "concierge.my_tickets"),
    Page("ticket", "resident", "concierge.ticket", lambda y: {"ticket_id": y.ticket_id}),
    Page("my home", "resident", "concierge.my_home"),
    Page("my parcels", "resident", "concierge.my_parcels"),
    Page("logbook", "resident", "concierge.logbook_page", lambda y: {"dwelling_id": y.dwelling_id}),
    Page("notifications", "resident", "notifications.index"),
    Page("settings", "resident", "home.settings"),
    Page("help", "resident", "home.help_page"),
    # Staff
    Page("staff home (coordinator)", "coordinator", "home.index"),
    Page("staff home (concierge)", "concierge", "home.index"),
    Page("staff home (manager)", "manager", "home.index"),
    Page("desk", "concierge", "concierge.desk_page"),
    Page("desk queue", "concierge", "concierge.desk_queue"),
    Page("desk inbox", "concierge", "messaging.inbox"),
    Page("dwellings", "concierge", "concierge.dwellings"),
    Page("dwelling", "concierge", "concierge.dwelling", lambda y: {"dwelling_id": y.dwelling_id}),
    Page("ticket (staff)", "concierge", "concierge.ticket", lambda y: {"ticket_id": y.ticket_id}),
    Page("residents", "coordinator", "admin.residents", lambda y: {"building_id": y.building_id}),
    Page(
        "resident (staff)", "coordinator", "admin.resident", lambda y: {"person_id": y.resident_id}
    ),
    Page("help figures", "coordinator", "concierge.help_figures"),
    Page(
        "activity (coordinator)",
        "coordinator",
        "activities.occurrence",
        lambda y: {"occurrence_id": y.occurrence_id},
    ),
    Page(
        "activities month (coordinator)", "coordinator", "activities.calendar", query="range=month"
    ),
    Page("proposals", "coordinator", "activities.proposals_page"),
    Page("message reports", "coordinator", "messaging.reports"),
)

# GET endpoints without URL arguments that are not pages (or that redirect at once).
NOT_PAGES = ("static", "health.", "auth.", "home.vendor", "api", ".static", "_badge", "_count")
ROLES = ("resident", "coordinator", "concierge", "manager")


@dataclass
class Measure:
    name: str
    role: str
    path: str
    status: int
    queries: int
    samples: list[float]
    cpu: list[float]


class QueryCounter:
    """Counts the SQL statements sent to the database (and keeps them when asked)."""

    def __init__(self) -> None:
        self.count = 0
        self.keep = False
        self.statements: list[tuple[str, float]] = []  # and each one's time, ms
        self._started = 0.0

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        self.count += 1
        if self.keep:
            self.statements.append((statement, 0.0))
            self._started = time.perf_counter()

    def finished(self, *_: Any) -> None:
        """after_cursor_execute: the time of the statement just kept."""
        if self.keep and self.statements:
            statement, _ = self.statements[-1]
            self.statements[-1] = (statement, (time.perf_counter() - self._started) * 1000)


def refresh_statistics() -> None:
    """On PostgreSQL, what autovacuum does after a bulk load: the planner's row counts,
    without which it plans a year of data as empty tables (nested loops everywhere)."""
    from portal.extensions import db

    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def discovered_pages(app: Flask, listed: set[str]) -> list[Page]:
    """GET endpoints without URL arguments not listed above: pages others added."""
    found = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if "GET" not in (rule.methods or ()) or rule.arguments or endpoint in listed:
            continue
        if any(part in endpoint for part in NOT_PAGES) or endpoint.endswith((".feed", "_ics")):
            continue
        found.append(Page(f"+ {endpoint}", "", endpoint))
    return sorted(found, key=lambda p: p.endpoint)


def logged_in(app: Flask, person: Any) -> FlaskClient:
    """A test client whose session is the person's, as Flask-Login writes it after a login."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    with client.session_transaction() as session:
        session["_user_id"] = person.get_id()
        session["_fresh"] = True
    return client


def landing(client: FlaskClient, path: str) -> str:
    """Where the page lands: a page that redirects at once (e.g. /messages/desk) is measured
    at its target."""
    for _ in range(3):
        response = client.get(path)
        if response.status_code not in (301, 302, 303, 307, 308):
            break
        path = response.headers["Location"]
    return path


def measure(
    client: FlaskClient, counter: QueryCounter, path: str, repeat: int, warmup: int
) -> tuple[int, int, list[float], list[float]]:
    """Status, statement count, then wall-clock and CPU milliseconds of each request."""
    status = 0
    for _ in range(warmup):
        status = client.get(path).status_code
    counter.count = 0
    counter.statements = []
    client.get(path)
    queries = counter.count
    samples, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.thread_time()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.thread_time() - cpu_started) * 1000)
        status = response.status_code
    return status, queries, samples, cpu


def run(args: argparse.Namespace) -> dict[str, Any]:
    from portal.extensions import db
    from portal.people.models import Person

    uri, cleanup = prepare_database(args.database_url)
    app = make_app(uri)
    # A page that fails shows as its status in the table; its traceback would drown it.
    app.logger.disabled = True
    started = time.perf_counter()
    with app.app_context():
        create_tables()
        year = build_year(seed=args.seed)
        refresh_statistics()
        people = {"resident": db.session.get(Person, year.resident_id)}
        for role, pid in year.staff.items():
            people[role] = db.session.get(Person, pid)
        clients = {role: logged_in(app, person) for role, person in people.items()}
        db.session.remove()
    log(f"a year written in {time.perf_counter() - started:.1f} s: {year.counts}")
    counter = QueryCounter()
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", counter)
    event.listen(engine, "after_cursor_execute", counter.finished)
    pages = [p for p in PAGES if p.endpoint in app.view_functions]
    for page in PAGES:
        if page.endpoint not in app.view_functions:
            log(f"skipped (not registered): {page.name} — {page.endpoint}")
    pages += discovered_pages(app, {p.endpoint for p in PAGES})
    results: list[Measure] = []
    for page in pages:
        with app.test_request_context():
            path = url_for(page.endpoint, **page.args(year))
        if page.query:
            path = f"{path}?{page.query}"
        roles = [page.role] if page.role else list(ROLES)
        for role in roles:
            target = landing(clients[role], path)
            counter.keep = page.name in args.show_queries
            status, queries, samples, cpu = measure(
                clients[role], counter, target, args.repeat, args.warmup
            )
            if counter.keep:
                log(f"-- {page.name}: {queries} statements")
                for statement, took_ms in counter.statements:
                    log(f"   {took_ms:7.2f} ms  " + " ".join(statement.split())[:300])
            if status == 200 or role == roles[-1]:
                results.append(Measure(page.name, role, target, status, queries, samples, cpu))
                break
    event.remove(engine, "before_cursor_execute", counter)
    event.remove(engine, "after_cursor_execute", counter.finished)
    with app.app_context():
        db.engine.dispose()
    if cleanup:
        cleanup()
    return summarise(results)


def summarise(results: list[Measure]) -> dict[str, Any]:
    log(
        f"\n{'page':<34} {'role':<12} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}"
        f" {'CPU p50':>8}"
    )
    every: list[float] = []
    pages: dict[str, dict[str, Any]] = {}
    for m in results:
        p50, p95 = percentile(m.samples, 50), percentile(m.samples, 95)
        flag = " *" if p95 > TARGET_P95_MS or m.queries > TARGET_QUERIES else ""
        cpu = percentile(m.cpu, 50)
        log(
            f"{m.name:<34} {m.role:<12} {m.status:>6} {p50:>8.1f} {p95:>8.1f} {m.queries:>8}"
            f" {cpu:>8.1f}{flag}"
        )
        if m.status != 200:
            log(f"  {m.path} answered {m.status}: left out of the figures")
            continue
        every += m.samples
        pages[m.name] = {"p50_ms": p50, "p95_ms": p95, "queries": m.queries}
    log(f"* misses the target (p95 ≤ {TARGET_P95_MS:.0f} ms, ≤ {TARGET_QUERIES} queries)")
    log("CPU p50: this thread's CPU time per request (SQLite runs in it; PostgreSQL does not),")
    log("        less sensitive than wall time to other work on a shared machine")
    return {
        "p50_ms": percentile(every, 50),
        "p95_ms": percentile(every, 95),
        "max_queries": max((p["queries"] for p in pages.values()), default=0),
        "pages": pages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--show-queries",
        action="append",
        default=[],
        metavar="PAGE",
        help="print the SQL of this page (by name; repeat for several)",
    )
    args = parser.parse_args()
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
