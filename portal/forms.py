"""Forms every package uses."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button-only form: the CSRF token is its only field."""
