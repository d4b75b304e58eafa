"""Family circle pages: the resident's "My family", the coordinator's view of it, and the
relative's own pages (their residents, the news each one shares, joining and logging in)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WResponse

from messaging.family import bp, service
from messaging.family.forms import EmergencyForm, InviteForm, JoinForm, LoginForm, VisibilityForm
from portal.auth import pages
from portal.errors import on_refusal, reshow_form
from portal.extensions import limiter
from portal.forms import ConfirmForm, require_confirm_form
from portal.people import service as people
from portal.people.models import Person, Role

Page = str | tuple[str, int] | WResponse


def _invite_limit() -> str:
    """Invitations send mails and texts: a few an hour per person is plenty."""
    return str(current_app.config.get("FAMILY_INVITE_LIMIT", "20 per hour"))


def _sender_key() -> str:
    return f"family-invite:{current_user.id if current_user.is_authenticated else 0}"


def _family_login_url() -> str:
    return url_for("family.login")


@bp.app_context_processor
def family_login_link() -> dict[str, Callable[[], str]]:
    """The login page names the relatives' own login page (templates of `portal` cannot
    name a domain's endpoint themselves); a function, so rendering needs no request."""
    return {"family_login_url": _family_login_url}


# Home: by role -------------------------------------------------------------------------


@bp.get("/family")
@login_required
def home() -> Page:
    """A relative's residents; a resident's own circle; a coordinator's residents to pick."""
    if current_user.role == Role.RELATIVE:
        return render_template(
            "family/relative_home.html", links=service.list_residents_of(current_user)
        )
    if current_user.role == Role.RESIDENT:
        return redirect(url_for("family.circle", resident_id=current_user.id))
    if current_user.role == Role.COORDINATOR:
        residents = [
            r
            for building in people.list_buildings_for(current_user)
            for r in people.list_residents(building)
            if r.active
        ]
        return render_template("family/staff_pick.html", residents=residents)
    abort(404)


# The resident's circle (the resident, or their coordinator) -----------------------------


def _back_for(resident: Person) -> str:
    return url_for("home.index") if current_user.id == resident.id else url_for("family.home")


@bp.get("/family/residents/<int:resident_id>")
@login_required
def circle(resident_id: int) -> str:
    resident = service.access_resident(current_user, resident_id)
    return render_template(
        "family/circle.html",
        resident=resident,
        own=current_user.id == resident.id,
        links=service.list_circle(resident.id),
        group_id=service.family_group_id(resident.id),
        confirm_form=ConfirmForm(),
        visibility_form=VisibilityForm(),
        emergency_form=EmergencyForm(),
        back=_back_for(resident),
    )


@bp.route("/family/residents/<int:resident_id>/invite", methods=["GET", "POST"])
@login_required
@limiter.limit(_invite_limit, methods=["POST"], key_func=_sender_key)
def invite(resident_id: int) -> Page:
    resident = service.access_resident(current_user, resident_id)
    form = InviteForm()
    own = current_user.id == resident.id

    def page() -> str:
        return render_template(
            "family/invite.html",
            resident=resident,
            own=own,
            form=form,
            sms=service.sms_enabled(),
        )

    if request.method != "POST":
        return page()
    if not form.validate_on_submit():
        return page(), 422
    on_refusal(reshow_form(page))
    link = service.do_invite(
        current_user,
        resident.id,
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        relation=form.relation.data,
        channel=form.channel.data,
        email=form.email.data,
        phone=form.phone.data,
        consent=bool(form.consent.data),
    )
    flash(_("Invitation sent to %(name)s.", name=link.relative.first_name), "success")
    return redirect(url_for("family.circle", resident_id=resident.id))


@bp.post("/family/links/<int:link_id>/resend")
@login_required
@limiter.limit(_invite_limit, key_func=_sender_key)
def resend(link_id: int) -> WResponse:
    require_confirm_form()
    link = service.access_link(current_user, link_id)
    on_refusal(url_for("family.circle", resident_id=link.resident_id))
    service.do_resend(current_user, link.id)
    flash(_("Invitation sent again."), "success")
    return redirect(url_for("family.circle", resident_id=link.resident_id))


@bp.post("/family/links/<int:link_id>/visibility")
@login_required
def visibility(link_id: int) -> WResponse:
    form = VisibilityForm()
    if not form.validate_on_submit():
        abort(400)
    link = service.access_link(current_user, link_id)
    on_refusal(url_for("family.circle", resident_id=link.resident_id))
    service.do_set_visibility(
        current_user,
        link.id,
        activities_shown=bool(form.activities.data),
        check_in_shown=bool(form.check_in.data),
    )
    flash(_("Saved."), "success")
    return redirect(url_for("family.circle", resident_id=link.resident_id))


@bp.post("/family/links/<int:link_id>/emergency")
@login_required
def emergency(link_id: int) -> WResponse:
    form = EmergencyForm()
    if not form.validate_on_submit():
        abort(400)
    link = service.access_link(current_user, link_id)
    on_refusal(url_for("family.circle", resident_id=link.resident_id))
    named = request.form.get("named") == "1"
    own = current_user.id == link.resident_id
    service.do_set_emergency(
        current_user, link.id, named=named, consent=own or bool(form.consent.data)
    )
    flash(_("Saved."), "success")
    return redirect(url_for("family.circle", resident_id=link.resident_id))


@bp.route("/family/links/<int:link_id>/remove", methods=["GET", "POST"])
@login_required
def remove(link_id: int) -> Page:
    """Ask once ("Remove Julie?"), then take the relative out of the circle."""
    link = service.access_link(current_user, link_id)
    back = url_for("family.circle", resident_id=link.resident_id)
    if request.method != "POST":
        return render_template(
            "family/remove.html", link=link, back=back, confirm_form=ConfirmForm()
        )
    require_confirm_form()
    name = link.relative.first_name
    service.do_remove(current_user, link.id)
    flash(_("%(name)s is no longer in the circle.", name=name), "success")
    return redirect(back)


# The relative's pages -------------------------------------------------------------------


@bp.get("/family/with/<int:resident_id>")
@login_required
def resident(resident_id: int) -> str:
    """One resident: write to them, the family group, and what they chose to share."""
    if current_user.role != Role.RELATIVE:
        abort(404)
    news = service.get_news(current_user, resident_id)
    return render_template(
        "family/resident.html",
        news=news,
        resident=news.link.resident,
        group_id=service.family_group_id(resident_id),
    )


@bp.route("/family/close", methods=["GET", "POST"])
@login_required
def close_account() -> Page:
    """A relative leaves every circle; the closed account is erased after the usual delay."""
    if current_user.role != Role.RELATIVE:
        abort(404)
    if request.method != "POST":
        return render_template("family/close.html", confirm_form=ConfirmForm())
    require_confirm_form()
    service.do_close_account(current_user._get_current_object())
    pages.end_session()
    flash(_("Your account is closed. Goodbye!"), "success")
    return redirect(url_for("family.login"))


# Joining and logging in ------------------------------------------------------------------


@bp.route("/family/join/<token>", methods=["GET", "POST"])
@limiter.limit(pages.login_limit, methods=["POST"], deduct_when=pages.login_failed)
def join(token: str) -> Page:
    """The invitation link: set up the account the first time, then join the circle."""
    on_refusal(pages.link_gone(relative_login_url=_family_login_url()))
    link = service.check_invitation(token)
    relative = link.person
    first_time = not service.is_set_up(relative)
    form = JoinForm()
    if request.method == "GET":
        form.first_name.data, form.last_name.data = relative.first_name, relative.last_name
        form.email.data = relative.email or ""

    def page() -> str:
        return render_template(
            "family/join.html",
            form=form,
            first_time=first_time,
            residents=service.pending_residents(relative),
        )

    if request.method != "POST":
        return page()
    if not form.validate_on_submit():
        return page(), 422
    on_refusal(reshow_form(page))
    person = service.do_join(
        token,
        first_name=form.first_name.data,
        last_name=form.last_name.data,
        email=form.email.data,
        use_password=form.method.data == "password",
        password=form.password.data or "",
        confirm=form.confirm.data or "",
    )
    pages.replace_session(person)
    flash(_("Welcome, %(name)s!", name=person.first_name), "success")
    return redirect(url_for("family.home"))


@bp.route("/family/login", methods=["GET", "POST"])
@limiter.limit(pages.login_limit, methods=["POST"], deduct_when=pages.login_failed)
def login() -> Page:
    """Email and password, or "send me a login link"; the same answer for any address."""
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()

    def page(error: str | None = None, sent: bool = False) -> str:
        return render_template("family/login.html", form=form, error=error, sent=sent)

    if request.method != "POST":
        return page()
    if not form.validate_on_submit():
        return page(), 422
    if request.form.get("action") == "link":
        service.do_request_login_link(form.email.data or "")
        return page(sent=True), 200
    on_refusal(lambda error: (page(error.message), 422))
    person = service.do_login_with_password(form.email.data or "", form.password.data or "")
    pages.start_session(person)
    return redirect(url_for("family.home"))


@bp.route("/family/login/<token>", methods=["GET", "POST"])
@limiter.limit(pages.login_limit, methods=["POST"], deduct_when=pages.login_failed)
def login_link(token: str) -> Page:
    """A login link: one tap on "Log in" (a GET changes nothing)."""
    on_refusal(pages.link_gone(relative_login_url=_family_login_url()))
    link = service.check_login_token(token)
    if request.method != "POST":
        return render_template("family/login_link.html", person=link.person, form=ConfirmForm())
    require_confirm_form()
    person = service.do_login_with_link(token)
    pages.replace_session(person)
    flash(_("Welcome, %(name)s!", name=person.first_name), "success")
    return redirect(url_for("family.home"))
