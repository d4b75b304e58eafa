"""Pages of the daily check-in, the "I need help" screen and the staff's "To call" list:
parse the request, call the service, render or redirect.

A refusal of the service (a DomainError) is answered by the app's one handler, as each
page declares with on_refusal() before calling the service."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.errors import DomainError, on_refusal, reshow_form
from portal.forms import ConfirmForm
from portal.people.models import Building, Person
from portal.urls import is_local_path
from portal.validation import query_id
from portal.wellbeing import bp, service
from portal.wellbeing.forms import (
    DEFAULT_CHOICE,
    BuildingSettingsForm,
    EnrolForm,
    OptInForm,
    ReachedForm,
    parse_time,
)
from portal.wellbeing.tiles import checkin_panel

Page = str | tuple[str, int] | Response


def _confirmed() -> None:
    """A one-button form must carry its CSRF token (400 otherwise)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _back_or(fallback: str) -> str:
    """The page the button was on (`next`, a path of this site), else `fallback`."""
    target = request.form.get("next")
    return target if target is not None and is_local_path(target) else fallback


# The resident's daily check-in ---------------------------------------------------------


def _render_settings(form: OptInForm) -> str:
    """The resident's check-in page, with the form as it stands."""
    return render_template(
        "wellbeing/settings.html",
        form=form,
        enrolment=service.get_enrolment(current_user),
        context=checkin_panel(current_user),
        confirm_form=ConfirmForm(),
    )


@bp.route("/wellbeing", methods=["GET", "POST"])
@login_required
def settings() -> Page:
    """The resident's daily check-in: switch it on, choose the time, or stop it."""
    if current_user.is_staff:
        return redirect(url_for("wellbeing.staff_page"))
    service.check_resident(current_user)
    form = OptInForm()
    if request.method == "GET":
        enrolment = service.get_enrolment(current_user)
        if enrolment is not None:
            form.check_time.data = enrolment.check_time.strftime("%H:%M")
        return _render_settings(form)
    if not form.validate_on_submit():
        return _render_settings(form), 422  # the field says why
    on_refusal(reshow_form(lambda: _render_settings(form)))
    service.do_opt_in(current_user, parse_time(form.check_time.data))
    flash(_('Saved. Each day, tap "I\'m fine today" on your home screen.'), "success")
    return redirect(url_for("wellbeing.settings"))


@bp.post("/wellbeing/check-in")
@login_required
def check_in() -> Response:
    """One tap, "I'm fine today"; back to where the button was."""
    service.check_resident(current_user)
    _confirmed()
    back = _back_or(url_for("home.index"))
    on_refusal(back)
    service.do_check_in(current_user)
    flash(_("Thank you, have a good day!"), "success")
    return redirect(back)


@bp.post("/wellbeing/stop")
@login_required
def stop() -> Response:
    """The resident stops their own daily check-in."""
    service.check_resident(current_user)
    _confirmed()
    on_refusal(url_for("wellbeing.settings"))
    service.do_stop(current_user, current_user.id)
    flash(_("The daily check-in is stopped. You can switch it on again at any time."), "success")
    return redirect(url_for("wellbeing.settings"))


# "I need help" --------------------------------------------------------------------------


@bp.route("/help-me", methods=["GET", "POST"])
@login_required
def need_help() -> Page:
    """Not an emergency service: the screen says so and shows 15 and 112 first."""
    service.check_resident(current_user)
    if request.method == "GET":
        return render_template("wellbeing/need_help.html", **_call_context())
    _confirmed()
    on_refusal(url_for("wellbeing.need_help"))
    _call, created = service.do_send_help_call(current_user)
    if created:
        flash(_("Your call is sent. The concierge and the coordinator are told."), "success")
    else:
        flash(_("Your call was already sent. Someone will answer it."), "info")
    return redirect(url_for("wellbeing.need_help"))


@bp.get("/help-me/status")
@login_required
def need_help_status() -> str:
    """The call's live part alone, re-read when the call changes."""
    service.check_resident(current_user)
    return render_template("wellbeing/_call_status.html", **_call_context())


def _call_context() -> dict[str, Any]:
    """What the resident's call screen shows: their open call, if any."""
    return {"call": service.get_active_call(current_user), "confirm_form": ConfirmForm()}


# The staff's "To call" list -------------------------------------------------------------


def _staff_building() -> Building:
    """The building asked for (?building=), else the staff member's own; 404 otherwise."""
    return service.access_staff_building(current_user, query_id("building"))


def _list_context(building: Building) -> dict[str, Any]:
    """What the "To call" list shows for this building and this staff member."""
    return {
        "building": building,
        "help_calls": service.list_help_calls(current_user, building.id),
        "missed": service.list_missed(current_user, building.id),
        "sees_missed": service.may_see_missed(current_user, building.id),
        "confirm_form": ConfirmForm(),
        "reached_form": ReachedForm(),
    }


def _render_staff_page(building: Building) -> str:
    """The whole "To call" page of a building."""
    return render_template(
        "wellbeing/staff.html",
        buildings=service.staff_buildings(current_user),
        manages=service.may_manage(current_user, building.id),
        **_list_context(building),
    )


@bp.get("/wellbeing/to-call")
@login_required
def staff_page() -> str:
    """The staff's "To call" list: calls for help, then missed check-ins."""
    return _render_staff_page(_staff_building())


@bp.get("/wellbeing/to-call/list")
@login_required
def staff_list() -> str:
    """The list alone, re-read by the page when anything changes."""
    return render_template("wellbeing/_to_call.html", **_list_context(_staff_building()))


def _list_url(building_id: int) -> str:
    """The "To call" page of a building."""
    return url_for("wellbeing.staff_page", building=building_id)


@bp.post("/wellbeing/missed/<int:missed_id>/reached")
@login_required
def reached(missed_id: int) -> Page:
    """The staff member reached a resident who had not checked in (a short note kept)."""
    building_id = service.access_missed(current_user, missed_id).building_id
    form = ReachedForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Write at most %(n)d characters.", n=service.MAX_NOTE), "error")
        return _render_staff_page(service.access_staff_building(current_user, building_id)), 422
    on_refusal(_list_url(building_id))
    service.do_record_reached(current_user, missed_id, form.note.data or "")
    flash(_("Recorded. Thank you for calling."), "success")
    return redirect(_list_url(building_id))


def _call_action(call_id: int, action: str) -> Response:
    """Answer a call for help ("seen") or close it ("resolve"), then back to the page."""
    building_id = service.access_help_call(current_user, call_id).building_id
    _confirmed()
    back = _back_or(_list_url(building_id))
    on_refusal(back)
    if action == "seen":
        service.do_acknowledge(current_user, call_id)
        flash(_("The resident sees that you are coming."), "success")
    else:
        service.do_resolve(current_user, call_id)
        flash(_("The call is resolved."), "success")
    return redirect(back)


@bp.post("/wellbeing/help-calls/<int:call_id>/seen")
@login_required
def call_seen(call_id: int) -> Response:
    """ "I've seen it, I'm coming"."""
    return _call_action(call_id, "seen")


@bp.post("/wellbeing/help-calls/<int:call_id>/resolve")
@login_required
def call_resolve(call_id: int) -> Response:
    """The call is dealt with."""
    return _call_action(call_id, "resolve")


@bp.get("/api/wellbeing/badge")
@login_required
def badge() -> dict[str, int]:
    """The number on the "To call" tile."""
    return {"count": service.count_to_call(current_user)}


# The coordinator: enrolments and the building's setting ---------------------------------


def _managed_building() -> Building:
    """The building the coordinator manages (?building=), else their own; 404 otherwise."""
    return service.access_managed_building(current_user, query_id("building"))


def _resident_label(person: Person) -> str:
    """A resident as the enrolment list names them: name and flat."""
    if person.dwelling is None:
        return person.full_name
    return f"{person.full_name} · {_('Flat %(number)s', number=person.dwelling.number)}"


def _enrol_form(building: Building) -> EnrolForm:
    """The enrolment form, offering the building's residents not yet enrolled."""
    form = EnrolForm()
    form.resident.choices = [SelectChoice("", _("Choose the resident"))] + [
        SelectChoice(str(p.id), _resident_label(p))
        for p in service.list_not_enrolled(current_user, building.id)
    ]
    if request.method == "GET":
        form.check_time.data = DEFAULT_CHOICE
    return form


def _render_enrolments(building: Building, form: EnrolForm) -> str:
    """The coordinator's page: who is enrolled, the form, the building's setting."""
    enrolled = service.list_enrolled(current_user, building.id)
    settings_form = BuildingSettingsForm(
        alert_concierge=service.get_settings(building.id).alert_concierge
    )
    return render_template(
        "wellbeing/enrolments.html",
        building=building,
        form=form,
        settings_form=settings_form,
        enrolled=enrolled,
        confirm_form=ConfirmForm(),
        recorders=service.names_of(e.consent_recorded_by_id for e, _p in enrolled),
    )


@bp.route("/wellbeing/enrolments", methods=["GET", "POST"])
@login_required
def enrolments() -> Page:
    """The coordinator enrols a resident who agreed, or reads who is enrolled."""
    building = _managed_building()
    form = _enrol_form(building)
    if request.method == "GET":
        return _render_enrolments(building, form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_enrolments(building, form), 422

    def refused(error: DomainError) -> Page:
        # A missing consent shows beside its box; anything else above the form.
        if error.code == "consent_needed":
            form.consent.errors = [error.message]
        else:
            flash(error.message, "error")
        return _render_enrolments(building, _keep(form, building)), 422

    on_refusal(refused)
    service.do_enrol(
        current_user,
        int(form.resident.data or 0),
        parse_time(form.check_time.data),
        consent=bool(form.consent.data),
    )
    flash(_("The resident is enrolled in the daily check-in."), "success")
    return redirect(url_for("wellbeing.enrolments", building=building.id))


def _keep(form: EnrolForm, building: Building) -> EnrolForm:
    """The same form, its choices read again after the rollback."""
    fresh = _enrol_form(building)
    fresh.resident.data, fresh.check_time.data = form.resident.data, form.check_time.data
    fresh.consent.errors = form.consent.errors
    return fresh


@bp.post("/wellbeing/enrolments/<int:person_id>/stop")
@login_required
def enrolment_stop(person_id: int) -> Response:
    """The coordinator stops a resident's daily check-in."""
    building = _managed_building()
    _confirmed()
    back = url_for("wellbeing.enrolments", building=building.id)
    on_refusal(back)
    service.do_stop(current_user, person_id)
    flash(_("The daily check-in is stopped for this resident."), "success")
    return redirect(back)


@bp.post("/wellbeing/building-settings")
@login_required
def building_settings() -> Response:
    """The coordinator chooses whether the concierge hears of missed check-ins."""
    building = _managed_building()
    form = BuildingSettingsForm()
    if not form.validate_on_submit():
        abort(400)
    service.do_set_alert_concierge(current_user, building.id, bool(form.alert_concierge.data))
    flash(_("Saved."), "success")
    return redirect(url_for("wellbeing.enrolments", building=building.id))
