"""People's pictures, a resident's profile and the neighbours directory."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WResponse

from portal.auth import device
from portal.auth.forms import ConfirmForm
from portal.errors import DomainError
from portal.extensions import db
from portal.people import bp
from portal.people import service as people
from portal.people.avatars import avatar_svg
from portal.people.forms import ProfileForm
from portal.people.models import Person, Role
from portal.uploads import path_of

Page = str | tuple[str, int] | WResponse


def _visible_avatar(person_id: int) -> Person:
    """People of one's buildings; before login, only the residents of this tablet's building."""
    if current_user.is_authenticated:
        return people.access_person(current_user, person_id)
    person = db.session.get(Person, person_id)
    building_id = device.device_building_id()
    if (
        person is None
        or building_id is None
        or person.role != Role.RESIDENT
        or person.building_id != building_id
    ):
        abort(404)
    return person


@bp.get("/people/<int:person_id>/avatar.svg")
def avatar(person_id: int) -> Response:
    """The person's own photo when they gave one, else initials on a colour."""
    person = _visible_avatar(person_id)
    if person.photo_path and path_of(person.photo_path).is_file():
        response = send_file(path_of(person.photo_path), mimetype="image/jpeg")
    else:
        response = Response(avatar_svg(person), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


def _resident_only() -> None:
    if not current_user.is_resident:
        abort(404)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Page:
    _resident_only()
    form = ProfileForm(obj=current_user if request.method == "GET" else None)
    if form.validate_on_submit():
        photo = form.photo.data
        try:
            people.do_update_profile(
                current_user,
                display_name=form.display_name.data or "",
                languages=form.languages.data or "",
                interests=form.interests.data or "",
                can_help_with=form.can_help_with.data or "",
                in_directory=bool(form.in_directory.data),
                photo=photo.read() if photo and photo.filename else None,
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("people.profile"))
    status = 422 if request.method == "POST" else 200
    return render_template("people/profile.html", form=form, confirm_form=ConfirmForm()), status


@bp.post("/profile/photo/remove")
@login_required
def remove_photo() -> WResponse:
    _resident_only()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    people.do_remove_photo(current_user)
    flash(_("Your photo is removed."), "success")
    return redirect(url_for("people.profile"))


@bp.get("/directory")
@login_required
def neighbours() -> str:
    _resident_only()
    return render_template(
        "people/neighbours.html",
        neighbours=people.list_neighbour_entries(current_user),
        confirm_form=ConfirmForm(),
    )
