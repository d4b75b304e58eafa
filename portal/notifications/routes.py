"""The notifications page: newest first, unread marked, each opening what it is about."""

from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from portal.forms import ConfirmForm, require_confirm_form
from portal.notifications import bp, service
from portal.urls import is_local_path


@bp.get("/notifications")
@login_required
def index() -> str:
    """The person's notifications, newest first."""
    return render_template(
        "notifications/index.html",
        notifications=service.list_notifications(current_user.id, limit=100),
        unread=service.count_unread(current_user),
        form=ConfirmForm(),
    )


@bp.post("/notifications/<int:notification_id>/open")
@login_required
def open_one(notification_id: int) -> Response:
    """Mark it read and open what it is about (a page of this site only)."""
    require_confirm_form()
    notification = service.do_open(current_user, notification_id)
    target = notification.url if is_local_path(notification.url) else ""
    return redirect(target or url_for("notifications.index"))


@bp.post("/notifications/read")
@login_required
def read_all() -> Response:
    """Mark everything read."""
    require_confirm_form()
    service.do_mark_all_read(current_user)
    flash(_("Everything is marked as read."), "success")
    return redirect(url_for("notifications.index"))


@bp.get("/api/notifications/unread")
@login_required
def api_unread() -> Response:
    """The bell's number, for the page's live refresh."""
    return jsonify({"ok": True, "count": service.count_unread(current_user)})


@bp.app_context_processor
def unread_helper() -> dict[str, object]:
    """Templates read the bell's number only when they show it."""

    def unread_notifications() -> int:
        return service.count_unread(current_user) if current_user.is_authenticated else 0

    return {"unread_notifications": unread_notifications}
