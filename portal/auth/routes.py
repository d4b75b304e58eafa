"""Login and logout pages; each route parses, calls the service, then renders or redirects."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as WResponse

from portal import device
from portal.auth import bp, links, pages, service
from portal.auth.forms import AccountLinkForm, ForgotPasswordForm, PinForm, StaffLoginForm
from portal.errors import DomainError, on_refusal
from portal.extensions import limiter
from portal.forms import ConfirmForm
from portal.people import service as people
from portal.people.models import Person


def _pin_limit() -> str:
    return current_app.config["AUTH_PIN_LOGIN_LIMIT"]


def _staff_account_key() -> str:
    return "staff-login:" + request.form.get("email", "").strip().lower()


def _home() -> WResponse:
    return redirect(url_for("home.index"))


@bp.get("/login")
def login() -> str | WResponse:
    if current_user.is_authenticated:
        return _home()
    tablet = device.current_device()
    building = people.get_building(tablet.building_id) if tablet else None
    residents = people.list_pin_residents(building.id) if building else []
    household = [p for p in residents if tablet and p.dwelling_id == tablet.dwelling_id]
    return render_template(
        "auth/login.html", building=building, residents=residents, household=household
    )


def _card_refused(error: DomainError) -> tuple[str, int]:
    """A card that cannot be used: say why and how else to log in (as an unknown page)."""
    return render_template("auth/card_invalid.html", message=error.message), 404


@bp.get("/login/card/<token>")
def card(token: str) -> str:
    on_refusal(_card_refused)
    login_card = service.check_card(token)
    return render_template("auth/card.html", person=login_card.person, form=ConfirmForm())


@bp.post("/login/card/<token>")
def card_login(token: str) -> WResponse:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    on_refusal(_card_refused)
    person = service.do_login_with_card(token)
    pages.start_session(person)
    flash(_("Welcome, %(name)s!", name=person.first_name), "success")
    response = _home()
    if person.building_id is not None:
        device.remember_device(response, person.building_id, person.dwelling_id)
    return response


def _pin_page(person: Person, form: PinForm, error: str | None = None) -> str:
    """The code page of the resident picked on the tablet, with what went wrong if anything."""
    return render_template("auth/pin.html", person=person, form=form, error=error)


@bp.route("/login/pin/<int:person_id>", methods=["GET", "POST"])
@limiter.limit(_pin_limit, methods=["POST"], deduct_when=pages.login_failed)
def pin_login(person_id: int) -> str | tuple[str, int] | WResponse:
    person = service.access_pin_person(person_id, device.device_building_id())
    form = PinForm()
    if service.is_pin_locked(person):
        return _pin_page(person, form, service.pin_locked_message(person)), 422
    if request.method == "GET":
        return _pin_page(person, form)
    if not form.validate_on_submit():
        return _pin_page(person, form), 422
    try:
        service.do_login_with_pin(person, form.pin.data or "")
    except service.LoginError as error:
        # Answered here, not by the error handler: the view returns normally, so the
        # request commits the wrong code's count (5 of them lock the photo login).
        return _pin_page(person, form, error.message), 422
    pages.start_session(person)
    flash(_("Welcome, %(name)s!", name=person.first_name), "success")
    return _home()


@bp.route("/login/staff", methods=["GET", "POST"])
@limiter.limit(pages.login_limit, methods=["POST"], deduct_when=pages.login_failed)
@limiter.limit(
    pages.login_limit, methods=["POST"], deduct_when=pages.login_failed, key_func=_staff_account_key
)
def staff_login() -> str | tuple[str, int] | WResponse:
    if current_user.is_authenticated:
        return _home()
    form = StaffLoginForm()

    def page(error: str | None = None) -> str:
        return render_template("auth/staff_login.html", form=form, error=error)

    if request.method != "POST":
        return page()
    if not form.validate_on_submit():
        return page(), 422
    on_refusal(lambda error: (page(error.message), 422))
    person = service.do_login_staff(form.email.data or "", form.password.data or "")
    pages.start_session(person)
    return _home()


@bp.post("/logout")
@login_required
def logout() -> WResponse:
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    service.do_end_sessions(current_user._get_current_object())
    pages.end_session()
    flash(_("You are logged out. See you soon!"), "success")
    return redirect(url_for("auth.login"))


# One-time account links and forgotten passwords ----------------------------------------


@bp.route("/account/<token>", methods=["GET", "POST"])
@limiter.limit(pages.login_limit, methods=["POST"], deduct_when=pages.login_failed)
def account_link(token: str) -> str | tuple[str, int] | WResponse:
    """Set up an invited account, or choose a new password, from a link sent by email."""
    on_refusal(pages.link_gone())
    link = links.check_link(token)
    form = AccountLinkForm()
    if request.method == "GET":
        form.first_name.data, form.last_name.data = link.person.first_name, link.person.last_name

    def page(error: str | None = None) -> str:
        return render_template("auth/account_link.html", link=link, form=form, error=error)

    if request.method != "POST":
        return page()
    if not form.validate_on_submit():
        return page(), 422
    on_refusal(lambda error: (page(error.message), 422))
    person = links.do_use_link(
        token,
        form.password.data or "",
        form.confirm.data or "",
        first_name=form.first_name.data or "",
        last_name=form.last_name.data or "",
    )
    pages.replace_session(person)
    flash(_("Your password is saved. Welcome, %(name)s!", name=person.first_name), "success")
    return _home()


def _forgot_key() -> str:
    return "forgot:" + request.form.get("email", "").strip().lower()


@bp.route("/login/staff/forgot", methods=["GET", "POST"])
@limiter.limit(pages.login_limit, methods=["POST"])
@limiter.limit(pages.login_limit, methods=["POST"], key_func=_forgot_key)
def forgot_password() -> str | tuple[str, int]:
    """Ask for a reset link; the answer is the same whether the address has an account."""
    form = ForgotPasswordForm()
    if request.method != "POST":
        return render_template("auth/forgot.html", form=form, sent=False)
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form, sent=False), 422
    links.do_request_reset(form.email.data or "")
    return render_template("auth/forgot.html", form=form, sent=True)
