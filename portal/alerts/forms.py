"""Forms of the on-call rota; the service checks every value again (who, days, times)."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from portal.alerts.service import MAX_POSITION
from portal.people.models import Person

TIME_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d$"
BAD_TIME = _l("Please give a time such as 08:00.")


def weekday_names() -> list[str]:
    """Monday to Sunday in the reader's language."""
    return [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]


def parse_time(value: str | None) -> time | None:
    """ "HH:MM" as a time, or None (the service then refuses it)."""
    try:
        return time.fromisoformat(value or "")
    except ValueError:
        return None


def person_choices(staff: list[Person]) -> list[SelectChoice]:
    return [SelectChoice(str(p.id), f"{p.full_name} ({p.role.label})") for p in staff]


class DaysField(SelectMultipleField):
    """Weekdays as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RotaEntryForm(FlaskForm):
    """A member of staff on call some days, from a time to a time."""

    person = SelectField(
        _l("Who is on call?"),
        validate_choice=False,  # the service refuses anyone else, beside the field
        validators=[DataRequired(_l("Choose the person."))],
    )
    days = DaysField(_l("Which days does the shift start?"), coerce=int, validate_choice=False)
    start = StringField(
        _l("From (24-hour clock)"),
        default="08:00",
        validators=[DataRequired(BAD_TIME), Regexp(TIME_PATTERN, message=BAD_TIME)],
    )
    end = StringField(
        _l("Until (an earlier time means the next morning)"),
        default="18:00",
        validators=[DataRequired(BAD_TIME), Regexp(TIME_PATTERN, message=BAD_TIME)],
    )
    position = IntegerField(
        _l("Order (1 is told first)"),
        default=1,
        validators=[NumberRange(min=1, max=MAX_POSITION)],
    )

    def __init__(self, *args: Any, staff: list[Person] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.person.choices = person_choices(staff or [])
        self.days.choices = [SelectChoice(i, name) for i, name in enumerate(weekday_names())]


class FallbackForm(FlaskForm):
    """Who is told when nobody on call answered."""

    person = SelectField(_l("Fallback person"), validate_choice=False)

    def __init__(self, *args: Any, staff: list[Person] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "fallback")  # its field ids differ from the entry form's
        super().__init__(*args, **kwargs)
        self.person.choices = [SelectChoice("", _("Nobody")), *person_choices(staff or [])]
