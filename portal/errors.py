"""Domain errors and friendly, translated error pages."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, flash, g, redirect, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

log = logging.getLogger(__name__)

# The database cannot be reached (restarting, failing over, connections exhausted), or this
# worker refused the work at once (portal.admission: a pool timeout not waited for).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


# Codes that older call sites give a plain DomainError, and the status each one means.
STATUS_OF_CODE = {"not_found": 404, "forbidden": 403, "conflict": 409}


class DomainError(Exception):
    """A rule was broken; carries a translated message for the person, a short code (for
    JSON and socket acknowledgements) and the HTTP status it answers with."""

    status: int = 422
    default_code = "invalid"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.code = code or self.default_code
        # A subclass says its own status; a plain refusal may still name one by its code.
        default = type(self).status
        self.status = STATUS_OF_CODE.get(self.code, default) if default == 422 else default


class NotFound(DomainError):
    """The object does not exist, or the person may not know it does (answers 404)."""

    status = 404
    default_code = "not_found"


class Forbidden(DomainError):
    """The person may see the object but not do this to it (answers 403)."""

    status = 403
    default_code = "forbidden"

    def __init__(self, message: str | None = None, code: str | None = None) -> None:
        super().__init__(message or str(_l("You are not allowed to do that.")), code)


PermissionDenied = Forbidden


class BadRequest(DomainError):
    """The request could not be understood (malformed JSON, a missing part): 400."""

    status = 400
    default_code = "bad_request"


class Invalid(DomainError):
    """What was sent breaks a rule; the message says which (answers 422)."""


class Conflict(DomainError):
    """The object changed meanwhile: someone else took it, it was closed (answers 409)."""

    status = 409
    default_code = "conflict"


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


def wants_json() -> bool:
    """An API call or a fetch that asked for JSON (as opposed to a page)."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_body(code: str, message: str) -> dict[str, object]:
    """The one shape of a refusal in JSON and in socket acknowledgements."""
    return {"ok": False, "error": code, "message": message}


def unavailable_retry_after(error: BaseException) -> int:
    """Count an `unavailable` answer (portal.admission) and forget who is logged in, so
    that answering never waits for the database again; the seconds to wait before retrying."""
    from portal import admission

    return admission.refuse(error)


def unavailable_body(retry_after: int) -> dict[str, object]:
    """The answer when the database cannot take the work now: the client keeps what it sent
    and tries again after `retry_after` seconds (docs/api.md, "When the server is busy")."""
    return {**error_body("unavailable", str(UNAVAILABLE_MESSAGE)), "retry_after": retry_after}


# What a page answers when a service refuses --------------------------------------------------

Refusal = Callable[[DomainError], ResponseReturnValue]
REFUSAL_KEY = "_bv_on_refusal"


def on_refusal(answer: str | Refusal) -> None:
    """Say, before calling a service, what this page answers if the service refuses
    (an invalid or conflicting request; "not found" always answers 404):
    a URL to go back to, where the message is shown, or a function that re-shows the
    form (see reshow_form)."""
    setattr(g, REFUSAL_KEY, answer)


def reshow_form(render: Callable[[], str]) -> Refusal:
    """Re-show the form as the person filled it, with the refusal's message: status 403
    when the person may not do this, else 422 (what was sent cannot be taken as it is)."""

    def answer(error: DomainError) -> ResponseReturnValue:
        flash(error.message, "error")
        return render(), 403 if error.status == 403 else 422

    return answer


def answer_domain_error(error: DomainError) -> ResponseReturnValue:
    """The one answer to a refusal: JSON for API calls, else the page's chosen answer,
    else the error page with the message. The request's transaction is already undone."""
    if wants_json():
        return error_body(error.code, error.message), error.status
    if error.status == 404:
        return render_error(404)
    answer = g.get(REFUSAL_KEY)
    if isinstance(answer, str):
        flash(error.message, "error")
        return redirect(answer)
    if answer is not None:
        return answer(error)
    return render_error(error.status, error.message)


def _undo_transaction() -> None:
    """Roll the request's transaction back before an error answer reads anything: a failed
    flush leaves the session unusable (PendingRollbackError) for the page, which loads the
    person to draw the top bar. Never fails itself (a connection already gone is only
    logged: the page then falls back to plain text)."""
    from portal.extensions import db

    try:
        db.session.rollback()
    except Exception as error:  # an error answer must still be given
        log.warning("rollback before the error answer failed: %s", type(error).__name__)


def plain_error(status: int, message: str | None = None) -> Response:
    """The error answer of last resort: the message as plain text, translated when the
    language can still be chosen, with the same status."""
    return Response(_plain_text(status, message), status=status, mimetype="text/plain")


def _plain_text(status: int, message: str | None) -> str:
    """The message; else the status's own, in the person's language, else in English (the
    language is chosen from the person, whom a database gone cannot load)."""
    if message:
        return str(message)
    lazy = ERROR_MESSAGES.get(status, ERROR_MESSAGES[500])
    try:
        return str(lazy)
    except Exception:  # choosing the language needed what failed
        pass
    try:
        with force_locale("en"):
            return str(lazy)
    except Exception:  # Babel itself is broken: the status's name still says it
        return HTTP_STATUS_CODES.get(status, "Error")


def error_page(status: int, message: str | None = None) -> ResponseReturnValue:
    """The error page; if drawing it fails too (a template error, the database gone while
    the top bar loads the person), the same message as plain text with the same status."""
    try:
        return render_error(status, message)
    except DATABASE_UNAVAILABLE as error:  # the page needed the database (who is logged in)
        log.warning("the error page (%s) needed the database: %s", status, type(error).__name__)
    except Exception:  # the error answer must never fail itself
        log.exception("the error page (%s) could not be drawn", status)
    _undo_transaction()
    return plain_error(status, message)


def register_error_handlers(app: Flask) -> None:
    """Attach the friendly error pages to the app. Each handler rolls the session back
    first and never fails itself (error_page falls back to plain text)."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError) -> ResponseReturnValue:
        _undo_transaction()
        try:
            return answer_domain_error(error)
        except Exception:  # e.g. the form re-shown could not be drawn
            log.exception("the answer to a refusal (%s) could not be drawn", error.code)
            _undo_transaction()
            # As answer_domain_error: "not found" never says more than the usual words.
            return error_page(error.status, None if error.status == 404 else error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError) -> ResponseReturnValue:
        _undo_transaction()
        message = str(
            _l(
                "This form had expired or was not sent by Bon Voisin. "
                "Nothing was changed. Please go back, reload the page and try again."
            )
        )
        if wants_json():  # an API call refused like any other: {ok: false, message}
            return app.json.response(error_body("csrf", message)), 400
        return error_page(400, message)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> ResponseReturnValue:
        status = error.code or 500
        _undo_transaction()
        if wants_json():
            body = error_body(error.name, str(ERROR_MESSAGES.get(status, "")))
            return app.json.response(body), status
        return error_page(status)

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    @app.errorhandler(PoolTimeout)
    def database_unavailable(error: Exception) -> ResponseReturnValue:
        _undo_transaction()
        retry_after = unavailable_retry_after(error)
        if wants_json():
            body = unavailable_body(retry_after)
            response = app.json.response(body)
        else:
            response = app.make_response(error_page(503))
        response.status_code = 503
        response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> ResponseReturnValue:
        app.logger.exception("Unhandled error", exc_info=error)
        _undo_transaction()  # a failed flush leaves the session unusable for the page
        if wants_json():
            body = error_body("server_error", str(ERROR_MESSAGES[500]))
            return app.json.response(body), 500
        return error_page(500)
