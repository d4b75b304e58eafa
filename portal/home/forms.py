"""Forms of the home package."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField
from wtforms.validators import AnyOf, DataRequired

TEXT_SIZE_CHOICES = [
    ("100", _l("Normal")),
    ("125", _l("Large")),
    ("150", _l("Larger")),
    ("200", _l("Largest")),
]


class LanguageForm(FlaskForm):
    locale = HiddenField(validators=[DataRequired(), AnyOf(["fr", "en"])])
    next = HiddenField()


class SettingsForm(FlaskForm):
    locale = RadioField(_l("Language"), choices=[("fr", "Français"), ("en", "English")])
    text_size = RadioField(_l("Text size"), choices=TEXT_SIZE_CHOICES)
    high_contrast = BooleanField(_l("High contrast (black and white)"))
