"""The managers' pages to set up buildings, their dwellings and their staff."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response as WResponse

from portal.admin import bp, onboarding, setup
from portal.admin.forms import BuildingForm, DwellingForm, ImportUploadForm, InviteStaffForm
from portal.admin.onboarding_routes import EXPIRED, CsvImport
from portal.auth.decorators import roles_required
from portal.errors import on_refusal
from portal.forms import ConfirmForm
from portal.home.tiles import Tile, register_tile
from portal.people import service as people
from portal.people.models import Building, Role

manager_required = roles_required(Role.MANAGER)

register_tile(
    Tile(
        key="organisation",
        endpoint="admin.organisation",
        icon="building-2",
        label=_l("Buildings and staff"),
        order=85,
        roles=frozenset({Role.MANAGER}),
    )
)


@bp.get("/organisation")
@manager_required
def organisation() -> str:
    return render_template("admin/organisation.html", buildings=setup.list_buildings(current_user))


# Buildings ------------------------------------------------------------------------------


def _building_data(form: BuildingForm) -> setup.BuildingData:
    def hour(value: str | None, default: int) -> int:
        return int(value) if value and value.isdigit() else default

    return setup.BuildingData(
        name=form.name.data or "",
        address=form.address.data or "",
        time_zone=form.time_zone.data or "",
        concierge_phone=form.concierge_phone.data or "",
        concierge_hours=form.concierge_hours.data or "",
        desk_opens=hour(form.desk_opens.data, -1),
        desk_closes=hour(form.desk_closes.data, -1),
        desk_days=tuple(int(d) for d in form.desk_days.data or [] if d.isdigit()),
    )


def _building_page(
    form: BuildingForm, building: Building | None, errors: list[str]
) -> tuple[str, int]:
    html = render_template("admin/building_form.html", form=form, building=building, errors=errors)
    return html, 422 if errors or request.method == "POST" else 200


@bp.route("/buildings/new", methods=["GET", "POST"])
@manager_required
def new_building() -> tuple[str, int] | WResponse:
    setup.check_manager(current_user)
    form = BuildingForm()
    if request.method != "POST":
        return _building_page(form, None, [])
    if not form.validate_on_submit():
        return _building_page(form, None, [str(EXPIRED)] if form.csrf_token.errors else [])
    on_refusal(lambda error: _building_page(form, None, onboarding.messages_of(error)))
    building = setup.do_create_building(current_user, _building_data(form))
    flash(_("The building %(name)s is created. Add its dwellings.", name=building.name), "success")
    return redirect(url_for("admin.dwellings", building_id=building.id))


@bp.route("/buildings/<int:building_id>/settings", methods=["GET", "POST"])
@manager_required
def building_settings(building_id: int) -> tuple[str, int] | WResponse:
    building = setup.access_managed_building(current_user, building_id)
    form = BuildingForm(obj=building if request.method != "POST" else None)
    if request.method != "POST":
        form.desk_opens.data = str(building.desk_opens if building.desk_opens is not None else 8)
        form.desk_closes.data = str(
            building.desk_closes if building.desk_closes is not None else 18
        )
        form.desk_days.data = [
            str(d) for d in setup.desk_days_of(building)
        ] or form.desk_days.default
        return _building_page(form, building, [])
    if not form.validate_on_submit():
        return _building_page(form, building, [str(EXPIRED)] if form.csrf_token.errors else [])
    on_refusal(lambda error: _building_page(form, building, onboarding.messages_of(error)))
    setup.do_update_building(current_user, building, _building_data(form))
    flash(_("Saved."), "success")
    return redirect(url_for("admin.organisation"))


# Dwellings ------------------------------------------------------------------------------


def _dwellings_page(
    building: Building,
    *,
    form: DwellingForm | None = None,
    errors: list[str] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    html = render_template(
        "admin/dwellings.html",
        building=building,
        dwellings=setup.list_dwellings(building),
        form=form or DwellingForm(formdata=None),
        upload_form=ImportUploadForm(formdata=None),
        errors=errors or [],
        max_lines=onboarding.MAX_LINES,
    )
    return html, status


@bp.route("/buildings/<int:building_id>/dwellings", methods=["GET", "POST"])
@manager_required
def dwellings(building_id: int) -> tuple[str, int] | WResponse:
    building = setup.access_managed_building(current_user, building_id)
    if request.method != "POST":
        return _dwellings_page(building)
    form = DwellingForm()
    if not form.validate_on_submit():
        errors = [str(EXPIRED)] if form.csrf_token.errors else []
        return _dwellings_page(building, form=form, errors=errors, status=422)
    on_refusal(
        lambda error: _dwellings_page(
            building, form=form, errors=onboarding.messages_of(error), status=422
        )
    )
    dwelling = setup.do_add_dwelling(
        current_user, building, form.number.data or "", form.floor.data or "", form.kind.data or ""
    )
    flash(_("Dwelling %(number)s is added.", number=dwelling.number), "success")
    return redirect(url_for("admin.dwellings", building_id=building.id))


def _dwellings_refused(building: Building, errors: list[str]) -> tuple[str, int]:
    return _dwellings_page(building, errors=errors, status=422)


DWELLINGS_IMPORT = CsvImport(
    setup.preview_dwellings, "admin/dwellings_preview.html", _dwellings_refused
)


@bp.post("/buildings/<int:building_id>/dwellings/import")
@manager_required
def dwellings_import(building_id: int) -> tuple[str, int]:
    building = setup.access_managed_building(current_user, building_id)
    return DWELLINGS_IMPORT.upload(building)


@bp.post("/buildings/<int:building_id>/dwellings/import/confirm")
@manager_required
def dwellings_import_confirm(building_id: int) -> tuple[str, int] | WResponse:
    building = setup.access_managed_building(current_user, building_id)

    def do_import(text: str) -> WResponse:
        created = setup.do_import_dwellings(current_user, building, text)
        added = ngettext("%(num)d dwelling is added.", "%(num)d dwellings are added.", len(created))
        flash(added, "success")
        return redirect(url_for("admin.dwellings", building_id=building.id))

    return DWELLINGS_IMPORT.confirm(building, do_import)


# Staff ----------------------------------------------------------------------------------


def _invite_page(building: Building, form: InviteStaffForm, errors: list[str]) -> tuple[str, int]:
    html = render_template("admin/invite_staff.html", building=building, form=form, errors=errors)
    return html, 422 if request.method == "POST" else 200


@bp.route("/buildings/<int:building_id>/staff/invite", methods=["GET", "POST"])
@manager_required
def invite_staff(building_id: int) -> tuple[str, int] | WResponse:
    building = setup.access_managed_building(current_user, building_id)
    form = InviteStaffForm()
    if request.method != "POST":
        return _invite_page(building, form, [])
    if not form.validate_on_submit():
        return _invite_page(building, form, [str(EXPIRED)] if form.csrf_token.errors else [])
    on_refusal(lambda error: _invite_page(building, form, onboarding.messages_of(error)))
    person = setup.do_invite_staff(
        current_user,
        building,
        setup.Invitation(
            email=form.email.data or "",
            first_name=form.first_name.data or "",
            last_name=form.last_name.data or "",
            role=form.role.data or "",
            language=form.language.data or "",
        ),
    )
    flash(
        _("%(name)s is invited: a mail with a link is on its way.", name=person.full_name),
        "success",
    )
    return redirect(url_for("admin.staff_list", building_id=building.id))


@bp.post("/people/<int:person_id>/invitation")
@manager_required
def resend_invitation(person_id: int) -> WResponse:
    form = ConfirmForm()
    back = request.form.get("building_id", type=int)
    target = (
        url_for("admin.staff_list", building_id=back) if back else url_for("admin.organisation")
    )
    if not form.validate_on_submit():
        flash(str(EXPIRED), "error")
        return redirect(target)
    on_refusal(target)
    person = people.access_person(current_user, person_id)
    setup.do_resend_invitation(current_user, person)
    flash(_("A new invitation is on its way to %(email)s.", email=person.email), "success")
    return redirect(target)
