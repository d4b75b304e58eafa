"""Forms every package uses."""

from __future__ import annotations

from flask import abort
from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button-only form: the CSRF token is its only field."""


def require_confirm_form() -> None:
    """A one-button form must carry the page's CSRF token (400 otherwise)."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
