"""Pages of the announcements: parse the request, call the service, render or redirect."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from messaging.announcements import bp, service
from messaging.announcements.forms import AnnouncementForm
from messaging.announcements.models import Announcement
from portal.errors import on_refusal
from portal.forms import ConfirmForm, require_confirm_form
from portal.i18n import zone_of
from portal.people.models import Building
from portal.uploads import path_of
from portal.validation import as_id

Page = str | tuple[str, int] | Response


def _require_staff() -> None:
    """The staff's pages do not exist for residents."""
    if not current_user.is_staff:
        abort(404)


# Residents -------------------------------------------------------------------------------


def _cards_context() -> dict[str, Any]:
    """The resident's current announcements and which of them they have read."""
    current = service.list_current(current_user)
    return {
        "announcements": current,
        "read": service.read_ids(current_user, [a.id for a in current]),
    }


@bp.get("/announcements")
@login_required
def index() -> str:
    """Residents: the current announcements. Staff: those of their buildings."""
    if current_user.is_staff:
        items = service.list_for_staff(current_user)
        return render_template("announcements/staff_list.html", items=items, service=service)
    return render_template("announcements/list.html", **_cards_context())


@bp.get("/announcements/cards")
@login_required
def cards() -> str:
    """The resident's cards alone, re-read by the page when an announcement changes."""
    if current_user.is_staff:
        abort(404)
    return render_template("announcements/_cards.html", **_cards_context())


@bp.get("/api/announcements/unread")
@login_required
def api_unread() -> Response:
    """The live badge of the Announcements tile."""
    return jsonify({"ok": True, "count": service.count_unread(current_user)})


@bp.get("/announcements/<int:announcement_id>")
@login_required
def show(announcement_id: int) -> str:
    """One announcement: residents read it and say so; staff see its status."""
    found = service.access_announcement(current_user, announcement_id)
    status = service.status_of(found)
    return render_template(
        "announcements/show.html",
        item=found,
        is_staff=current_user.is_staff,
        has_read=service.has_read(current_user, found.id),
        status=status,
        status_label=status.label,
        confirm_form=ConfirmForm(),
    )


@bp.post("/announcements/<int:announcement_id>/read")
@login_required
def mark_read(announcement_id: int) -> Response:
    """The resident's "I have read it"."""
    service.access_announcement(current_user, announcement_id)
    require_confirm_form()
    service.do_mark_read(current_user, announcement_id)
    flash(_("Thank you. It is noted that you have read it."), "success")
    return redirect(url_for("announcements.show", announcement_id=announcement_id))


@bp.get("/announcements/<int:announcement_id>/photo")
@login_required
def photo(announcement_id: int) -> Response:
    """An announcement's photo, to those who may see it."""
    found = service.access_announcement(current_user, announcement_id)
    name = found.thumb_name if request.args.get("size") == "thumb" else found.photo_name
    name = name or found.photo_name
    if not name:
        abort(404)
    response = send_file(path_of(name), mimetype="image/jpeg", max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# Staff -----------------------------------------------------------------------------------


def _building_choices() -> list[SelectChoice]:
    """The buildings the person may write to, for the form."""
    return [SelectChoice(str(b.id), b.name) for b in service.list_buildings(current_user)]


def _default_building() -> str:
    """The person's own building when they may write to it, else the first."""
    ids = [b.id for b in service.list_buildings(current_user)]
    if current_user.building_id in ids:
        return str(current_user.building_id)
    return str(ids[0]) if ids else ""


def _photo_bytes(form: AnnouncementForm) -> bytes | None:
    """The uploaded photo, if one was chosen."""
    upload = form.photo.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    data: bytes = upload.read()
    return data or None


def _until(form: AnnouncementForm, building: Building | None) -> datetime | None:
    """The form's end day and time, in the building's time zone."""
    if building is None:
        return None
    return service.local_until(building, form.until_day.data, form.until_time.data)


def _building_of(form: AnnouncementForm) -> Building | None:
    """The building chosen on the form, if the person may write to it."""
    building_id = as_id(form.building.data)
    found = [b for b in service.list_buildings(current_user) if b.id == building_id]
    return found[0] if found else None


def _until_complete(form: AnnouncementForm) -> bool:
    """A time alone says nothing: ask for its day too."""
    if form.until_time.data is not None and form.until_day.data is None:
        form.until_day.errors = [_("Choose the day as well.")]
        return False
    return True


def _form_page(
    form: AnnouncementForm, item: Announcement | None, error: str | None = None, status: int = 200
) -> tuple[str, int]:
    """The announcement form, with an error message at its top when there is one."""
    page = render_template("announcements/form.html", form=form, item=item, error=error)
    return page, status


def _refusals_on_the_form(form: AnnouncementForm, item: Announcement | None) -> None:
    """A refusal of the service is shown at the top of the form, as the person filled it."""
    on_refusal(lambda error: _form_page(form, item, error.message, 422))


@bp.route("/announcements/new", methods=["GET", "POST"])
@login_required
def new() -> Page:
    """Write an announcement to one of the person's buildings."""
    _require_staff()
    form = AnnouncementForm()
    form.building.choices = _building_choices()
    del form.remove_photo
    if request.method == "GET":
        form.building.data = _default_building()
        return _form_page(form, None)
    if not form.validate_on_submit() or not _until_complete(form):
        return _form_page(form, None, status=422)
    building = _building_of(form)
    _refusals_on_the_form(form, None)
    created = service.do_publish(
        current_user,
        building_id=building.id if building else None,
        title=form.title.data or "",
        body=form.body.data or "",
        pinned=bool(form.pinned.data),
        visible_until=_until(form, building),
        photo=_photo_bytes(form),
    )
    flash(_("The announcement is published. The residents are told."), "success")
    return redirect(url_for("announcements.show", announcement_id=created.id))


@bp.route("/announcements/<int:announcement_id>/edit", methods=["GET", "POST"])
@login_required
def edit(announcement_id: int) -> Page:
    """Correct an announcement still running."""
    found = service.access_for_staff(current_user, announcement_id)
    form = AnnouncementForm(obj=found if request.method == "GET" else None)
    del form.building
    if request.method == "GET":
        _prefill_until(form, found)
        return _form_page(form, found)
    if not form.validate_on_submit() or not _until_complete(form):
        return _form_page(form, found, status=422)
    building = _building_for(found)
    _refusals_on_the_form(form, found)
    service.do_edit(
        current_user,
        found.id,
        title=form.title.data or "",
        body=form.body.data or "",
        pinned=bool(form.pinned.data),
        visible_until=_until(form, building),
        photo=_photo_bytes(form),
        remove_photo=bool(form.remove_photo.data),
    )
    flash(_("The announcement is saved."), "success")
    return redirect(url_for("announcements.show", announcement_id=found.id))


def _building_for(found: Announcement) -> Building | None:
    """The announcement's building, if the person may write to it."""
    return next(
        (b for b in service.list_buildings(current_user) if b.id == found.building_id), None
    )


def _prefill_until(form: AnnouncementForm, found: Announcement) -> None:
    """Show the end as the building's local day and time."""
    if found.visible_until is None:
        return
    local = found.visible_until.astimezone(zone_of(_building_for(found)))
    form.until_day.data, form.until_time.data = local.date(), local.time().replace(second=0)


def _act(announcement_id: int, action: Any, done: str) -> Response:
    """Unpin or withdraw, then back to the announcement, saying what happened (or why not)."""
    service.access_for_staff(current_user, announcement_id)
    require_confirm_form()
    back = url_for("announcements.show", announcement_id=announcement_id)
    on_refusal(back)
    action(current_user, announcement_id)
    flash(done, "success")
    return redirect(back)


@bp.post("/announcements/<int:announcement_id>/unpin")
@login_required
def unpin(announcement_id: int) -> Response:
    """No longer show it first."""
    return _act(announcement_id, service.do_unpin, _("The announcement is no longer pinned."))


@bp.post("/announcements/<int:announcement_id>/withdraw")
@login_required
def withdraw(announcement_id: int) -> Response:
    """End it now for the residents."""
    done = _("The announcement is withdrawn: residents no longer see it.")
    return _act(announcement_id, service.do_withdraw, done)


@bp.get("/announcements/<int:announcement_id>/reads")
@login_required
def reads(announcement_id: int) -> str:
    """Who has read it (and when), and a printable list of the others with flat and phone."""
    found = service.access_for_staff(current_user, announcement_id)
    return render_template(
        "announcements/reads.html",
        item=found,
        building=_building_for(found),
        report=service.get_read_report(found),
    )
