"""Concierge desk pages: parse the request, call the service, render or redirect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
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
from concierge.desk.models import LogbookKind, Priority, Ticket, TicketCategory, TicketStatus
from portal.confirm import confirm_page
from portal.db import utcnow
from portal.errors import DomainError, Refusal, on_refusal, render_error, reshow_form
from portal.forms import ConfirmForm, require_confirm_form
from portal.i18n import zone_of
from portal.people import service as people
from portal.people.models import Building, Dwelling, Person
from portal.uploads import path_of
from portal.validation import as_id, query_id

Page = ResponseReturnValue
CATEGORY_VALUES = frozenset(category.value for category in TicketCategory)


def _files(field_name: str) -> list[FileStorage]:
    """The files sent in a field, without the empty parts a browser sends for no file."""
    return [f for f in request.files.getlist(field_name) if f and f.filename]


def _is_desk_staff() -> bool:
    return current_user.role in desk.DESK_STAFF_ROLES


def _form_page(html: str, form: FlaskForm) -> Page:
    """A form page: 422 when the form was sent and refused, 200 when first shown."""
    return (html, 422) if form.is_submitted() else html


@bp.app_context_processor
def desk_helpers() -> dict[str, object]:
    """What the desk's templates need beside their objects: the enums of values kept as
    text (a timeline step, a form option) and the logbook entry's title."""
    return {
        "TicketCategory": TicketCategory,
        "TicketStatus": TicketStatus,
        "TicketPriority": Priority,
        "LogbookKind": LogbookKind,
        "logbook_entry_title": logbook.entry_title,
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
    """The residents staff may report for, by flat number."""
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
        if request.method == "GET" and as_id(request.args.get("resident")) is not None:
            form.resident.data = request.args["resident"]
    if request.method == "GET" and request.args.get("category") in CATEGORY_VALUES:
        form.category.data = request.args["category"]  # "Report a problem" suggests a repair

    def page() -> str:
        return render_template("concierge/desk/ticket_new.html", form=form, staff=staff)

    if not form.validate_on_submit():
        return _form_page(page(), form)
    on_refusal(reshow_form(page))
    resident_id = as_id(form.resident.data) if isinstance(form, StaffTicketForm) else None
    ticket = tickets.do_create_ticket(
        current_user,
        category=form.category.data,
        description=form.description.data,
        in_common_areas=form.place.data == "common",
        photos=[f.read() for f in _files("photos")],
        resident_id=resident_id,
    )
    flash(_("Thank you, the desk has your report. We will keep you informed."), "success")
    return redirect(url_for("concierge.ticket", ticket_id=ticket.id))


def _ticket_html(ticket: Ticket, **forms: Any) -> str:
    """The ticket page; `forms` keeps a form as the person sent it."""
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
    reporter = people.get_person(ticket.reporter_id) if ticket.reporter_id else None
    dwelling = None
    if staff and ticket.dwelling_id:
        dwelling = desk.access_dwelling(current_user, ticket.dwelling_id)
    may_rate = (
        ticket.reporter_id == current_user.id
        and ticket.rating is None
        and ticket.status in tickets.RATEABLE
    )
    return render_template(
        "concierge/desk/ticket.html",
        ticket=ticket,
        staff=staff,
        updates=tickets.visible_updates(current_user, ticket),
        reporter=reporter,
        dwelling=dwelling,
        status_form=status_form,
        priority_form=priority_form,
        assignee_form=assignee_form,
        reply_form=forms.get("reply_form") or ReplyForm(),
        rating_form=forms.get("rating_form") or RatingForm(),
        may_rate=may_rate,
        overdue=staff and tickets.is_overdue(ticket, utcnow()),
        acknowledge_by=acknowledge_by,
        resolve_by=resolve_by,
        people_by_id=_people_of(ticket),
    )


def _people_of(ticket: Ticket) -> dict[int, Person]:
    """Authors and assignee of a ticket's timeline, read once."""
    ids = {u.author_id for u in ticket.updates if u.author_id} | {ticket.assignee_id or 0}
    found = (people.get_person(i) for i in ids if i)
    return {p.id: p for p in found if p is not None}


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int) -> Page:
    return _ticket_html(tickets.access_ticket(current_user, ticket_id))


@bp.get("/tickets/<int:ticket_id>/timeline")
@login_required
def ticket_timeline(ticket_id: int) -> Page:
    """The status and timeline alone, re-read when the ticket changes."""
    found = tickets.access_ticket(current_user, ticket_id)
    return render_template(
        "concierge/desk/_ticket_timeline.html",
        ticket=found,
        updates=tickets.visible_updates(current_user, found),
        people_by_id=_people_of(found),
        staff=desk.is_building_staff(current_user, found.building_id),
    )


def _ticket_action(
    ticket_id: int,
    form: FlaskForm,
    form_key: str,
    action: Callable[[], object],
    done: str,
    *,
    staff_only: bool,
) -> Page:
    """Check access and the form, run the action; bad input re-renders the page (422)."""
    found = tickets.access_ticket(current_user, ticket_id)
    if staff_only:
        tickets.access_staff_ticket(current_user, ticket_id)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Please check what you entered."), "error")
        return _ticket_html(found, **{form_key: form}), 422
    on_refusal(_reshow_ticket(ticket_id, form_key, form))
    action()
    flash(done, "success")
    return redirect(url_for("concierge.ticket", ticket_id=ticket_id))


def _reshow_ticket(ticket_id: int, form_key: str, form: FlaskForm) -> Refusal:
    """Re-show the ticket with the form as sent; an action the person may not take answers
    403, as the page's own access check does."""

    def page() -> str:
        return _ticket_html(tickets.access_ticket(current_user, ticket_id), **{form_key: form})

    reshow = reshow_form(page)

    def answer(error: DomainError) -> ResponseReturnValue:
        if error.status == 403:
            return render_error(403)
        return reshow(error)

    return answer


@bp.post("/tickets/<int:ticket_id>/status")
@login_required
def ticket_status(ticket_id: int) -> Page:
    form = StatusForm()
    form.status.choices = [SelectChoice(s.value, s.value) for s in TicketStatus]
    return _ticket_action(
        ticket_id,
        form,
        "status_form",
        lambda: tickets.do_change_status(
            current_user, ticket_id, form.status.data, form.message.data or ""
        ),
        _("The resident has been told."),
        staff_only=True,
    )


@bp.post("/tickets/<int:ticket_id>/priority")
@login_required
def ticket_priority(ticket_id: int) -> Page:
    form = PriorityForm()
    return _ticket_action(
        ticket_id,
        form,
        "priority_form",
        lambda: tickets.do_set_priority(current_user, ticket_id, form.priority.data),
        _("The priority is saved."),
        staff_only=True,
    )


@bp.post("/tickets/<int:ticket_id>/assignee")
@login_required
def ticket_assignee(ticket_id: int) -> Page:
    form = AssigneeForm()
    form.assignee.validate_choice = False  # the service checks the person; id_choice, the id
    return _ticket_action(
        ticket_id,
        form,
        "assignee_form",
        lambda: tickets.do_assign(current_user, ticket_id, as_id(form.assignee.data)),
        _("Saved."),
        staff_only=True,
    )


@bp.post("/tickets/<int:ticket_id>/reply")
@login_required
def ticket_reply(ticket_id: int) -> Page:
    form = ReplyForm()
    return _ticket_action(
        ticket_id,
        form,
        "reply_form",
        lambda: tickets.do_add_reply(
            current_user, ticket_id, form.body.data, internal=bool(form.internal.data)
        ),
        _("Your message is added."),
        staff_only=False,
    )


@bp.post("/tickets/<int:ticket_id>/rate")
@login_required
def ticket_rate(ticket_id: int) -> Page:
    form = RatingForm()
    return _ticket_action(
        ticket_id,
        form,
        "rating_form",
        lambda: tickets.do_rate(
            current_user, ticket_id, int(form.rating.data or 0), form.comment.data or ""
        ),
        _("Thank you for your opinion!"),
        staff_only=False,
    )


@bp.get("/tickets/photos/<int:photo_id>")
@login_required
def ticket_photo(photo_id: int) -> Response:
    found = tickets.access_photo(current_user, photo_id)
    name = found.thumb_name if request.args.get("size") == "thumb" and found.thumb_name else None
    return _private_file(name or found.file_name, "image/jpeg")


def _private_file(name: str, mimetype: str, download_name: str | None = None) -> Response:
    """An uploaded file, cached by the person's browser only."""
    response = send_file(
        path_of(name), mimetype=mimetype, max_age=86400, download_name=download_name
    )
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# My home: logbook, parcels, visits ------------------------------------------------------


def _own_dwelling() -> Dwelling:
    """The logged-in resident's dwelling; anyone else: 404."""
    if not current_user.is_resident or current_user.dwelling_id is None:
        abort(404)
    return desk.access_dwelling(current_user, current_user.dwelling_id)


@bp.get("/my-home")
@login_required
def my_home() -> Page:
    dwelling = _own_dwelling()
    return render_template(
        "concierge/desk/my_home.html",
        dwelling=dwelling,
        parcels=parcels.list_for_dwelling(current_user, dwelling.id),
        visits=visits.list_for_dwelling(current_user, dwelling.id, utcnow()),
        open_tickets=tickets.count_open_for(current_user),
        confirm_form=ConfirmForm(),
    )


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

    def page() -> str:
        return render_template("concierge/desk/visit_new.html", form=form)

    if not form.validate_on_submit():
        return _form_page(page(), form)
    on_refusal(reshow_form(page))
    zone = zone_of(current_user)
    visits.do_add_visit(
        current_user,
        dwelling.id,
        kind=form.kind.data,
        visitor=form.visitor.data,
        starts_at=datetime.combine(form.day.data, form.start.data, tzinfo=zone),
        ends_at=datetime.combine(form.day.data, form.end.data, tzinfo=zone),
        note=form.note.data or "",
    )
    flash(_("The desk is told."), "success")
    return redirect(url_for("concierge.my_home"))


@bp.route("/visits/<int:visit_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_visit(visit_id: int) -> str | Response:
    """Ask first ("Cancel the visit of …?"), then cancel it; the desk is told."""
    visit = visits.access_visit(current_user, visit_id)
    if desk.is_building_staff(current_user, visit.building_id):
        back = url_for("concierge.dwelling", dwelling_id=visit.dwelling_id)
    else:
        back = url_for("concierge.my_home")
    if request.method == "GET":
        if visit.cancelled_at is not None:
            return redirect(back)
        return confirm_page(
            question=_("Cancel the visit of %(name)s?", name=visit.visitor),
            consequence=_("The desk is told that nobody is expected."),
            yes=_("Yes, cancel the visit"),
            no=_("No, keep the visit"),
            action=url_for("concierge.cancel_visit", visit_id=visit.id),
            back=back,
            pictogram="calendar-x",
        )
    require_confirm_form()
    on_refusal(back)
    visits.do_cancel_visit(current_user, visit.id)
    flash(_("It is cancelled; the desk is told."), "success")
    return redirect(back)


@bp.get("/dwellings/<int:dwelling_id>/logbook")
@login_required
def logbook_page(dwelling_id: int) -> Page:
    dwelling, entries = logbook.list_entries(current_user, dwelling_id)
    return render_template(
        "concierge/desk/logbook.html",
        dwelling=dwelling,
        entries=entries,
        staff=desk.is_building_staff(current_user, dwelling.building_id),
    )


@bp.get("/dwellings/<int:dwelling_id>/logbook/print")
@login_required
def logbook_print(dwelling_id: int) -> Page:
    dwelling, entries = logbook.list_entries(current_user, dwelling_id)
    building = people.get_building(dwelling.building_id)
    return render_template(
        "concierge/desk/logbook_print.html", dwelling=dwelling, entries=entries, building=building
    )


@bp.route("/desk/dwellings/<int:dwelling_id>/logbook/new", methods=["GET", "POST"])
@login_required
def new_logbook_entry(dwelling_id: int) -> Page:
    dwelling = desk.access_staff_dwelling(current_user, dwelling_id)
    form = LogbookForm()

    def page() -> str:
        return render_template("concierge/desk/logbook_new.html", form=form, dwelling=dwelling)

    if not form.validate_on_submit():
        return _form_page(page(), form)
    on_refusal(reshow_form(page))
    logbook.do_add_entry(
        current_user,
        dwelling.id,
        kind=form.kind.data,
        title=form.title.data,
        happened_on=form.happened_on.data,
        body=form.body.data or "",
        documents=[(f.filename or "", f.read()) for f in _files("documents")],
    )
    flash(_("The intervention is in the logbook."), "success")
    return redirect(url_for("concierge.logbook_page", dwelling_id=dwelling.id))


@bp.get("/logbook/documents/<int:document_id>")
@login_required
def logbook_document(document_id: int) -> Response:
    """A logbook photo is shown in the page; a PDF is only ever saved, under a name of ours
    (never rendered in the portal's origin, no uploader's file name in a header)."""
    document = logbook.access_document(current_user, document_id)
    response = _private_file(document.file_name, document.mime_type)
    if document.mime_type == logbook.PDF_TYPE:
        response.headers.set(
            "Content-Disposition", "attachment", filename=logbook.download_name(document)
        )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# The desk -------------------------------------------------------------------------------


def _desk_building() -> Building:
    """The building whose desk is asked for (?building=), else the staff member's own."""
    return desk.access_desk_building(current_user, query_id("building"))


@bp.get("/desk")
@login_required
def desk_page() -> Page:
    building = _desk_building()
    return render_template(
        "concierge/desk/desk.html",
        building=building,
        buildings=people.list_buildings_for(current_user),
        queue=queue.list_queue(current_user, building, utcnow()),
        search=DwellingSearch(),
    )


@bp.get("/desk/queue")
@login_required
def desk_queue() -> Page:
    """The queue alone, re-read by the desk screen when anything changes."""
    building = _desk_building()
    return render_template(
        "concierge/desk/_queue.html", queue=queue.list_queue(current_user, building, utcnow())
    )


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
        "concierge/desk/dwellings.html",
        building=building,
        search=search,
        query=query,
        dwellings=desk.list_dwellings(current_user, building.id, query),
    )


def _dwelling_html(dwelling: Dwelling, **forms: Any) -> str:
    """A dwelling's desk page; `forms` keeps a form as the person sent it."""
    residents = desk.dwelling_residents(dwelling.id)
    hand_over = HandOverForm()
    hand_over.collected_by.choices = [SelectChoice("", _("Someone else (write the name)"))] + [
        SelectChoice(str(p.id), p.full_name) for p in residents
    ]
    now = utcnow()
    return render_template(
        "concierge/desk/dwelling.html",
        dwelling=dwelling,
        residents=residents,
        parcel_form=forms.get("parcel_form") or ParcelForm(),
        hand_over_form=hand_over,
        parcels=parcels.list_for_dwelling(current_user, dwelling.id),
        collected=parcels.list_for_dwelling(current_user, dwelling.id, collected=True),
        visits=visits.list_for_dwelling(current_user, dwelling.id, now),
        tickets=tickets.list_for_dwelling(dwelling.id),
        now=now,
        entries=logbook.list_entries(current_user, dwelling.id)[1][:5],
        confirm_form=ConfirmForm(),
    )


@bp.get("/desk/dwellings/<int:dwelling_id>")
@login_required
def dwelling(dwelling_id: int) -> Page:
    return _dwelling_html(desk.access_staff_dwelling(current_user, dwelling_id))


@bp.post("/desk/dwellings/<int:dwelling_id>/parcels")
@login_required
def log_parcel(dwelling_id: int) -> Page:
    found = desk.access_staff_dwelling(current_user, dwelling_id)
    form = ParcelForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Please check what you entered."), "error")
        return _dwelling_html(found, parcel_form=form), 422
    on_refusal(reshow_form(lambda: _dwelling_html(found, parcel_form=form)))
    parcels.do_log_parcel(
        current_user, found.id, carrier=form.carrier.data, size=form.size.data, note=form.note.data
    )
    flash(_("The parcel is logged; the residents are told."), "success")
    return redirect(url_for("concierge.dwelling", dwelling_id=found.id))


@bp.post("/desk/parcels/<int:parcel_id>/hand-over")
@login_required
def hand_over(parcel_id: int) -> Page:
    parcel = parcels.access_parcel(current_user, parcel_id)
    found = desk.access_staff_dwelling(current_user, parcel.dwelling_id)
    form = HandOverForm()
    form.collected_by.validate_choice = False  # the service checks the resident
    if not form.validate_on_submit():
        abort(400)
    on_refusal(reshow_form(lambda: _dwelling_html(found)))
    parcels.do_hand_over(
        current_user,
        parcel.id,
        collected_by_id=as_id(form.collected_by.data),
        collected_by_name=form.collected_by_name.data or "",
    )
    flash(_("The parcel is handed over."), "success")
    return redirect(url_for("concierge.dwelling", dwelling_id=found.id))
