"""Pages of the daily check-in, the "I need help" screen and the staff's "To call" list:
parse the request, call the service, render or redirect."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.auth.forms import ConfirmForm
from portal.errors import DomainError
from portal.extensions import db
from portal.people.models import Building, Person, Role
from portal.urls import is_local_path
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


def _resident_only() -> None:
    if current_user.role != Role.RESIDENT or current_user.building_id is None:
        abort(404)


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


def _refused(error: DomainError) -> None:
    db.session.rollback()
    if error.code == "not_found":
        abort(404)
    flash(error.message, "error")


# The resident's daily check-in ---------------------------------------------------------


@bp.route("/wellbeing", methods=["GET", "POST"])
@login_required
def settings() -> Page:
    """The resident's daily check-in: switch it on, choose the time, or stop it."""
    if current_user.is_staff:
        return redirect(url_for("wellbeing.staff_page"))
    _resident_only()
    enrolment = service.get_enrolment(current_user)
    form = OptInForm()
    if request.method == "GET" and enrolment is not None:
        form.check_time.data = enrolment.check_time.strftime("%H:%M")
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                service.do_opt_in(current_user, parse_time(form.check_time.data))
            except DomainError as error:
                _refused(error)
            else:
                flash(_('Saved. Each day, tap "I\'m fine today" on your home screen.'), "success")
                return redirect(url_for("wellbeing.settings"))
        else:
            flash(_("Choose a time from the list."), "error")
    return render_template(
        "wellbeing/settings.html", form=form, enrolment=enrolment,
        context=checkin_panel(current_user), confirm_form=ConfirmForm(),
    ), status  # fmt: skip


@bp.post("/wellbeing/check-in")
@login_required
def check_in() -> Response:
    """One tap, "I'm fine today"; back to where the button was."""
    _resident_only()
    _confirmed()
    try:
        service.do_check_in(current_user)
    except DomainError as error:
        _refused(error)
    else:
        flash(_("Thank you, have a good day!"), "success")
    target = request.form.get("next")
    return redirect(target if is_local_path(target) else url_for("home.index"))


@bp.post("/wellbeing/stop")
@login_required
def stop() -> Response:
    _resident_only()
    _confirmed()
    try:
        service.do_stop(current_user, current_user.id)
    except DomainError as error:
        _refused(error)
    else:
        flash(_("The daily check-in is stopped. You can switch it on again at any time."),
              "success")  # fmt: skip
    return redirect(url_for("wellbeing.settings"))


# "I need help" --------------------------------------------------------------------------


@bp.route("/help-me", methods=["GET", "POST"])
@login_required
def need_help() -> Page:
    """Not an emergency service: the screen says so and shows 15 and 112 first."""
    _resident_only()
    if request.method == "POST":
        _confirmed()
        try:
            _call, created = service.do_send_help_call(current_user)
        except DomainError as error:
            _refused(error)
        else:
            if created:
                flash(_("Your call is sent. The concierge and the coordinator are told."),
                      "success")  # fmt: skip
            else:
                flash(_("Your call was already sent. Someone will answer it."), "info")
        return redirect(url_for("wellbeing.need_help"))
    return render_template("wellbeing/need_help.html", **_call_context())


@bp.get("/help-me/status")
@login_required
def need_help_status() -> str:
    """The call's live part alone, re-read when the call changes."""
    _resident_only()
    return render_template("wellbeing/_call_status.html", **_call_context())


def _call_context() -> dict[str, Any]:
    return {"call": service.get_active_call(current_user), "confirm_form": ConfirmForm()}


# The staff's "To call" list -------------------------------------------------------------


def _staff_building() -> Building:
    """The building asked for (?building=), else the staff member's own; 404 otherwise."""
    if not current_user.is_staff:
        abort(404)
    buildings = service.staff_buildings(current_user)
    wanted = request.args.get("building", type=int)
    for building in buildings:
        if building.id == wanted:
            return building
    if wanted is not None or not buildings:
        abort(404)
    own = [b for b in buildings if b.id == current_user.building_id]
    return (own or buildings)[0]


def _list_context(building: Building) -> dict[str, Any]:
    return {
        "building": building,
        "help_calls": service.list_help_calls(current_user, building.id),
        "missed": service.list_missed(current_user, building.id),
        "sees_missed": service.may_see_missed(current_user, building.id),
        "confirm_form": ConfirmForm(),
        "reached_form": ReachedForm(),
    }


@bp.get("/wellbeing/to-call")
@login_required
def staff_page() -> str:
    building = _staff_building()
    return render_template(
        "wellbeing/staff.html", buildings=service.staff_buildings(current_user),
        manages=service.may_manage(current_user, building.id), **_list_context(building),
    )  # fmt: skip


@bp.get("/wellbeing/to-call/list")
@login_required
def staff_list() -> str:
    """The list alone, re-read by the page when anything changes."""
    return render_template("wellbeing/_to_call.html", **_list_context(_staff_building()))


def _back_to_list(building_id: int) -> Response:
    return redirect(url_for("wellbeing.staff_page", building=building_id))


@bp.post("/wellbeing/missed/<int:missed_id>/reached")
@login_required
def reached(missed_id: int) -> Page:
    if not current_user.is_staff:
        abort(404)
    try:
        missed = service.access_missed(current_user, missed_id)
    except DomainError:
        abort(404)
    building_id = missed.building_id
    form = ReachedForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Write at most %(n)d characters.", n=service.MAX_NOTE), "error")
        building = db.session.get(Building, building_id)
        assert building is not None
        return render_template(
            "wellbeing/staff.html", buildings=service.staff_buildings(current_user),
            manages=service.may_manage(current_user, building_id), **_list_context(building),
        ), 422  # fmt: skip
    try:
        service.do_record_reached(current_user, missed_id, form.note.data or "")
    except DomainError as error:
        _refused(error)
    else:
        flash(_("Recorded. Thank you for calling."), "success")
    return _back_to_list(building_id)


def _call_action(call_id: int, action: str) -> Response:
    if not current_user.is_staff:
        abort(404)
    _confirmed()
    try:
        building_id = service.access_help_call(current_user, call_id).building_id
    except DomainError:
        abort(404)
    try:
        if action == "seen":
            service.do_acknowledge(current_user, call_id)
            flash(_("The resident sees that you are coming."), "success")
        else:
            service.do_resolve(current_user, call_id)
            flash(_("The call is resolved."), "success")
    except DomainError as error:
        _refused(error)
    target = request.form.get("next")
    return redirect(target) if is_local_path(target) else _back_to_list(building_id)


@bp.post("/wellbeing/help-calls/<int:call_id>/seen")
@login_required
def call_seen(call_id: int) -> Response:
    return _call_action(call_id, "seen")


@bp.post("/wellbeing/help-calls/<int:call_id>/resolve")
@login_required
def call_resolve(call_id: int) -> Response:
    return _call_action(call_id, "resolve")


@bp.get("/api/wellbeing/badge")
@login_required
def badge() -> dict[str, int]:
    return {"count": service.count_to_call(current_user)}


# The coordinator: enrolments and the building's setting ---------------------------------


def _managed_building() -> Building:
    building = _staff_building()
    if not service.may_manage(current_user, building.id):
        abort(404)
    return building


def _resident_label(person: Person) -> str:
    if person.dwelling is None:
        return person.full_name
    return f"{person.full_name} · {_('Flat %(number)s', number=person.dwelling.number)}"


def _enrol_form(building: Building) -> EnrolForm:
    form = EnrolForm()
    form.resident.choices = [SelectChoice("", _("Choose the resident"))] + [
        SelectChoice(str(p.id), _resident_label(p))
        for p in service.list_not_enrolled(current_user, building.id)
    ]
    if request.method == "GET":
        form.check_time.data = DEFAULT_CHOICE
    return form


def _render_enrolments(building: Building, form: EnrolForm, status: int = 200) -> Page:
    enrolled = service.list_enrolled(current_user, building.id)
    settings_form = BuildingSettingsForm(
        alert_concierge=service.get_settings(building.id).alert_concierge
    )
    return render_template(
        "wellbeing/enrolments.html", building=building, form=form,
        settings_form=settings_form, enrolled=enrolled, confirm_form=ConfirmForm(),
        recorders=service.names_of(e.consent_recorded_by_id for e, _p in enrolled),
    ), status  # fmt: skip


@bp.route("/wellbeing/enrolments", methods=["GET", "POST"])
@login_required
def enrolments() -> Page:
    building = _managed_building()
    form = _enrol_form(building)
    if request.method == "GET":
        return _render_enrolments(building, form)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return _render_enrolments(building, form, 422)
    try:
        service.do_enrol(
            current_user, int(form.resident.data or 0), parse_time(form.check_time.data),
            consent=bool(form.consent.data),
        )  # fmt: skip
    except DomainError as error:
        db.session.rollback()
        if error.code == "consent_needed":
            form.consent.errors = [error.message]
        else:
            flash(error.message, "error")
        return _render_enrolments(building, _keep(form, building), 422)
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
    building = _managed_building()
    _confirmed()
    try:
        service.do_stop(current_user, person_id)
    except DomainError as error:
        _refused(error)
    else:
        flash(_("The daily check-in is stopped for this resident."), "success")
    return redirect(url_for("wellbeing.enrolments", building=building.id))


@bp.post("/wellbeing/building-settings")
@login_required
def building_settings() -> Response:
    building = _managed_building()
    form = BuildingSettingsForm()
    if not form.validate_on_submit():
        abort(400)
    service.do_set_alert_concierge(current_user, building.id, bool(form.alert_concierge.data))
    flash(_("Saved."), "success")
    return redirect(url_for("wellbeing.enrolments", building=building.id))
