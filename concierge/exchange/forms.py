"""Forms of the neighbour service exchange."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from concierge.exchange.models import HelpKind, Urgency
from concierge.exchange.service import MAX_DETAILS, MAX_PHARMACY, MAX_THANKS
from portal.validation import day_in_range, id_choice


def kind_choices() -> list[SelectChoice]:
    """The kinds of help, labelled in the reader's language (called for each form)."""
    return [SelectChoice(kind.value, kind.label) for kind in HelpKind]


def urgency_choices() -> list[SelectChoice]:
    """The urgencies, labelled in the reader's language (called for each form)."""
    return [SelectChoice(level.value, level.label) for level in Urgency]


class AskForm(FlaskForm):
    """Asking the neighbours for help (the desk chooses for which resident)."""

    requester = SelectField(_l("For which resident"), coerce=str, validate_choice=True)
    kind = RadioField(
        _l("What do you need?"),
        choices=kind_choices,
        validators=[DataRequired(_l("Choose what you need."))],
    )
    day = DateField(_l("Day"), validators=[DataRequired(_l("Choose a day.")), day_in_range])
    start = TimeField(_l("From"), validators=[DataRequired(_l("Choose a start time."))])
    end = TimeField(_l("Until"), validators=[DataRequired(_l("Choose an end time."))])
    urgency = RadioField(
        _l("How urgent is it?"),
        choices=urgency_choices,
        default="soon",
    )
    details = TextAreaField(
        _l("Details (the shopping list, what to repair…)"),
        validators=[Length(max=MAX_DETAILS)],
    )
    pharmacy = StringField(_l("Which pharmacy"), validators=[Length(max=MAX_PHARMACY)])
    consent = BooleanField(
        _l("I agree that the neighbour who helps and the concierge desk see which pharmacy.")
    )


class OfferForm(FlaskForm):
    """Offering a kind of help, and when."""

    kind = RadioField(
        _l("What can you do?"),
        choices=kind_choices,
        validators=[DataRequired(_l("Choose what you can do."))],
    )
    availability = StringField(
        _l("When (for example: Tuesday mornings, after school)"), validators=[Length(max=200)]
    )


class DoneForm(FlaskForm):
    """Saying it is done; the helper may say how long it took."""

    minutes = RadioField(
        _l("How long did it take?"),
        choices=[
            SelectChoice("15", _l("15 minutes")),
            SelectChoice("30", _l("30 minutes")),
            SelectChoice("60", _l("1 hour")),
            SelectChoice("90", _l("1 hour 30")),
            SelectChoice("120", _l("2 hours")),
            SelectChoice("180", _l("3 hours")),
            SelectChoice("240", _l("4 hours or more")),
        ],
        validators=[Optional()],
    )


class ThankForm(FlaskForm):
    """Thanking the helper, with a word if one wishes."""

    note = TextAreaField(_l("A word of thanks (optional)"), validators=[Length(max=MAX_THANKS)])


class ProposeForm(FlaskForm):
    """The desk choosing a neighbour to ask (choices set by the page)."""

    neighbour = SelectField(
        _l("Neighbour who offers this help"),
        coerce=str,
        choices=[],
        validate_choice=False,  # the service checks the neighbour; the field, the number
        validators=[id_choice],
    )


class ShowThanksForm(FlaskForm):
    """The helper's consent to show their thanks and hours."""

    show = BooleanField(_l("Show my thanks and hours given to the neighbours"))
