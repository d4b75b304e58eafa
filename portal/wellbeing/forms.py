"""Forms of the daily check-in and the "To call" list."""

from __future__ import annotations

from datetime import time
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.fields.core import UnboundField
from wtforms.validators import AnyOf, DataRequired, Length

from portal.i18n import locale_names
from portal.validation import day_in_range
from portal.wellbeing.contacts import CONTACT_LOCALES
from portal.wellbeing.models import ContactRelation, PauseReason
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


# Emergency contacts and pauses -----------------------------------------------------------


RESIDENT_CONSENT = _l(
    "I agree that Bon Voisin tells this person if I need help and nobody from the building answers."
)
STAFF_CONSENT = _l(
    "The resident agreed that Bon Voisin tells this person if they need help "
    "and nobody from the building answers."
)


class ContactForm(FlaskForm):
    """An emergency contact: who, how to reach them, their language, and the agreement.
    The contacts service checks every value again (phone, email, choices)."""

    name = StringField(
        _l("Name of the person"),
        validators=[DataRequired(_l("Write the name of the person.")), Length(max=80)],
    )
    relation = SelectField(
        _l("Who is this person for you?"),
        validate_choice=False,  # the service refuses anything else, beside the field
    )
    phone = StringField(_l("Phone number"), validators=[Length(max=30)])
    email = EmailField(_l("Email address"), validators=[Length(max=254)])
    locale = SelectField(_l("We write to them in"), choices=[], validate_choice=False)
    consent = BooleanField(RESIDENT_CONSENT)

    def __init__(self, *args: Any, for_staff: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.relation.choices = [SelectChoice(r.value, r.label) for r in ContactRelation]
        self.locale.choices = [
            SelectChoice(code, name)
            for code, name in locale_names().items()
            if code in CONTACT_LOCALES
        ]
        if for_staff:
            self.consent.label.text = str(STAFF_CONSENT)


class PauseForm(FlaskForm):
    """Pause the daily check-in until a day (inclusive), with an optional one-word reason."""

    until = DateField(
        _l("Until which day?"),
        validators=[DataRequired(_l("Choose a day.")), day_in_range],
    )
    reason = SelectField(_l("Why? (optional)"), validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = [SelectChoice("", _("I prefer not to say"))] + [
            SelectChoice(r.value, r.label) for r in PauseReason
        ]
