"""An urgent referral raises an alert through portal.alerts: whoever is on call in its
building is told by email and SMS (no referral text, no resident), it escalates like every
alert, and answering the referral closes it. Frozen clock; real SMTP test server; stand-in
SMS gateway."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.alerts import jobs as alert_jobs
from portal.alerts import service as alerts
from portal.alerts.models import Alert, AlertKind
from portal.datarights.erasure import do_erase
from portal.extensions import db
from portal.referrals import service
from tests.alerts.sms_gateway import sms_gateway, sms_server  # noqa: F401 (fixtures)
from tests.referrals.conftest import Cast, send
from tests.smtp import body_of

NIGHT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # Monday 02:00 in Paris
ALL_WEEK = list(range(7))
TEXT = "Her fridge was empty twice this week."


@pytest.fixture
def on_call(cast: Cast, smtp_app, inbox, sms_gateway):  # noqa: F811 (fixture)
    """The coordinator then the concierge on call all week in the building, the other
    building's coordinator on call in theirs; mail and texts leave right after the commit."""
    cast.coordinator.phone = "06 22 22 22 22"
    cast.concierge.phone = "06 11 11 11 11"
    cast.other_coordinator.phone = "06 99 99 99 99"
    b, o = cast.building.id, cast.other.id
    alerts.do_add_entry(cast.manager, b, cast.coordinator.id, ALL_WEEK, time(0), time(0), 1)
    alerts.do_add_entry(cast.manager, b, cast.concierge.id, ALL_WEEK, time(0), time(0), 2)
    alerts.do_add_entry(cast.manager, o, cast.other_coordinator.id, ALL_WEEK, time(0), time(0))
    db.session.commit()
    smtp_app.config["ALERTS_SEND_AT_ONCE"] = True
    return inbox, sms_gateway


def alert_count() -> int:
    db.session.expire_all()
    return int(db.session.scalar(select(func.count(Alert.id))) or 0)


def urgent(cast: Cast, **fields):
    with time_machine.travel(NIGHT, tick=False):
        return send(cast, urgency="urgent", **fields)


def test_an_urgent_referral_raises_one_alert_for_its_building_and_reaches_its_rota(
    cast: Cast, on_call
):
    inbox, gateway = on_call
    referral = urgent(cast)
    [alert] = db.session.scalars(select(Alert)).all()
    assert alert.kind == AlertKind.URGENT_REFERRAL
    assert alert.building_id == cast.building.id
    assert alert.source_key == service.alert_source(referral.id)
    assert alert.person_id is None  # no resident: the messages would name them
    [mail] = inbox.wait_for(1)
    assert mail["To"] == cast.coordinator.email
    [text] = gateway.wait_for(1)
    assert text["to"] == "+33622222222"
    # Sending it again (a retry) or the job running changes nothing.
    assert alerts.do_raise(AlertKind.URGENT_REFERRAL, cast.building.id, alert.source_key)[1] is (
        False
    )
    db.session.rollback()
    assert alert_count() == 1
    # Nobody answered in 10 minutes: the next person on call, once.
    later = NIGHT + timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        assert alert_jobs.run_escalations(later) == 1
        assert alert_jobs.run_escalations(later) == 0
    assert inbox.wait_for(2)[1]["To"] == cast.concierge.email
    everyone = {m["To"] for m in inbox.messages}
    assert cast.other_coordinator.email not in everyone


def test_the_alert_names_the_partner_and_the_page_never_the_referral(cast: Cast, on_call):
    inbox, gateway = on_call
    referral = urgent(cast, concern="health", text=TEXT)
    body = body_of(inbox.wait_for(1)[0])
    sms = gateway.wait_for(1)[0]["message"]
    page = f"/staff/referrals/{referral.id}"
    for message in (body, sms):
        assert "Urgent referral from a partner" in message
        assert "Sonia Partner (Social worker)" in message
        assert page in message and "/alerts/on-it/" in message
        for secret in ("fridge", TEXT, "Dupont", "Jeanne", "Health", "CCAS"):
            assert secret not in message


def test_a_partner_erased_meanwhile_is_not_named_in_the_next_round(cast: Cast, on_call):
    inbox, _gateway = on_call
    urgent(cast)
    inbox.wait_for(1)
    do_erase(cast.manager, cast.partner, cast.partner.full_name)
    db.session.commit()
    later = NIGHT + timedelta(minutes=10)
    with time_machine.travel(later, tick=False):
        assert alert_jobs.run_escalations(later) == 1
    body = body_of(inbox.wait_for(2)[1])
    assert "Sent by a partner." in body and "Sonia" not in body


def test_a_referral_about_the_building_raises_its_alert_too(cast: Cast, on_call):
    inbox, _gateway = on_call
    urgent(cast, dwelling_number="", resident_name="", concern="dwelling")
    assert alert_count() == 1
    assert inbox.wait_for(1)[0]["To"] == cast.coordinator.email


@pytest.mark.parametrize("urgency", ["low", "soon"])
def test_a_referral_that_is_not_urgent_raises_no_alert(cast: Cast, on_call, urgency):
    inbox, gateway = on_call
    with time_machine.travel(NIGHT, tick=False):
        send(cast, urgency=urgency)
        assert alert_jobs.run_escalations(NIGHT + timedelta(minutes=30)) == 0
    assert alert_count() == 0
    assert inbox.messages == [] and gateway.posts == []


@pytest.mark.parametrize("status", ["in_progress", "closed"])
def test_answering_the_referral_closes_its_alert(cast: Cast, on_call, status):
    inbox, _gateway = on_call
    referral = urgent(cast)
    inbox.wait_for(1)
    answered = NIGHT + timedelta(minutes=5)
    with time_machine.travel(answered, tick=False):
        service.do_answer(cast.coordinator, referral.id, "received", "")
        db.session.commit()
        assert alerts.get_by_source(service.alert_source(referral.id)).is_open
        service.do_answer(cast.coordinator, referral.id, status, "")
        db.session.commit()
    db.session.expire_all()
    alert = alerts.get_by_source(service.alert_source(referral.id))
    assert alert.closed_at == answered and alert.closed_by_id == cast.coordinator.id
    assert alert.next_at is None
    later = NIGHT + timedelta(minutes=30)
    with time_machine.travel(later, tick=False):
        assert alert_jobs.run_escalations(later) == 0
    assert len(inbox.messages) == 1  # nobody else told
    # Answering again (closed after in progress) leaves it closed, once.
    with time_machine.travel(later, tick=False):
        service.do_answer(cast.coordinator, referral.id, "closed", "")
        db.session.commit()
    db.session.expire_all()
    assert alerts.get_by_source(service.alert_source(referral.id)).closed_at == answered


def test_the_staff_see_the_alert_of_an_urgent_referral(client, login, cast: Cast, on_call):
    urgent(cast)
    login(cast.concierge)
    page = client.get(f"/alerts?building={cast.building.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Urgent referral from a partner" in html
    assert "fridge" not in html and "Dupont" not in html
    # The concierge is told that it exists, and still cannot open the referral.
    referral_id = db.session.scalars(select(Alert.source_key)).one().partition(":")[2]
    assert client.get(f"/staff/referrals/{referral_id}").status_code == 404
