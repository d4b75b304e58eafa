"""Soak: several workers on PostgreSQL and Redis, clients sending for minutes through faults.

    .venv/bin/python bench/soak.py --workers 3 --clients 300 --rate 50 --duration 240

Starts a Redis of its own (so restarting it disturbs nothing else), N `python app.py`
workers sharing a fresh PostgreSQL schema and that Redis, and M residents as python-socketio
clients spread over the workers. Each client behaves like the tablet's conversation page:
every send has a client id and stays in an outbox until acknowledged (sent again after a
reconnect); on every connect, and when a worker says `portal.resync`, it catches up from
the last id it holds per conversation; it keeps each message once, by id.

While the clients send at a steady rate, clients drop and reconnect at random, one worker is
killed with SIGKILL and restarted, and Redis is restarted once. At the end, once every outbox
is empty, each client's messages are compared with the database. The last line is JSON:
messages_sent (acknowledged sends), deliveries_expected (messages × members other than the
sender), delivered, lost, duplicates (messages stored twice for one send, or held twice by
a client), out_of_order (live events arriving after a later message of the same
conversation on that connection; the page puts them in place by id), p99_ms (send to live
delivery), faults.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.messaging import SECRET, prepare_database, seed  # noqa: E402
from tests.live import answers, free_port  # noqa: E402

DEFAULT_DATABASE = os.environ.get(
    "DATABASE_URL_TEST", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def log(text_: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text_}", file=sys.stderr, flush=True)


# Processes ------------------------------------------------------------------------------


class Redis:
    """A Redis of the benchmark's own: nothing on disk, stopped and started at will."""

    def __init__(self, folder: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server is not installed")
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not _port_open(self.port):
            if time.monotonic() > deadline:
                raise SystemExit("redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Worker:
    index: int
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "app.py"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while not answers(f"{self.url}/login"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"worker {self.index} did not start:\n{self.log_path.read_text()}")
            time.sleep(0.1)

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive and self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def make_workers(count: int, uri: str, redis_url: str, log_dir: Path) -> list[Worker]:
    workers = []
    for index in range(count):
        port = free_port()
        env = {
            **os.environ,
            "BV_ENV": "development",
            "SECRET_KEY": SECRET,
            "DATABASE_URL": uri,
            "REDIS_URL": redis_url,
            "BV_PORT": str(port),
            "BV_SCHEDULER": "0",
            "PYTHONUNBUFFERED": "1",
            **WORKER_POOL,
        }
        workers.append(Worker(index, port, env, log_dir / f"worker-{index}.log"))
    return workers


# Clients --------------------------------------------------------------------------------


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    sent_at: dict[str, float] = field(default_factory=dict)
    acknowledged: set[str] = field(default_factory=set)
    out_of_order: int = 0
    reconnects: int = 0
    resyncs: int = 0
    catch_ups: int = 0
    refused_sends: Counter[str] = field(default_factory=Counter)


# The tablet's outbox (messaging/static/conversation.js): what it retries, and when.
RETRYABLE = {"rate_limited", "server_error", "unavailable", "unauthenticated"}
NO_ANSWER_RETRY_S = 5.0
REFUSED_RETRY_S = 3.0
# Each worker's pools must fit PostgreSQL's max_connections (100 here) together.
WORKER_POOL = {"BV_DB_POOL_SIZE": "10", "BV_DB_MAX_OVERFLOW": "10"}


class Resident:
    """One tablet: an outbox, catch-up on every (re)connect and resync, messages by id."""

    def __init__(
        self,
        person_id: int,
        cookie: str,
        conversations: list[int],
        stats: Stats,
        workers: list[Worker],
        home: int,
    ) -> None:
        self.person_id, self.cookie, self.stats = person_id, cookie, stats
        self.workers, self.home = workers, home
        self.held: dict[int, dict[int, str]] = {c: {} for c in conversations}  # id -> client id
        self.live_max: dict[int, int] = {}
        self.outbox: dict[str, dict[str, Any]] = {}
        self.client: socketio.AsyncClient | None = None
        self.stopping = False
        self.lock = asyncio.Lock()
        self.reconnecting = False

    # Connecting -------------------------------------------------------------------------

    async def connect(self) -> None:
        async with self.lock:
            while not self.stopping:
                worker = self._pick_worker()
                client = socketio.AsyncClient(reconnection=False)
                client.on("messaging.message_created", self._on_message)
                client.on("portal.resync", self._on_resync)
                client.on("disconnect", self._on_disconnect)
                try:
                    await client.connect(
                        worker.url,
                        headers={"Cookie": self.cookie},
                        transports=["websocket"],
                        wait_timeout=10,
                    )
                except (socketio.exceptions.ConnectionError, OSError):
                    await asyncio.sleep(random.uniform(0.3, 1.5))
                    continue
                self.client = client
                self.live_max = {}
                break
        if self.client is not None and self.client.connected:
            await self.catch_up()
            await self.flush_outbox()

    def _pick_worker(self) -> Worker:
        alive = [w for w in self.workers if w.alive] or self.workers
        preferred = self.workers[self.home]
        return preferred if preferred in alive and random.random() < 0.7 else random.choice(alive)

    async def _on_disconnect(self, *_args: Any) -> None:
        if self.stopping or self.reconnecting:
            return
        self.reconnecting = True
        self.stats.reconnects += 1
        await asyncio.sleep(random.uniform(0.2, 2.0))
        self.reconnecting = False
        asyncio.get_running_loop().create_task(self.connect())

    async def drop(self) -> None:
        """The tablet loses its Wi-Fi for a moment."""
        if self.client is not None and self.client.connected:
            await self.client.disconnect()

    async def close(self) -> None:
        self.stopping = True
        if self.client is not None and self.client.connected:
            with contextlib.suppress(Exception):
                await self.client.disconnect()

    # Receiving --------------------------------------------------------------------------

    def _hold(self, message: dict[str, Any], live: bool) -> None:
        conversation_id = int(message["conversation_id"])
        if conversation_id not in self.held:
            return
        message_id = int(message["id"])
        if live:
            if message_id < self.live_max.get(conversation_id, 0):
                self.stats.out_of_order += 1
            self.live_max[conversation_id] = max(self.live_max.get(conversation_id, 0), message_id)
            sent = self.stats.sent_at.get(message["client_id"])
            if sent is not None and message["sender"]["id"] != self.person_id:
                self.stats.latencies.append((time.perf_counter() - sent) * 1000)
        self.held[conversation_id].setdefault(message_id, message["client_id"])

    async def _on_message(self, message: dict[str, Any]) -> None:
        self._hold(message, live=True)

    async def _on_resync(self, *_args: Any) -> None:
        self.stats.resyncs += 1
        await self.catch_up()

    async def catch_up(self) -> None:
        if self.client is None or not self.client.connected:
            return
        last = {str(c): max(ids) if ids else 0 for c, ids in self.held.items()}
        try:
            ack = await self.client.call("catch_up", {"conversations": last}, timeout=20)
        except (
            socketio.exceptions.TimeoutError,
            socketio.exceptions.BadNamespaceError,
            socketio.exceptions.DisconnectedError,
        ):
            return  # the next connect catches up
        if ack and ack.get("ok"):
            self.stats.catch_ups += 1
            for messages in ack["messages"].values():
                for message in messages:
                    self._hold(message, live=False)

    # Sending ----------------------------------------------------------------------------

    async def send(self, conversation_id: int) -> None:
        client_id = str(uuid.uuid4())
        payload = {
            "conversation_id": conversation_id,
            "client_id": client_id,
            "body": f"Bonjour, voisin ! {client_id[:8]}",
        }
        self.outbox[client_id] = payload
        self.stats.sent_at[client_id] = time.perf_counter()
        await self.deliver(payload)

    async def deliver(self, payload: dict[str, Any]) -> None:
        if self.client is None or not self.client.connected:
            return  # sent after the reconnect
        try:
            ack = await self.client.call("send_message", payload, timeout=10)
        except socketio.exceptions.TimeoutError:
            self._retry_later(payload, NO_ANSWER_RETRY_S)  # as the tablet does
            return
        except (socketio.exceptions.BadNamespaceError, socketio.exceptions.DisconnectedError):
            return  # sent again after the reconnect
        if ack and ack.get("ok"):
            self.outbox.pop(payload["client_id"], None)
            self.stats.acknowledged.add(payload["client_id"])
            self._hold(ack["message"], live=False)
        elif ack:
            self.stats.refused_sends[ack.get("error", "?")] += 1
            if ack.get("error") in RETRYABLE:
                self._retry_later(payload, REFUSED_RETRY_S)
            else:
                self.outbox.pop(payload["client_id"], None)

    def _retry_later(self, payload: dict[str, Any], delay_s: float) -> None:
        async def again() -> None:
            await asyncio.sleep(delay_s)
            if payload["client_id"] in self.outbox and not self.stopping:
                await self.deliver(payload)

        asyncio.get_running_loop().create_task(again())

    async def flush_outbox(self) -> None:
        for payload in list(self.outbox.values()):
            await self.deliver(payload)


# The run --------------------------------------------------------------------------------


@dataclass
class Faults:
    log: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def note(self, kind: str, **details: Any) -> None:
        entry = {"at_s": round(time.monotonic() - self.started, 1), "fault": kind, **details}
        self.log.append(entry)
        log(f"fault: {entry}")


async def kill_and_restart(worker: Worker, faults: Faults, down_s: float) -> None:
    worker.kill()
    faults.note("worker_killed", worker=worker.index, signal="SIGKILL")
    await asyncio.sleep(down_s)
    await asyncio.to_thread(worker.start)
    faults.note("worker_restarted", worker=worker.index)


async def restart_redis(redis: Redis, faults: Faults, down_s: float) -> None:
    redis.stop()
    faults.note("redis_stopped")
    await asyncio.sleep(down_s)
    await asyncio.to_thread(redis.start)
    faults.note("redis_restarted", down_s=down_s)


async def random_drops(
    residents: list[Resident], rate_per_s: float, until: float, faults: Faults
) -> None:
    drops = 0
    while time.monotonic() < until:
        await asyncio.sleep(1)
        for resident in random.sample(residents, k=min(len(residents), int(rate_per_s) + 1)):
            if random.random() < rate_per_s / (int(rate_per_s) + 1):
                await resident.drop()
                drops += 1
    faults.note("client_drops", count=drops)


async def steady_sends(
    residents: dict[int, Resident], members: dict[int, list[int]], rate: float, duration: float
) -> int:
    rng = random.Random(11)
    conversations = list(members.items())
    started = time.perf_counter()
    count = int(rate * duration)
    tasks = []
    for n in range(count):
        delay = started + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        conversation_id, people = conversations[rng.randrange(len(conversations))]
        sender = residents[people[n % len(people)]]
        tasks.append(asyncio.create_task(sender.send(conversation_id)))
    await asyncio.gather(*tasks, return_exceptions=True)
    return count


async def settle(residents: list[Resident], timeout: float) -> None:
    """Until every outbox is empty and every client is connected again."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = [r for r in residents if r.outbox or r.client is None or not r.client.connected]
        if not waiting:
            break
        for resident in waiting:
            if resident.client is not None and resident.client.connected:
                await resident.flush_outbox()
        await asyncio.sleep(1)
    await asyncio.sleep(5)  # the last live events


def compare(
    uri: str, residents: list[Resident], members: dict[int, list[int]], stats: Stats
) -> dict[str, int]:
    engine = create_engine(uri)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, conversation_id, sender_id, client_id FROM messages")
        ).all()
    engine.dispose()
    by_conversation: dict[int, list[tuple[int, int]]] = {}
    for message_id, conversation_id, sender_id, _client_id in rows:
        by_conversation.setdefault(conversation_id, []).append((message_id, sender_id))
    stored_twice = sum(n - 1 for n in Counter((r[2], r[3]) for r in rows).values() if n > 1)
    stored_ids = {r[3] for r in rows}
    acknowledged_missing = len(stats.acknowledged - stored_ids)
    expected = delivered = held_twice = 0
    for resident in residents:
        for conversation_id, held in resident.held.items():
            for message_id, sender_id in by_conversation.get(conversation_id, []):
                if sender_id == resident.person_id:
                    continue
                expected += 1
                delivered += message_id in held
            held_twice += sum(n - 1 for n in Counter(held.values()).values() if n > 1)
    return {
        "messages_stored": len(rows),
        "deliveries_expected": expected,
        "delivered": delivered,
        "lost": expected - delivered + acknowledged_missing,
        "duplicates": stored_twice + held_twice,
    }


def percentile(values: list[float], q: float) -> float | None:
    if len(values) < 2:
        return None
    return round(statistics.quantiles(values, n=100, method="inclusive")[q - 1], 1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    uri, cleanup = prepare_database(args.database_url)
    log_dir = Path(tempfile.mkdtemp(prefix="bv-soak-"))
    log(f"logs in {log_dir}; seeding {args.clients} residents…")
    seed_data = seed(uri, args.clients, args.group_size)
    redis = Redis(log_dir)
    redis.start()
    workers = make_workers(args.workers, uri, redis.url, log_dir)
    for worker in workers:
        worker.start()
    stats, faults = Stats(), Faults()
    conversations_of: dict[int, list[int]] = {}
    for conversation_id, people in seed_data.members.items():
        for person_id in people:
            conversations_of.setdefault(person_id, []).append(conversation_id)
    residents = {
        pid: Resident(pid, cookie, conversations_of.get(pid, []), stats, workers, n % len(workers))
        for n, (pid, cookie) in enumerate(seed_data.cookies.items())
    }
    try:
        gate = asyncio.Semaphore(20)

        async def connect(resident: Resident) -> None:
            async with gate:
                await resident.connect()

        await asyncio.gather(*(connect(r) for r in residents.values()))
        total = int(args.rate * args.duration)
        log(f"{len(residents)} clients, {len(workers)} workers: {total} messages at {args.rate}/s")
        faults.started = time.monotonic()
        until = time.monotonic() + args.duration
        loop = asyncio.get_running_loop()
        schedule = [
            loop.call_later(
                args.duration * 0.3,
                lambda: loop.create_task(kill_and_restart(workers[0], faults, args.worker_down)),
            ),
            loop.call_later(
                args.duration * 0.6,
                lambda: loop.create_task(restart_redis(redis, faults, args.redis_down)),
            ),
        ]
        drops = loop.create_task(
            random_drops(list(residents.values()), args.drops_per_s, until, faults)
        )
        sent = await steady_sends(residents, seed_data.members, args.rate, args.duration)
        await drops
        for handle in schedule:
            handle.cancel()
        log(f"{sent} sends issued; settling…")
        await settle(list(residents.values()), timeout=120)
        counts = compare(uri, list(residents.values()), seed_data.members, stats)
    finally:
        await asyncio.gather(*(r.close() for r in residents.values()), return_exceptions=True)
        for worker in workers:
            worker.stop()
        redis.stop()
    if cleanup:
        cleanup()
    return {
        "workers": args.workers,
        "clients": args.clients,
        "duration_s": args.duration,
        "messages_sent": len(stats.acknowledged),
        "messages_stored": counts["messages_stored"],
        "deliveries_expected": counts["deliveries_expected"],
        "delivered": counts["delivered"],
        "lost": counts["lost"],
        "duplicates": counts["duplicates"],
        "out_of_order": stats.out_of_order,
        "p50_ms": percentile(stats.latencies, 50),
        "p99_ms": percentile(stats.latencies, 99),
        "reconnects": stats.reconnects,
        "resyncs": stats.resyncs,
        "refused_sends": dict(stats.refused_sends),
        "faults": faults.log,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second")
    parser.add_argument("--duration", type=float, default=240.0, help="seconds of sending")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE, help="PostgreSQL URL")
    parser.add_argument("--group-size", type=int, default=6)
    parser.add_argument("--drops-per-s", type=float, default=0.5, help="random client drops")
    parser.add_argument("--worker-down", type=float, default=5.0, help="seconds before restart")
    parser.add_argument("--redis-down", type=float, default=3.0, help="seconds Redis is away")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    for key, value in result.items():
        print(f"{key:>20}: {value}", file=sys.stderr)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
