"""Staff pages to manage people: role, closing or reopening an account, moving a household."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as WResponse
from wtforms.fields.choices import SelectChoice

from portal.admin import bp, people_admin, setup
from portal.admin.forms import MoveForm, RoleForm
from portal.auth.decorators import staff_required
from portal.errors import on_refusal
from portal.forms import ConfirmForm
from portal.people import service as people
from portal.people.models import Person, Role
from portal.validation import as_id

EXPIRED = "The form had expired. Please try again."


def _role_form(person: Person) -> RoleForm:
    form = RoleForm()
    form.role.choices = [
        SelectChoice(r.value, r.label)
        for r in Role
        if r != person.role and r in people_admin.CHANGEABLE_ROLES
    ]
    return form


def _move_form(person: Person) -> MoveForm:
    form = MoveForm()
    form.dwelling.choices = [
        SelectChoice(str(d.id), _dwelling_label(d.building.name, d.number, d.floor))
        for d in people_admin.list_move_targets(current_user, person)
    ]
    return form


def _dwelling_label(building: str, number: str, floor: int) -> str:
    return _(
        "%(building)s · dwelling %(number)s, floor %(floor)d",
        building=building,
        number=number,
        floor=floor,
    )


def _render_person(
    person: Person,
    error: str | None = None,
    role_form: RoleForm | None = None,
    move_form: MoveForm | None = None,
) -> tuple[str, int]:
    html = render_template(
        "admin/person_manage.html",
        person=person,
        may_change_role=people_admin.may_change_role(current_user, person),
        may_close=people_admin.may_close(current_user, person),
        may_move=person.is_resident and current_user.role in (Role.COORDINATOR, Role.MANAGER),
        role_form=role_form or _role_form(person),
        move_form=move_form or _move_form(person),
        confirm_form=ConfirmForm(),
        error=error,
    )
    return html, 422 if error else 200


@bp.get("/buildings/<int:building_id>/staff")
@staff_required
def staff_list(building_id: int) -> str:
    building = people.access_building(current_user, building_id)
    staff = people_admin.list_staff_of(building)
    return render_template(
        "admin/staff.html",
        building=building,
        staff=staff,
        pending=setup.list_pending_invitations(building),
        confirm_form=ConfirmForm(),
    )


@bp.get("/people/<int:person_id>")
@staff_required
def manage_person(person_id: int) -> tuple[str, int]:
    return _render_person(people_admin.access_managed_person(current_user, person_id))


def _done(person: Person, message: str) -> WResponse:
    flash(message, "success")
    return redirect(url_for("admin.manage_person", person_id=person.id))


@bp.post("/people/<int:person_id>/role")
@staff_required
def change_role(person_id: int) -> WResponse | tuple[str, int]:
    person = people_admin.access_managed_person(current_user, person_id)
    form = _role_form(person)
    if not form.validate_on_submit():
        message = (
            _(EXPIRED) if form.csrf_token.errors else _("Please choose one of the roles shown.")
        )
        return _render_person(person, message, role_form=form)
    on_refusal(lambda error: _render_person(person, error.message, role_form=form))
    role = people_admin.check_role(form.role.data or "")
    people_admin.do_change_role(current_user, person, role)
    return _done(person, _("%(name)s is now: %(role)s.", name=person.full_name, role=role.label))


@bp.post("/people/<int:person_id>/deactivate")
@staff_required
def deactivate(person_id: int) -> WResponse | tuple[str, int]:
    person = people_admin.access_managed_person(current_user, person_id)
    if not ConfirmForm().validate_on_submit():
        return _render_person(person, _(EXPIRED))
    on_refusal(lambda error: _render_person(person, error.message))
    people_admin.do_deactivate(current_user, person)
    message = _(
        "The account of %(name)s is closed. They are logged out everywhere.",
        name=person.full_name,
    )
    return _done(person, message)


@bp.post("/people/<int:person_id>/reactivate")
@staff_required
def reactivate(person_id: int) -> WResponse | tuple[str, int]:
    person = people_admin.access_managed_person(current_user, person_id)
    if not ConfirmForm().validate_on_submit():
        return _render_person(person, _(EXPIRED))
    on_refusal(lambda error: _render_person(person, error.message))
    people_admin.do_reactivate(current_user, person)
    return _done(person, _("The account of %(name)s is open again.", name=person.full_name))


@bp.post("/people/<int:person_id>/move")
@staff_required
def move(person_id: int) -> WResponse | tuple[str, int]:
    person = people_admin.access_managed_person(current_user, person_id)
    form = _move_form(person)
    if not form.validate_on_submit():
        message = (
            _(EXPIRED) if form.csrf_token.errors else _("Please choose one of the dwellings shown.")
        )
        return _render_person(person, message, move_form=form)
    on_refusal(lambda error: _render_person(person, error.message, move_form=form))
    dwelling_id = as_id(form.dwelling.data) or 0  # 0: nothing the person may choose
    household = form.who.data == "household"
    movers = people_admin.do_move(current_user, person, dwelling_id, household=household)
    names = ", ".join(p.full_name for p in movers)
    return _done(person, _("Moved: %(names)s.", names=names))
