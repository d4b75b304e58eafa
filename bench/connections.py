"""Connection benchmark: how many Socket.IO connections one worker process holds.

    .venv/bin/python bench/connections.py --max 10000
    .venv/bin/python bench/connections.py --steps 500,1000 --max 1000   # a quick check

Starts one `python app.py` (gevent) on a fresh database holding --max residents (bulk
inserted; each gets a signed session cookie, as after a login, so every socket is a real
authenticated one: the server loads the person and joins their rooms). Client processes
(--client-procs, asyncio + aiohttp WebSockets speaking Engine.IO 4 / Socket.IO 5
directly, far lighter than a full client per connection) open connections in steps. At
each step: the server's resident memory (/proc/<pid>/status), then a delivery round —
--sample messages, paced at --rate per second, each sent by one connected resident into
their one-to-one conversation and timed until the partner's socket receives it. Stops
when p99 exceeds 1 s or anything fails (a refused or dropped connection, an unanswered
send, a lost message). Last line, JSON: the largest step delivered within 1 s, the
server's memory per connection at that step, and that step's p99. The table also shows
the server's CPU time per message sent and its CPU use while idle (ping/pong), figures a
busy machine distorts less than latencies. --bare runs the same against bench/bare_relay.py.
Clients offer permessage-deflate, as browsers do (the portal declines it; the bare relay,
on the stock stack, accepts it, which costs about 100 KB of zlib state per socket).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from common import (
    ROOT,
    answers,
    cpu_ms,
    create_tables,
    free_port,
    log,
    make_app,
    percentile,
    prepare_database,
    raise_open_files,
    rss_kb,
    start_portal,
)

DEFAULT_STEPS = (500, 1000, 2000, 3000, 5000, 7500, 10000, 12500, 15000, 17500)
LIMIT_MS = 1000.0
EVENT = "messaging.message_created"


# Seeding --------------------------------------------------------------------------------


def seed(uri: str, count: int) -> dict[int, str]:
    """`count` residents in buildings of 200, paired in one-to-one conversations (residents
    2k+1 and 2k+2 share conversation k+1); returns each one's session cookie."""
    from sqlalchemy import insert

    from messaging.models import Conversation, ConversationKind, Membership
    from portal.extensions import db
    from portal.people.models import Building, Dwelling, DwellingType, Organisation, Person, Role

    app = make_app(uri)
    now = datetime.now(UTC)
    with app.app_context():
        create_tables()
        org = Organisation(name="Bailleur du banc d'essai")
        db.session.add(org)
        db.session.flush()
        buildings = -(-count // 200)
        db.session.execute(
            insert(Building.__table__),
            [
                {"id": b + 1, "organisation_id": org.id, "name": f"Résidence {b + 1}"}
                for b in range(buildings)
            ],
        )
        dwellings = -(-count // 2)
        db.session.execute(
            insert(Dwelling.__table__),
            [
                {
                    "id": d + 1,
                    "building_id": d // 100 + 1,
                    "number": f"{d % 100:03d}",
                    "floor": d % 100 // 15,
                    "kind": DwellingType.T2,
                }
                for d in range(dwellings)
            ],
        )
        db.session.execute(
            insert(Person.__table__),
            [
                {
                    "id": p,
                    "organisation_id": org.id,
                    "role": Role.RESIDENT,
                    "building_id": (p - 1) // 200 + 1,
                    "dwelling_id": (p - 1) // 2 + 1,
                    "first_name": f"R{p}",
                    "last_name": "Banc",
                    "birth_year": 1950,
                    "locale": "fr",
                }
                for p in range(1, count + 1)
            ],
        )
        db.session.execute(
            insert(Conversation.__table__),
            [
                {
                    "id": k + 1,
                    "building_id": 2 * k // 200 + 1,
                    "kind": ConversationKind.DIRECT,
                    "direct_key": f"{2 * k + 1}:{2 * k + 2}",
                    "created_by_id": 2 * k + 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for k in range(count // 2)
            ],
        )
        db.session.execute(
            insert(Membership.__table__),
            [
                {"conversation_id": (p - 1) // 2 + 1, "person_id": p, "joined_at": now}
                for p in range(1, count // 2 * 2 + 1)
            ],
        )
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        name = app.config["SESSION_COOKIE_NAME"]
        cookies = {
            p: f"{name}={serializer.dumps({'_user_id': f'{p}:1', '_fresh': True})}"
            for p in range(1, count + 1)
        }
        db.session.remove()
        db.engine.dispose()
    return cookies


# One client process ---------------------------------------------------------------------


@dataclass
class Socket:
    """One Socket.IO connection over a raw WebSocket."""

    person_id: int
    ws: Any = None
    reader: asyncio.Task[None] | None = None
    acks: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    next_ack: int = 0


class ClientProcess:
    """Many connections in one asyncio loop, driven by commands from the main process."""

    def __init__(self, url: str, pipe: Connection, gate: int) -> None:
        self.url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.pipe = pipe
        self.sockets: dict[int, Socket] = {}
        self.received: dict[str, float] = {}  # "client_id:recipient" -> when
        self.waiting: dict[str, asyncio.Event] = {}
        self.dropped = 0
        self.refused: list[str] = []
        self.gate = asyncio.Semaphore(gate)
        self.session: Any = None

    async def main(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=0, force_close=False)
        self.session = aiohttp.ClientSession(connector=connector)
        loop = asyncio.get_running_loop()
        try:
            while True:
                command, payload = await loop.run_in_executor(None, self.pipe.recv)
                if command == "stop":
                    break
                handler = getattr(self, f"do_{command}")
                self.pipe.send(await handler(payload))
        finally:
            await asyncio.gather(
                *(s.ws.close() for s in self.sockets.values() if s.ws is not None),
                return_exceptions=True,
            )
            await self.session.close()

    async def do_connect(self, cookies: dict[int, str]) -> dict[str, Any]:
        self.refused = []
        await asyncio.gather(*(self.connect(pid, cookie) for pid, cookie in cookies.items()))
        return {
            "open": len(self.sockets),
            "refused": self.refused[:3],
            "refused_count": len(self.refused),
            "dropped": self.dropped,
        }

    async def connect(self, person_id: int, cookie: str) -> None:
        import aiohttp

        sock = Socket(person_id)
        async with self.gate:
            try:
                sock.ws = await self.session.ws_connect(
                    f"{self.url}&user={person_id}",  # read by the bare relay only
                    headers={"Cookie": cookie},
                    autoping=True,
                    heartbeat=None,
                    timeout=aiohttp.ClientWSTimeout(ws_close=5),
                    max_msg_size=0,
                    compress=15,  # as a browser does: it offers permessage-deflate
                )
                opened = await asyncio.wait_for(sock.ws.receive_str(), 20)
                if not opened.startswith("0"):
                    raise ConnectionError(f"unexpected open packet {opened[:40]!r}")
                await sock.ws.send_str("40")
                answer = await asyncio.wait_for(self._first_packet(sock), 20)
                if not answer.startswith("40"):
                    raise ConnectionError(f"refused: {answer[:80]!r}")
            except Exception as error:  # any failure counts as a refusal at this step
                self.refused.append(f"{type(error).__name__}: {error}")
                if sock.ws is not None:
                    await sock.ws.close()
                return
        self.sockets[person_id] = sock
        sock.reader = asyncio.create_task(self.read(sock))  # kept: a task is held weakly

    async def _first_packet(self, sock: Socket) -> str:
        while True:
            packet = await sock.ws.receive_str()
            if packet == "2":
                await sock.ws.send_str("3")
                continue
            return str(packet)

    async def read(self, sock: Socket) -> None:
        import aiohttp

        async for message in sock.ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data: str = message.data
            if data == "2":
                await sock.ws.send_str("3")
            elif data.startswith("42["):
                self.on_event(sock, data[2:])
            elif data.startswith("43"):
                self.on_ack(sock, data[2:])
        self.sockets.pop(sock.person_id, None)
        self.dropped += 1

    def on_event(self, sock: Socket, body: str) -> None:
        if not body.startswith(f'["{EVENT}"'):
            return
        arrived = time.monotonic()
        _name, payload = json.loads(body)
        key = f"{payload.get('client_id')}:{sock.person_id}"
        if key in self.waiting and key not in self.received:
            self.received[key] = arrived
            self.waiting[key].set()

    def on_ack(self, sock: Socket, body: str) -> None:
        digits = len(body) - len(body.lstrip("0123456789"))
        future = sock.acks.pop(int(body[:digits]), None)
        if future is not None and not future.done():
            future.set_result(json.loads(body[digits:])[0])

    async def do_round(self, plan: dict[str, Any]) -> dict[str, Any]:
        """Send each planned message at its time; time its arrival at the partner."""
        self.received.clear()
        self.waiting.clear()
        results = await asyncio.gather(
            *(self.send_one(plan["start"], *item) for item in plan["items"])
        )
        latencies = [r for r in results if isinstance(r, float)]
        errors = [r for r in results if isinstance(r, str)]
        return {
            "latencies": latencies,
            "errors": errors[:3],
            "error_count": len(errors),
            "open": len(self.sockets),
            "dropped": self.dropped,
        }

    async def send_one(
        self, start: float, offset: float, sender: int, conversation: int, partner: int
    ) -> float | str:
        await asyncio.sleep(max(0.0, start + offset - time.monotonic()))
        sock = self.sockets.get(sender)
        if sock is None or partner not in self.sockets:
            return "a socket of the pair is closed"
        client_id = uuid.uuid4().hex
        key = f"{client_id}:{partner}"
        self.waiting[key] = asyncio.Event()
        sock.next_ack += 1
        ack = asyncio.get_running_loop().create_future()
        sock.acks[sock.next_ack] = ack
        payload = {"conversation_id": conversation, "client_id": client_id, "body": "Bonjour !"}
        sent = time.monotonic()
        await sock.ws.send_str(f"42{sock.next_ack}" + json.dumps(["send_message", payload]))
        try:
            answer = await asyncio.wait_for(ack, 15)
            await asyncio.wait_for(self.waiting[key].wait(), 15)
        except TimeoutError:
            return "no acknowledgement or no delivery within 15 s"
        if not (isinstance(answer, dict) and answer.get("ok")):
            return f"send refused: {answer!r}"[:200]
        return (self.received[key] - sent) * 1000


def client_main(url: str, pipe: Connection, gate: int, files: int) -> None:
    raise_open_files(files)
    asyncio.run(ClientProcess(url, pipe, gate).main())


# The main process -----------------------------------------------------------------------


@dataclass
class Step:
    connections: int
    rss_kb: int
    kb_per_connection: float
    p50_ms: float
    p99_ms: float
    errors: list[str]


class Clients:
    """The client processes; pair k (residents 2k+1, 2k+2) lives in process k % n."""

    def __init__(self, url: str, count: int, gate: int, files: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        for _ in range(count):
            parent, child = context.Pipe()
            process = context.Process(target=client_main, args=(url, child, gate, files))
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def owner(self, person_id: int) -> int:
        return (person_id - 1) // 2 % len(self.pipes)

    def ask(self, command: str, payloads: list[Any]) -> list[dict[str, Any]]:
        for pipe, payload in zip(self.pipes, payloads, strict=True):
            pipe.send((command, payload))
        return [pipe.recv() for pipe in self.pipes]

    def connect(self, cookies: dict[int, str], ids: range) -> list[dict[str, Any]]:
        shares: list[dict[int, str]] = [{} for _ in self.pipes]
        for pid in ids:
            shares[self.owner(pid)][pid] = cookies[pid]
        return self.ask("connect", shares)

    def round(self, pairs: list[tuple[int, int, int]], rate: float) -> list[dict[str, Any]]:
        start = time.monotonic() + 0.5
        plans: list[dict[str, Any]] = [{"start": start, "items": []} for _ in self.pipes]
        for n, (sender, conversation, partner) in enumerate(pairs):
            plans[self.owner(sender)]["items"].append((n / rate, sender, conversation, partner))
        return self.ask("round", plans)

    def stop(self) -> None:
        for pipe in self.pipes:
            pipe.send(("stop", None))
        for process in self.processes:
            process.join(timeout=20)
            if process.is_alive():
                process.terminate()


def start_bare(count: int, log_dir: Path) -> tuple[Any, str]:
    """bench/bare_relay.py, told the same pairs, on a free port."""
    import subprocess

    port = free_port()
    members = {str(k + 1): [2 * k + 1, 2 * k + 2] for k in range(count // 2)}
    members_file = log_dir / "members.json"
    members_file.write_text(json.dumps(members))
    command = [
        sys.executable,
        "bench/bare_relay.py",
        "--port",
        str(port),
        "--members",
        str(members_file),
    ]
    url = f"http://127.0.0.1:{port}"
    with (log_dir / "bare.log").open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while not answers(f"{url}/socket.io/?EIO=4&transport=polling"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"bare relay did not start:\n{(log_dir / 'bare.log').read_text()}")
        time.sleep(0.2)
    return process, url


def steps_up_to(maximum: int, chosen: str | None) -> list[int]:
    """The chosen (or default) steps up to `maximum`, which is always the last one."""
    steps = [int(s) for s in chosen.split(",")] if chosen else list(DEFAULT_STEPS)
    return sorted({s - s % 2 for s in steps if s < maximum} | {maximum - maximum % 2})


def sample_pairs(connected: int, sample: int, rng: random.Random) -> list[tuple[int, int, int]]:
    """(sender, conversation, partner) for `sample` random connected pairs, either way."""
    pairs = rng.sample(range(connected // 2), min(sample, connected // 2))
    result = []
    for k in pairs:
        a, b = 2 * k + 1, 2 * k + 2
        sender, partner = (a, b) if rng.random() < 0.5 else (b, a)
        result.append((sender, k + 1, partner))
    return result


def run(args: argparse.Namespace) -> dict[str, Any]:
    # The server needs two descriptors per WebSocket (simple-websocket duplicates the
    # socket) and inherits this limit; past it, connections fail for want of descriptors.
    files = raise_open_files(2 * args.max + 1000)
    cap = (files - 200) // 2
    if cap < args.max:
        log(f"open files limited to {files}: at most about {cap} connections; stopping there")
    steps = steps_up_to(min(args.max, cap), args.steps)
    uri, cleanup = prepare_database(args.database_url)
    if not args.bare:
        log(f"seeding {steps[-1]} residents…")
    cookies = {p: "" for p in range(1, steps[-1] + 1)} if args.bare else seed(uri, steps[-1])
    log_dir = Path(tempfile.mkdtemp(prefix="bv-bench-logs-"))
    if args.bare:
        server, url = start_bare(steps[-1], log_dir)
    else:
        server, url = start_portal(uri, log_dir / "portal.log")
    clients = Clients(url, args.client_procs, args.gate, files)
    rng = random.Random(5)
    results: list[Step] = []
    try:
        time.sleep(1)
        baseline = rss_kb(server.pid)
        log(f"server pid {server.pid}, RSS before connecting {baseline / 1024:.1f} MiB")
        log(
            f"{'connections':>11} {'RSS MiB':>8} {'KB/conn':>8} {'p50 ms':>8} {'p99 ms':>8}"
            f" {'CPU/msg':>8} {'idle CPU':>8}  errors"
        )
        connected = 0
        for target in steps:
            started = time.monotonic()
            states = clients.connect(cookies, range(connected + 1, target + 1))
            connected = target
            errors = [
                f"{s['refused_count']} refused, e.g. {s['refused']}"
                for s in states
                if s["refused_count"]
            ]
            open_now = sum(s["open"] for s in states)
            log(f"  {target} asked, {open_now} open in {time.monotonic() - started:.1f} s")
            idle_before = cpu_ms(server.pid)
            time.sleep(args.settle)
            idle = (cpu_ms(server.pid) - idle_before) / args.settle / 10  # % of one core
            memory = rss_kb(server.pid)
            cpu_before = cpu_ms(server.pid)
            pairs = sample_pairs(target, args.sample, rng)
            answers = clients.round(pairs, args.rate)
            per_message = (cpu_ms(server.pid) - cpu_before) / max(1, len(pairs))
            latencies = [v for a in answers for v in a["latencies"]]
            errors += [
                f"{a['error_count']} failed sends, e.g. {a['errors']}"
                for a in answers
                if a["error_count"]
            ]
            dropped = sum(a["dropped"] for a in answers)
            if dropped:
                errors.append(f"{dropped} connections dropped")
            if server.poll() is not None:
                errors.append("the server stopped")
            step = Step(
                target,
                memory,
                round((memory - baseline) / target, 1),
                percentile(latencies, 50),
                percentile(latencies, 99),
                errors,
            )
            results.append(step)
            log(
                f"{step.connections:>11} {memory / 1024:>8.1f} {step.kb_per_connection:>8.1f} "
                f"{step.p50_ms:>8.1f} {step.p99_ms:>8.1f} {per_message:>8.2f} {idle:>7.1f}%"
                f"  {'; '.join(errors) or '-'}"
            )
            if errors or not step.p99_ms <= LIMIT_MS:
                break
    finally:
        clients.stop()
        server.terminate()
        try:
            server.wait(timeout=15)
        except Exception:
            server.kill()
        if cleanup:
            cleanup()
    good = [s for s in results if not s.errors and s.p99_ms <= LIMIT_MS]
    best = good[-1] if good else None
    return {
        "connections": best.connections if best else 0,
        "kb_per_connection": best.kb_per_connection if best else None,
        "delivery_p99_ms": best.p99_ms if best else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max", type=int, default=10000, help="largest step (connections)")
    parser.add_argument("--steps", default=None, help="comma-separated steps (default 500…)")
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--client-procs", type=int, default=4, help="client processes")
    parser.add_argument("--gate", type=int, default=20, help="connects in flight per process")
    parser.add_argument("--sample", type=int, default=200, help="messages per delivery round")
    parser.add_argument("--rate", type=float, default=100.0, help="messages per second")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument(
        "--bare",
        action="store_true",
        help="measure bench/bare_relay.py instead (same stack, no database, no auth)",
    )
    args = parser.parse_args()
    print(json.dumps(run(args)))


if __name__ == "__main__":
    main()
