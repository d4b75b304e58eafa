"""Pages of the referrals: the partner sends one and follows their own; the coordinator
reads, records the resident's consent and answers; partners are invited. Parse the request,
call the service, render or redirect."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from portal.errors import DomainError, on_refusal
from portal.forms import ConfirmForm, require_confirm_form
from portal.home.tiles import count_now
from portal.people.models import Building
from portal.referrals import bp, service
from portal.referrals.forms import AnswerForm, ConsentForm, InviteForm, ReferralForm
from portal.validation import query_id

Page = str | tuple[str, int] | Response

# Which field shows a refusal of the service (others: above the form).
REFERRAL_FIELDS = {
    "bad_building": "building",
    "bad_flat": "dwelling",
    "flat_missing": "dwelling",
    "name_too_long": "resident_name",
    "bad_concern": "concern",
    "bad_urgency": "urgency",
    "text_missing": "text",
    "text_too_long": "text",
}
ANSWER_FIELDS = {"bad_status": "status", "note_too_long": "note", "consent_needed": "note"}
INVITE_FIELDS = {
    "bad_email": "email",
    "email_taken": "email",
    "bad_kind": "kind",
    "organisation_missing": "organisation",
    "organisation_too_long": "organisation",
    "name_too_long": "last_name",
    "no_building": "buildings",
}


def _accept(form: FlaskForm, fields: dict[str, str], render: Callable[[], str]) -> Page | None:
    """None when the form is valid (a refusal of the service then shows beside its field);
    otherwise the answer: 400 without a valid CSRF token, else the form again (422)."""
    if not form.validate_on_submit():
        if "csrf_token" in form.errors:
            abort(400)
        return render(), 422

    def answer(error: DomainError) -> Page:
        name = fields.get(error.code)
        if name is not None:
            getattr(form, name).errors = [error.message]
        else:
            flash(error.message, "error")
        return render(), 403 if error.status == 403 else 422

    on_refusal(answer)
    return None


def _int_or_none(value: str | None) -> int | None:
    """A chosen id as a number (the service refuses None as not one of the choices)."""
    return int(value) if value and value.isdigit() and len(value) < 10 else None


# The partner ----------------------------------------------------------------------------


def _own_context() -> dict[str, object]:
    """What the partner's list shows: their referrals and their buildings' names."""
    referrals = service.list_own_referrals(current_user)
    return {
        "referrals": referrals,
        "names": service.building_names(r.building_id for r in referrals),
    }


@bp.get("/referrals")
@login_required
def mine() -> str:
    """The partner's own referrals and where each stands, updated live."""
    service.check_partner(current_user)
    return render_template("referrals/mine.html", **_own_context())


@bp.get("/referrals/list")
@login_required
def mine_list() -> str:
    """The list alone, re-read by the page when one of them changes."""
    service.check_partner(current_user)
    return render_template("referrals/_mine.html", **_own_context())


def _referral_form() -> ReferralForm:
    """The referral form, offering the partner's own buildings (the only one chosen)."""
    form = ReferralForm()
    buildings = service.list_partner_buildings(current_user)
    form.building.choices = [SelectChoice(str(b.id), b.name) for b in buildings]
    if not form.is_submitted() and buildings:
        form.building.data = str(buildings[0].id)
        form.urgency.data = "soon"
    return form


@bp.route("/referrals/new", methods=["GET", "POST"])
@login_required
def new() -> Page:
    """The partner sends a referral about a resident (the flat typed) or the building."""
    service.check_partner(current_user)
    form = _referral_form()

    def page() -> str:
        return render_template("referrals/new.html", form=form)

    if request.method == "GET":
        return page()
    refused = _accept(form, REFERRAL_FIELDS, page)
    if refused is not None:
        return refused
    service.do_send_referral(
        current_user,
        building_id=_int_or_none(form.building.data),
        dwelling_number=form.dwelling.data,
        resident_name=form.resident_name.data,
        concern=form.concern.data,
        urgency=form.urgency.data,
        text=form.text.data,
    )
    flash(_("Sent. The coordinator has received your referral."), "success")
    return redirect(url_for("referrals.mine"))


# The coordinator ------------------------------------------------------------------------


def _handled_building() -> Building:
    """The building asked for (?building=), else the staff member's own; 404 otherwise."""
    return service.access_handled_building(current_user, query_id("building"))


def _staff_context(building: Building) -> dict[str, object]:
    """What the coordinator's lists show: open referrals, then the latest closed."""
    return {
        "building": building,
        "open": service.list_referrals(current_user, building.id),
        "recent": [
            line
            for line in service.list_referrals(current_user, building.id, open_only=False)
            if line.status == "closed"
        ][:20],
    }


@bp.get("/staff/referrals")
@login_required
def staff_list() -> str:
    """The building's referrals: open ones (most urgent first), then the latest closed."""
    building = _handled_building()
    return render_template(
        "referrals/staff.html",
        buildings=service.handled_buildings(current_user),
        **_staff_context(building),
    )


@bp.get("/staff/referrals/live")
@login_required
def staff_list_live() -> str:
    """The lists alone, re-read by the page when a referral of the building changes."""
    return render_template("referrals/_staff_lists.html", **_staff_context(_handled_building()))


def _render_referral(
    referral_id: int, answer: AnswerForm | None = None, consent: ConsentForm | None = None
) -> str:
    """A referral's page (each reading is audited)."""
    view = service.get_referral_for_staff(current_user, referral_id)
    if answer is None:
        answer = AnswerForm()
        answer.status.data = view.referral.status.value
    return render_template(
        "referrals/referral.html",
        view=view,
        r=view.referral,
        answer_form=answer,
        consent_form=consent or ConsentForm(),
    )


@bp.get("/staff/referrals/<int:referral_id>")
@login_required
def staff_referral(referral_id: int) -> str:
    """One referral: what the partner noticed, the resident's consent, the answer."""
    return _render_referral(referral_id)


@bp.post("/staff/referrals/<int:referral_id>/consent")
@login_required
def consent(referral_id: int) -> Page:
    """Record that the resident agreed the partner hears back."""
    service.access_referral(current_user, referral_id)
    form = ConsentForm()
    refused = _accept(form, {}, lambda: _render_referral(referral_id, consent=form))
    if refused is not None:
        return refused
    service.do_record_consent(current_user, referral_id)
    flash(_("The resident's consent is recorded."), "success")
    return redirect(url_for("referrals.staff_referral", referral_id=referral_id))


@bp.post("/staff/referrals/<int:referral_id>/answer")
@login_required
def answer(referral_id: int) -> Page:
    """Answer the partner with a status and a short note."""
    service.access_referral(current_user, referral_id)
    form = AnswerForm()
    refused = _accept(form, ANSWER_FIELDS, lambda: _render_referral(referral_id, answer=form))
    if refused is not None:
        return refused
    service.do_answer(current_user, referral_id, form.status.data, form.note.data)
    flash(_("Sent. The partner sees your answer."), "success")
    return redirect(url_for("referrals.staff_referral", referral_id=referral_id))


@bp.get("/api/referrals/badge")
@login_required
def badge() -> dict[str, int]:
    """The number on the "Referrals" tile: referrals received and not yet answered."""
    return {"count": count_now(service.open_count, current_user)}


# Partners -------------------------------------------------------------------------------


def _invite_form(building: Building) -> InviteForm:
    """The invitation form, offering the buildings the inviter handles (this one ticked)."""
    form = InviteForm()
    form.buildings.choices = [
        SelectChoice(b.id, b.name) for b in service.handled_buildings(current_user)
    ]
    if not form.is_submitted():
        form.buildings.data = [building.id]
    return form


@bp.route("/staff/partners", methods=["GET", "POST"])
@login_required
def partners() -> Page:
    """The building's partners, and the form that invites one by email."""
    building = _handled_building()
    form = _invite_form(building)

    def page() -> str:
        return render_template(
            "referrals/partners.html",
            building=building,
            buildings=service.handled_buildings(current_user),
            partners=service.list_partners(current_user, building.id),
            form=form,
            confirm_form=ConfirmForm(),
        )

    if request.method == "GET":
        return page()
    refused = _accept(form, INVITE_FIELDS, page)
    if refused is not None:
        return refused
    partner, created = service.do_invite_partner(
        current_user,
        email=form.email.data or "",
        first_name=form.first_name.data or "",
        last_name=form.last_name.data or "",
        kind=form.kind.data,
        organisation_name=form.organisation.data or "",
        building_ids=form.buildings.data or [],
    )
    if created:
        flash(
            _("Invited. %(name)s receives an email to set up the account.", name=partner.full_name),
            "success",
        )
    else:
        flash(
            _("%(name)s already has an account: the buildings are added.", name=partner.full_name),
            "success",
        )
    return redirect(url_for("referrals.partners", building=building.id))


@bp.post("/staff/partners/<int:partner_id>/detach")
@login_required
def partner_detach(partner_id: int) -> Response:
    """The partner no longer sends referrals about this building."""
    building = _handled_building()
    require_confirm_form()
    back = url_for("referrals.partners", building=building.id)
    on_refusal(back)
    service.do_detach_partner(current_user, partner_id, building.id)
    flash(_("Done. This partner no longer sends referrals about this building."), "success")
    return redirect(back)
