"""Messaging benchmark: latency and throughput of the real server, against a bare relay.

    .venv/bin/python bench/messaging.py --clients 500 --messages 3000 --rate 100
    .venv/bin/python bench/messaging.py --database-url postgresql+psycopg://postgres@127.0.0.1/test

Starts `python app.py` on a fresh database, connects N python-socketio clients (asyncio)
as real residents, sends M messages at a steady rate into one-to-one and group
conversations, and times every delivery from send to receipt. Then it saturates the
server to find its throughput (--window sends in flight; one answered `unavailable` is sent
again after its retry_after, and counted in saturation_retries), and
does the same against bench/bare_relay.py (no database, no auth). The last line printed is
one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.live import answers, free_port  # noqa: E402

sys.path.append(str(ROOT / "bench"))  # after ROOT: `messaging` is the package
from common import prepare_database  # noqa: E402

SECRET = "bench-secret-key"


@dataclass
class Seed:
    members: dict[int, list[int]]  # conversation id -> member person ids
    cookies: dict[int, str]  # person id -> session cookie header


@dataclass
class Tally:
    """One phase's sends and deliveries. `done` is set once every send of the phase is
    registered (closed) and each has reached every recipient; a delivery that arrives after
    the phase's wait is counted as late, apart from one that never arrives (lost)."""

    sent_at: dict[str, float] = field(default_factory=dict)
    expected: dict[str, set[int]] = field(default_factory=dict)
    received: dict[tuple[int, str], int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    outstanding: int = 0
    closed: bool = False  # every send of the phase is registered
    waited: bool = False  # the phase's wait for its deliveries is over
    late: int = 0
    refused: int = 0  # sends the server answered with ok: false (rate limit, unavailable)
    retries: int = 0  # sends answered `unavailable` and sent again (saturation only)
    last_delivery_at: float = 0.0

    def expect(self, client_id: str, recipients: set[int]) -> None:
        self.sent_at[client_id] = time.perf_counter()
        self.expected[client_id] = recipients
        self.outstanding += len(recipients)

    def refuse(self, client_id: str) -> None:
        """The server refused this send: nothing of it is expected any more."""
        recipients = self.expected.pop(client_id, set())
        missing = [p for p in recipients if (p, client_id) not in self.received]
        self.outstanding -= len(missing)
        self.refused += 1
        if self.outstanding == 0 and self.closed:
            self.done.set()

    def close(self) -> None:
        """No more sends in this phase: from now on, none outstanding means all arrived."""
        self.closed = True
        if self.outstanding == 0:
            self.done.set()

    def receive(self, person_id: int, client_id: str) -> None:
        key = (person_id, client_id)
        count = self.received.get(key, 0)
        self.received[key] = count + 1
        if count == 0 and person_id in self.expected.get(client_id, ()):
            self.last_delivery_at = time.perf_counter()
            self.latencies.append((self.last_delivery_at - self.sent_at[client_id]) * 1000)
            self.outstanding -= 1
            if self.waited:
                self.late += 1
            if self.outstanding == 0 and self.closed:
                self.done.set()

    async def wait(self, timeout: float, grace: float) -> None:
        """Wait for the phase's deliveries, then `grace` more seconds for late ones."""
        self.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.done.wait(), timeout=timeout)
        self.waited = True
        if not self.done.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.done.wait(), timeout=grace)

    def summary(self) -> dict[str, int]:
        expected = sum(len(r) for r in self.expected.values())
        delivered = sum(1 for (p, c) in self.received if p in self.expected.get(c, ()))
        duplicates = sum(n - 1 for n in self.received.values() if n > 1)
        return {
            "expected": expected,
            "delivered": delivered,
            "late": self.late,
            "lost": expected - delivered,
            "duplicates": duplicates,
            "refused": self.refused,
        }


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Seeding --------------------------------------------------------------------------------


def seed(uri: str, clients: int, group_size: int) -> Seed:
    from messaging import service
    from portal.extensions import db
    from portal.factory import create_app
    from tests.factories import make_building, make_resident

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": SECRET})
    with app.app_context():
        db.create_all()
        building = make_building(name="Résidence du banc d'essai")
        people = [
            make_resident(building, first_name=f"R{n}", pin=None, birth_year=1950)
            for n in range(clients)
        ]
        members: dict[int, list[int]] = {}
        for a, b in zip(people[0::2], people[1::2], strict=False):
            conv = service.get_or_create_direct(a, b.id)
            members[conv.id] = [a.id, b.id]
        shuffled = people[:]
        random.Random(1).shuffle(shuffled)
        for start in range(0, clients - group_size + 1, group_size):
            group = shuffled[start : start + group_size]
            conv = service.do_create_group(group[0], f"Groupe {start}", [p.id for p in group[1:]])
            members[conv.id] = [p.id for p in group]
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        cookie_name = app.config["SESSION_COOKIE_NAME"]
        cookies = {
            p.id: f"{cookie_name}={serializer.dumps({'_user_id': p.get_id(), '_fresh': True})}"
            for p in people
        }
        db.session.commit()  # the services only flush: the seed owns its transaction
        db.session.remove()
        db.engine.dispose()
    return Seed(members, cookies)


# Servers --------------------------------------------------------------------------------


def start(command: list[str], env: dict[str, str], url: str, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not answers(url):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"server did not start:\n{log.read_text()}")
        time.sleep(0.2)
    return process


def start_portal(uri: str, log_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "BV_ENV": "development",
        "SECRET_KEY": SECRET,
        "DATABASE_URL": uri,
        "BV_PORT": str(port),
        "BV_SCHEDULER": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    url = f"http://127.0.0.1:{port}"
    return start([sys.executable, "app.py"], env, f"{url}/login", log_dir / "portal.log"), url


def start_bare(seed_data: Seed, log_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    members_file = log_dir / "members.json"
    members_file.write_text(json.dumps({str(k): v for k, v in seed_data.members.items()}))
    command = [
        sys.executable,
        "bench/bare_relay.py",
        "--port",
        str(port),
        "--members",
        str(members_file),
    ]
    url = f"http://127.0.0.1:{port}"
    probe = f"{url}/socket.io/?EIO=4&transport=polling"
    return start(command, dict(os.environ), probe, log_dir / "bare.log"), url


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


# Clients --------------------------------------------------------------------------------


async def connect_all(url: str, seed_data: Seed, tally: Tally, bare: bool) -> dict[int, Any]:
    clients: dict[int, Any] = {}
    gate = asyncio.Semaphore(10)

    async def connect(person_id: int) -> None:
        client = socketio.AsyncClient(reconnection=False)

        async def on_message(data: dict[str, Any]) -> None:
            tally.receive(person_id, data["client_id"])

        client.on("messaging.message_created", on_message)
        target = f"{url}?user={person_id}" if bare else url
        headers = {} if bare else {"Cookie": seed_data.cookies[person_id]}
        for attempt in range(5):
            try:
                async with gate:
                    await client.connect(
                        target, headers=headers, transports=["websocket"], wait_timeout=10
                    )
                break
            except socketio.exceptions.ConnectionError as error:
                print(f"  connect retry {attempt + 1}: {error}", file=sys.stderr)
                await asyncio.sleep(0.5 * (attempt + 1))
        clients[person_id] = client

    await asyncio.gather(*(connect(pid) for pid in seed_data.cookies))
    return clients


def plan(seed_data: Seed, count: int) -> list[tuple[int, int]]:
    """(conversation, sender) pairs alternating one-to-one and groups, senders spread evenly."""
    rng = random.Random(7)
    conversations = list(seed_data.members.items())
    direct = [c for c in conversations if len(c[1]) == 2]
    groups = [c for c in conversations if len(c[1]) > 2] or direct
    result = []
    for n in range(count):
        pool = direct if n % 2 == 0 else groups
        conv_id, members = pool[rng.randrange(len(pool))]
        result.append((conv_id, members[n % len(members)]))
    return result


async def send(
    client: Any,
    tally: Tally,
    conv_id: int,
    sender: int,
    members: list[int],
    retry_unavailable: bool = False,
) -> Any:
    """One send; with `retry_unavailable`, a send the server answers `unavailable` is sent
    again with the same client id after half to all of its retry_after (sooner than the
    tablet, which adds a growing back-off: the saturation keeps the server busy)."""
    client_id = str(uuid.uuid4())
    tally.expect(client_id, set(members) - {sender})
    payload = {"conversation_id": conv_id, "client_id": client_id, "body": "Bonjour, voisin !"}
    while True:
        try:
            ack = await client.call("send_message", payload, timeout=30)
        except Exception:
            tally.refuse(client_id)  # no answer: counted as refused, not as a loss
            raise
        unavailable = isinstance(ack, dict) and ack.get("error") == "unavailable"
        if not (retry_unavailable and unavailable):
            break
        tally.retries += 1
        await asyncio.sleep(float(ack.get("retry_after") or 1) * (0.5 + random.random() / 2))
    if not (isinstance(ack, dict) and ack.get("ok")):
        tally.refuse(client_id)
    return ack


async def disconnect_all(clients: dict[int, Any]) -> None:
    await asyncio.gather(*(c.disconnect() for c in clients.values()), return_exceptions=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return round(statistics.quantiles(values, n=1000, method="inclusive")[int(q * 10) - 1], 2)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    uri, cleanup = prepare_database(args.database_url)
    log_dir = Path(tempfile.mkdtemp(prefix="bv-bench-logs-"))
    print(f"seeding {args.clients} residents…", file=sys.stderr)
    seed_data = seed(uri, args.clients, args.group_size)
    portal, url = start_portal(uri, log_dir)
    try:
        clients = await connect_all(url, seed_data, Tally(), bare=False)
        print(
            f"{len(clients)} clients connected; sending {args.messages} at {args.rate}/s…",
            file=sys.stderr,
        )
        tally = Tally()
        for pid, client in clients.items():
            client.handlers["/"]["messaging.message_created"] = _receiver(tally, pid)
        cpu_before = cpu_seconds(portal.pid)
        tally = await steady_with(clients, seed_data, args, tally)
        steady_cpu = cpu_seconds(portal.pid) - cpu_before
        memory = rss_mb(portal.pid)
        sat_tally = Tally()
        for pid, client in clients.items():
            client.handlers["/"]["messaging.message_created"] = _receiver(sat_tally, pid)
        cpu_before = cpu_seconds(portal.pid)
        throughput = await saturate_with(clients, seed_data, args, sat_tally)
        saturation_cpu = cpu_seconds(portal.pid) - cpu_before
        await disconnect_all(clients)
    finally:
        portal.terminate()
        portal.wait(timeout=10)
    bare, bare_url = start_bare(seed_data, log_dir)
    try:
        bare_clients = await connect_all(bare_url, seed_data, Tally(), bare=True)
        bare_tally = Tally()
        for pid, client in bare_clients.items():
            client.handlers["/"]["messaging.message_created"] = _receiver(bare_tally, pid)
        bare_throughput = await saturate_with(bare_clients, seed_data, args, bare_tally)
        await disconnect_all(bare_clients)
    finally:
        bare.terminate()
        bare.wait(timeout=10)
    if cleanup:
        cleanup()
    counts = tally.summary()
    return {
        "clients": args.clients,
        "messages": args.messages,
        "deliveries_expected": counts["expected"],
        "delivered": counts["delivered"],
        "late": counts["late"],
        "lost": counts["lost"],
        "duplicates": counts["duplicates"],
        "refused": counts["refused"],
        "saturation_lost": sat_tally.summary()["lost"],
        "saturation_refused": sat_tally.refused,
        "saturation_retries": sat_tally.retries,
        "p50_ms": percentile(tally.latencies, 50),
        "p95_ms": percentile(tally.latencies, 95),
        "p99_ms": percentile(tally.latencies, 99),
        "max_throughput_per_s": round(throughput, 1),
        "bare_max_throughput_per_s": round(bare_throughput, 1),
        "throughput_ratio": round(throughput / bare_throughput, 2) if bare_throughput else None,
        "rss_mb": memory,
        # The server's own CPU per message, whatever else the machine is doing.
        "server_cpu_ms_per_message": round(steady_cpu * 1000 / args.messages, 2),
        "saturation_cpu_ms_per_message": round(saturation_cpu * 1000 / args.saturation_messages, 2),
    }


def _receiver(tally: Tally, person_id: int) -> Any:
    async def on_message(data: dict[str, Any]) -> None:
        tally.receive(person_id, data["client_id"])

    return on_message


async def steady_with(clients: dict[int, Any], seed_data: Seed, args: Any, tally: Tally) -> Tally:
    start_at = time.perf_counter()
    pending = []
    for n, (conv_id, sender) in enumerate(plan(seed_data, args.messages)):
        delay = start_at + n / args.rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        members = seed_data.members[conv_id]
        pending.append(asyncio.create_task(send(clients[sender], tally, conv_id, sender, members)))
    acks = await asyncio.gather(*pending, return_exceptions=True)
    failed = [a for a in acks if not (isinstance(a, dict) and a.get("ok"))]
    if failed:
        print(f"  {len(failed)} sends not acknowledged, e.g. {failed[0]!r}", file=sys.stderr)
    await tally.wait(timeout=15, grace=15)
    return tally


async def saturate_with(clients: dict[int, Any], seed_data: Seed, args: Any, tally: Tally) -> float:
    gate = asyncio.Semaphore(args.window)

    async def one(conv_id: int, sender: int) -> Any:
        members = seed_data.members[conv_id]
        async with gate:
            return await send(
                clients[sender], tally, conv_id, sender, members, retry_unavailable=True
            )

    started = time.perf_counter()
    count = args.saturation_messages
    acks = await asyncio.gather(
        *(one(c, s) for c, s in plan(seed_data, count)), return_exceptions=True
    )
    failed = [a for a in acks if not (isinstance(a, dict) and a.get("ok"))]
    if failed:
        print(f"  saturation: {len(failed)} sends failed, e.g. {failed[0]!r}", file=sys.stderr)
    await tally.wait(timeout=30, grace=15)
    accepted = count - tally.refused
    elapsed = tally.last_delivery_at - started
    # Messages carried per second, up to the last delivery (not the wait after it).
    return accepted / elapsed if accepted and elapsed > 0 else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--group-size", type=int, default=6)
    parser.add_argument("--saturation-messages", type=int, default=2000)
    parser.add_argument(
        "--window",
        type=int,
        default=32,
        help="sends in flight when saturating (under the worker's admission bound, 2 x 20)",
    )
    args = parser.parse_args()
    result = asyncio.run(run(args))
    for key, value in result.items():
        print(f"{key:>28}: {value}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
