"""The demo building carries a pinned heatwave warning that some residents have read."""

from __future__ import annotations

from sqlalchemy import select

from messaging.announcements import service
from messaging.announcements.models import Announcement
from portal.demo import load_demo


def test_demo_has_a_pinned_heatwave_warning_read_by_some(app, db):
    summary = load_demo()
    pinned = db.session.scalars(select(Announcement).where(Announcement.pinned)).one()
    assert "canicule" in pinned.title.lower() and service.is_current(pinned)
    report = service.get_read_report(pinned)
    assert 0 < report.read_count < summary.residents
    assert report.read_count + report.not_read_count == summary.residents
    load_demo()  # idempotent: nothing published twice
    assert len(db.session.scalars(select(Announcement)).all()) == 2
