"""Staff pages to add residents (by hand or from a CSV file) and print login cards in bulk."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import segno
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response as WResponse
from wtforms.fields.choices import SelectChoice

from portal.admin import bp, onboarding
from portal.admin.forms import (
    NEW_DWELLING,
    ImportConfirmForm,
    ImportUploadForm,
    NewResidentForm,
)
from portal.auth.decorators import roles_required, staff_required
from portal.errors import on_refusal
from portal.forms import ConfirmForm
from portal.people import service as people
from portal.people.models import Building, Person, Role
from portal.validation import as_id

onboarding_required = roles_required(Role.COORDINATOR, Role.MANAGER)
EXPIRED = _l("The form had expired. Please try again.")
R = TypeVar("R")


def residents_extras(building: Building) -> dict[str, Any]:
    """What the residents list needs to offer card printing and adding residents."""
    return {
        "card_holders": onboarding.card_holder_ids(building),
        "cards_form": ConfirmForm(),
        "may_onboard": current_user.role in onboarding.ONBOARDING_ROLES,
    }


# Adding one resident --------------------------------------------------------------------


def _dwelling_choices(building: Building) -> list[SelectChoice]:
    choices = [SelectChoice(NEW_DWELLING, _("A new dwelling (fill in below)"))]
    for dwelling in building.dwellings:
        label = _(
            "Dwelling %(number)s, floor %(floor)d, %(kind)s",
            number=dwelling.number,
            floor=dwelling.floor,
            kind=dwelling.kind.value,
        )
        choices.append(SelectChoice(str(dwelling.id), label))
    return choices


@bp.route("/buildings/<int:building_id>/residents/new", methods=["GET", "POST"])
@onboarding_required
def new_resident(building_id: int) -> str | tuple[str, int] | WResponse:
    building = onboarding.access_onboarding_building(current_user, building_id)
    form = NewResidentForm()
    form.dwelling.choices = _dwelling_choices(building)

    def page(errors: list[str]) -> str:
        return render_template(
            "admin/new_resident.html", building=building, form=form, errors=errors
        )

    if request.method != "POST":
        return page([])
    if not form.validate_on_submit():
        return page([str(EXPIRED)] if form.csrf_token.errors else []), 422
    on_refusal(lambda error: (page(onboarding.messages_of(error)), 422))
    person = onboarding.do_create_resident(current_user, building, _new_resident(form))
    message = _("%(name)s is added. You can print their login card now.", name=person.full_name)
    flash(message, "success")
    return redirect(url_for("admin.resident", person_id=person.id))


def _new_resident(form: NewResidentForm) -> onboarding.NewResident:
    """What the form says about the new resident and their dwelling."""
    chosen = form.dwelling.data or NEW_DWELLING
    return onboarding.NewResident(
        first_name=form.first_name.data or "",
        last_name=form.last_name.data or "",
        birth_year=form.birth_year.data or "",
        phone=form.phone.data or "",
        language=form.language.data or "",
        dwelling_id=None if chosen == NEW_DWELLING else as_id(chosen),
        number=form.number.data or "",
        floor=form.floor.data or "",
        kind=form.kind.data or "",
        easy_read=bool(form.easy_read.data),
    )


# Importing a CSV file ---------------------------------------------------------------------


@bp.get("/buildings/<int:building_id>/import")
@onboarding_required
def import_start(building_id: int) -> str:
    building = onboarding.access_onboarding_building(current_user, building_id)
    return _upload_page(building, [])


def _upload_page(building: Building, errors: list[str]) -> str:
    return render_template(
        "admin/import_upload.html",
        building=building,
        form=ImportUploadForm(),
        errors=errors,
        max_lines=onboarding.MAX_LINES,
    )


def _upload_refused(building: Building, errors: list[str]) -> tuple[str, int]:
    return _upload_page(building, errors), 422


@dataclass(frozen=True)
class CsvImport:
    """The pages of a CSV import: the file chosen, previewed, then confirmed as it was seen
    (residents here, dwellings in setup_routes)."""

    preview: Callable[[Building, str], onboarding.Preview[Any]]
    template: str  # the preview page
    refused: Callable[[Building, list[str]], tuple[str, int]]  # where the file is chosen

    def preview_page(
        self, building: Building, text: str, errors: list[str] | None = None
    ) -> tuple[str, int]:
        preview = self.preview(building, text)
        confirm = ImportConfirmForm(
            formdata=None,
            content=text,
            signature=onboarding.sign_content(current_user, building, text),
        )
        html = render_template(
            self.template,
            building=building,
            preview=preview,
            confirm_form=confirm,
            errors=errors or [],
        )
        return html, 200 if preview.ok and not errors else 422

    def upload(self, building: Building) -> tuple[str, int]:
        """The file sent, checked and shown line by line; nothing is saved yet."""
        form = ImportUploadForm()
        if not form.validate_on_submit():
            return self.refused(building, [str(EXPIRED)])
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return self.refused(building, [_("Please choose a CSV file.")])
        on_refusal(lambda error: self.refused(building, onboarding.messages_of(error)))
        text = onboarding.decode_upload(upload.read(onboarding.MAX_FILE_BYTES + 1))
        return self.preview_page(building, text)

    def confirm(self, building: Building, do_import: Callable[[str], R]) -> R | tuple[str, int]:
        """Import the file exactly as it was previewed (do_import answers the page)."""
        form = ImportConfirmForm()
        if not form.validate_on_submit():
            return self.refused(building, [str(EXPIRED)])
        on_refusal(lambda error: self.refused(building, onboarding.messages_of(error)))
        text = onboarding.check_signed(
            current_user, building, form.content.data or "", form.signature.data or ""
        )
        # Something changed since the preview: show the file again with what is wrong now.
        on_refusal(lambda error: self.preview_page(building, text, onboarding.messages_of(error)))
        return do_import(text)


RESIDENTS_IMPORT = CsvImport(
    onboarding.preview_import, "admin/import_preview.html", _upload_refused
)


@bp.post("/buildings/<int:building_id>/import")
@onboarding_required
def import_preview(building_id: int) -> tuple[str, int]:
    building = onboarding.access_onboarding_building(current_user, building_id)
    return RESIDENTS_IMPORT.upload(building)


@bp.post("/buildings/<int:building_id>/import/confirm")
@onboarding_required
def import_confirm(building_id: int) -> str | tuple[str, int]:
    building = onboarding.access_onboarding_building(current_user, building_id)

    def do_import(text: str) -> str:
        created = onboarding.do_import(current_user, building, text)
        return render_template(
            "admin/import_done.html", building=building, created=created, cards_form=ConfirmForm()
        )

    return RESIDENTS_IMPORT.confirm(building, do_import)


# Login cards in bulk ----------------------------------------------------------------------


@bp.post("/buildings/<int:building_id>/cards")
@staff_required
def print_cards(building_id: int) -> str | tuple[str, int]:
    building = people.access_building(current_user, building_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _residents_refused(building, str(EXPIRED))
    on_refusal(lambda error: _residents_refused(building, error.message))
    chosen = onboarding.list_card_targets(current_user, building, _chosen_ids())
    tokens = onboarding.do_issue_cards(current_user, building, chosen)
    cards = [_card(person, token) for person, token in zip(chosen, tokens, strict=True)]
    return render_template("admin/cards_print.html", building=building, cards=cards)


def _chosen_ids() -> list[int] | None:
    """The residents ticked, or None for "everyone without a card"."""
    if request.form.get("scope") == "without_card":
        return None
    ids = [as_id(raw) for raw in request.form.getlist("person_id")]
    # Something that is no one's id: refused by the service like a resident of elsewhere.
    return [i if i is not None else -1 for i in ids]


def _card(person: Person, token: str) -> dict[str, Any]:
    url = url_for("auth.card", token=token, _external=True)
    qr_svg = segno.make(url, error="m").svg_inline(scale=5, dark="#000", light="#fff")
    return {"person": person, "url": url, "qr_svg": Markup(qr_svg)}


def _residents_refused(building: Building, error: str) -> tuple[str, int]:
    html = render_template(
        "admin/residents.html",
        building=building,
        residents=people.list_resident_entries(building),
        error=error,
        **residents_extras(building),
    )
    return html, 422
