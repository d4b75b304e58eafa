"""Downloading one's data; a resident asks for erasure; managers export for a person,
see the requests, and erase an account or decline the request."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WResponse

from portal.auth.decorators import roles_required
from portal.datarights import bp, erasure, export, requests
from portal.datarights.forms import AskErasureForm, DeclineErasureForm, EraseForm
from portal.db import utcnow
from portal.errors import on_refusal
from portal.people.models import Person, Role


def _json_download(data: dict[str, Any], person: Person) -> Response:
    """The export as a JSON file to save, never kept in a cache."""
    body = json.dumps(data, ensure_ascii=False, indent=2)
    name = f"bon-voisin-data-{person.id}-{utcnow().date().isoformat()}.json"
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/my-data")
@login_required
def export_mine() -> Response:
    """The logged-in person's own data, as a JSON file (POST: it is written to the log)."""
    return _json_download(export.do_export(current_user, current_user), current_user)


@bp.post("/staff/people/<int:person_id>/data")
@roles_required(Role.MANAGER)
def export_person(person_id: int) -> Response:
    """A manager downloads a person's data for them (same organisation only)."""
    person = erasure.access_person_to_erase(current_user, person_id)
    return _json_download(export.do_export(current_user, person), person)


def _render_confirm(
    person: Person,
    form: EraseForm,
    error: str | None = None,
    decline_form: DeclineErasureForm | None = None,
) -> str:
    """The erasure confirmation page, with the person's request if they made one; `error`
    is shown above the form."""
    return render_template(
        "datarights/erase.html",
        person=person,
        form=form,
        error=error,
        pending=requests.get_pending(person),
        decline_form=decline_form or DeclineErasureForm(),
    )


@bp.get("/staff/people/<int:person_id>/erase")
@roles_required(Role.MANAGER)
def erase_confirm(person_id: int) -> str:
    """What erasing does, and the name to type to confirm it."""
    person = erasure.access_person_to_erase(current_user, person_id)
    return _render_confirm(person, EraseForm())


@bp.post("/staff/people/<int:person_id>/erase")
@roles_required(Role.MANAGER)
def erase(person_id: int) -> WResponse | tuple[str, int]:
    """Erase the account once the manager typed the person's name; then to the audit log."""
    person = erasure.access_person_to_erase(current_user, person_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return _render_confirm(person, form, _("Please check the form below.")), 422
    name = person.full_name
    on_refusal(lambda error: (_render_confirm(person, form, error.message), 422))
    erasure.do_erase(current_user, person, form.confirm_name.data)
    flash(_("The account of %(name)s is erased.", name=name), "success")
    return redirect(url_for("audit.log"))


@bp.route("/my-data/erasure-request", methods=["GET", "POST"])
@roles_required(Role.RESIDENT)
def ask_erasure() -> str | WResponse:
    """A resident confirms they want their account erased; the managers are told."""
    form = AskErasureForm()
    if not form.validate_on_submit():
        return render_template("datarights/ask_erasure.html", form=form)
    on_refusal(url_for("home.settings"))
    requests.do_ask(current_user)
    flash(_("Your request is sent. The manager will answer you."), "success")
    return redirect(url_for("home.settings"))


@bp.get("/staff/erasure-requests")
@roles_required(Role.MANAGER)
def erasure_requests() -> str:
    """The residents of the organisation waiting for an answer to their erasure request."""
    return render_template("datarights/requests.html", pending=requests.list_pending(current_user))


@bp.post("/staff/people/<int:person_id>/erasure-request/decline")
@roles_required(Role.MANAGER)
def decline_erasure(person_id: int) -> WResponse | tuple[str, int]:
    """Decline a resident's erasure request with a reason they will read."""
    person = erasure.access_person_to_erase(current_user, person_id)
    form = DeclineErasureForm()
    if not form.validate_on_submit():
        return _render_confirm(person, EraseForm(), _("Please check the form below."), form), 422
    on_refusal(
        lambda error: (_render_confirm(person, EraseForm(), error.message, form), error.status)
    )
    requests.do_decline(current_user, person.id, form.reason.data)
    flash(_("The request is declined. %(name)s is told.", name=person.full_name), "success")
    return redirect(url_for("datarights.erasure_requests"))
