"""Pages of the neighbour service exchange: parse, call the service, render or redirect.

The request owns its transaction (committed once when the page answers); a refusal from the
service is answered by the one domain-error handler, as each page declares with on_refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from concierge import bp
from concierge.exchange import service as helping
from concierge.exchange.forms import (
    AskForm,
    DoneForm,
    OfferForm,
    ProposeForm,
    ShowThanksForm,
    ThankForm,
)
from concierge.exchange.models import HelpKind, HelpRequest, HelpStatus
from portal.auth.decorators import roles_required
from portal.confirm import confirm_page
from portal.db import utcnow
from portal.errors import DomainError, on_refusal, reshow_form
from portal.forms import ConfirmForm, require_confirm_form
from portal.i18n import zone_of
from portal.people import service as people
from portal.people.models import STAFF_ROLES, Role
from portal.validation import as_id, query_id

FIGURE_SPANS = {"30": 30, "90": 90, "365": 365}


def _kind_filter() -> HelpKind | None:
    """The kind the board is filtered on, if the address names a known one."""
    try:
        return HelpKind(request.args.get("kind", ""))
    except ValueError:
        return None


def _board_context() -> dict[str, Any]:
    """What the board and its live lists show, with the names they need in one query."""
    kind = _kind_filter()
    open_requests = helping.list_open(current_user, kind)
    offers = helping.list_offers(current_user, kind)
    mine = helping.list_mine(current_user)
    helping_now = helping.list_helping(current_user)
    in_progress = helping.list_in_progress(current_user)
    names = helping.names_of(
        {r.requester_id for r in (*open_requests, *mine, *helping_now, *in_progress)}
        | {r.helper_id for r in (*mine, *in_progress)}
    )
    return {
        "kind": kind,
        "open_requests": open_requests,
        "offers": offers,
        "mine": mine,
        "helping_now": helping_now,
        "in_progress": in_progress,
        "names": names,
        "kinds": list(HelpKind),
    }


@bp.get("/neighbours")
@login_required
def help_board() -> str:
    """Requests and offers of the person's buildings."""
    return render_template("concierge/help/board.html", **_board_context())


@bp.get("/neighbours/cards")
@login_required
def help_cards() -> str:
    """The board's lists alone, re-read by the page when something changes."""
    return render_template("concierge/help/_lists.html", **_board_context())


def _requester_choices() -> list[SelectChoice]:
    """For the desk: the residents of its building it may ask for."""
    if current_user.role not in helping.STAFF_POSTERS or current_user.building_id is None:
        return []
    residents = [p for p in people.list_directory(current_user.building_id) if p.is_resident]
    label = _("Flat %(number)s")
    return [SelectChoice("", _("Choose the resident"))] + [
        SelectChoice(
            str(p.id),
            f"{p.full_name} · {label % {'number': p.dwelling.number}}"
            if p.dwelling
            else p.full_name,
        )
        for p in residents
    ]


@bp.route("/neighbours/ask", methods=["GET", "POST"])
@roles_required(Role.RESIDENT, *helping.STAFF_POSTERS)
def help_ask() -> str | tuple[str, int] | Response:
    """Residents ask for themselves; the desk asks for a resident without a tablet."""
    is_staff = current_user.role in helping.STAFF_POSTERS
    form = AskForm()
    form.requester.choices = _requester_choices()
    if not is_staff:
        del form.requester

    def page() -> str:
        return render_template(
            "concierge/help/ask.html", form=form, is_staff=is_staff, HelpKind=HelpKind
        )

    if request.method == "GET":
        _prefill(form)
        return page()
    if not form.validate_on_submit() or not _pharmacy_only(form):
        return page(), 422
    on_refusal(reshow_form(page))
    created = _create_from(form, is_staff)
    flash(_("Your request is on the board. The neighbours who can help are told."), "success")
    return redirect(url_for("concierge.help_request", request_id=created.id))


def _prefill(form: AskForm) -> None:
    """Suggest the next full hour for three hours, or tomorrow morning late in the day."""
    now = datetime.now(zone_of(current_user))
    start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    if not 8 <= start.hour <= 19:
        day = start.date() if start.hour < 8 else start.date() + timedelta(days=1)
        start = datetime.combine(day, time(10, 0), tzinfo=start.tzinfo)
    form.day.data, form.start.data = start.date(), start.time()
    form.end.data = (start + timedelta(hours=3)).time()
    if form.kind.data is None and request.args.get("kind") in {k.value for k in HelpKind}:
        form.kind.data = request.args["kind"]


def _pharmacy_only(form: AskForm) -> bool:
    """A pharmacy run names the pharmacy only: medicines written in the details are refused
    before anything is stored."""
    if form.kind.data == HelpKind.PHARMACY.value and (form.details.data or "").strip():
        form.details.errors = [_("For a pharmacy run, write only the pharmacy: no medicines.")]
        return False
    return True


def _create_from(form: AskForm, is_staff: bool) -> HelpRequest:
    """Post the request the form describes; the times are the person's local time."""
    zone = zone_of(current_user)
    kind = form.kind.data or ""
    pharmacy = kind == HelpKind.PHARMACY.value
    return helping.do_create_request(
        current_user,
        kind=kind,
        urgency=form.urgency.data or "soon",
        window_start=datetime.combine(form.day.data, form.start.data, tzinfo=zone),
        window_end=datetime.combine(form.day.data, form.end.data, tzinfo=zone),
        details=(form.pharmacy.data if pharmacy else form.details.data) or "",
        health_consent=bool(form.consent.data),
        requester_id=as_id(form.requester.data) if is_staff else None,
    )


@bp.get("/neighbours/requests/<int:request_id>")
@login_required
def help_request(request_id: int) -> str:
    """One request, with what the person may do next."""
    found = helping.access_request(current_user, request_id)
    return render_template("concierge/help/request.html", **_request_context(found))


@bp.get("/neighbours/requests/<int:request_id>/status")
@login_required
def help_request_status(request_id: int) -> str:
    """The request's live part alone, re-read by the page when the request changes."""
    found = helping.access_request(current_user, request_id)
    return render_template("concierge/help/_status.html", **_request_context(found))


def _request_context(found: HelpRequest) -> dict[str, Any]:
    """What a request's page shows this person (a pharmacy run's reading is audited)."""
    entitled = helping.may_see_details(current_user, found)
    details = helping.get_details(current_user, found, "page") if entitled else None
    is_desk = helping.is_desk_staff(current_user, found.building_id)
    propose_form = ProposeForm()
    offerers = helping.list_offerers(found) if is_desk and found.status == HelpStatus.OPEN else []
    propose_form.neighbour.choices = [
        SelectChoice(
            str(p.id), f"{p.full_name} · {o.availability}" if o.availability else p.full_name
        )
        for p, o in offerers
    ]
    accesses = (
        helping.list_health_accesses(found.id)
        if is_desk and entitled and helping.is_health(found)
        else []
    )
    names = helping.names_of(
        {found.requester_id, found.helper_id, found.proposed_to_id}
        | {a.viewer_id for a in accesses}
    )
    return {
        "req": found,
        "details": details,
        "entitled": entitled,
        "names": names,
        "is_requester": found.requester_id == current_user.id,
        "may_act_as_requester": _may_act_as_requester(found),
        "is_helper": found.helper_id == current_user.id,
        "is_proposed": found.proposed_to_id == current_user.id,
        "is_desk": is_desk,
        "offerers": offerers,
        "accesses": accesses,
        "confirm_form": ConfirmForm(),
        "done_form": DoneForm(),
        "thank_form": ThankForm(),
        "propose_form": propose_form,
    }


def _may_act_as_requester(found: HelpRequest) -> bool:
    """The requester, or the desk for a request it posted."""
    try:
        helping.check_is_requester(current_user, found)
    except DomainError:
        return False
    return True


def _act(request_id: int, action: Callable[[], object], done: str) -> Response:
    """Run one step of a request; a refusal is shown as a message on the request's page and
    nothing changes (another building's request answers 404)."""
    back = url_for("concierge.help_request", request_id=request_id)
    helping.access_request(current_user, request_id)
    on_refusal(back)
    action()
    flash(done, "success")
    return redirect(back)


def _back_with(request_id: int, message: str) -> Response:
    """A form the person sent incomplete: say what is missing on the request's page."""
    helping.access_request(current_user, request_id)
    flash(message, "error")
    return redirect(url_for("concierge.help_request", request_id=request_id))


@bp.post("/neighbours/requests/<int:request_id>/take")
@login_required
def help_take(request_id: int) -> Response:
    """A neighbour (or the desk) takes the request on."""
    require_confirm_form()
    return _act(
        request_id,
        lambda: helping.do_take(current_user, request_id),
        _("Thank you! You can now write to your neighbour."),
    )


@bp.post("/neighbours/requests/<int:request_id>/release")
@login_required
def help_release(request_id: int) -> Response:
    """The requester frees a helper who did not come."""
    require_confirm_form()
    return _act(
        request_id,
        lambda: helping.do_release(current_user, request_id),
        _("Your request is open again for the other neighbours."),
    )


@bp.route("/neighbours/requests/<int:request_id>/give-back", methods=["GET", "POST"])
@login_required
def help_give_back(request_id: int) -> str | Response:
    """Ask first ("You cannot go after all?"), then the helper gives the request back."""
    if request.method == "GET":
        found = helping.access_request(current_user, request_id)
        back = url_for("concierge.help_request", request_id=request_id)
        if found.helper_id != current_user.id or found.status != HelpStatus.TAKEN:
            return redirect(back)
        return confirm_page(
            question=_("You cannot go after all?"),
            consequence=_("The request is open again for the other neighbours. We tell them."),
            yes=_("Yes, I cannot go"),
            no=_("No, I will go"),
            action=url_for("concierge.help_give_back", request_id=request_id),
            back=back,
            pictogram="undo-2",
        )
    require_confirm_form()
    return _act(
        request_id,
        lambda: helping.do_give_back(current_user, request_id),
        _("The request is open again. Your neighbour is told."),
    )


@bp.route("/neighbours/requests/<int:request_id>/cancel", methods=["GET", "POST"])
@login_required
def help_cancel(request_id: int) -> str | Response:
    """Ask first ("You no longer need help?"), then the requester's request is cancelled."""
    if request.method == "GET":
        found = helping.access_request(current_user, request_id)
        helping.check_is_requester(current_user, found)
        back = url_for("concierge.help_request", request_id=request_id)
        if found.status not in (HelpStatus.OPEN, HelpStatus.TAKEN):
            return redirect(back)
        return confirm_page(
            question=_("You no longer need help with: %(kind)s?", kind=found.kind.label),
            consequence=(
                _("Your helper is told that you no longer need them.")
                if found.helper_id
                else _("Your neighbours no longer see your request.")
            ),
            yes=_("Yes, I no longer need help"),
            no=_("No, keep my request"),
            action=url_for("concierge.help_cancel", request_id=request_id),
            back=back,
            pictogram="circle-x",
        )
    require_confirm_form()
    return _act(
        request_id,
        lambda: helping.do_cancel(current_user, request_id),
        _("The request is cancelled."),
    )


@bp.post("/neighbours/requests/<int:request_id>/done")
@login_required
def help_done(request_id: int) -> Response:
    """One of the two says it is done; the helper says how long it took."""
    form = DoneForm()
    if not form.validate_on_submit():
        return _back_with(request_id, _("Choose how long it took."))
    return _act(
        request_id,
        lambda: helping.do_mark_done(current_user, request_id, form.minutes.data),
        _("Marked as done. Thank you!"),
    )


@bp.post("/neighbours/requests/<int:request_id>/thank")
@login_required
def help_thank(request_id: int) -> Response:
    """The requester thanks the helper."""
    form = ThankForm()
    if not form.validate_on_submit():
        return _back_with(request_id, _("Write at most %(n)d characters.", n=helping.MAX_THANKS))
    return _act(
        request_id,
        lambda: helping.do_thank(current_user, request_id, form.note.data or ""),
        _("Your thanks are sent."),
    )


@bp.post("/neighbours/requests/<int:request_id>/propose")
@login_required
def help_propose(request_id: int) -> Response:
    """The desk asks a neighbour who offers this help."""
    form = ProposeForm()
    neighbour_id = as_id(form.neighbour.data) if form.validate_on_submit() else None
    if neighbour_id is None:
        return _back_with(request_id, _("Choose a neighbour who offers this help."))
    return _act(
        request_id,
        lambda: helping.do_propose(current_user, request_id, neighbour_id),
        _("The neighbour is asked. You will be told if they cannot."),
    )


@bp.post("/neighbours/requests/<int:request_id>/accept")
@login_required
def help_accept(request_id: int) -> Response:
    """The neighbour the desk asked takes the request."""
    require_confirm_form()
    return _act(
        request_id,
        lambda: helping.do_take(current_user, request_id),
        _("Thank you! You can now write to your neighbour."),
    )


@bp.post("/neighbours/requests/<int:request_id>/decline")
@login_required
def help_decline(request_id: int) -> Response:
    """The neighbour the desk asked cannot help."""
    require_confirm_form()
    return _act(
        request_id,
        lambda: helping.do_decline(current_user, request_id),
        _("Understood. The desk will ask somebody else."),
    )


@bp.route("/neighbours/offer", methods=["GET", "POST"])
@roles_required(Role.RESIDENT)
def help_offer() -> str | tuple[str, int] | Response:
    """A resident offers a kind of help; the page also shows their offers and thanks."""
    form = OfferForm()

    def page() -> str:
        return render_template(
            "concierge/help/offer.html",
            form=form,
            offers=helping.list_my_offers(current_user),
            confirm_form=ConfirmForm(),
            show_form=ShowThanksForm(show=helping.shows_thanks(current_user.id)),
            stats=helping.get_helper_stats(current_user.id),
            HelpKind=HelpKind,
        )

    if request.method == "GET":
        return page()
    if not form.validate_on_submit():
        return page(), 422
    on_refusal(reshow_form(page))
    helping.do_save_offer(current_user, form.kind.data, form.availability.data or "")
    flash(_("Thank you! Neighbours who need this help will see your offer."), "success")
    return redirect(url_for("concierge.help_offer"))


@bp.route("/neighbours/offers/<int:offer_id>/withdraw", methods=["GET", "POST"])
@login_required
def help_withdraw(offer_id: int) -> str | Response:
    """Ask first, then a neighbour withdraws one of their offers (another's answers 404)."""
    if request.method == "GET":
        offer = next((o for o in helping.list_my_offers(current_user) if o.id == offer_id), None)
        if offer is None:
            abort(404)
        return confirm_page(
            question=_("Withdraw your offer: %(kind)s?", kind=offer.kind.label),
            consequence=_("Your neighbours no longer see that you offer this help."),
            yes=_("Yes, withdraw my offer"),
            no=_("No, keep my offer"),
            action=url_for("concierge.help_withdraw", offer_id=offer_id),
            back=url_for("concierge.help_offer"),
            pictogram="circle-x",
        )
    require_confirm_form()
    helping.do_withdraw_offer(current_user, offer_id)
    flash(_("Your offer is withdrawn."), "success")
    return redirect(url_for("concierge.help_offer"))


@bp.post("/neighbours/profile")
@roles_required(Role.RESIDENT)
def help_profile() -> Response:
    """The helper's consent to show their thanks and hours."""
    form = ShowThanksForm()
    if not form.validate_on_submit():
        abort(400)
    helping.do_set_show_thanks(current_user, bool(form.show.data))
    flash(_("Your choice is saved."), "success")
    return redirect(url_for("concierge.help_offer"))


@bp.get("/neighbours/people/<int:person_id>")
@login_required
def help_helper(person_id: int) -> str:
    """A neighbour's offers, and their thanks and hours if they agreed to show them."""
    person = people.access_person(current_user, person_id)
    if person.role != Role.RESIDENT:
        abort(404)
    visible = helping.shows_thanks(person.id) or person.id == current_user.id
    return render_template(
        "concierge/help/helper.html",
        person=person,
        offers=helping.list_my_offers(person),
        stats=helping.get_helper_stats(person.id) if visible else None,
        notes=helping.list_thanks_notes(person.id) if visible else [],
        confirm_form=ConfirmForm(),
    )


@bp.get("/neighbours/figures")
@roles_required(*STAFF_ROLES)
def help_figures() -> str:
    """How much neighbours helped each other, per building and period, for staff."""
    span = request.args.get("days", "30")
    if span not in FIGURE_SPANS:
        span = "30"
    buildings = people.list_buildings_for(current_user)
    building_id = query_id("building") or (buildings[0].id if buildings else 0)
    since = utcnow() - timedelta(days=FIGURE_SPANS[span])
    figures = helping.get_figures(current_user, building_id, since)
    return render_template(
        "concierge/help/figures.html",
        figures=figures,
        span=span,
        spans=FIGURE_SPANS,
        buildings=buildings,
        building_id=building_id,
    )


@bp.get("/api/neighbours/badge")
@login_required
def help_badge() -> dict[str, int]:
    """The tile's count: open requests the person could take."""
    return {"count": helping.count_for_badge(current_user)}
