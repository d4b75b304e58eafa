"""Forms of the daily check-in and the "To call" list."""

from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.wellbeing.service import DEFAULT_TIME, EARLIEST, LATEST, MAX_NOTE


def time_choices() -> list[SelectChoice]:
    """Every half hour the check-in may be due, as "HH:MM"."""
    choices = []
    minutes = EARLIEST.hour * 60
    while minutes <= LATEST.hour * 60:
        label = f"{minutes // 60:02d}:{minutes % 60:02d}"
        choices.append(SelectChoice(label, label))
        minutes += 30
    return choices


def parse_time(value: str | None) -> time | None:
    """The chosen "HH:MM", or None when it is not a time (the service then refuses it)."""
    try:
        return time.fromisoformat(value or "")
    except ValueError:
        return None


DEFAULT_CHOICE = DEFAULT_TIME.strftime("%H:%M")


class OptInForm(FlaskForm):
    """The resident switches the check-in on, or changes its time."""

    check_time = SelectField(
        _l("By what time each day?"), choices=time_choices(), default=DEFAULT_CHOICE
    )


class EnrolForm(FlaskForm):
    """The coordinator enrols a resident who agreed."""

    resident = SelectField(
        _l("Resident"), choices=[], validators=[DataRequired(_l("Choose the resident."))]
    )
    check_time = SelectField(
        _l("By what time each day?"), choices=time_choices(), default=DEFAULT_CHOICE
    )
    consent = BooleanField(_l("The resident agreed"))


class ReachedForm(FlaskForm):
    """ "I reached them", with a short note."""

    note = StringField(_l("A short note (optional)"), validators=[Length(max=MAX_NOTE)])


class BuildingSettingsForm(FlaskForm):
    """The building's choice: is the concierge told of missed check-ins?"""

    alert_concierge = BooleanField(_l("Also tell the concierge when a resident has not checked in"))
