"""Forms of the daily check-in and the "To call" list."""

from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import AnyOf, DataRequired, Length

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
TIME_VALUES = tuple(choice.value for choice in time_choices())
NOT_LISTED = _l("Choose a time from the list.")


def check_time_field() -> UnboundField:
    """The check-in time: one of the list's half hours; anything else ("25:00", "99:99")
    shows why beside the field."""
    return SelectField(
        _l("By what time each day?"),
        choices=time_choices(),
        default=DEFAULT_CHOICE,
        validate_choice=False,  # WTForms' own refusal says only "Not a valid choice."
        validators=[AnyOf(TIME_VALUES, message=NOT_LISTED)],
    )


class OptInForm(FlaskForm):
    """The resident switches the check-in on, or changes its time."""

    check_time = check_time_field()


class EnrolForm(FlaskForm):
    """The coordinator enrols a resident who agreed."""

    resident = SelectField(
        _l("Resident"), choices=[], validators=[DataRequired(_l("Choose the resident."))]
    )
    check_time = check_time_field()
    consent = BooleanField(_l("The resident agreed"))


class ReachedForm(FlaskForm):
    """ "I reached them", with a short note."""

    note = StringField(_l("A short note (optional)"), validators=[Length(max=MAX_NOTE)])


class BuildingSettingsForm(FlaskForm):
    """The building's choice: is the concierge told of missed check-ins?"""

    alert_concierge = BooleanField(_l("Also tell the concierge when a resident has not checked in"))
