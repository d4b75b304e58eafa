"""Domain errors and friendly, translated error pages."""

from __future__ import annotations

import logging

from flask import Flask, Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# The database cannot be reached (restarting, failing over, connections exhausted).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


class DomainError(Exception):
    """A rule was broken; carries a translated message for the person."""

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code


class PermissionDenied(DomainError):
    """The person may not do this."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or str(_l("You are not allowed to do that.")), "forbidden")


ERROR_MESSAGES = {
    400: _l("The request could not be understood. Please go back and try again."),
    403: _l("You are not allowed to open this page."),
    404: _l("This page does not exist, or you cannot see it."),
    405: _l("This action is not possible here."),
    413: _l("The file is too large."),
    429: _l("Too many attempts. Please wait a few minutes, then try again."),
    500: _l("Something went wrong on our side. Nothing you did is lost; please try again."),
    503: _l("Bon Voisin is briefly unavailable. Please try again in a moment."),
}
UNAVAILABLE_MESSAGE = ERROR_MESSAGES[503]


def render_error(status: int, message: str | None = None) -> tuple[str, int]:
    """Render the shared error page with a translated message."""
    text = message or str(ERROR_MESSAGES.get(status, ERROR_MESSAGES[500]))
    return render_template("errors/error.html", status=status, message=text), status


def register_error_handlers(app: Flask) -> None:
    """Attach the friendly error pages to the app."""

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> tuple[str, int]:
        return render_error(
            400,
            str(
                _l(
                    "This form had expired or was not sent by Bon Voisin. "
                    "Nothing was changed. Please go back, reload the page and try again."
                )
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> tuple[str, int] | Response:
        status = error.code or 500
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            body = {
                "ok": False,
                "error": error.name,
                "message": str(ERROR_MESSAGES.get(status, "")),
            }
            return app.json.response(body), status  # type: ignore[return-value]
        return render_error(status)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def database_unavailable(error: Exception) -> tuple[str, int] | Response:
        from portal.extensions import db

        log.warning("database unavailable: %s", type(error).__name__)
        db.session.rollback()
        if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
            body = {"ok": False, "error": "unavailable", "message": str(UNAVAILABLE_MESSAGE)}
            return app.json.response(body), 503  # type: ignore[return-value]
        try:
            return render_error(503)
        except DATABASE_UNAVAILABLE:  # the page itself needed the database (who is logged in)
            db.session.rollback()
            return str(UNAVAILABLE_MESSAGE), 503

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> tuple[str, int]:
        app.logger.exception("Unhandled error", exc_info=error)
        return render_error(500)
