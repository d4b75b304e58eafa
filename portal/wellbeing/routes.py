"""Pages of the daily check-in, the "I need help" screen and the staff's "To call" list:
parse the request, call the service, render or redirect.

A refusal of the service (a DomainError) is answered by the app's one handler, as each
page declares with on_refusal() before calling the service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal import to_call
from portal.confirm import confirm_page
from portal.errors import DomainError, on_refusal, reshow_form
from portal.forms import ConfirmForm, require_confirm_form
from portal.i18n import locale_names
from portal.people.models import Building, Person
from portal.urls import is_local_path
from portal.validation import query_id
from portal.wellbeing import bp, contacts, pauses, service
from portal.wellbeing.forms import (
    DEFAULT_CHOICE,
    BuildingSettingsForm,
    ContactForm,
    EnrolForm,
    OptInForm,
    PauseForm,
    ReachedForm,
    parse_time,
)
from portal.wellbeing.tiles import checkin_panel

Page = str | tuple[str, int] | Response


def _back_or(fallback: str) -> str:
    """The page the button was on (`next`, a path of this site), else `fallback`."""
    target = request.form.get("next")
    return target if target is not None and is_local_path(target) else fallback


# The resident's daily check-in ---------------------------------------------------------


def _render_settings(form: OptInForm) -> str:
    """The resident's check-in page, with the form as it stands (on the first visit, their
    own time chosen); their emergency contacts below."""
    context = checkin_panel(current_user)  # None when the check-in is off
    if context is not None and not form.is_submitted():
        form.check_time.data = context["check_time"]
    return render_template(
        "wellbeing/settings.html",
        form=form,
        context=context,
        confirm_form=ConfirmForm(),
        contacts=contacts.list_contacts(current_user, current_user.id),
        max_contacts=contacts.MAX_CONTACTS,
        languages=locale_names(),
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
    require_confirm_form()
    back = _back_or(url_for("home.index"))
    on_refusal(back)
    service.do_check_in(current_user)
    flash(_("Thank you, have a good day!"), "success")
    return redirect(back)


@bp.route("/wellbeing/stop", methods=["GET", "POST"])
@login_required
def stop() -> Page:
    """Ask first ("Stop the daily check-in?"), then the resident stops their own check-in."""
    service.check_resident(current_user)
    if request.method == "GET":
        if service.get_enrolment(current_user) is None:
            return redirect(url_for("wellbeing.settings"))
        return confirm_page(
            question=_("Stop the daily check-in?"),
            consequence=_("Nobody will call you any more if you do not tap the button."),
            yes=_("Yes, stop the check-in"),
            no=_("No, keep the check-in"),
            action=url_for("wellbeing.stop"),
            back=url_for("wellbeing.settings"),
            pictogram="circle-x",
        )
    require_confirm_form()
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
    require_confirm_form()
    on_refusal(url_for("wellbeing.need_help"))
    _call, created = service.do_send_help_call(current_user)
    if created:
        flash(_("Your call is sent. The concierge desk and the coordinator are told."), "success")
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
        "to_call_sections": to_call.sections_for(current_user, building),
        "to_call_events": to_call.section_events(),
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
    require_confirm_form()
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
        paused=pauses.list_paused(current_user, building.id),
    )


@bp.route("/wellbeing/enrolments", methods=["GET", "POST"])
@login_required
def enrolments() -> Page:
    """The coordinator enrols a resident who agreed, or reads who is enrolled."""
    building = _managed_building()
    form = _enrol_form(building)
    if request.method == "GET":
        return _render_enrolments(building, form)
    refused = _accept_form(
        form,
        ENROL_FIELDS,
        partial(_render_enrolments, building, form),
        # after the rollback, the choices are read again
        lambda: _render_enrolments(building, _keep(form, building)),
    )
    if refused is not None:
        return refused
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
    require_confirm_form()
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


# Emergency contacts and pausing the check-in ---------------------------------------------

# Which field shows a refusal of the contacts or pauses service (others: above the form).
CONTACT_FIELDS = {
    "name_missing": "name",
    "name_too_long": "name",
    "bad_relation": "relation",
    "bad_email": "email",
    "bad_phone": "phone",
    "no_way_to_reach": "phone",
    "bad_locale": "locale",
    "consent_needed": "consent",
}
PAUSE_FIELDS = {"bad_until": "until", "bad_reason": "reason"}
ENROL_FIELDS = {"consent_needed": "consent"}


def _contact_form(owner: Person) -> ContactForm:
    """The contact form; the resident's own language offered first."""
    form = ContactForm(for_staff=owner.id != current_user.id)
    if not form.is_submitted():
        form.locale.data = contacts.default_locale(owner)
    return form


def _pause_form(owner: Person) -> PauseForm:
    """The pause form, a week ahead offered (one tap more pauses it)."""
    form = PauseForm()
    if not form.is_submitted():
        form.until.data = pauses.today_of(owner) + timedelta(days=pauses.DEFAULT_PAUSE_DAYS)
    return form


def _owner_url(owner_id: int) -> str:
    """Where the person who acted goes back to: the resident's own page, or the
    coordinator's page of that resident."""
    if owner_id == current_user.id:
        return url_for("wellbeing.settings")
    return url_for("wellbeing.resident_page", person_id=owner_id)


def _render_owner_page(
    owner: Person, contact_form: ContactForm | None = None, pause_form: PauseForm | None = None
) -> str:
    """The page a contact or pause form lives on, as it stands."""
    if owner.id == current_user.id:
        if pause_form is not None:
            return render_template("wellbeing/pause.html", form=pause_form)
        return render_template(
            "wellbeing/contact_new.html",
            form=contact_form or _contact_form(owner),
            count=len(contacts.list_contacts(current_user, owner.id)),
            max_contacts=contacts.MAX_CONTACTS,
        )
    named = contacts.list_contacts(current_user, owner.id)
    return render_template(
        "wellbeing/resident.html",
        resident=owner,
        enrolment=service.get_enrolment(owner),
        pause=pauses.get_pause(owner),
        contacts=named,
        max_contacts=contacts.MAX_CONTACTS,
        contact_form=contact_form or _contact_form(owner),
        pause_form=pause_form or _pause_form(owner),
        confirm_form=ConfirmForm(),
        languages=locale_names(),
        recorders=service.names_of(c.consent_recorded_by_id for c in named),
    )


def _accept_form(
    form: FlaskForm,
    fields: dict[str, str],
    render: Callable[[], str],
    render_refused: Callable[[], str] | None = None,
) -> Page | None:
    """None when the form is valid; a refusal of the service then shows beside its field
    (else above the form), on `render_refused` (default `render`). Otherwise the answer:
    400 without a valid CSRF token, else the form again with each field's reason (422)."""
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        return render(), 422

    def answer(error: DomainError) -> Page:
        name = fields.get(error.code)
        if name is not None:
            getattr(form, name).errors = [error.message]
        else:
            flash(error.message, "error")
        return (render_refused or render)(), 403 if error.status == 403 else 422

    on_refusal(answer)
    return None


@bp.get("/wellbeing/residents/<int:person_id>")
@login_required
def resident_page(person_id: int) -> str:
    """The coordinator's page of one resident: check-in pause and emergency contacts."""
    return _render_owner_page(service.access_resident(current_user, person_id))


@bp.get("/wellbeing/contacts/new")
@login_required
def contact_new() -> str:
    """The resident names a person to tell if they need help."""
    service.check_resident(current_user)
    return _render_owner_page(current_user)


@bp.post("/wellbeing/people/<int:person_id>/contacts")
@login_required
def contact_add(person_id: int) -> Page:
    """Add an emergency contact (the resident for themself, or their coordinator)."""
    owner = service.access_self_or_resident(current_user, person_id)
    form = _contact_form(owner)
    refused = _accept_form(
        form, CONTACT_FIELDS, partial(_render_owner_page, owner, contact_form=form)
    )
    if refused is not None:
        return refused
    contact = contacts.do_add_contact(
        current_user,
        owner.id,
        name=form.name.data,
        relation=form.relation.data,
        email=form.email.data or "",
        phone=form.phone.data or "",
        locale=form.locale.data,
        consent=bool(form.consent.data),
    )
    flash(_("Saved. %(name)s is an emergency contact.", name=contact.name), "success")
    return redirect(_owner_url(owner.id))


@bp.route("/wellbeing/contacts/<int:contact_id>/remove", methods=["GET", "POST"])
@login_required
def contact_remove(contact_id: int) -> Page:
    """Ask first ("Remove Marie?"), then remove the contact."""
    contact = contacts.access_contact(current_user, contact_id)
    back = _owner_url(contact.person_id)
    if request.method == "GET":
        return render_template(
            "wellbeing/contact_remove.html",
            contact=contact,
            back=back,
            confirm_form=ConfirmForm(),
        )
    require_confirm_form()
    on_refusal(back)
    contacts.do_remove_contact(current_user, contact_id)
    flash(_("Done. This person is removed from the emergency contacts."), "success")
    return redirect(back)


@bp.get("/wellbeing/pause")
@login_required
def pause_page() -> Page:
    """The resident pauses their daily check-in: a week ahead is offered."""
    service.check_resident(current_user)
    if service.get_enrolment(current_user) is None:
        return redirect(url_for("wellbeing.settings"))
    return _render_owner_page(current_user, pause_form=_pause_form(current_user))


@bp.post("/wellbeing/people/<int:person_id>/pause")
@login_required
def pause_set(person_id: int) -> Page:
    """Pause the daily check-in until a day (the resident, or their coordinator)."""
    owner = service.access_self_or_resident(current_user, person_id)
    form = _pause_form(owner)
    refused = _accept_form(form, PAUSE_FIELDS, partial(_render_owner_page, owner, pause_form=form))
    if refused is not None:
        return refused
    pause = pauses.do_pause(current_user, owner.id, form.until.data, form.reason.data)
    day = format_date(pause.until, "long")
    flash(_("The daily check-in is paused until %(day)s.", day=day), "success")
    return redirect(url_for("home.index") if owner.id == current_user.id else _owner_url(owner.id))


@bp.post("/wellbeing/people/<int:person_id>/resume")
@login_required
def pause_resume(person_id: int) -> Response:
    """End the pause now: the daily check-in is on again."""
    owner = service.access_self_or_resident(current_user, person_id)
    require_confirm_form()
    back = _back_or(_owner_url(owner.id))
    on_refusal(back)
    if pauses.do_resume(current_user, owner.id):
        flash(_("The daily check-in is on again."), "success")
    else:
        flash(_("The daily check-in is already on."), "info")
    return redirect(back)


@bp.get("/wellbeing/residents")
@login_required
def resident_pick() -> Response:
    """The coordinator chose a resident in the list (?person=): their page."""
    person_id = query_id("person")
    if person_id is None:
        return redirect(url_for("wellbeing.enrolments"))
    return redirect(url_for("wellbeing.resident_page", person_id=person_id))
