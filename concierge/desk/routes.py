"""Concierge desk pages: parse the request, call the service, render or redirect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from concierge import bp
from concierge.desk import access as desk
from concierge.desk import logbook, parcels, queue, tickets, visits
from concierge.desk.forms import (
    AssigneeForm,
    DwellingSearch,
    HandOverForm,
    LogbookForm,
    ParcelForm,
    PriorityForm,
    RatingForm,
    ReplyForm,
    StaffTicketForm,
    StatusForm,
    TicketForm,
    VisitForm,
)
from concierge.desk.models import Ticket, TicketStatus
from portal.auth.forms import ConfirmForm
from portal.db import utcnow
from portal.errors import DomainError
from portal.people import service as people
from portal.people.models import Dwelling, Person
from portal.uploads import path_of

T = TypeVar("T")
Page = str | tuple[str, int] | Response


def _found(call: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run an access_* call: hidden things answer 404, forbidden actions 403."""
    try:
        return call(*args, **kwargs)
    except DomainError as error:
        abort(403 if error.code == "forbidden" else 404)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_user.time_zone or "Europe/Paris")


def _files(field_name: str) -> list[FileStorage]:
    return [f for f in request.files.getlist(field_name) if f and f.filename]


def _is_desk_staff() -> bool:
    return current_user.role in desk.DESK_STAFF_ROLES


@bp.app_context_processor
def desk_helpers() -> dict[str, object]:
    return {
        "ticket_category_icon": tickets.category_icon,
        "ticket_category_label": tickets.category_label,
        "ticket_status_label": tickets.status_label,
        "ticket_priority_label": tickets.priority_label,
        "parcel_size_label": parcels.size_label,
        "logbook_kind_icon": logbook.kind_icon,
        "logbook_kind_label": logbook.kind_label,
        "logbook_entry_title": logbook.entry_title,
        "visit_kind_icon": visits.kind_icon,
        "visit_kind_label": visits.kind_label,
    }


# Tickets: the resident's side -------------------------------------------------------------


@bp.get("/tickets")
@login_required
def my_tickets() -> Page:
    if _is_desk_staff():
        return redirect(url_for("concierge.desk_page"))
    if not current_user.is_resident:
        abort(404)
    return render_template("concierge/desk/tickets.html", tickets=tickets.list_mine(current_user))


def _resident_choices(staff: Person) -> list[SelectChoice]:
    choices = [SelectChoice("", _("Choose a resident"))]
    for building in people.list_buildings_for(staff):
        for resident in people.list_residents(building):
            if resident.active and resident.dwelling is not None:
                label = _("Flat %(number)s", number=resident.dwelling.number)
                choices.append(SelectChoice(str(resident.id), f"{label} · {resident.full_name}"))
    return choices


@bp.route("/tickets/new", methods=["GET", "POST"])
@login_required
def new_ticket() -> Page:
    staff = _is_desk_staff()
    if not staff and not current_user.is_resident:
        abort(404)
    form: TicketForm = StaffTicketForm() if staff else TicketForm()
    if isinstance(form, StaffTicketForm):
        form.resident.choices = _resident_choices(current_user)
        if request.method == "GET" and request.args.get("resident", "").isdigit():
            form.resident.data = request.args["resident"]
    if request.method == "GET" and request.args.get("category") in tickets.CATEGORIES:
        form.category.data = request.args["category"]  # "Report a problem" suggests a repair
    if form.validate_on_submit():
        resident_id = int(form.resident.data) if isinstance(form, StaffTicketForm) else None
        try:
            ticket = tickets.do_create_ticket(
                current_user, category=form.category.data, description=form.description.data,
                in_common_areas=form.place.data == "common",
                photos=[f.read() for f in _files("photos")], resident_id=resident_id,
            )  # fmt: skip
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("Thank you, the desk has your report. We will keep you informed."), "success")
            return redirect(url_for("concierge.ticket", ticket_id=ticket.id))
    status = 422 if request.method == "POST" else 200
    return render_template("concierge/desk/ticket_new.html", form=form, staff=staff), status


def _ticket_page(ticket: Ticket, status: int = 200, **forms: Any) -> tuple[str, int]:
    staff = desk.is_building_staff(current_user, ticket.building_id)
    status_form = forms.get("status_form") or StatusForm()
    allowed = tickets.TRANSITIONS[ticket.status]
    status_form.status.choices = [
        c for c in status_form.status.choices if TicketStatus(c.value) in allowed
    ]
    priority_form = forms.get("priority_form") or PriorityForm(priority=ticket.priority.value)
    assignee_form = forms.get("assignee_form") or AssigneeForm(
        assignee=str(ticket.assignee_id or "")
    )
    assignable = tickets.list_assignable(ticket.building_id) if staff else []
    assignee_form.assignee.choices = [SelectChoice("", _("Nobody yet"))] + [
        SelectChoice(str(p.id), p.full_name) for p in assignable
    ]
    acknowledge_by, resolve_by = tickets.targets(ticket) if staff else (None, None)
    html = render_template(
        "concierge/desk/ticket.html", ticket=ticket, staff=staff,
        updates=tickets.visible_updates(current_user, ticket),
        reporter=people.get_person(ticket.reporter_id) if ticket.reporter_id else None,
        dwelling=desk.access_dwelling(current_user, ticket.dwelling_id)
        if staff and ticket.dwelling_id else None,
        status_form=status_form, priority_form=priority_form, assignee_form=assignee_form,
        reply_form=forms.get("reply_form") or ReplyForm(),
        rating_form=forms.get("rating_form") or RatingForm(),
        may_rate=ticket.reporter_id == current_user.id and ticket.rating is None
        and ticket.status in tickets.RATEABLE,
        overdue=staff and tickets.is_overdue(ticket, utcnow()),
        acknowledge_by=acknowledge_by, resolve_by=resolve_by,
        people_by_id=_people_of(ticket),
    )  # fmt: skip
    return html, status


def _people_of(ticket: Ticket) -> dict[int, Person]:
    """Authors and assignee of a ticket's timeline, read once."""
    ids = {u.author_id for u in ticket.updates if u.author_id} | {ticket.assignee_id or 0}
    found = (people.get_person(i) for i in ids if i)
    return {p.id: p for p in found if p is not None}


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int) -> Page:
    return _ticket_page(_found(tickets.access_ticket, current_user, ticket_id))


@bp.get("/tickets/<int:ticket_id>/timeline")
@login_required
def ticket_timeline(ticket_id: int) -> Page:
    """The status and timeline alone, re-read when the ticket changes."""
    found = _found(tickets.access_ticket, current_user, ticket_id)
    return render_template(
        "concierge/desk/_ticket_timeline.html", ticket=found,
        updates=tickets.visible_updates(current_user, found), people_by_id=_people_of(found),
        staff=desk.is_building_staff(current_user, found.building_id),
    )  # fmt: skip


def _ticket_action(ticket_id: int, form: Any, form_key: str, action: Callable[[], Any],
                   done: str) -> Page:  # fmt: skip
    """Check access and the form, run the action; bad input re-renders the page (422)."""
    found = _found(tickets.access_ticket, current_user, ticket_id)
    if form_key != "reply_form" and form_key != "rating_form":
        _found(tickets.access_staff_ticket, current_user, ticket_id)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Please check what you entered."), "error")
        return _ticket_page(found, 422, **{form_key: form})
    try:
        action()
    except DomainError as error:
        if error.code in {"not_found", "forbidden"}:
            abort(403 if error.code == "forbidden" else 404)
        flash(error.message, "error")
        return _ticket_page(_found(tickets.access_ticket, current_user, ticket_id), 422,
                            **{form_key: form})  # fmt: skip
    flash(done, "success")
    return redirect(url_for("concierge.ticket", ticket_id=ticket_id))


@bp.post("/tickets/<int:ticket_id>/status")
@login_required
def ticket_status(ticket_id: int) -> Page:
    form = StatusForm()
    form.status.choices = [SelectChoice(s.value, s.value) for s in TicketStatus]
    return _ticket_action(
        ticket_id, form, "status_form",
        lambda: tickets.do_change_status(current_user, ticket_id, form.status.data,
                                         form.message.data or ""),
        _("The resident has been told."),
    )  # fmt: skip


@bp.post("/tickets/<int:ticket_id>/priority")
@login_required
def ticket_priority(ticket_id: int) -> Page:
    form = PriorityForm()
    return _ticket_action(
        ticket_id, form, "priority_form",
        lambda: tickets.do_set_priority(current_user, ticket_id, form.priority.data),
        _("The priority is saved."),
    )  # fmt: skip


@bp.post("/tickets/<int:ticket_id>/assignee")
@login_required
def ticket_assignee(ticket_id: int) -> Page:
    form = AssigneeForm()
    form.assignee.validate_choice = False  # the service checks the person
    raw = request.form.get("assignee", "")
    return _ticket_action(
        ticket_id, form, "assignee_form",
        lambda: tickets.do_assign(current_user, ticket_id, int(raw) if raw.isdigit() else None),
        _("Saved."),
    )  # fmt: skip


@bp.post("/tickets/<int:ticket_id>/reply")
@login_required
def ticket_reply(ticket_id: int) -> Page:
    form = ReplyForm()
    return _ticket_action(
        ticket_id, form, "reply_form",
        lambda: tickets.do_add_reply(current_user, ticket_id, form.body.data,
                                     internal=bool(form.internal.data)),
        _("Your message is added."),
    )  # fmt: skip


@bp.post("/tickets/<int:ticket_id>/rate")
@login_required
def ticket_rate(ticket_id: int) -> Page:
    form = RatingForm()
    return _ticket_action(
        ticket_id, form, "rating_form",
        lambda: tickets.do_rate(current_user, ticket_id, int(form.rating.data or 0),
                                form.comment.data or ""),
        _("Thank you for your opinion!"),
    )  # fmt: skip


@bp.get("/tickets/photos/<int:photo_id>")
@login_required
def ticket_photo(photo_id: int) -> Response:
    found = _found(tickets.access_photo, current_user, photo_id)
    name = found.thumb_name if request.args.get("size") == "thumb" and found.thumb_name else None
    return _private_file(name or found.file_name, "image/jpeg")


def _private_file(name: str, mimetype: str, download_name: str | None = None) -> Response:
    response = send_file(path_of(name), mimetype=mimetype, max_age=86400,
                         download_name=download_name)  # fmt: skip
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# My home: logbook, parcels, visits ------------------------------------------------------


def _own_dwelling() -> Dwelling:
    if not current_user.is_resident or current_user.dwelling_id is None:
        abort(404)
    return _found(desk.access_dwelling, current_user, current_user.dwelling_id)


@bp.get("/my-home")
@login_required
def my_home() -> Page:
    dwelling = _own_dwelling()
    return render_template(
        "concierge/desk/my_home.html", dwelling=dwelling,
        parcels=parcels.list_for_dwelling(current_user, dwelling.id),
        visits=visits.list_for_dwelling(current_user, dwelling.id, utcnow()),
        open_tickets=tickets.count_open_for(current_user), confirm_form=ConfirmForm(),
    )  # fmt: skip


@bp.get("/my-home/parcels")
@login_required
def my_parcels() -> Page:
    """The waiting parcels alone, re-read when one is logged or collected."""
    dwelling = _own_dwelling()
    waiting = parcels.list_for_dwelling(current_user, dwelling.id)
    return render_template("concierge/desk/_parcels.html", parcels=waiting)


@bp.get("/api/concierge/my-parcels")
@login_required
def api_my_parcels() -> Response:
    return jsonify({"ok": True, "count": parcels.count_waiting_for(current_user)})


@bp.route("/my-home/visits/new", methods=["GET", "POST"])
@login_required
def new_visit() -> Page:
    dwelling = _own_dwelling()
    form = VisitForm()
    if form.validate_on_submit():
        zone = _zone()
        try:
            visits.do_add_visit(
                current_user, dwelling.id, kind=form.kind.data, visitor=form.visitor.data,
                starts_at=datetime.combine(form.day.data, form.start.data, tzinfo=zone),
                ends_at=datetime.combine(form.day.data, form.end.data, tzinfo=zone),
                note=form.note.data or "",
            )  # fmt: skip
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("The desk is told."), "success")
            return redirect(url_for("concierge.my_home"))
    status = 422 if request.method == "POST" else 200
    return render_template("concierge/desk/visit_new.html", form=form), status


@bp.post("/visits/<int:visit_id>/cancel")
@login_required
def cancel_visit(visit_id: int) -> Response:
    visit = _found(visits.access_visit, current_user, visit_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        visits.do_cancel_visit(current_user, visit.id)
    except DomainError as error:
        flash(error.message, "error")
    else:
        flash(_("It is cancelled; the desk is told."), "success")
    if desk.is_building_staff(current_user, visit.building_id):
        return redirect(url_for("concierge.dwelling", dwelling_id=visit.dwelling_id))
    return redirect(url_for("concierge.my_home"))


@bp.get("/dwellings/<int:dwelling_id>/logbook")
@login_required
def logbook_page(dwelling_id: int) -> Page:
    dwelling, entries = _found(logbook.list_entries, current_user, dwelling_id)
    return render_template(
        "concierge/desk/logbook.html", dwelling=dwelling, entries=entries,
        staff=desk.is_building_staff(current_user, dwelling.building_id),
    )  # fmt: skip


@bp.get("/dwellings/<int:dwelling_id>/logbook/print")
@login_required
def logbook_print(dwelling_id: int) -> Page:
    dwelling, entries = _found(logbook.list_entries, current_user, dwelling_id)
    building = people.get_building(dwelling.building_id)
    return render_template("concierge/desk/logbook_print.html", dwelling=dwelling,
                           entries=entries, building=building)  # fmt: skip


@bp.route("/desk/dwellings/<int:dwelling_id>/logbook/new", methods=["GET", "POST"])
@login_required
def new_logbook_entry(dwelling_id: int) -> Page:
    dwelling = _found(desk.access_staff_dwelling, current_user, dwelling_id)
    form = LogbookForm()
    if form.validate_on_submit():
        try:
            logbook.do_add_entry(
                current_user, dwelling.id, kind=form.kind.data, title=form.title.data,
                happened_on=form.happened_on.data, body=form.body.data or "",
                documents=[(f.filename or "", f.read()) for f in _files("documents")],
            )  # fmt: skip
        except DomainError as error:
            flash(error.message, "error")
        else:
            flash(_("The intervention is in the logbook."), "success")
            return redirect(url_for("concierge.logbook_page", dwelling_id=dwelling.id))
    status = 422 if request.method == "POST" else 200
    html = render_template("concierge/desk/logbook_new.html", form=form, dwelling=dwelling)
    return html, status


@bp.get("/logbook/documents/<int:document_id>")
@login_required
def logbook_document(document_id: int) -> Response:
    document = _found(logbook.access_document, current_user, document_id)
    download = document.title if document.mime_type == logbook.PDF_TYPE and document.title else None
    return _private_file(document.file_name, document.mime_type, download)


# The desk -------------------------------------------------------------------------------


def _desk_building() -> Any:
    raw = request.args.get("building", "")
    return _found(desk.access_desk_building, current_user, int(raw) if raw.isdigit() else None)


@bp.get("/desk")
@login_required
def desk_page() -> Page:
    building = _desk_building()
    return render_template(
        "concierge/desk/desk.html", building=building,
        buildings=people.list_buildings_for(current_user),
        queue=queue.list_queue(current_user, building, utcnow()), search=DwellingSearch(),
    )  # fmt: skip


@bp.get("/desk/queue")
@login_required
def desk_queue() -> Page:
    """The queue alone, re-read by the desk screen when anything changes."""
    building = _desk_building()
    return render_template("concierge/desk/_queue.html",
                           queue=queue.list_queue(current_user, building, utcnow()))  # fmt: skip


@bp.get("/api/concierge/desk-count")
@login_required
def api_desk_count() -> Response:
    return jsonify({"ok": True, "count": queue.count_open_items(current_user)})


@bp.get("/desk/dwellings")
@login_required
def dwellings() -> Page:
    building = _desk_building()
    search = DwellingSearch(request.args)
    query = search.q.data or "" if search.validate() else ""
    return render_template(
        "concierge/desk/dwellings.html", building=building, search=search, query=query,
        dwellings=desk.list_dwellings(current_user, building.id, query),
    )  # fmt: skip


def _dwelling_page(dwelling: Dwelling, status: int = 200, **forms: Any) -> tuple[str, int]:
    residents = desk.dwelling_residents(dwelling.id)
    hand_over = HandOverForm()
    hand_over.collected_by.choices = [SelectChoice("", _("Someone else (write the name)"))] + [
        SelectChoice(str(p.id), p.full_name) for p in residents
    ]
    now = utcnow()
    html = render_template(
        "concierge/desk/dwelling.html", dwelling=dwelling, residents=residents,
        parcel_form=forms.get("parcel_form") or ParcelForm(), hand_over_form=hand_over,
        parcels=parcels.list_for_dwelling(current_user, dwelling.id),
        collected=parcels.list_for_dwelling(current_user, dwelling.id, collected=True),
        visits=visits.list_for_dwelling(current_user, dwelling.id, now),
        tickets=tickets.list_for_dwelling(dwelling.id), now=now,
        entries=logbook.list_entries(current_user, dwelling.id)[1][:5],
        confirm_form=ConfirmForm(),
    )  # fmt: skip
    return html, status


@bp.get("/desk/dwellings/<int:dwelling_id>")
@login_required
def dwelling(dwelling_id: int) -> Page:
    return _dwelling_page(_found(desk.access_staff_dwelling, current_user, dwelling_id))


@bp.post("/desk/dwellings/<int:dwelling_id>/parcels")
@login_required
def log_parcel(dwelling_id: int) -> Page:
    found = _found(desk.access_staff_dwelling, current_user, dwelling_id)
    form = ParcelForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Please check what you entered."), "error")
        return _dwelling_page(found, 422, parcel_form=form)
    try:
        parcels.do_log_parcel(current_user, found.id, carrier=form.carrier.data,
                              size=form.size.data, note=form.note.data)  # fmt: skip
    except DomainError as error:
        flash(error.message, "error")
        return _dwelling_page(found, 422, parcel_form=form)
    flash(_("The parcel is logged; the residents are told."), "success")
    return redirect(url_for("concierge.dwelling", dwelling_id=found.id))


@bp.post("/desk/parcels/<int:parcel_id>/hand-over")
@login_required
def hand_over(parcel_id: int) -> Page:
    parcel = _found(parcels.access_parcel, current_user, parcel_id)
    found = _found(desk.access_staff_dwelling, current_user, parcel.dwelling_id)
    form = HandOverForm()
    form.collected_by.validate_choice = False  # the service checks the resident
    if not form.validate_on_submit():
        abort(400)
    raw = form.collected_by.data or ""
    try:
        parcels.do_hand_over(
            current_user, parcel.id, collected_by_id=int(raw) if raw.isdigit() else None,
            collected_by_name=form.collected_by_name.data or "",
        )  # fmt: skip
    except DomainError as error:
        flash(error.message, "error")
        return _dwelling_page(found, 422)
    flash(_("The parcel is handed over."), "success")
    return redirect(url_for("concierge.dwelling", dwelling_id=found.id))
