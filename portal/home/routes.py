"""Home screens for each role, help, settings and the language switch."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from werkzeug.wrappers import Response as WResponse

from portal import resources
from portal.auth import service as auth
from portal.auth.decorators import roles_required
from portal.auth.forms import SetPinForm
from portal.errors import on_refusal
from portal.home import bp
from portal.home.forms import LanguageForm, SettingsForm
from portal.home.tiles import (
    CountSource,
    buildings_for,
    counted,
    get_tile,
    panels_for,
    resident_tiles_for,
    tiles_for,
)
from portal.i18n import SESSION_LOCALE_KEY
from portal.notifications import service as notifications
from portal.people import service as people
from portal.people.models import Role
from portal.urls import is_local_path


@bp.get("/")
def index() -> str | WResponse:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == Role.RESIDENT:
        return resident_home()
    return staff_home()


def need_help_url() -> str:
    """The "I need help" page when it exists, else the help and concierge page."""
    if "wellbeing.need_help" in current_app.view_functions:
        return url_for("wellbeing.need_help")
    return url_for("home.help_page")


def help_url() -> str:
    """Where the top bar's one Help leads: for a resident, the same page as the big "I need
    help" button (one meaning for help: it calls; whom to call is written on that page)."""
    if current_user.is_authenticated and current_user.role == Role.RESIDENT:
        return need_help_url()
    return url_for("home.help_page")


@bp.app_context_processor
def help_link() -> dict[str, object]:
    return {"help_url": help_url}


@bp.app_template_filter("bdi")
def isolate(text: object) -> Markup:
    """Text someone wrote (a name, a title), isolated from the page's direction so that a
    French name reads right inside an Arabic sentence: `name=person.first_name|bdi`."""
    return Markup("<bdi>{}</bdi>").format(text)


# The header's notification bell, read with the tiles' badges in one statement.
BELL: dict[str, CountSource] = {"bell": notifications.unread_count}


def _bell() -> int:
    """The bell's count for base.html: the one the tiles' statement read."""
    return counted(current_user, "bell", notifications.unread_count)


# The panel that belongs to the home's first screen: simplified mode keeps it (the daily
# check-in is a main action), while it hides the others.
FIRST_SCREEN_PANELS = frozenset({"checkin"})


def resident_home() -> str:
    """The tiles, the help button and the check-in on one screen; below them the other
    panels, unless simplified."""
    # The tiles first: their one statement reads the counts the panels then reuse.
    tiles = resident_tiles_for(current_user)  # no bell: a resident's top bar is not a menu
    panels = panels_for(current_user)
    if current_user.simplified_mode:
        panels = [item for item in panels if item["panel"].key in FIRST_SCREEN_PANELS]
    return render_template(
        "home/resident.html", tiles=tiles, panels=panels, need_help_url=need_help_url()
    )


@bp.get("/api/home/tiles/<key>/badge")
@login_required
def tile_badge(key: str) -> Response:
    """A tile's live badge count, for tiles that have no endpoint of their own."""
    tile = get_tile(key)
    if tile is None or tile.badge is None or current_user.role not in tile.roles:
        abort(404)
    return jsonify({"ok": True, "count": tile.badge(current_user)})


def staff_home() -> str:
    """The staff's tools (their badges and the bell in one statement) and their buildings."""
    buildings = buildings_for(current_user)
    tiles = tiles_for(current_user, also=BELL)
    summaries = [
        {
            "building": b,
            "residents": people.count_residents(b.id),
            "dwellings": people.count_dwellings(b.id),
        }
        for b in buildings
    ]
    return render_template(
        "home/staff.html", summaries=summaries, tiles=tiles, unread_notifications=_bell
    )


@bp.get("/help")
def help_page() -> str:
    building = None
    if current_user.is_authenticated:
        buildings = people.list_buildings_for(current_user)
        building = current_user.building or (buildings[0] if buildings else None)
    return render_template("home/help.html", building=building)


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings() -> str | tuple[str, int] | WResponse:
    form = SettingsForm()

    def page(error: str | None = None) -> str:
        return render_template("home/settings.html", form=form, error=error)

    if request.method != "POST":
        form.locale.data = current_user.locale or _current_locale()
        form.text_size.data = str(current_user.text_size)
        form.high_contrast.data = current_user.high_contrast
        form.simplified_mode.data = current_user.simplified_mode
        form.read_aloud.data = current_user.read_aloud
        form.easy_read.data = current_user.easy_read
        form.show_presence.data = current_user.show_presence
        return page()
    if not form.validate_on_submit():
        return page(), 422
    on_refusal(lambda error: (page(error.message), 422))
    people.do_update_preferences(
        current_user,
        locale=form.locale.data,
        text_size=int(form.text_size.data or 100),
        high_contrast=bool(form.high_contrast.data),
        show_presence=bool(form.show_presence.data),
        simplified_mode=bool(form.simplified_mode.data),
        read_aloud=bool(form.read_aloud.data),
        # Easy-to-read wording is for residents' pages; staff keep theirs.
        easy_read=bool(form.easy_read.data) if current_user.is_resident else None,
    )
    flash(_("Your settings are saved."), "success")
    return redirect(url_for("home.settings"))


def _current_locale() -> str:
    from flask_babel import get_locale

    return str(get_locale())


def _safe_next(target: str | None) -> str:
    """Only redirect back to a path on this site."""
    return target if is_local_path(target) else url_for("home.index")


@bp.post("/language")
def set_language() -> WResponse:
    form = LanguageForm()
    if form.validate_on_submit():
        locale = form.locale.data
        session[SESSION_LOCALE_KEY] = locale
        if current_user.is_authenticated:
            people.do_set_locale(current_user, locale)
    else:
        flash(_("This language is not available."), "error")
    return redirect(_safe_next(form.next.data))


@bp.route("/settings/pin", methods=["GET", "POST"])
@roles_required(Role.RESIDENT)
def change_pin() -> str | tuple[str, int] | WResponse:
    form = SetPinForm()

    def page(error: str | None = None) -> str:
        return render_template("home/pin.html", form=form, error=error)

    if request.method != "POST":
        return page()
    if not form.validate_on_submit():
        return page(), 422
    on_refusal(lambda error: (page(error.message), 422))
    auth.do_set_pin(current_user, form.pin.data or "", form.confirm.data or "")
    flash(_("Your new code is saved."), "success")
    return redirect(url_for("home.settings"))


VENDOR_FILES = resources.VENDOR_FILES  # shipped inside the installed package too


@bp.get("/vendor/<path:filename>")
def vendor(filename: str) -> Response:
    """Front-end packages installed from npm, served from this server."""
    if filename not in VENDOR_FILES:
        abort(404)
    return send_from_directory(current_app.config["PORTAL_NODE_MODULES"], filename, max_age=86400)
