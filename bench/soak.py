"""Soak: several workers on PostgreSQL and Redis, clients sending for minutes through faults.

    .venv/bin/python bench/soak.py --workers 3 --clients 300 --rate 50 --duration 240
    .venv/bin/python bench/soak.py --workers 3 --clients 300 --rate 50 --duration 240 --idle 5000

Starts a PostgreSQL cluster of its own (initdb and pg_ctl from /usr/lib/postgresql/*/bin,
in a temporary folder, on a free port; as the `postgres` user when run as root) and a Redis
of its own, so that restarting them disturbs nothing else; N `python app.py` workers share
them. M residents are python-socketio clients spread over the workers that behave like the
tablet (portal/static/js/outbox.js and realtime.js, docs/api.md "When the server is busy"):
every send has a client id and waits in an outbox, sent oldest first with one attempt in
flight; a refusal worth retrying (`unavailable`, `rate_limited`, …) or no answer within
20 s is retried after the server's `retry_after` plus exponential back-off with full jitter
(base 1 s, cap 60 s); on every connect, and at a random moment of the window that
`portal.resync` names, the client catches up from the last id it holds per conversation;
it keeps each message once, by id. With --idle N, N more residents hold idle sockets (raw
WebSockets from --idle-procs processes, as in bench/connections.py): they catch up on
`portal.resync` and reconnect with the same back-off, so a Redis restart makes N sockets
resync at once.

Faults, while the clients send at a steady rate: clients drop and reconnect at random; one
worker is killed with SIGKILL and restarted (at 20 % of --duration); Redis is restarted
(40 %); PostgreSQL is restarted (60 %; skipped with --database-url, which uses that server
instead of its own). Sending goes on until --duration has passed and --settle-limit seconds
after the last fault has ended. Then, once every outbox is empty, each client's messages
are compared with the database.

Settling: each delivery's latency is measured from the first attempt of its send to its
arrival at the recipient, live or by catch-up (never delivered: infinite). After each
fault's end, its settle time is the time until the first moment from which three
consecutive 5-second windows of sends all have a delivery p99 under 1 s. The run fails
(exit status 1, "settled": false) when a fault has not settled within --settle-limit (60 s).

The last line is JSON: messages_sent (acknowledged sends), deliveries_expected, delivered,
lost, duplicates (messages stored twice for one send, or held twice by a client),
out_of_order (live events arriving after a later message of the same conversation on that
connection; the page puts them in place by id), p50_ms/p99_ms (send to delivery),
unavailable (answers `unavailable`, senders and idle sockets), client_retries (attempts
after the first, sends and catch-ups), settle_s per fault, max_settle_s, settled, faults.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import glob
import json
import math
import multiprocessing
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
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import socketio
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import raise_open_files  # noqa: E402
from bench.messaging import SECRET, prepare_database, seed  # noqa: E402
from tests.live import free_port  # noqa: E402

SETTLE_WINDOW_S = 5.0  # sends grouped in windows of this length to judge the p99
SETTLE_WINDOWS = 3  # consecutive windows under NORMAL_P99_MS: settled
NORMAL_P99_MS = 1000.0


def log(text_: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text_}", file=sys.stderr, flush=True)


# Processes ------------------------------------------------------------------------------


class Postgres:
    """A PostgreSQL cluster of the benchmark's own, in a temporary folder, on a free port:
    restarting it disturbs no other user of the machine's server."""

    def __init__(self, folder: Path, max_connections: int) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not found:
            raise SystemExit("PostgreSQL's initdb was not found under /usr/lib/postgresql")
        self.bin = Path(found[-1]).parent
        self.folder, self.port = folder, free_port()
        self.data = folder / "data"
        self.max_connections = max_connections
        self.as_root = os.geteuid() == 0

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_root else []
        subprocess.run(
            [*prefix, *command], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.as_root:
            self.folder.parent.chmod(0o755)  # mkdtemp's folder: let `postgres` reach its own
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions",
        )  # fmt: skip

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            f"-c max_connections={self.max_connections} -c shared_buffers=128MB"
        )
        self._run(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.folder / "postgres.log"), "-w", "-t", "60", "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


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


def serving(url: str) -> bool:
    """The server answers HTTP at all (a 503 while the database restarts counts: the worker
    is up and will serve once the database is back)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


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
        deadline = time.monotonic() + 120
        while not serving(f"{self.url}/login"):
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


def make_workers(
    count: int, uri: str, redis_url: str, log_dir: Path, concurrency: int
) -> list[Worker]:
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
            # Pools, waits and admission follow from this one setting (portal.db.plan_pools).
            "BV_WORKER_CONCURRENCY": str(concurrency),
        }
        for name in ("BV_DB_POOL_SIZE", "BV_DB_MAX_OVERFLOW"):
            env.pop(name, None)
        workers.append(Worker(index, port, env, log_dir / f"worker-{index}.log"))
    return workers


# The tablet's rules (portal/static/js/realtime.js, outbox.js; docs/api.md) -------------

RETRYABLE = {"rate_limited", "server_error", "unavailable", "unauthenticated"}
ACK_TIMEOUT_S = 20.0  # outbox.js: longer than the server ever takes to answer or refuse
RETRY_BASE_S, RETRY_CAP_S = 1.0, 60.0  # realtime.js RETRY
RECONNECT_BASE_S, RECONNECT_CAP_S = 1.0, 30.0  # realtime.js RECONNECT
RESYNC_WINDOW_S = 10.0  # realtime.js: when the server names no window


def retry_delay(
    attempt: int, retry_after: float = 0.0, base: float = RETRY_BASE_S, cap: float = RETRY_CAP_S
) -> float:
    """Seconds before retry number `attempt` (1 for the first): the server's retry_after,
    then a uniformly random time in [0, min(cap, base × 2^(attempt − 1)))."""
    ceiling = min(cap, base * 2 ** max(0, min(30, attempt - 1)))
    return max(0.0, retry_after) + random.random() * ceiling


# Clients --------------------------------------------------------------------------------


@dataclass
class Stats:
    first_attempt: dict[str, float] = field(default_factory=dict)  # client id -> when
    arrived: dict[tuple[str, int], float] = field(default_factory=dict)  # (client id, person)
    acknowledged: set[str] = field(default_factory=set)
    out_of_order: int = 0
    reconnects: int = 0
    resyncs: int = 0
    catch_ups: int = 0
    unavailable: int = 0
    retries: int = 0
    refused_sends: Counter[str] = field(default_factory=Counter)


async def _discard(client: socketio.AsyncClient) -> None:
    """Close what a failed connection attempt left open (its HTTP session)."""
    with contextlib.suppress(Exception):
        await client.disconnect()
    http = getattr(client.eio, "http", None)
    if http is not None and not http.closed:
        await http.close()


class Resident:
    """One tablet: an outbox sent oldest first with one attempt in flight, catch-up on every
    (re)connect and (spread over the server's window) on resync, messages kept by id."""

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
        self.outbox: dict[str, dict[str, Any]] = {}  # oldest first (insertion order)
        self.client: socketio.AsyncClient | None = None
        self.stopping = False
        self.lock = asyncio.Lock()
        self.reconnecting = False
        self.pumping = False
        self.resync_planned = False
        self.catching_up = 0  # catch-ups under way (retrying included)
        self.connect_failures = 0

    # Connecting -------------------------------------------------------------------------

    async def connect(self) -> None:
        async with self.lock:
            if self.client is not None and not self.client.connected:
                await _discard(self.client)
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
                    await _discard(client)
                    self.connect_failures += 1
                    await asyncio.sleep(
                        retry_delay(self.connect_failures, 0, RECONNECT_BASE_S, RECONNECT_CAP_S)
                    )
                    continue
                self.client, self.connect_failures = client, 0
                self.live_max = {}
                break
        if self.client is not None and self.client.connected:
            await self.catch_up()
            self.pump()

    def _pick_worker(self) -> Worker:
        alive = [w for w in self.workers if w.alive] or self.workers
        preferred = self.workers[self.home]
        return preferred if preferred in alive and random.random() < 0.7 else random.choice(alive)

    async def _on_disconnect(self, *_args: Any) -> None:
        if self.stopping or self.reconnecting:
            return
        self.reconnecting = True
        self.stats.reconnects += 1
        await asyncio.sleep(retry_delay(1, 0, RECONNECT_BASE_S, RECONNECT_CAP_S))
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
        self.stats.arrived.setdefault((message["client_id"], self.person_id), time.monotonic())
        self.held[conversation_id].setdefault(message_id, message["client_id"])

    async def _on_message(self, message: dict[str, Any]) -> None:
        self._hold(message, live=True)

    async def _on_resync(self, data: Any = None) -> None:
        self.stats.resyncs += 1
        if self.resync_planned:
            return  # one catch-up is already planned
        self.resync_planned = True
        # What was held when the server said events were lost: live events arriving while
        # the catch-up waits for its moment are newer than the lost ones.
        since = self.last_ids()
        window = RESYNC_WINDOW_S
        if isinstance(data, dict) and float(data.get("window_s") or 0) > 0:
            window = float(data["window_s"])
        await asyncio.sleep(random.random() * window)
        self.resync_planned = False
        await self.catch_up(since)

    def last_ids(self) -> dict[str, int]:
        return {str(c): max(ids) if ids else 0 for c, ids in self.held.items()}

    async def catch_up(self, since: dict[str, int] | None = None) -> None:
        """Ask for what came after `since` (the last ids held now by default), retrying
        with back-off from the same ids (docs/api.md)."""
        self.catching_up += 1
        try:
            await self._catch_up(since if since is not None else self.last_ids())
        finally:
            self.catching_up -= 1

    async def _catch_up(self, last: dict[str, int]) -> None:
        attempt = 0
        while not self.stopping and self.client is not None and self.client.connected:
            retry_after = 0.0
            try:
                ack = await self.client.call(
                    "catch_up", {"conversations": last}, timeout=ACK_TIMEOUT_S
                )
            except socketio.exceptions.TimeoutError:
                ack = None
            except (socketio.exceptions.BadNamespaceError, socketio.exceptions.DisconnectedError):
                return  # the next connect catches up
            if ack and ack.get("ok"):
                self.stats.catch_ups += 1
                for messages in ack["messages"].values():
                    for message in messages:
                        self._hold(message, live=False)
                return
            if ack and ack.get("error") == "unavailable":
                self.stats.unavailable += 1
                retry_after = float(ack.get("retry_after") or 0)
            elif ack and ack.get("error") not in RETRYABLE:
                return
            attempt += 1
            self.stats.retries += 1
            await asyncio.sleep(retry_delay(attempt, retry_after))

    # Sending ----------------------------------------------------------------------------

    def send(self, conversation_id: int) -> None:
        client_id = str(uuid.uuid4())
        self.outbox[client_id] = {
            "conversation_id": conversation_id,
            "client_id": client_id,
            "body": f"Bonjour, voisin ! {client_id[:8]}",
        }
        self.stats.first_attempt[client_id] = time.monotonic()
        self.pump()

    def pump(self) -> None:
        """Send the outbox, oldest first, one attempt in flight (outbox.js)."""
        if not self.pumping and self.outbox:
            self.pumping = True
            asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        attempt = 0
        try:
            while self.outbox and not self.stopping:
                if self.client is None or not self.client.connected:
                    return  # the reconnect pumps again
                payload = next(iter(self.outbox.values()))
                try:
                    ack = await self.client.call("send_message", payload, timeout=ACK_TIMEOUT_S)
                except socketio.exceptions.TimeoutError:
                    ack = None
                except (
                    socketio.exceptions.BadNamespaceError,
                    socketio.exceptions.DisconnectedError,
                ):
                    return  # sent again after the reconnect
                if ack and ack.get("ok"):
                    self.outbox.pop(payload["client_id"], None)
                    self.stats.acknowledged.add(payload["client_id"])
                    self._hold(ack["message"], live=False)
                    attempt = 0
                    continue
                retry_after = 0.0
                if ack:
                    error = ack.get("error", "?")
                    self.stats.refused_sends[error] += 1
                    if error == "unavailable":
                        self.stats.unavailable += 1
                        retry_after = float(ack.get("retry_after") or 0)
                    elif error not in RETRYABLE:
                        self.outbox.pop(payload["client_id"], None)  # refused for good
                        continue
                attempt += 1
                self.stats.retries += 1
                await asyncio.sleep(retry_delay(attempt, retry_after))
        finally:
            self.pumping = False


# Idle sockets (bench/connections.py-style raw WebSockets) ---------------------------------


class IdleProcess:
    """Many idle tablets in one asyncio loop: connect, catch up on every connect and on
    resync (spread over the server's window), reconnect with back-off."""

    def __init__(self, urls: list[str], people: list[tuple[int, str, int]]) -> None:
        self.urls = [u.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
                     for u in urls]  # fmt: skip
        self.people = people
        self.counts: Counter[str] = Counter()
        self.connected: set[int] = set()
        self.stopping = False
        self.gate = asyncio.Semaphore(50)
        self.session: Any = None

    async def main(self, pipe: Connection) -> None:
        import aiohttp

        self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        tasks = [
            asyncio.create_task(self.tablet(n, *person)) for n, person in enumerate(self.people)
        ]
        loop = asyncio.get_running_loop()
        try:
            while True:
                command = await loop.run_in_executor(None, pipe.recv)
                pipe.send({"connected": len(self.connected), **self.counts})
                if command == "stop":
                    break
        finally:
            self.stopping = True
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.session.close()

    async def tablet(self, n: int, person_id: int, cookie: str, conversation_id: int) -> None:
        failures = 0
        while not self.stopping:
            url = self.urls[n % len(self.urls)] if failures == 0 else random.choice(self.urls)
            try:
                async with self.gate:
                    ws = await self.open(url, cookie)
            except Exception:
                failures += 1
                self.counts["connect_failures"] += 1
                await asyncio.sleep(retry_delay(failures, 0, RECONNECT_BASE_S, RECONNECT_CAP_S))
                continue
            failures = 0
            self.connected.add(person_id)
            try:
                await self.live(ws, conversation_id)
            except Exception:
                pass
            finally:
                self.connected.discard(person_id)
                with contextlib.suppress(Exception):
                    await ws.close()
            if not self.stopping:
                self.counts["reconnects"] += 1
                await asyncio.sleep(retry_delay(1, 0, RECONNECT_BASE_S, RECONNECT_CAP_S))

    async def open(self, url: str, cookie: str) -> Any:
        import aiohttp

        ws = await self.session.ws_connect(
            url, headers={"Cookie": cookie}, heartbeat=None,
            timeout=aiohttp.ClientWSTimeout(ws_close=5), max_msg_size=0,
        )  # fmt: skip
        opened = await asyncio.wait_for(ws.receive_str(), 20)
        if not opened.startswith("0"):
            raise ConnectionError(opened[:40])
        await ws.send_str("40")
        while True:
            answer = await asyncio.wait_for(ws.receive_str(), 20)
            if answer == "2":
                await ws.send_str("3")
                continue
            if not answer.startswith("40"):
                await ws.close()
                raise ConnectionError(answer[:80])
            return ws

    async def live(self, ws: Any, conversation_id: int) -> None:
        import aiohttp

        acks: dict[int, asyncio.Future[Any]] = {}
        state = {"next": 0, "planned": False}

        async def call(event: str, payload: dict[str, Any]) -> Any:
            state["next"] += 1
            future = asyncio.get_running_loop().create_future()
            acks[state["next"]] = future
            await ws.send_str(f"42{state['next']}" + json.dumps([event, payload]))
            try:
                return await asyncio.wait_for(future, ACK_TIMEOUT_S)
            except TimeoutError:
                return None

        async def catch_up(delay: float) -> None:
            await asyncio.sleep(delay)
            state["planned"] = False
            attempt = 0
            while not ws.closed:
                ack = await call("catch_up", {"conversations": {str(conversation_id): 0}})
                if isinstance(ack, dict) and ack.get("ok"):
                    self.counts["catch_ups"] += 1
                    return
                retry_after = 0.0
                if isinstance(ack, dict) and ack.get("error") == "unavailable":
                    self.counts["unavailable"] += 1
                    retry_after = float(ack.get("retry_after") or 0)
                elif isinstance(ack, dict) and ack.get("error") not in RETRYABLE:
                    return
                attempt += 1
                self.counts["retries"] += 1
                await asyncio.sleep(retry_delay(attempt, retry_after))

        tasks = [asyncio.create_task(catch_up(0))]  # as after every connect
        try:
            async for message in ws:
                if message.type != aiohttp.WSMsgType.TEXT:
                    break
                data: str = message.data
                if data == "2":
                    await ws.send_str("3")
                elif data.startswith('42["portal.resync"'):
                    self.counts["resyncs"] += 1
                    if not state["planned"]:
                        state["planned"] = True
                        _name, payload = json.loads(data[2:])
                        window = float((payload or {}).get("window_s") or RESYNC_WINDOW_S)
                        tasks.append(asyncio.create_task(catch_up(random.random() * window)))
                elif data.startswith("43"):
                    body = data[2:]
                    digits = len(body) - len(body.lstrip("0123456789"))
                    future = acks.pop(int(body[:digits]), None)
                    if future is not None and not future.done():
                        future.set_result(json.loads(body[digits:])[0])
        finally:
            for task in tasks:
                task.cancel()


def idle_main(urls: list[str], people: list[tuple[int, str, int]], pipe: Connection) -> None:
    raise_open_files(len(people) * 2 + 1024)
    asyncio.run(IdleProcess(urls, people).main(pipe))


class IdleTablets:
    """The idle sockets' processes."""

    def __init__(self, urls: list[str], people: list[tuple[int, str, int]], procs: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes: list[Connection] = []
        self.processes = []
        for n in range(procs):
            parent, child = context.Pipe()
            share = people[n::procs]
            process = context.Process(target=idle_main, args=(urls, share, child), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def ask(self, command: str) -> dict[str, int]:
        total: Counter[str] = Counter()
        for pipe in self.pipes:
            pipe.send(command)
        for pipe in self.pipes:
            total.update(pipe.recv())
        return dict(total)

    def stop(self) -> dict[str, int]:
        figures = self.ask("stop")
        for process in self.processes:
            process.join(timeout=20)
            if process.is_alive():
                process.terminate()
        return figures


def seed_idle(uri: str, count: int) -> list[tuple[int, str, int]]:
    """`count` more residents, in buildings of 200, paired in one-to-one conversations
    (bulk inserted); each one's id, session cookie and conversation."""
    from sqlalchemy import func, insert, select

    from bench.common import make_app
    from messaging.models import Conversation, ConversationKind, Membership
    from portal.db import utcnow
    from portal.extensions import db
    from portal.people.models import Building, Dwelling, DwellingType, Organisation, Person, Role

    app = make_app(uri)
    now = utcnow()
    with app.app_context():

        def next_id(model: Any) -> int:
            return int(db.session.scalar(select(func.coalesce(func.max(model.id), 0)))) + 1

        org = Organisation(name="Bailleur des tablettes au repos")
        db.session.add(org)
        db.session.flush()
        b0, d0, p0, c0 = (
            next_id(Building),
            next_id(Dwelling),
            next_id(Person),
            next_id(Conversation),
        )
        buildings = -(-count // 200)
        db.session.execute(insert(Building.__table__), [
            {"id": b0 + b, "organisation_id": org.id, "name": f"Résidence au repos {b + 1}"}
            for b in range(buildings)
        ])  # fmt: skip
        db.session.execute(insert(Dwelling.__table__), [
            {"id": d0 + d, "building_id": b0 + d // 100, "number": f"{d % 100:03d}",
             "floor": d % 100 // 15, "kind": DwellingType.T2}
            for d in range(-(-count // 2))
        ])  # fmt: skip
        db.session.execute(insert(Person.__table__), [
            {"id": p0 + p, "organisation_id": org.id, "role": Role.RESIDENT,
             "building_id": b0 + p // 200, "dwelling_id": d0 + p // 2,
             "first_name": f"I{p}", "last_name": "Repos", "birth_year": 1950, "locale": "fr"}
            for p in range(count)
        ])  # fmt: skip
        db.session.execute(insert(Conversation.__table__), [
            {"id": c0 + k, "building_id": b0 + 2 * k // 200, "kind": ConversationKind.DIRECT,
             "direct_key": f"{p0 + 2 * k}:{p0 + 2 * k + 1}", "created_by_id": p0 + 2 * k,
             "created_at": now, "updated_at": now}
            for k in range(count // 2)
        ])  # fmt: skip
        db.session.execute(insert(Membership.__table__), [
            {"conversation_id": c0 + p // 2, "person_id": p0 + p, "joined_at": now}
            for p in range(count // 2 * 2)
        ])  # fmt: skip
        if db.engine.dialect.name == "postgresql":
            for table in ("organisations", "buildings", "dwellings", "people", "conversations"):
                db.session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                ))  # fmt: skip
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        name = app.config["SESSION_COOKIE_NAME"]
        people = [
            (
                p0 + p,
                f"{name}={serializer.dumps({'_user_id': f'{p0 + p}:1', '_fresh': True})}",
                c0 + p // 2 if p < count // 2 * 2 else c0,
            )
            for p in range(count)
        ]
        db.session.remove()
        db.engine.dispose()
    return people


# The run --------------------------------------------------------------------------------


@dataclass
class Faults:
    log: list[dict[str, Any]] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)
    ends: list[tuple[str, float]] = field(default_factory=list)  # (fault, monotonic end)
    pending: int = 0  # faults begun and not yet ended

    def note(self, kind: str, **details: Any) -> None:
        entry = {"at_s": round(time.monotonic() - self.started, 1), "fault": kind, **details}
        self.log.append(entry)
        log(f"fault: {entry}")

    def ended(self, kind: str) -> None:
        self.ends.append((kind, time.monotonic()))


async def kill_and_restart(worker: Worker, faults: Faults, down_s: float) -> None:
    worker.kill()
    faults.note("worker_killed", worker=worker.index, signal="SIGKILL")
    await asyncio.sleep(down_s)
    await asyncio.to_thread(worker.start)
    faults.note("worker_restarted", worker=worker.index)
    faults.ended("worker_killed")
    faults.pending -= 1


async def restart_redis(redis: Redis, faults: Faults, down_s: float, idle: int) -> None:
    redis.stop()
    faults.note("redis_stopped", idle_sockets=idle)
    await asyncio.sleep(down_s)
    await asyncio.to_thread(redis.start)
    faults.note("redis_restarted", down_s=down_s)
    faults.ended(f"redis_restarted_with_{idle}_idle_sockets" if idle else "redis_restarted")
    faults.pending -= 1


async def restart_postgres(postgres: Postgres, faults: Faults, down_s: float) -> None:
    await asyncio.to_thread(postgres.stop, "immediate")
    faults.note("postgres_stopped", mode="immediate")
    await asyncio.sleep(down_s)
    await asyncio.to_thread(postgres.start)
    faults.note("postgres_restarted", down_s=down_s)
    faults.ended("postgres_restarted")
    faults.pending -= 1


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
    residents: dict[int, Resident],
    members: dict[int, list[int]],
    rate: float,
    until: Any,
) -> int:
    """Send at `rate` a second until `until()` says the run has seen enough."""
    rng = random.Random(11)
    conversations = list(members.items())
    started = time.monotonic()
    n = 0
    while time.monotonic() < until():
        delay = started + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        conversation_id, people = conversations[rng.randrange(len(conversations))]
        residents[people[n % len(people)]].send(conversation_id)
        n += 1
    return n


async def settle(residents: list[Resident], timeout: float) -> None:
    """Until every outbox is empty, every client is connected again and no catch-up is
    planned or under way (a tablet gets what it missed once the server lets it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        waiting = [
            r
            for r in residents
            if r.outbox
            or r.client is None
            or not r.client.connected
            or r.resync_planned
            or r.catching_up
        ]
        if not waiting:
            break
        for resident in waiting:
            resident.pump()
        await asyncio.sleep(1)
    await asyncio.sleep(5)  # the last live events


def stored_messages(uri: str) -> list[tuple[int, int, int, str]]:
    engine = create_engine(uri)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, conversation_id, sender_id, client_id FROM messages")
        ).all()
    engine.dispose()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def compare(
    rows: list[tuple[int, int, int, str]], residents: list[Resident], stats: Stats
) -> dict[str, int]:
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


def delivery_latencies(
    rows: list[tuple[int, int, int, str]], members: dict[int, list[int]], stats: Stats
) -> list[tuple[float, float]]:
    """(first attempt, latency in ms) of every delivery the run expected: from the first
    attempt of the send to its arrival at that recipient, live or by catch-up (infinite if
    it never arrived)."""
    result = []
    for _id, conversation_id, sender_id, client_id in rows:
        sent = stats.first_attempt.get(client_id)
        if sent is None:
            continue
        for person_id in members.get(conversation_id, []):
            if person_id == sender_id:
                continue
            arrived = stats.arrived.get((client_id, person_id))
            result.append((sent, (arrived - sent) * 1000 if arrived is not None else math.inf))
    return result


def window_p99(latencies: list[float]) -> float:
    if not latencies:
        return 0.0
    ordered = sorted(latencies)
    return ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]


def settle_time(deliveries: list[tuple[float, float]], end: float, horizon: float) -> float | None:
    """Seconds from a fault's end to the first moment from which SETTLE_WINDOWS consecutive
    windows of sends have a delivery p99 under NORMAL_P99_MS (None: not before `horizon`)."""
    step = 0.5
    buckets: dict[int, list[float]] = {}  # sends grouped by `step` from the fault's end
    for sent, latency in deliveries:
        if end <= sent < horizon:
            buckets.setdefault(int((sent - end) // step), []).append(latency)
    per_window = int(SETTLE_WINDOW_S / step)

    def fast(first: int) -> bool:
        window = [v for b in range(first, first + per_window) for v in buckets.get(b, ())]
        return window_p99(window) < NORMAL_P99_MS

    first = 0
    while end + (first + per_window * SETTLE_WINDOWS) * step <= horizon:
        if all(fast(first + k * per_window) for k in range(SETTLE_WINDOWS)):
            return round(first * step, 1)
        first += 1
    return None


def percentile(values: list[float], q: int) -> float | None:
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 2:
        return None
    return round(statistics.quantiles(finite, n=100, method="inclusive")[q - 1], 1)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    # The workers inherit it: each holds its share of the idle sockets.
    raise_open_files(args.idle * 2 + 4096)
    log_dir = Path(tempfile.mkdtemp(prefix="bv-soak-"))
    postgres: Postgres | None = None
    base_url = args.database_url
    if not base_url:
        per_worker = args.concurrency + max(2, args.concurrency // 4) + 2
        postgres = Postgres(log_dir / "postgres", args.workers * per_worker + 40)
        postgres.init()
        postgres.start()
        base_url = postgres.url
        log(f"PostgreSQL of its own on port {postgres.port}")
    uri, cleanup = prepare_database(base_url)
    log(f"logs in {log_dir}; seeding {args.clients} residents…")
    seed_data = seed(uri, args.clients, args.group_size)
    idle_people = seed_idle(uri, args.idle) if args.idle else []
    redis = Redis(log_dir)
    redis.start()
    workers = make_workers(args.workers, uri, redis.url, log_dir, args.concurrency)
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
    idle: IdleTablets | None = None
    idle_figures: dict[str, int] = {}
    rows: list[tuple[int, int, int, str]] = []
    try:
        if idle_people:
            idle = IdleTablets([w.url for w in workers], idle_people, args.idle_procs)
            deadline = time.monotonic() + max(60, args.idle / 50)
            while (connected := idle.ask("status").get("connected", 0)) < args.idle:
                if time.monotonic() > deadline:
                    log(f"only {connected} of {args.idle} idle sockets connected; going on")
                    break
                await asyncio.sleep(2)
            log(f"{connected} idle sockets connected")
        gate = asyncio.Semaphore(20)

        async def connect(resident: Resident) -> None:
            async with gate:
                await resident.connect()

        await asyncio.gather(*(connect(r) for r in residents.values()))
        log(
            f"{len(residents)} clients, {len(workers)} workers: {args.rate}/s for {args.duration} s"
        )
        faults.started = started = time.monotonic()
        loop = asyncio.get_running_loop()
        plan: list[tuple[float, Any]] = [
            (0.2, lambda: kill_and_restart(workers[0], faults, args.worker_down)),
            (0.4, lambda: restart_redis(redis, faults, args.redis_down, args.idle)),
        ]
        if postgres is not None:
            plan.append((0.6, lambda: restart_postgres(postgres, faults, args.postgres_down)))
        else:
            log("--database-url given: the PostgreSQL restart is skipped")
        begun: list[asyncio.Task[None]] = []  # kept: a task is held weakly

        def begin(make: Any) -> None:
            faults.pending += 1  # each fault's task lowers it when the fault has ended
            begun.append(loop.create_task(make()))

        handles = [loop.call_later(args.duration * at, begin, make) for at, make in plan]

        def until() -> float:
            """Send for --duration, and on until --settle-limit (plus the windows that
            judge it) after the last fault has ended."""
            if len(begun) < len(plan) or faults.pending:
                return math.inf
            last_end = max((end for _kind, end in faults.ends), default=started)
            tail = args.settle_limit + SETTLE_WINDOW_S * SETTLE_WINDOWS + 1
            return max(started + args.duration, last_end + tail)

        drops = loop.create_task(
            random_drops(
                list(residents.values()), args.drops_per_s, started + args.duration, faults
            )
        )
        sent = await steady_sends(residents, seed_data.members, args.rate, until)
        sending_ended = time.monotonic()
        await drops
        for handle in handles:
            handle.cancel()
        log(f"{sent} sends issued; settling…")
        await settle(list(residents.values()), timeout=120)
        rows = stored_messages(uri)
        counts = compare(rows, list(residents.values()), stats)
    finally:
        await asyncio.gather(*(r.close() for r in residents.values()), return_exceptions=True)
        if idle is not None:
            with contextlib.suppress(Exception):
                idle_figures = idle.stop()
        for worker in workers:
            worker.stop()
        redis.stop()
        if cleanup:
            with contextlib.suppress(Exception):
                cleanup()
        if postgres is not None:
            postgres.stop()
    deliveries = delivery_latencies(rows, seed_data.members, stats)
    settle_s: dict[str, float | None] = {}
    for kind, end in faults.ends:
        settle_s[kind] = settle_time(deliveries, end, sending_ended)
    known = [v for v in settle_s.values() if v is not None]
    settled = all(v is not None and v <= args.settle_limit for v in settle_s.values())
    return {
        "workers": args.workers,
        "clients": args.clients,
        "idle_sockets": args.idle,
        "rate": args.rate,
        "duration_s": round(sending_ended - started, 1),
        "messages_sent": len(stats.acknowledged),
        "messages_stored": counts["messages_stored"],
        "deliveries_expected": counts["deliveries_expected"],
        "delivered": counts["delivered"],
        "lost": counts["lost"],
        "duplicates": counts["duplicates"],
        "out_of_order": stats.out_of_order,
        "p50_ms": percentile([lat for _sent, lat in deliveries], 50),
        "p99_ms": percentile([lat for _sent, lat in deliveries], 99),
        "unavailable": stats.unavailable + idle_figures.get("unavailable", 0),
        "client_retries": stats.retries + idle_figures.get("retries", 0),
        "refused_sends": dict(stats.refused_sends),
        "reconnects": stats.reconnects + idle_figures.get("reconnects", 0),
        "resyncs": stats.resyncs + idle_figures.get("resyncs", 0),
        "catch_ups": stats.catch_ups + idle_figures.get("catch_ups", 0),
        "idle": idle_figures,
        "settle_s": settle_s,
        "max_settle_s": max(known) if len(known) == len(settle_s) and known else None,
        "settled": settled,
        "faults": faults.log,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--rate", type=float, default=50.0, help="messages per second")
    parser.add_argument("--duration", type=float, default=240.0, help="seconds of sending")
    parser.add_argument(
        "--database-url", default=None, help="an existing PostgreSQL (no restart fault)"
    )
    parser.add_argument("--group-size", type=int, default=6)
    parser.add_argument("--drops-per-s", type=float, default=0.5, help="random client drops")
    parser.add_argument("--worker-down", type=float, default=5.0, help="seconds before restart")
    parser.add_argument("--redis-down", type=float, default=3.0, help="seconds Redis is away")
    parser.add_argument("--postgres-down", type=float, default=3.0, help="seconds PG is away")
    parser.add_argument("--idle", type=int, default=0, help="idle sockets (e.g. 5000)")
    parser.add_argument("--idle-procs", type=int, default=2, help="processes holding them")
    parser.add_argument("--concurrency", type=int, default=20, help="BV_WORKER_CONCURRENCY")
    parser.add_argument(
        "--settle-limit", type=float, default=60.0, help="seconds each fault may take to settle"
    )
    args = parser.parse_args()

    def interrupted(*_args: Any) -> None:
        raise KeyboardInterrupt  # as Ctrl-C: the run stops its own servers on the way out

    signal.signal(signal.SIGTERM, interrupted)
    result = asyncio.run(run(args))
    for key, value in result.items():
        print(f"{key:>20}: {value}", file=sys.stderr)
    print(json.dumps(result))
    if not result["settled"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
