"""Activity pages: parse, call the service, render or redirect.

A refusal from a service (portal.errors.DomainError) is answered by the one handler: 404
for what the person may not see, else what the page declared with on_refusal().
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import groupby

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from activities import album, bp, ical, proposals, reminders, rooms, service
from activities.forms import (
    ActivityForm,
    BookingForm,
    EditForm,
    ProposalForm,
    RoomForm,
    SignupForm,
)
from activities.models import ActivityCategory, BookingStatus, Recurrence, SignupStatus
from activities.rules import access_occurrence, access_room, may_plan
from portal.confirm import confirm_page
from portal.db import utcnow
from portal.errors import Invalid, on_refusal, reshow_form
from portal.forms import ConfirmForm, require_confirm_form
from portal.i18n import zone_of
from portal.uploads import path_of
from portal.validation import as_id

RANGES = {"today": 1, "week": 7, "month": 31}
ICS_TYPE = "text/calendar; charset=utf-8"


def _can_plan() -> bool:
    """The logged-in person plans activities (staff)."""
    return may_plan(current_user)


def _require_planner() -> None:
    """Pages for the staff only: to others they do not exist (404)."""
    if not _can_plan():
        abort(404)


def _occurrence_page(occurrence_id: int) -> str:
    """The occurrence's page: where its forms send the person back."""
    return url_for("activities.occurrence", occurrence_id=occurrence_id)


@bp.get("/activities")
@login_required
def calendar() -> str:
    """The activities of the coming day, week or month, with my room bookings."""
    span = request.args.get("range", "week")
    if span not in RANGES:
        span = "week"
    zone = zone_of(current_user)
    start = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    end = start + timedelta(days=RANGES[span])
    views = service.list_upcoming(current_user, start, end)
    bookings = rooms.list_my_bookings(current_user, start, end)
    days = [
        (day, list(items))
        for day, items in groupby(
            views, key=lambda v: v.occurrence.starts_at.astimezone(zone).date()
        )
    ]
    grid = (
        month_grid(start.date(), {day: len(items) for day, items in days})
        if span == "month"
        else []
    )
    return render_template(
        "activities/calendar.html",
        days=days,
        span=span,
        can_plan=_can_plan(),
        bookings=bookings,
        grid=grid,
    )


def month_grid(first: date, counts: dict[date, int]) -> list[list[tuple[date, int] | None]]:
    """Weeks (Monday first) covering the next 31 days, each day with its activity count."""
    last = first + timedelta(days=RANGES["month"] - 1)
    start = first - timedelta(days=first.weekday())
    weeks: list[list[tuple[date, int] | None]] = []
    day = start
    while day <= last:
        week: list[tuple[date, int] | None] = []
        for _weekday in range(7):
            week.append((day, counts.get(day, 0)) if first <= day <= last else None)
            day += timedelta(days=1)
        weeks.append(week)
    return weeks


@bp.get("/activities/occurrences/<int:occurrence_id>")
@login_required
def occurrence(occurrence_id: int) -> str:
    """One date of an activity: places, who is going, my sign-up, the album."""
    found = access_occurrence(current_user, occurrence_id)
    shown, others = service.going_names(found.id)
    return render_template(
        "activities/occurrence.html",
        occurrence=found,
        activity=found.activity,
        places_left=service.places_left(found),
        status=service.get_signup_status(current_user, found.id),
        going=shown,
        others=others,
        form=SignupForm(),
        confirm_form=ConfirmForm(),
        can_plan=_can_plan(),
        participants=service.list_participants(found.id) if _can_plan() else [],
        photos=album.list_photos(current_user, found),
        may_see_album=album.may_see_album(current_user, found),
        started=found.starts_at <= utcnow(),
    )


@bp.post("/activities/occurrences/<int:occurrence_id>/signup")
@login_required
def sign_up(occurrence_id: int) -> Response:
    """Take a place (or a place on the waiting list)."""
    access_occurrence(current_user, occurrence_id)
    back = _occurrence_page(occurrence_id)
    form = SignupForm()
    if not form.validate_on_submit():
        flash(_("Please choose how many guests come with you."), "error")
        return redirect(back)
    on_refusal(back)
    result = service.do_sign_up(
        current_user,
        occurrence_id,
        guests=int(form.guests.data or 0),
        show_name=bool(form.show_name.data),
    )
    if result.status == SignupStatus.CONFIRMED:
        flash(_("You are signed up. See you there!"), "success")
    else:
        flash(
            _("It is full: you are on the waiting list. We will tell you if a place frees up."),
            "info",
        )
    return redirect(back)


@bp.route("/activities/occurrences/<int:occurrence_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(occurrence_id: int) -> str | Response:
    """Ask first ("Cancel my place?"), then give one's place back; the waiting list moves up."""
    found = access_occurrence(current_user, occurrence_id)
    back = _occurrence_page(occurrence_id)
    if request.method == "GET":
        status = service.get_signup_status(current_user, found.id)
        if status not in (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED):
            return redirect(back)
        return confirm_page(
            question=_("Cancel your place at %(title)s?", title=found.activity.title),
            consequence=_("Your place goes to someone else. You can sign up again later."),
            yes=_("Yes, cancel my place"),
            no=_("No, keep my place"),
            action=url_for("activities.cancel", occurrence_id=occurrence_id),
            back=back,
            pictogram="calendar-x",
        )
    require_confirm_form()
    on_refusal(back)
    service.do_cancel_signup(current_user, occurrence_id)
    flash(_("Your place is cancelled."), "success")
    return redirect(back)


@bp.route("/activities/new", methods=["GET", "POST"])
@login_required
def new_activity() -> str | tuple[str, int] | Response:
    """Staff plan an activity, once or repeating."""
    if not _can_plan() or current_user.building_id is None:
        abort(404)
    form = ActivityForm()
    form.room.choices = [SelectChoice("", _("Another place"))] + [
        SelectChoice(str(r.id), r.name) for r in rooms.list_rooms(current_user)
    ]

    def page() -> str:
        return render_template("activities/new.html", form=form, ActivityCategory=ActivityCategory)

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(), 422
    on_refusal(reshow_form(page))
    zone = zone_of(current_user)
    activity = service.do_create_activity(
        current_user,
        current_user.building_id,
        title=form.title.data or "",
        description=form.description.data or "",
        place=form.place.data or "",
        starts_at=datetime.combine(form.day.data, form.start.data, tzinfo=zone),
        ends_at=datetime.combine(form.day.data, form.end.data, tzinfo=zone),
        capacity=form.capacity.data,
        recurrence=Recurrence(form.recurrence.data or "none"),
        repeat_until=form.repeat_until.data,
        category=form.category.data or "other",
        photo=form.photo.data.read() if form.photo.data else None,
        audience=form.audience.data or "everyone",
        room_id=as_id(form.room.data),  # one of the choices: a room's id, or empty
    )
    flash(_("The activity is in the calendar."), "success")
    return redirect(_occurrence_page(activity.occurrences[0].id))


@bp.get("/activities/occurrences/<int:occurrence_id>.ics")
@login_required
def occurrence_ics(occurrence_id: int) -> Response:
    """One date as an .ics file for the person's calendar app."""
    found = access_occurrence(current_user, occurrence_id)
    response = Response(ical.occurrence_ics(found), content_type=ICS_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="activite-{found.id}.ics"'
    return response


@bp.get("/activities/feed/<token>.ics")
def feed(token: str) -> Response:
    """The private feed read by calendar apps: the token in the link is the key."""
    person = ical.person_for_feed(token)
    if person is None:
        abort(404)
    return Response(ical.feed_ics(person), content_type=ICS_TYPE)


@bp.route("/activities/my-calendar", methods=["GET", "POST"])
@login_required
def my_calendar() -> str:
    """The private calendar link and the reminder choices."""
    link = None
    if request.method == "POST":
        require_confirm_form()
        if request.form.get("action") == "reminders":
            reminders.do_set_preference(
                current_user.id,
                day_before=request.form.get("day_before") == "1",
                hour_before=request.form.get("hour_before") == "1",
            )
            flash(_("Your reminders are saved."), "success")
        else:
            token = ical.do_new_feed_token(current_user)
            link = url_for("activities.feed", token=token, _external=True)
    return render_template(
        "activities/my_calendar.html",
        link=link,
        confirm_form=ConfirmForm(),
        preference=reminders.get_preference(current_user.id),
    )


@bp.post("/activities/occurrences/<int:occurrence_id>/cancel-activity")
@login_required
def cancel_activity(occurrence_id: int) -> Response:
    """Staff cancel one date or it and the following ones; everyone signed up is told."""
    _require_planner()
    access_occurrence(current_user, occurrence_id)
    require_confirm_form()
    back = _occurrence_page(occurrence_id)
    on_refusal(back)
    series = request.form.get("scope") == "series"
    cancelled = service.do_cancel_occurrences(current_user, occurrence_id, series=series)
    flash(
        ngettext(
            "%(num)d date cancelled; everyone signed up has been told.",
            "%(num)d dates cancelled; everyone signed up has been told.",
            len(cancelled),
        ),
        "success",
    )
    return redirect(back)


@bp.post("/activities/occurrences/<int:occurrence_id>/attendance")
@login_required
def attendance(occurrence_id: int) -> Response:
    """Staff record who came."""
    _require_planner()
    access_occurrence(current_user, occurrence_id)
    require_confirm_form()
    back = _occurrence_page(occurrence_id)
    on_refusal(back)
    chosen = (as_id(value) for value in request.form.getlist("present"))
    present = {person_id for person_id in chosen if person_id is not None}
    came = service.do_mark_attendance(current_user, occurrence_id, present)
    flash(ngettext("Saved: %(num)d person came.", "Saved: %(num)d people came.", came), "success")
    return redirect(back)


@bp.route("/activities/propose", methods=["GET", "POST"])
@login_required
def propose() -> str | tuple[str, int] | Response:
    """A resident proposes an activity to the coordinator."""
    if not current_user.is_resident:
        abort(404)
    form = ProposalForm()

    def page() -> str:
        return render_template("activities/propose.html", form=form)

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(), 422
    on_refusal(reshow_form(page))
    zone = zone_of(current_user)
    proposals.do_propose(
        current_user,
        title=form.title.data or "",
        description=form.description.data or "",
        place=form.place.data or "",
        starts_at=datetime.combine(form.day.data, form.start.data, tzinfo=zone),
        ends_at=datetime.combine(form.day.data, form.end.data, tzinfo=zone),
    )
    flash(_("Thank you! The coordinator will answer you soon."), "success")
    return redirect(url_for("activities.calendar"))


@bp.get("/activities/proposals")
@login_required
def proposals_page() -> str:
    """The proposals waiting for the staff's answer."""
    _require_planner()
    return render_template(
        "activities/proposals.html",
        proposals=proposals.list_pending(current_user),
        confirm_form=ConfirmForm(),
    )


@bp.post("/activities/proposals/<int:proposal_id>/<decision>")
@login_required
def decide(proposal_id: int, decision: str) -> Response:
    """Approve a proposal (it becomes an activity) or decline it with a message."""
    if not _can_plan() or decision not in {"approve", "decline"}:
        abort(404)
    require_confirm_form()
    back = url_for("activities.proposals_page")
    on_refusal(back)
    if decision == "approve":
        raw = request.form.get("capacity", "").strip()
        # Empty: no limit. Anything but a number of places (0 stands for it) is refused by
        # the service with the range it accepts.
        capacity = (as_id(raw) or 0) if raw else None
        proposals.do_approve(current_user, proposal_id, capacity)
        flash(_("The proposal is now an activity in the calendar."), "success")
    else:
        proposals.do_decline(current_user, proposal_id, request.form.get("message", ""))
        flash(_("Your answer has been sent to the resident."), "success")
    return redirect(back)


@bp.route("/activities/rooms", methods=["GET", "POST"])
@login_required
def rooms_page() -> str | tuple[str, int] | Response:
    """The common rooms; staff add one here."""
    form = RoomForm()

    def page() -> str:
        return render_template(
            "activities/rooms.html",
            rooms=rooms.list_rooms(current_user),
            form=form,
            can_plan=_can_plan(),
        )

    if request.method != "POST":
        return page()
    if not _can_plan() or current_user.building_id is None:
        abort(404)
    if not form.validate_on_submit():
        return page(), 422
    on_refusal(reshow_form(page))
    rooms.do_create_room(
        current_user,
        current_user.building_id,
        name=form.name.data or "",
        capacity=form.capacity.data or 1,
        opens_at=form.opens_at.data,
        closes_at=form.closes_at.data,
        max_minutes=form.max_minutes.data or 60,
        needs_approval=bool(form.needs_approval.data),
    )
    flash(_("The room is added."), "success")
    return redirect(url_for("activities.rooms_page"))


@bp.route("/activities/rooms/<int:room_id>", methods=["GET", "POST"])
@login_required
def room(room_id: int) -> str | tuple[str, int] | Response:
    """One room, its bookings of the next two weeks, and the form to book it."""
    found = access_room(current_user, room_id)
    form = BookingForm()
    zone = zone_of(current_user)

    def page() -> str:
        start = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
        return render_template(
            "activities/room.html",
            room=found,
            form=form,
            confirm_form=ConfirmForm(),
            bookings=rooms.list_bookings(found, start, start + timedelta(days=14)),
            can_plan=_can_plan(),
        )

    if not form.is_submitted():
        return page()
    if not form.validate():
        return page(), 422
    on_refusal(reshow_form(page))
    booking = rooms.do_book(
        current_user,
        found.id,
        datetime.combine(form.day.data, form.start.data, tzinfo=zone),
        datetime.combine(form.day.data, form.end.data, tzinfo=zone),
        form.purpose.data or "",
    )
    if booking.status == BookingStatus.PENDING:
        flash(_("Your booking waits for the staff's approval."), "success")
    else:
        flash(_("The room is booked for you."), "success")
    return redirect(url_for("activities.room", room_id=found.id))


@bp.get("/activities/bookings/<int:booking_id>/cancel")
@login_required
def booking_cancel_confirm(booking_id: int) -> str | Response:
    """Ask first ("Cancel this booking?"); the POST to the same address cancels it."""
    booking = rooms.access_booking(current_user, booking_id)
    back = url_for("activities.room", room_id=booking.room_id)
    if booking.status not in (BookingStatus.PENDING, BookingStatus.CONFIRMED):
        return redirect(back)
    return confirm_page(
        question=_("Cancel this booking?"),
        consequence=_("The room is free again for the other residents."),
        yes=_("Yes, cancel the booking"),
        no=_("No, keep the booking"),
        action=url_for("activities.booking_action", booking_id=booking.id, action="cancel"),
        back=back,
        pictogram="calendar-x",
    )


@bp.post("/activities/bookings/<int:booking_id>/<action>")
@login_required
def booking_action(booking_id: int, action: str) -> Response:
    """Cancel one's booking, or (staff) approve or decline one."""
    if action not in {"cancel", "approve", "decline"}:
        abort(400)
    require_confirm_form()
    if action != "cancel" and not _can_plan():
        abort(404)  # only staff answer bookings: to others, there is nothing to answer
    on_refusal(url_for("activities.rooms_page"))
    if action == "cancel":
        booking = rooms.do_cancel_booking(current_user, booking_id)
        flash(_("The booking is cancelled."), "success")
    else:
        booking = rooms.do_decide_booking(current_user, booking_id, action == "approve")
        flash(_("Your answer has been sent."), "success")
    return redirect(url_for("activities.room", room_id=booking.room_id))


@bp.route("/activities/occurrences/<int:occurrence_id>/edit", methods=["GET", "POST"])
@login_required
def edit(occurrence_id: int) -> str | tuple[str, int] | Response:
    """Staff change one date, or it and the following ones; everyone signed up is told."""
    _require_planner()
    found = access_occurrence(current_user, occurrence_id)
    form = EditForm()

    def page() -> str:
        return render_template("activities/edit.html", form=form, occurrence=found)

    if not form.is_submitted():
        zone = zone_of(current_user)
        form.title.data, form.description.data = found.activity.title, found.activity.description
        form.place.data, form.capacity.data = found.activity.place, found.capacity
        form.start.data = found.starts_at.astimezone(zone).time()
        form.end.data = found.ends_at.astimezone(zone).time()
        return page()
    if not form.validate():
        return page(), 422
    on_refusal(reshow_form(page))
    changed = service.do_edit_occurrences(
        current_user,
        found.id,
        series=form.scope.data == "series",
        start=form.start.data,
        end=form.end.data,
        capacity=form.capacity.data,
        title=form.title.data,
        description=form.description.data or "",
        place=form.place.data or "",
    )
    flash(
        ngettext(
            "%(num)d date changed; everyone signed up has been told.",
            "%(num)d dates changed; everyone signed up has been told.",
            len(changed),
        ),
        "success",
    )
    return redirect(_occurrence_page(found.id))


@bp.post("/activities/occurrences/<int:occurrence_id>/photos")
@login_required
def add_photo(occurrence_id: int) -> Response:
    """Staff add a photo to the album once the activity started."""
    _require_planner()
    access_occurrence(current_user, occurrence_id)
    require_confirm_form()
    back = _occurrence_page(occurrence_id)
    on_refusal(back)
    file = request.files.get("photo")
    if file is None:
        raise Invalid(_("No file was sent."), "empty")
    album.do_add_photo(current_user, occurrence_id, file.read())
    flash(_("The photo is in the album."), "success")
    return redirect(back)


@bp.get("/activities/photos/<int:photo_id>")
@login_required
def photo(photo_id: int) -> Response:
    """A photo of an album, for those who may see it."""
    found = album.access_photo(current_user, photo_id)
    name = found.thumb_name if request.args.get("size") == "thumb" else found.file_name
    response = send_file(path_of(name), mimetype="image/jpeg", max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


@bp.get("/activities/<int:activity_id>/photo")
@login_required
def activity_photo(activity_id: int) -> Response:
    """The activity's own picture."""
    found = service.get_activity(current_user, activity_id)
    if found is None or not found.photo_name:
        abort(404)
    response = send_file(path_of(found.photo_name), mimetype="image/jpeg", max_age=86400)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
