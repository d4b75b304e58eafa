"""Scheduler leadership: one leader at a time, a standby takes over, no job runs twice."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from portal import config, health, leadership, scheduler
from portal.extensions import db as _db
from portal.factory import create_app
from tests.live import ROOT, postgres_schema, server_python


def pg_url() -> str:
    url = os.environ.get("DATABASE_URL_TEST")
    if not url:
        pytest.skip("DATABASE_URL_TEST is not set: no PostgreSQL to elect a leader on")
    return url


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    engine = create_engine(pg_url())
    yield engine
    engine.dispose()


def a_lock_key() -> int:
    """Advisory locks are per database: each test its own key, apart from other runs."""
    return random.randrange(1_000_000, leadership.KEY_RANGE)


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting after {timeout:.0f} s for {what}")
        time.sleep(0.2)


class FakeElector:
    """An election whose outcome the test decides."""

    def __init__(self) -> None:
        self.free = True
        self.resigned = 0

    def try_lead(self) -> bool:
        return self.free

    def still_leads(self) -> bool:
        return self.free

    def fence(self, session: Session) -> bool:
        return self.free

    def resign(self) -> None:
        self.resigned += 1


# --- Without PostgreSQL: the runner, the heartbeat, /healthz --------------------------------


@pytest.fixture
def quiet_jobs(app):
    """The runner's scheduler with one job that touches nothing (no thread writes meanwhile)."""
    app.extensions[scheduler.EXTENSION_KEY]["registrars"] = [
        lambda built, _app: built.add_job(lambda: None, "interval", hours=1, id="noop")
    ]
    return app


def stop_runner(runner: scheduler.LeaderRunner) -> None:
    """Stop its scheduler, waiting for a job in flight, then give the lead up."""
    if runner.scheduler is not None and runner.scheduler.running:
        runner.scheduler.shutdown(wait=True)
    runner._lose_lead("test over")


def test_only_postgresql_needs_an_election(quiet_jobs):
    """SQLite is served by one process: no election, no fence. PostgreSQL may be shared by
    several: an advisory lock elects the leader and fences its commits. Either way, alone
    the runner leads at its first round."""
    app = quiet_jobs
    on_sqlite = _db.engine.dialect.name == "sqlite"
    if not on_sqlite:
        app.config["SCHEDULER_LEADER_LOCK_KEY"] = a_lock_key()  # nobody else's lock
    runner = scheduler.LeaderRunner(app)
    if on_sqlite:
        assert isinstance(runner.elector, leadership.NoElection) and not runner.fenced
    else:
        assert isinstance(runner.elector, leadership.AdvisoryLockElector) and runner.fenced
    try:
        assert runner.step() is True
        assert runner.scheduler is not None and runner.scheduler.running
    finally:
        stop_runner(runner)


def test_the_runner_runs_jobs_only_while_it_leads(quiet_jobs):
    app = quiet_jobs
    elector = FakeElector()
    runner = scheduler.LeaderRunner(app, elector)
    app.extensions[scheduler.EXTENSION_KEY]["runner"] = runner
    ran: list[int] = []
    job = scheduler.in_app_context(app, lambda: ran.append(1))
    try:
        assert runner.step() is True
        first = runner.scheduler
        assert first is not None and first.running
        assert [j.id for j in first.get_jobs()] == ["noop"]
        job()
        assert ran == [1]

        elector.free = False  # its lock's connection dropped
        assert runner.step() is False
        assert not first.running and runner.scheduler is None
        assert elector.resigned >= 1
        job()  # a job that fires now is skipped
        assert ran == [1]

        elector.free = True  # taken again later: a fresh scheduler
        assert runner.step() is True
        assert runner.scheduler is not None and runner.scheduler is not first
    finally:
        stop_runner(runner)


def test_the_runner_lets_go_of_the_lock_when_a_round_fails(quiet_jobs, monkeypatch):
    app = quiet_jobs
    calls: list[str] = []

    class Recording(FakeElector):
        def try_lead(self) -> bool:
            calls.append("try")
            if calls.count("try") == 2:
                runner.stop()
            return True

        def resign(self) -> None:
            calls.append("resign")

    runner = scheduler.LeaderRunner(app, Recording())
    runner.retry_seconds = 0.01

    def failing_build(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the scheduler could not start")

    monkeypatch.setattr(scheduler, "build_scheduler", failing_build)
    runner.run()
    assert not runner.leading
    # It never holds the lock without running the jobs: it resigns before trying again.
    assert calls[:3] == ["try", "resign", "try"]


def test_a_refused_setting_stops_the_runner_at_start(app):
    app.config["WELLBEING_RETENTION_DAYS"] = 0
    from portal.retention import RetentionError

    with pytest.raises(RetentionError):
        scheduler.LeaderRunner(app, FakeElector())


def test_the_heartbeat_names_the_leader_and_since_when(app, monkeypatch):
    first = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(leadership, "identity", lambda: ("web-1", 4242))
    with time_machine.travel(first, tick=False):
        scheduler.record_heartbeat()
    with time_machine.travel(first + timedelta(seconds=30), tick=False):
        scheduler.record_heartbeat()
    beat = scheduler.get_heartbeat()
    assert beat is not None
    assert beat.leader == "web-1:4242" and beat.leader_since == first
    assert beat.beat_at == first + timedelta(seconds=30)

    monkeypatch.setattr(leadership, "identity", lambda: ("web-2", 77))
    with time_machine.travel(first + timedelta(seconds=50), tick=False):
        scheduler.record_heartbeat()
    beat = scheduler.get_heartbeat()
    assert beat is not None and beat.leader == "web-2:77"
    assert beat.leader_since == first + timedelta(seconds=50)


def test_healthz_names_the_leader_and_the_age_of_its_heartbeat(app, client, monkeypatch):
    app.config["HEALTH_REQUIRE_SCHEDULER"] = True
    failing = client.get("/healthz")
    assert failing.status_code == 503
    assert failing.get_json()["details"]["scheduler"]["leader"] is None

    monkeypatch.setattr(leadership, "identity", lambda: ("web-3", 99))
    beat_at = datetime.now(UTC) - timedelta(seconds=12)
    with time_machine.travel(beat_at, tick=False):
        scheduler.record_heartbeat()
    answer = client.get("/healthz")
    body = answer.get_json()
    assert answer.status_code == 200
    assert body["status"] == "ok" and set(body["checks"]) == {"database", "redis", "scheduler"}
    details = body["details"]["scheduler"]
    assert details["leader"] == "web-3:99"
    assert details["leader_since"] == beat_at.isoformat()
    assert 11 <= details["heartbeat_age_seconds"] < 60


def test_job_intervals_can_be_set_for_a_run(app):
    app.config["SCHEDULER_JOB_SECONDS"] = {"wellbeing.missed_checkins": 1.5}
    built = scheduler.build_scheduler(app, blocking=False)
    job = next(j for j in built.get_jobs() if j.id == "wellbeing.missed_checkins")
    assert job.trigger.interval == timedelta(seconds=1.5)


def test_leadership_settings_come_from_the_environment():
    read = config.from_env(
        {
            "BV_SCHEDULER_RETRY_SECONDS": "2",
            "BV_SCHEDULER_HEARTBEAT_SECONDS": "1",
            "BV_SCHEDULER_LOCK_KEY": "12345",
            "BV_SCHEDULER_JOB_SECONDS": "wellbeing.missed_checkins=1, activities.reminders=2.5",
        }
    )
    assert read["SCHEDULER_LEADER_RETRY_SECONDS"] == 2.0
    assert read["SCHEDULER_HEARTBEAT_SECONDS"] == 1.0
    assert read["SCHEDULER_LEADER_LOCK_KEY"] == 12345
    assert read["SCHEDULER_JOB_SECONDS"] == {
        "wellbeing.missed_checkins": 1.0,
        "activities.reminders": 2.5,
    }


# --- On PostgreSQL: the advisory lock ----------------------------------------------------


def electors(engine: Engine, count: int) -> list[leadership.AdvisoryLockElector]:
    key = a_lock_key()
    return [leadership.AdvisoryLockElector(engine, key, connect_timeout=2) for _ in range(count)]


@pytest.mark.postgres
def test_one_elector_leads_and_the_other_takes_over_when_its_connection_closes(pg_engine):
    first, second = electors(pg_engine, 2)
    try:
        assert first.try_lead() is True
        assert second.try_lead() is False
        assert first.still_leads() is True
        assert second.try_lead() is False  # standbys keep trying; still taken

        first._connection.close()  # the leader's own connection is gone
        assert first.still_leads() is False
        wait_for(second.try_lead, 5, "the standby to take the lead")  # once the server let go
        assert first.try_lead() is False  # reconnects, and stands by
    finally:
        first.resign()
        second.resign()


@pytest.mark.postgres
def test_the_lock_lives_on_its_own_connection_and_dies_with_it(pg_engine):
    first, second = electors(pg_engine, 2)
    try:
        assert first.try_lead() is True
        with pg_engine.connect() as other:
            name = other.execute(
                text("SELECT application_name FROM pg_stat_activity WHERE pid = :pid"),
                {"pid": first.backend_pid},
            ).scalar()
            assert name == "bonvoisin-scheduler-election"
            # The server drops the leader's connection (a restart, a network cut).
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first.backend_pid})
        wait_for(second.try_lead, 5, "the standby to take the lead")
        assert first.still_leads() is False
    finally:
        first.resign()
        second.resign()


@pytest.mark.postgres
def test_a_job_of_a_process_that_lost_the_lead_cannot_commit(pg_engine):
    old, new = electors(pg_engine, 2)
    leadership.install_fence()
    try:
        assert old.try_lead() is True
        with Session(pg_engine) as session:
            leadership.fence_session(session, old)
            session.execute(text("SELECT 1"))
            session.commit()  # the leader's job commits

            session.execute(text("SELECT 1"))  # a job still running when the lead goes
            old._connection.close()
            wait_for(new.try_lead, 5, "the new leader")
            with pytest.raises(leadership.LeadershipLost):
                session.commit()
            session.rollback()
    finally:
        old.resign()
        new.resign()


@pytest.mark.postgres
def test_two_runners_hand_over_when_the_leader_stops():
    with postgres_schema("lead") as url:
        key = a_lock_key()
        overrides = {
            "ENV_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": url,
            "SCHEDULER_LEADER_LOCK_KEY": key,
            "SCHEDULER_LEADER_RETRY_SECONDS": 0.2,
        }
        first_app, second_app = create_app(overrides), create_app(overrides)
        with first_app.app_context():
            _db.create_all()
        first, second = scheduler.LeaderRunner(first_app), scheduler.LeaderRunner(second_app)
        try:
            first.start()
            wait_for(lambda: first.leading, 10, "the first runner to lead")
            second.start()
            time.sleep(0.6)  # three tries of the standby
            assert not second.leading
            with first_app.app_context():
                wait_for(scheduler.get_heartbeat, 10, "the leader's first heartbeat")
            first.stop(timeout=5)
            assert not first.leading
            wait_for(lambda: second.leading, 10, "the standby to take over")
        finally:
            first.stop(timeout=5)
            second.stop(timeout=5)
            for app in (first_app, second_app):
                with app.app_context():
                    _db.engine.dispose()


# --- Real processes: kill the leader, a missed check-in is still raised exactly once -------

HEARTBEAT_SECONDS = 1
RETRY_SECONDS = 1
DEADLINE_AFTER_KILL = 4  # seconds: the check-in time passes after the leader is gone


def a_zone_far_from_midnight() -> str:
    """A time zone where the next few minutes stay within today (the check-in is daily)."""
    for name in ("UTC", "Etc/GMT-12", "Etc/GMT+12"):
        local = datetime.now(ZoneInfo(name))
        if time_of_day(0, 5) < local.time() < time_of_day(23, 55):
            return name
    raise AssertionError("no zone far from midnight")  # pragma: no cover


def start_scheduler(url: str, key: int, log_path: Path) -> subprocess.Popen[bytes]:
    """`flask scheduler run`, as deployed, with short intervals."""
    env = {
        **os.environ,
        "BV_ENV": "development",
        "SECRET_KEY": "leader-test-secret",
        "DATABASE_URL": url,
        "BV_LOG_JSON": "1",
        "BV_SCHEDULER_HEARTBEAT_SECONDS": str(HEARTBEAT_SECONDS),
        "BV_SCHEDULER_RETRY_SECONDS": str(RETRY_SECONDS),
        "BV_SCHEDULER_LOCK_KEY": str(key),
        "BV_SCHEDULER_JOB_SECONDS": "wellbeing.missed_checkins=1",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("REDIS_URL", None)
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [server_python(), "-m", "flask", "--app", "app", "scheduler", "run"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def log_records(path: Path) -> list[dict[str, Any]]:
    records = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


def job_runs_before_leading(path: Path) -> list[str]:
    """Jobs the process ran before it took the lead (there must be none)."""
    early = []
    for record in log_records(path):
        message = str(record.get("message", ""))
        if message.startswith("scheduler leads as"):
            return early
        if message.startswith("Running job"):
            early.append(message)
    return early


@pytest.mark.postgres
def test_a_killed_leader_is_replaced_and_a_missed_checkin_is_raised_once(tmp_path):
    from portal.notifications.models import Notification
    from portal.people.models import Role
    from portal.wellbeing import service as wellbeing
    from portal.wellbeing.models import CheckinEnrolment, MissedCheckin
    from tests.factories import make_building, make_organisation, make_resident, make_staff

    with postgres_schema("failover") as url:
        app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
        app.config["HEALTH_REQUIRE_SCHEDULER"] = True
        processes: dict[int, tuple[subprocess.Popen[bytes], Path]] = {}
        with app.app_context():
            _db.create_all()
            building = make_building(make_organisation(), "Les Tilleuls")
            zone = a_zone_far_from_midnight()
            jeanne = make_resident(building, first_name="Jeanne", locale="en")
            jeanne.time_zone = zone
            coordinator = make_staff(Role.COORDINATOR, [building], locale="en")
            wellbeing.do_opt_in(jeanne, time_of_day(20, 0), now=datetime.now(UTC))
            _db.session.commit()
            jeanne_id, coordinator_id = jeanne.id, coordinator.id

            def count_missed() -> int:
                _db.session.rollback()  # a fresh snapshot
                stmt = select(func.count(MissedCheckin.id)).where(
                    MissedCheckin.person_id == jeanne_id
                )
                return int(_db.session.scalar(stmt) or 0)

            def count_alerts() -> int:
                stmt = select(func.count(Notification.id)).where(
                    Notification.person_id == coordinator_id,
                    Notification.kind == "wellbeing.missed",
                )
                return int(_db.session.scalar(stmt) or 0)

            def leader_pid() -> int | None:
                _db.session.rollback()
                beat = scheduler.get_heartbeat()
                return beat.leader_pid if beat else None

            try:
                key = a_lock_key()
                for name in ("a", "b"):
                    log_path = tmp_path / f"scheduler-{name}.log"
                    process = start_scheduler(url, key, log_path)
                    processes[process.pid] = (process, log_path)

                def both_standing() -> bool:
                    return all(
                        any(
                            str(r.get("message", "")).startswith("scheduler standing")
                            for r in log_records(path)
                        )
                        for _, path in processes.values()
                    )

                wait_for(both_standing, 30, "both processes to stand for election")
                first = wait_for(lambda: leader_pid() in processes and leader_pid(), 30, "a leader")
                (survivor,) = set(processes) - {first}
                assert processes[survivor][0].poll() is None
                assert job_runs_before_leading(processes[survivor][1]) == []

                # Jeanne's check-in time passes a few seconds after the leader dies.
                due = datetime.now(ZoneInfo(zone)) + timedelta(seconds=DEADLINE_AFTER_KILL)
                enrolment = _db.session.scalars(
                    select(CheckinEnrolment).where(CheckinEnrolment.person_id == jeanne_id)
                ).one()
                enrolment.check_time = due.time().replace(microsecond=0, tzinfo=None)
                _db.session.commit()
                killed_at = time.monotonic()
                processes[first][0].send_signal(signal.SIGKILL)
                processes[first][0].wait(timeout=10)
                assert count_missed() == 0

                wait_for(lambda: leader_pid() == survivor, 60, "the standby to take over")
                took_over_after = time.monotonic() - killed_at
                assert took_over_after < 60
                _db.session.rollback()
                report = health.report()
                assert report["status"] == "ok", report
                assert report["details"]["scheduler"]["leader"].endswith(f":{survivor}")
                assert report["details"]["scheduler"]["heartbeat_age_seconds"] < 3 * 1 + 30

                wait_for(lambda: count_missed() == 1, 30, "the missed check-in")
                time.sleep(3)  # three more runs of the job, every second
                assert count_missed() == 1
                assert count_alerts() == 1
                assert job_runs_before_leading(processes[survivor][1]) == []
                survivor_log = log_records(processes[survivor][1])
                runs = [
                    r
                    for r in survivor_log
                    if 'Running job "wellbeing.missed_checkins' in r["message"]
                ]
                assert len(runs) >= 3  # it really ran, every second, and raised only one alert
            finally:
                for process, _ in processes.values():
                    if process.poll() is None:
                        process.terminate()
                for process, _ in processes.values():
                    try:
                        process.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
                _db.session.remove()
                _db.engine.dispose()
