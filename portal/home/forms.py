"""Forms of the home package."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from portal.i18n import LOCALE_NAMES

TEXT_SIZE_CHOICES = [
    SelectChoice("100", _l("Normal")),
    SelectChoice("125", _l("Large")),
    SelectChoice("150", _l("Larger")),
    SelectChoice("200", _l("Largest")),
]


def locale_choices() -> list[SelectChoice]:
    """The configured languages, each named in its own language."""
    codes = current_app.config["PORTAL_LOCALES"]
    return [SelectChoice(code, LOCALE_NAMES.get(code, code)) for code in codes]


def supported_locale(_form: Any, field: Any) -> None:
    if field.data not in current_app.config["PORTAL_LOCALES"]:
        raise ValidationError(_l("This language is not available."))


class LanguageForm(FlaskForm):
    locale = HiddenField(validators=[DataRequired(), supported_locale])
    next = HiddenField()


class SettingsForm(FlaskForm):
    locale = RadioField(_l("Language"))
    text_size = RadioField(_l("Text size"), choices=TEXT_SIZE_CHOICES)
    high_contrast = BooleanField(_l("High contrast (black and white)"))
    simplified_mode = BooleanField(_l("Simplified screen: only the big buttons of the home page"))
    read_aloud = BooleanField(_l("Show a \u201cRead aloud\u201d button on every page"))
    easy_read = BooleanField(_l("Easy to read: short sentences and pictures"))
    show_presence = BooleanField(_l("Let my neighbours see when I am online"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = locale_choices()
