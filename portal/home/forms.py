"""Forms of the home package."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired

TEXT_SIZE_CHOICES = [
    SelectChoice("100", _l("Normal")),
    SelectChoice("125", _l("Large")),
    SelectChoice("150", _l("Larger")),
    SelectChoice("200", _l("Largest")),
]
LOCALE_CHOICES = [SelectChoice("fr", "Français"), SelectChoice("en", "English")]


class LanguageForm(FlaskForm):
    locale = HiddenField(validators=[DataRequired(), AnyOf(["fr", "en"])])
    next = HiddenField()


class SettingsForm(FlaskForm):
    locale = RadioField(_l("Language"), choices=LOCALE_CHOICES)
    text_size = RadioField(_l("Text size"), choices=TEXT_SIZE_CHOICES)
    high_contrast = BooleanField(_l("High contrast (black and white)"))
    show_presence = BooleanField(_l("Let my neighbours see when I am online"))
