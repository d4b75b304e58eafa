"""People's pictures, a resident's profile and the neighbours directory."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WResponse

from portal import device
from portal.confirm import confirm_page
from portal.errors import on_refusal, reshow_form
from portal.forms import ConfirmForm, require_confirm_form
from portal.people import bp
from portal.people import service as people
from portal.people.avatars import avatar_svg
from portal.people.forms import ProfileForm
from portal.people.models import Person
from portal.uploads import path_of

Page = str | tuple[str, int] | WResponse


def _visible_avatar(person_id: int) -> Person:
    """People of one's buildings; before login, only the residents of this tablet's building."""
    viewer = current_user if current_user.is_authenticated else None
    return people.access_avatar(viewer, person_id, device.device_building_id())


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
    """The profile and the directory are a resident's own pages; others get 404."""
    if not current_user.is_resident:
        abort(404)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Page:
    _resident_only()
    form = ProfileForm(obj=current_user if request.method == "GET" else None)

    def page() -> str:
        return render_template("people/profile.html", form=form, confirm_form=ConfirmForm())

    if request.method != "POST":
        return page()
    if not form.validate_on_submit():
        return page(), 422
    on_refusal(reshow_form(page))
    photo = form.photo.data
    people.do_update_profile(
        current_user,
        display_name=form.display_name.data or "",
        languages=form.languages.data or "",
        interests=form.interests.data or "",
        can_help_with=form.can_help_with.data or "",
        in_directory=bool(form.in_directory.data),
        photo=photo.read() if photo and photo.filename else None,
    )
    flash(_("Your profile is saved."), "success")
    return redirect(url_for("people.profile"))


@bp.route("/profile/photo/remove", methods=["GET", "POST"])
@login_required
def remove_photo() -> str | WResponse:
    """Ask first ("Remove your photo?"), then remove it."""
    _resident_only()
    if request.method == "GET":
        if not current_user.photo_path:
            return redirect(url_for("people.profile"))
        return confirm_page(
            question=_("Remove your photo?"),
            consequence=_("Your neighbours will see your initials instead."),
            yes=_("Yes, remove my photo"),
            no=_("No, keep my photo"),
            action=url_for("people.remove_photo"),
            back=url_for("people.profile"),
            pictogram="trash-2",
        )
    require_confirm_form()
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
