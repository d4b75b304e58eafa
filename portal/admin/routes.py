"""Staff pages for residents and their login cards."""

from __future__ import annotations

import segno
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as WResponse

from portal.admin import bp, people_admin
from portal.admin.onboarding_routes import residents_extras
from portal.auth import service as auth
from portal.auth.decorators import staff_required
from portal.auth.forms import SetPinForm
from portal.errors import on_refusal
from portal.forms import ConfirmForm
from portal.people import service as people
from portal.people.models import Person


@bp.get("/buildings/<int:building_id>/residents")
@staff_required
def residents(building_id: int) -> str:
    building = people.access_building(current_user, building_id)
    return render_template(
        "admin/residents.html",
        building=building,
        residents=people.list_resident_entries(building),
        **residents_extras(building),
    )


def _render_resident(
    person: Person, pin_form: SetPinForm | None = None, error: str | None = None
) -> tuple[str, int]:
    html = render_template(
        "admin/resident.html",
        person=person,
        card=auth.get_active_card(person),
        confirm_form=ConfirmForm(),
        pin_form=pin_form or SetPinForm(),
        error=error,
        may_set_reading_mode=people_admin.may_set_reading_mode(current_user, person),
    )
    return html, 422 if error else 200


@bp.get("/residents/<int:person_id>")
@staff_required
def resident(person_id: int) -> tuple[str, int]:
    return _render_resident(people.access_resident_for_staff(current_user, person_id))


@bp.post("/residents/<int:person_id>/card")
@staff_required
def issue_card(person_id: int) -> str | tuple[str, int]:
    person = people.access_resident_for_staff(current_user, person_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_resident(person, error=_("The form had expired. Please try again."))
    token = people_admin.do_issue_card(current_user, person)
    url = url_for("auth.card", token=token, _external=True)
    qr_svg = segno.make(url, error="m").svg_inline(scale=6, dark="#000", light="#fff")
    return render_template("admin/card_print.html", person=person, url=url, qr_svg=Markup(qr_svg))


@bp.post("/residents/<int:person_id>/card/revoke")
@staff_required
def revoke_card(person_id: int) -> WResponse | tuple[str, int]:
    person = people.access_resident_for_staff(current_user, person_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_resident(person, error=_("The form had expired. Please try again."))
    on_refusal(lambda error: _render_resident(person, error=error.message))
    people_admin.do_revoke_card(current_user, person)
    flash(
        _("The card is cancelled. %(name)s is logged out everywhere.", name=person.full_name),
        "success",
    )
    return redirect(url_for("admin.resident", person_id=person.id))


@bp.post("/residents/<int:person_id>/pin")
@staff_required
def set_pin(person_id: int) -> WResponse | tuple[str, int]:
    person = people.access_resident_for_staff(current_user, person_id)
    form = SetPinForm()
    if not form.validate_on_submit():
        return _render_resident(person, pin_form=form, error=_("Please correct the code below."))
    on_refusal(lambda error: _render_resident(person, pin_form=form, error=error.message))
    people_admin.do_reset_pin(current_user, person, form.pin.data or "", form.confirm.data or "")
    flash(_("The new code is saved."), "success")
    return redirect(url_for("admin.resident", person_id=person.id))


@bp.post("/residents/<int:person_id>/easy-read")
@staff_required
def set_easy_read(person_id: int) -> WResponse | tuple[str, int]:
    """Switch the resident's pages to easy-to-read wording, or back to the usual one."""
    person = people.access_resident_for_staff(current_user, person_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render_resident(person, error=_("The form had expired. Please try again."))
    on = request.form.get("easy_read") == "on"
    people_admin.do_set_easy_read(current_user, person, on)
    if on:
        flash(_("%(name)s now reads easy-to-read pages.", name=person.full_name), "success")
    else:
        flash(_("%(name)s now reads the usual pages.", name=person.full_name), "success")
    return redirect(url_for("admin.resident", person_id=person.id))
