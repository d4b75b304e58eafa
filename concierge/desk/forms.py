"""Forms of the concierge desk: tickets, parcels, the logbook and visits."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
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

from concierge.desk import logbook
from concierge.desk.models import ParcelSize, Priority, TicketCategory, TicketStatus, VisitKind
from portal.enums import LabelledEnum
from portal.validation import day_in_range, id_choice


def labelled_choices(
    members: Iterable[LabelledEnum],
) -> Callable[[], list[SelectChoice]]:
    """Choices read when a form is built, so their labels are in the reader's language."""
    return lambda: [SelectChoice(member.value, member.label) for member in members]


PLACES = [
    SelectChoice("home", _l("In my home")),
    SelectChoice("common", _l("In the common areas (hall, lift, stairs, car park…)")),
]


class TicketForm(FlaskForm):
    """A resident reports a problem: what, where, a description and photos."""

    category = RadioField(
        _l("What is the problem about?"),
        choices=labelled_choices(TicketCategory),
        validators=[DataRequired(_l("Please choose one of the kinds of problem shown."))],
    )
    place = RadioField(_l("Where?"), choices=PLACES, default="home")
    description = TextAreaField(
        _l("Describe the problem"),
        validators=[
            DataRequired(_l("Please describe the problem in a few words.")),
            Length(max=2000),
        ],
    )
    photos = MultipleFileField(_l("Photos (up to 3, optional)"))


class StaffTicketForm(TicketForm):
    """Staff report a problem for one of their residents."""

    resident = SelectField(
        _l("For which resident?"),
        coerce=str,
        validators=[DataRequired(_l("Please choose the resident this report is for."))],
    )


class StatusForm(FlaskForm):
    """Staff move a ticket to its next step, with a message to the resident."""

    status = SelectField(
        _l("New step"),
        choices=labelled_choices(TicketStatus),
        validators=[DataRequired()],
    )
    message = TextAreaField(
        _l("Message to the resident (for a resolution: what was done)"),
        validators=[Length(max=2000)],
    )


class PriorityForm(FlaskForm):
    """Staff set how soon a ticket must be handled."""

    priority = SelectField(
        _l("Priority"),
        choices=labelled_choices(Priority),
    )


class AssigneeForm(FlaskForm):
    """Staff give a ticket to a member of the staff (choices filled by the page)."""

    assignee = SelectField(_l("Who handles it"), coerce=str, validators=[id_choice])


class ReplyForm(FlaskForm):
    """A public reply, or for staff an internal note."""

    body = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(_l("Please write a message.")), Length(max=2000)],
    )
    internal = BooleanField(_l("Internal note: the resident will not see it"))


class RatingForm(FlaskForm):
    """The reporter rates the help once the problem is resolved."""

    rating = RadioField(
        _l("How was the help?"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        validators=[DataRequired(_l("Please choose from 1 to 5 stars."))],
    )
    comment = TextAreaField(_l("A comment (optional)"), validators=[Length(max=1000)])


class ParcelForm(FlaskForm):
    """Staff log a parcel for a dwelling."""

    carrier = StringField(_l("Carrier"), validators=[Length(max=80)])
    size = RadioField(
        _l("Size"),
        choices=labelled_choices(ParcelSize),
        default="small",
    )
    note = StringField(_l("Note (optional)"), validators=[Length(max=200)])


class HandOverForm(FlaskForm):
    """Staff record who collected a parcel (choices filled by the page)."""

    collected_by = SelectField(_l("Collected by"), coerce=str, validators=[id_choice])
    collected_by_name = StringField(
        _l("Or the name of the person who collected it"), validators=[Length(max=120)]
    )


class LogbookForm(FlaskForm):
    """Staff write an intervention in a dwelling's logbook, with documents."""

    kind = RadioField(
        _l("Kind of intervention"),
        choices=labelled_choices(logbook.STAFF_KINDS),
        validators=[DataRequired(_l("Please choose one of the kinds shown."))],
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give a title.")), Length(max=200)]
    )
    happened_on = DateField(
        _l("Date"),
        validators=[DataRequired(_l("Please give the date of the intervention.")), day_in_range],
    )
    body = TextAreaField(_l("What was done"), validators=[Length(max=5000)])
    documents = MultipleFileField(_l("Documents: photos or PDF (optional)"))


class VisitForm(FlaskForm):
    """A resident tells the desk who may enter or is expected, and when."""

    kind = RadioField(
        _l("What do you want to tell the desk?"),
        choices=[
            SelectChoice(
                VisitKind.ENTRY_PERMISSION.value, _l("A contractor may enter while I am away")
            ),
            SelectChoice(VisitKind.VISITOR.value, _l("I am expecting a visitor")),
        ],
        default=VisitKind.VISITOR.value,
    )
    visitor = StringField(
        _l("Who is coming"),
        validators=[DataRequired(_l("Please say who is coming.")), Length(max=120)],
    )
    day = DateField(_l("Day"), validators=[DataRequired(_l("Choose a day.")), day_in_range])
    start = TimeField(_l("From"), validators=[DataRequired(_l("Choose a start time."))])
    end = TimeField(_l("Until"), validators=[DataRequired(_l("Choose an end time."))])
    note = StringField(_l("Note for the desk (optional)"), validators=[Length(max=300)])


class DwellingSearch(FlaskForm):
    """The dwellings list's search box (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    q = StringField(_l("Flat number or resident's name"), validators=[Optional(), Length(max=60)])
