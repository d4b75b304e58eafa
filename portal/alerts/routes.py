"""Pages of the alerts: the building's list, an alert's timeline (both live), the on-call
rota, and the "I'm on it" page a message's link opens (no login: the link is the key).

A refusal of the service (a DomainError) is answered by the app's one handler, as each
page declares with on_refusal() before calling the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.alerts import bp, service
from portal.alerts.forms import FallbackForm, RotaEntryForm, parse_time, weekday_names
from portal.db import utcnow
from portal.errors import on_refusal, reshow_form
from portal.forms import ConfirmForm, require_confirm_form
from portal.people import service as people
from portal.people.models import Building, Person
from portal.validation import as_id, query_id

Page = str | tuple[str, int] | Response
MAX_TOKEN = 300


# The building's alerts ------------------------------------------------------------------


def _building() -> Building:
    return service.access_staff_building(current_user, query_id("building"))


def _list_context(building: Building) -> dict[str, Any]:
    alerts = service.list_alerts(current_user, building.id)
    return {
        "building": building,
        "alerts": alerts,
        "residents": service.people_by_id(alerts),
        "names": service.names_of(alerts),
    }


@bp.get("/alerts")
@login_required
def index() -> str:
    """The building's alerts: open ones first, each leading to its timeline."""
    building = _building()
    return render_template(
        "alerts/index.html",
        buildings=service.list_staff_buildings(current_user),
        edits_rota=service.may_edit_rota(current_user, building.id),
        **_list_context(building),
    )


@bp.get("/alerts/list")
@login_required
def alert_list() -> str:
    """The list alone, re-read live when an alert of the building changes."""
    return render_template("alerts/_list.html", **_list_context(_building()))


def _alert_context(alert_id: int) -> dict[str, Any]:
    alert = service.access_alert(current_user, alert_id)
    steps = service.list_steps(alert)
    return {
        "alert": alert,
        "steps": steps,
        "names": service.names_of([alert], steps),
        "resident": service.people_by_id([alert]).get(alert.person_id or 0),
        "confirm_form": ConfirmForm(),
    }


@bp.get("/alerts/<int:alert_id>")
@login_required
def alert_page(alert_id: int) -> str:
    """One alert and its timeline: who was told, how, and who is on it."""
    return render_template("alerts/alert.html", **_alert_context(alert_id))


@bp.get("/alerts/<int:alert_id>/timeline")
@login_required
def alert_timeline(alert_id: int) -> str:
    """The alert's live part alone, re-read when it changes."""
    return render_template("alerts/_timeline.html", **_alert_context(alert_id))


def _act_on_alert(alert_id: int, act: Callable[[Person, int], object], done: str) -> Response:
    """One of the alert page's buttons: who may act on this alert is checked first (404 /
    403 before any other answer), then the form's CSRF token; a refusal goes back there."""
    service.access_alert(current_user, alert_id)
    require_confirm_form()
    back = url_for("alerts.alert_page", alert_id=alert_id)
    on_refusal(back)
    act(current_user, alert_id)
    flash(done, "success")
    return redirect(back)


@bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required
def acknowledge(alert_id: int) -> Response:
    """ "I'm on it": escalation stops."""
    done = _("Noted: you are on it. Nobody else will be told.")
    return _act_on_alert(alert_id, service.do_acknowledge, done)


@bp.post("/alerts/<int:alert_id>/close")
@login_required
def close(alert_id: int) -> Response:
    """The alert is dealt with."""
    return _act_on_alert(alert_id, service.do_close, _("The alert is closed."))


# The link in a message ------------------------------------------------------------------


def _token(token: str) -> str:
    if len(token) > MAX_TOKEN:
        abort(404)
    return token


@bp.get("/alerts/on-it/<token>")
def acknowledge_link(token: str) -> str:
    """The page a message's link opens: what the alert is about, and one big button."""
    alert, step = service.access_token(_token(token))
    return render_template(
        "alerts/link.html",
        alert=alert,
        step=step,
        resident=service.people_by_id([alert]).get(alert.person_id or 0),
        names=service.names_of([alert]),
        building=people.get_building(alert.building_id),
        confirm_form=ConfirmForm(),
        token=token,
    )


@bp.post("/alerts/on-it/<token>")
def acknowledge_link_post(token: str) -> Response:
    """ "I'm on it" from the link: only this alert, only with the form's CSRF token."""
    require_confirm_form()
    alert, done = service.do_acknowledge_link(_token(token))
    if done:
        flash(_("Thank you. Everyone can see that you are on it."), "success")
    elif not alert.is_open:
        flash(_("This alert is closed already."), "info")
    else:
        flash(_("Someone is already on it. Thank you."), "info")
    return redirect(url_for("alerts.acknowledge_link", token=token))


# The on-call rota -----------------------------------------------------------------------


def _rota_building() -> Building:
    return service.access_staff_building(current_user, query_id("building"))


def _render_rota(
    building: Building,
    entry_form: RotaEntryForm | None = None,
    fallback_form: FallbackForm | None = None,
) -> str:
    staff = service.list_rota_people(building.id)
    fallback = service.get_fallback(building.id)
    if fallback_form is None:
        fallback_form = FallbackForm(staff=staff)
        fallback_form.person.data = str(fallback.id) if fallback else ""
    entries = service.list_entries(building.id)
    return render_template(
        "alerts/rota.html",
        building=building,
        buildings=service.list_staff_buildings(current_user),
        entries=entries,
        fallback=fallback,
        edits=service.may_edit_rota(current_user, building.id),
        entry_form=entry_form or RotaEntryForm(staff=staff),
        fallback_form=fallback_form,
        confirm_form=ConfirmForm(),
        weekdays=weekday_names(),
        days_of=service.days_of,
        on_call=service.list_on_call(building.id, utcnow(), entries),
    )


@bp.get("/alerts/rota")
@login_required
def rota() -> str:
    """Who is on call, when, in which order; the fallback. Coordinators and managers edit."""
    return _render_rota(_rota_building())


@bp.post("/alerts/rota/entries")
@login_required
def rota_add() -> Page:
    building = _rota_building()
    service.check_rota_editor(current_user, building.id)
    form = RotaEntryForm(staff=service.list_rota_people(building.id))
    if not form.validate_on_submit():
        return _render_rota(building, entry_form=form), 422
    on_refusal(reshow_form(lambda: _render_rota(building, entry_form=form)))
    service.do_add_entry(
        current_user,
        building.id,
        as_id(form.person.data),
        form.days.data or [],
        parse_time(form.start.data),
        parse_time(form.end.data),
        form.position.data,
    )
    flash(_("Saved. The rota is updated."), "success")
    return redirect(url_for("alerts.rota", building=building.id))


@bp.post("/alerts/rota/entries/<int:entry_id>/delete")
@login_required
def rota_delete(entry_id: int) -> Response:
    entry = service.access_entry(current_user, entry_id)
    building_id = entry.building_id
    require_confirm_form()
    on_refusal(url_for("alerts.rota", building=building_id))
    service.do_delete_entry(current_user, entry_id)
    flash(_("The line is removed from the rota."), "success")
    return redirect(url_for("alerts.rota", building=building_id))


@bp.post("/alerts/rota/fallback")
@login_required
def rota_fallback() -> Page:
    building = _rota_building()
    service.check_rota_editor(current_user, building.id)
    form = FallbackForm(staff=service.list_rota_people(building.id))
    if not form.validate_on_submit():
        return _render_rota(building, fallback_form=form), 422
    on_refusal(reshow_form(lambda: _render_rota(building, fallback_form=form)))
    chosen = as_id(form.person.data) if form.person.data else None
    if form.person.data and chosen is None:
        chosen = -1  # not an id: the service refuses it beside the field
    service.do_set_fallback(current_user, building.id, chosen)
    flash(_("Saved. The fallback person is updated."), "success")
    return redirect(url_for("alerts.rota", building=building.id))
