"""Alerts reach a person: on-call rota, the first round at once, escalation each exactly
once, acknowledgement by the link in the mail, hooks from the domains. Frozen clock; real
SMTP server; stand-in SMS gateway."""

from __future__ import annotations

import re
import threading
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from concierge.desk import tickets
from concierge.exchange import service as helping
from concierge.exchange.models import HelpKind, Urgency
from portal.alerts import jobs, service
from portal.alerts.models import Alert, RotaEntry
from portal.extensions import db
from portal.wellbeing import service as wellbeing
from tests.alerts.conftest import MARIE, NIGHT, Cast, at, only_alert, steps_of
from tests.conftest import code
from tests.smtp import body_of

PARIS = ZoneInfo("Europe/Paris")


def paris(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


# The rota -------------------------------------------------------------------------------


def entry(days: list[int], start: time, end: time) -> RotaEntry:
    return RotaEntry(days=service.check_days(days), start_time=start, end_time=end)


def test_a_night_shift_runs_past_midnight_into_the_next_day():
    sunday_night = entry([6], time(22), time(6))
    assert service.covers(sunday_night, paris(22, 23, 30))  # Sunday 23:30
    assert service.covers(sunday_night, paris(23, 2))  # Monday 02:00
    assert not service.covers(sunday_night, paris(23, 6))  # Monday 06:00: over
    assert not service.covers(sunday_night, paris(23, 22, 30))  # Monday night: not ticked
    assert not service.covers(sunday_night, paris(22, 21))


def test_a_day_shift_and_a_whole_day():
    weekdays = entry([0, 1, 2, 3, 4], time(8), time(18))
    assert service.covers(weekdays, paris(23, 8))
    assert not service.covers(weekdays, paris(23, 18))
    assert not service.covers(weekdays, paris(22, 12))  # Sunday
    weekend = entry([5, 6], time(0), time(0))
    assert service.covers(weekend, paris(22, 3)) and service.covers(weekend, paris(21, 23, 59))
    assert not service.covers(weekend, paris(23, 0, 30))


def test_who_is_on_call_follows_the_building_time_in_order(app, rota: Cast):
    night = service.list_on_call(rota.building.id, NIGHT)
    assert night == [rota.night, rota.second]
    assert service.list_on_call(rota.building.id, at(9)) == [rota.day_concierge]
    assert service.list_on_call(rota.building.id, at(18)) == []  # 19:00: nobody; fallback
    assert service.get_fallback(rota.building.id) == rota.manager


def test_only_the_buildings_coordinator_or_manager_change_the_rota(app, cast: Cast):
    b = cast.building.id
    assert code(service.do_add_entry, cast.night, b, cast.night.id, [0], time(8), time(9)) == (
        "forbidden"
    )
    assert code(service.do_add_entry, cast.jeanne, b, cast.night.id, [0], time(8), time(9)) == (
        "forbidden"
    )
    other = cast.other_coordinator
    assert code(service.do_add_entry, other, b, other.id, [0], time(8), time(9)) == "not_found"
    assert code(
        service.do_add_entry, cast.second, b, cast.other_concierge.id, [0], time(8), time(9)
    ) == ("bad_person")
    assert code(service.do_add_entry, cast.second, b, cast.night.id, [], time(8), time(9)) == (
        "bad_days"
    )
    made = service.do_add_entry(cast.second, b, cast.night.id, [0], time(8), time(9))
    assert code(service.do_delete_entry, other, made.id) == "not_found"
    assert code(service.do_delete_entry, cast.night, made.id) == "forbidden"


# A help call at night --------------------------------------------------------------------


def told(alert_id: int) -> list[tuple[str, str, str, str]]:
    return [s for s in steps_of(alert_id) if s[0] in ("told", "contact_told")]


def test_a_help_call_at_2am_reaches_the_on_call_person_at_once_then_escalates_once_each(
    app, rota: Cast, channels_on, emergency_contacts
):
    inbox, gateway = channels_on
    emergency_contacts[rota.jeanne.id] = [MARIE]
    with time_machine.travel(NIGHT, tick=False):
        wellbeing.do_send_help_call(rota.jeanne)
        db.session.commit()  # the first round leaves once the call is saved
    [mail] = inbox.wait_for(1)
    assert mail["To"] == rota.night.email
    assert "Jeanne" in body_of(mail) and "/alerts/on-it/" in body_of(mail)
    [text] = gateway.wait_for(1)
    assert text["to"] == "+33611111111"
    assert "I need help" in text["message"]
    alert = only_alert()
    assert alert.kind == "help_call" and alert.person_id == rota.jeanne.id
    assert steps_of(alert.id) == [
        ("raised", "", "", ""),
        ("told", str(rota.night.id), "email", "delivered"),
        ("told", str(rota.night.id), "sms", "delivered"),
    ]

    def job(moment: datetime) -> int:
        with time_machine.travel(moment, tick=False):
            return jobs.run_escalations(moment)

    assert job(at(1, 1)) == 0 and job(at(1, 9)) == 0  # within the 10 minutes: nobody else
    assert job(at(1, 10)) == 1
    assert job(at(1, 10)) == 0  # the job running twice tells nobody twice
    assert job(at(1, 20)) == 1  # then the fallback
    assert job(at(1, 20)) == 0
    assert job(at(1, 30)) == 1  # then the emergency contacts
    assert job(at(1, 30)) == 0 and job(at(1, 40)) == 0 and job(at(3, 0)) == 0
    inbox.wait_for(4)
    gateway.wait_for(4)
    for person in (rota.night, rota.second, rota.manager):
        assert len(inbox.to(person.email)) == 1
    assert len(inbox.to("marie@example.org")) == 1
    assert [p["to"] for p in gateway.posts] == [
        "+33611111111",
        "+33622222222",
        "+33633333333",
        "+33655555555",
    ]
    assert len(inbox.messages) == 4 and len(gateway.posts) == 4
    # Each in their own language (the time is written the French or the English way).
    assert "02:00" in body_of(inbox.to(rota.manager.email)[0])
    assert "02:00" in body_of(inbox.to("marie@example.org")[0])
    assert "2:00\u202fAM" in body_of(inbox.to(rota.night.email)[0]) or "2:00 AM" in body_of(
        inbox.to(rota.night.email)[0]
    )
    whats = [s[0] for s in steps_of(alert.id)]
    assert whats.count("escalated") == 3
    assert told(alert.id)[-1] == ("contact_told", "Marie Martin", "sms", "delivered")
    assert rota.day_concierge.email not in {m["To"] for m in inbox.messages}


def test_the_same_round_claimed_twice_runs_once(app, rota: Cast, channels_on):
    inbox, gateway = channels_on
    with time_machine.travel(NIGHT, tick=False):
        alert, created = service.do_raise(
            service.AlertKind.HELP_CALL, rota.building.id, "test:1", person_id=rota.jeanne.id
        )
        again, created_again = service.do_raise(
            service.AlertKind.HELP_CALL, rota.building.id, "test:1", person_id=rota.jeanne.id
        )
        assert created and not created_again and again.id == alert.id
        alert_id = alert.id
        db.session.commit()
        # The first round left at once; running it again tells nobody.
        assert service.run_round(alert_id, NIGHT) is False
    # Two workers (two threads, two sessions) that both see the second round as due.
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def worker() -> None:
        with app.app_context():
            barrier.wait()
            results.append(service.run_round(alert_id, at(1, 10)))
            db.session.remove()

    with time_machine.travel(at(1, 10), tick=False):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(results) == [False, True]
    db.session.expire_all()
    assert db.session.get(Alert, alert_id).level == 2
    assert len(inbox.wait_for(2)) == 2 and len(gateway.wait_for(2)) == 2


def link_in(body: str) -> str:
    found = re.search(r"https?://[^/\s]+(/alerts/on-it/\S+)", body)
    assert found, body
    return found.group(1)


def test_the_link_in_the_mail_acknowledges_and_stops_the_escalation(
    app, client, rota: Cast, channels_on, emergency_contacts, events
):
    inbox, gateway = channels_on
    emergency_contacts[rota.jeanne.id] = [MARIE]
    with time_machine.travel(NIGHT, tick=False):
        wellbeing.do_send_help_call(rota.jeanne)
        db.session.commit()
        [mail] = inbox.wait_for(1)
        path = link_in(body_of(mail))
        page = client.get(path)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "on it</button>" in html and rota.jeanne.full_name in html
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
        token = token or re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert client.post(path, data={}).status_code == 400  # no CSRF token: nothing
        assert only_alert().acknowledged_at is None
        answer = client.post(path, data={"csrf_token": token.group(1)})
        assert answer.status_code == 302
    alert = only_alert()
    assert alert.acknowledged_at == NIGHT and alert.acknowledged_by_id == rota.night.id
    assert steps_of(alert.id)[-1] == ("acknowledged", str(rota.night.id), "", "")
    assert any(e.payload["alert_id"] == alert.id for e in events.named(service.EVENT_UPDATED))
    for minutes in (10, 20, 30, 60):
        with time_machine.travel(NIGHT + timedelta(minutes=minutes), tick=False):
            assert jobs.run_escalations(NIGHT + timedelta(minutes=minutes)) == 0
    assert len(inbox.messages) == 1 and len(gateway.posts) == 1
    # The link opens only its own alert's page, and a forged one nothing.
    assert client.get(path[:-3] + "abc").status_code == 404
    assert client.get("/alerts/on-it/x" * 200).status_code == 404


def test_an_expired_link_opens_nothing(app, client, rota: Cast, channels_on):
    inbox, _gateway = channels_on
    with time_machine.travel(NIGHT, tick=False):
        wellbeing.do_send_help_call(rota.jeanne)
        db.session.commit()
    path = link_in(body_of(inbox.wait_for(1)[0]))
    with time_machine.travel(NIGHT + timedelta(hours=49), tick=False):
        assert client.get(path).status_code == 404


def test_resolving_the_help_call_closes_its_alert_and_seeing_it_acknowledges(
    app, rota: Cast, channels_on
):
    with time_machine.travel(NIGHT, tick=False):
        call, _created = wellbeing.do_send_help_call(rota.jeanne)
        db.session.commit()
        wellbeing.do_acknowledge(rota.second, call.id)
        db.session.commit()
        assert only_alert().acknowledged_by_id == rota.second.id
        wellbeing.do_resolve(rota.second, call.id)
        db.session.commit()
    alert = only_alert()
    assert alert.closed_at is not None and alert.next_at is None
    assert [s[0] for s in steps_of(alert.id)][-2:] == ["acknowledged", "closed"]


def test_a_failed_text_is_written_on_the_timeline_and_the_escalation_goes_on(
    app, rota: Cast, channels_on
):
    _inbox, gateway = channels_on
    gateway.refuse = True
    with time_machine.travel(NIGHT, tick=False):
        wellbeing.do_send_help_call(rota.jeanne)
        db.session.commit()
    alert = only_alert()
    assert told(alert.id) == [
        ("told", str(rota.night.id), "email", "delivered"),
        ("told", str(rota.night.id), "sms", "failed"),
    ]
    assert alert.next_at == NIGHT + timedelta(minutes=10)


def test_nobody_on_call_and_no_fallback_is_written_down(app, cast: Cast, channels_on):
    with time_machine.travel(NIGHT, tick=False):
        wellbeing.do_send_help_call(cast.jeanne)
        db.session.commit()
    alert = only_alert()
    assert [s[0] for s in steps_of(alert.id)] == ["raised", "nobody"]
    assert alert.next_at is None


# Hooks from the domains ------------------------------------------------------------------


def test_a_missed_check_in_raises_an_alert(app, rota: Cast, channels_on):
    inbox, _gateway = channels_on
    wellbeing.do_opt_in(rota.jeanne, time(11, 0), now=at(7))
    db.session.commit()
    with time_machine.travel(at(10, 5), tick=False):
        assert wellbeing.raise_missed_checkins(at(10, 5)) == 1
        db.session.commit()
    alert = only_alert()
    assert alert.kind == "missed_checkin" and alert.person_id == rota.jeanne.id
    # 11:05 in Paris on a Monday: the day concierge is on call.
    assert inbox.wait_for(1)[0]["To"] == rota.day_concierge.email


def test_an_urgent_request_nobody_took_raises_one_alert_after_30_minutes(
    app, rota: Cast, channels_on
):
    inbox, _gateway = channels_on
    start = at(9)
    with time_machine.travel(start, tick=False):
        helping.do_create_request(
            rota.jeanne,
            kind=HelpKind.GROCERIES,
            details="pain",
            urgency=Urgency.URGENT,
            window_start=start,
            window_end=start + timedelta(hours=6),
        )
        db.session.commit()
    with time_machine.travel(at(9, 29), tick=False):
        assert helping.alert_untaken_urgent(at(9, 29)) == 0
    with time_machine.travel(at(9, 30), tick=False):
        assert helping.alert_untaken_urgent(at(9, 30)) == 1
        db.session.commit()
        assert helping.alert_untaken_urgent(at(9, 35)) == 0
    alert = only_alert()
    assert alert.kind == "urgent_request"
    assert inbox.wait_for(1)[0]["To"] == rota.day_concierge.email


def test_an_urgent_ticket_past_its_target_tells_its_assignee(app, rota: Cast, channels_on):
    inbox, gateway = channels_on
    with time_machine.travel(at(8), tick=False):  # Monday 09:00
        ticket = tickets.do_create_ticket(
            rota.jeanne, category="water", description="Water everywhere"
        )
        tickets.do_set_priority(rota.night, ticket.id, "urgent")
        tickets.do_assign(rota.night, ticket.id, rota.second.id)
        db.session.commit()
        assert tickets.alert_overdue_urgent(at(8, 30)) == 0
    later = at(16)  # long past the urgent target
    with time_machine.travel(later, tick=False):
        assert tickets.alert_overdue_urgent(later) == 1
        db.session.commit()
        assert tickets.alert_overdue_urgent(later) == 0
    alert = only_alert()
    assert alert.kind == "ticket_overdue" and alert.target_person_id == rota.second.id
    [mail] = inbox.wait_for(1)
    assert mail["To"] == rota.second.email
    assert gateway.wait_for(1)[0]["to"] == "+33622222222"
    # Only the assignee: no escalation to the rota.
    assert alert.next_at is None
    with time_machine.travel(later + timedelta(hours=1), tick=False):
        assert jobs.run_escalations(later + timedelta(hours=1)) == 0


def test_an_urgent_ticket_nobody_is_assigned_goes_to_the_rota(app, rota: Cast, channels_on):
    inbox, _gateway = channels_on
    with time_machine.travel(at(8), tick=False):
        ticket = tickets.do_create_ticket(
            rota.jeanne, category="water", description="Water everywhere"
        )
        tickets.do_set_priority(rota.night, ticket.id, "urgent")
        db.session.commit()
    with time_machine.travel(at(16), tick=False):
        assert tickets.alert_overdue_urgent(at(16)) == 1
        db.session.commit()
    assert inbox.wait_for(1)[0]["To"] == rota.day_concierge.email


# Retention and data rights ---------------------------------------------------------------


def test_closed_alerts_are_purged_after_the_retention_period(app, rota: Cast):
    with time_machine.travel(NIGHT, tick=False):
        call, _ = wellbeing.do_send_help_call(rota.jeanne)
        db.session.commit()
        wellbeing.do_resolve(rota.second, call.id)
        service.do_raise(service.AlertKind.HELP_CALL, rota.building.id, "still-open")
        db.session.commit()
    app.config["WELLBEING_RETENTION_DAYS"] = 30
    assert jobs.purge_in_batches(service.purge_closed, NIGHT + timedelta(days=29)) == 0
    assert jobs.purge_in_batches(service.purge_closed, NIGHT + timedelta(days=31)) == 1
    db.session.expire_all()
    assert [a.source_key for a in db.session.query(Alert).all()] == ["still-open"]


def test_export_and_erasure(app, rota: Cast, channels_on):
    from portal.datarights import erasure, export

    with time_machine.travel(NIGHT, tick=False):
        wellbeing.do_send_help_call(rota.jeanne)
        db.session.commit()
    data = export.build_export(rota.jeanne)["alerts"]
    assert [a["kind"] for a in data["about_me"]] == ["help_call"]
    staff_data = export.build_export(rota.night)["alerts"]
    assert staff_data["on_call"][0]["weekdays"] == [6]
    assert staff_data["my_steps"][0]["what"] == "told"
    erasure.erase(rota.night, actor=None)
    erasure.erase(rota.jeanne, actor=None)
    db.session.commit()
    assert db.session.query(Alert).count() == 0
    assert db.session.query(RotaEntry).filter_by(person_id=rota.night.id).count() == 0


@pytest.mark.parametrize("written", ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678"])
def test_phone_numbers_become_e164(app, written):
    from portal.alerts.channels import to_e164

    assert to_e164(written) == "+33612345678"
    assert to_e164("12") is None and to_e164("") is None
