"""Forms of the concierge desk: tickets, parcels, the logbook and visits."""

from __future__ import annotations

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

from concierge.desk import logbook, parcels, tickets
from concierge.desk.models import VisitKind

PLACES = [
    SelectChoice("home", _l("In my home")),
    SelectChoice("common", _l("In the common areas (hall, lift, stairs, car park…)")),
]


class TicketForm(FlaskForm):
    category = RadioField(
        _l("What is the problem about?"),
        choices=[SelectChoice(c.value, label) for c, (_icon, label) in tickets.CATEGORIES.items()],
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
    resident = SelectField(
        _l("For which resident?"),
        coerce=str,
        validators=[DataRequired(_l("Please choose the resident this report is for."))],
    )


class StatusForm(FlaskForm):
    status = SelectField(
        _l("New step"),
        choices=[SelectChoice(s.value, label) for s, label in tickets.STATUSES.items()],
        validators=[DataRequired()],
    )
    message = TextAreaField(
        _l("Message to the resident (for a resolution: what was done)"),
        validators=[Length(max=2000)],
    )


class PriorityForm(FlaskForm):
    priority = SelectField(
        _l("Priority"),
        choices=[SelectChoice(p.value, label) for p, label in tickets.PRIORITIES.items()],
    )


class AssigneeForm(FlaskForm):
    assignee = SelectField(_l("Who handles it"), coerce=str)


class ReplyForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(_l("Please write a message.")), Length(max=2000)],
    )
    internal = BooleanField(_l("Internal note: the resident will not see it"))


class RatingForm(FlaskForm):
    rating = RadioField(
        _l("How was the help?"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        validators=[DataRequired(_l("Please choose from 1 to 5 stars."))],
    )
    comment = TextAreaField(_l("A comment (optional)"), validators=[Length(max=1000)])


class ParcelForm(FlaskForm):
    carrier = StringField(_l("Carrier"), validators=[Length(max=80)])
    size = RadioField(
        _l("Size"),
        choices=[SelectChoice(s.value, label) for s, label in parcels.SIZES.items()],
        default="small",
    )
    note = StringField(_l("Note (optional)"), validators=[Length(max=200)])


class HandOverForm(FlaskForm):
    collected_by = SelectField(_l("Collected by"), coerce=str)
    collected_by_name = StringField(
        _l("Or the name of the person who collected it"), validators=[Length(max=120)]
    )


class LogbookForm(FlaskForm):
    kind = RadioField(
        _l("Kind of intervention"),
        choices=[SelectChoice(k.value, logbook.KINDS[k][1]) for k in logbook.STAFF_KINDS],
        validators=[DataRequired(_l("Please choose one of the kinds shown."))],
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give a title.")), Length(max=200)]
    )
    happened_on = DateField(
        _l("Date"), validators=[DataRequired(_l("Please give the date of the intervention."))]
    )
    body = TextAreaField(_l("What was done"), validators=[Length(max=5000)])
    documents = MultipleFileField(_l("Documents: photos or PDF (optional)"))


class VisitForm(FlaskForm):
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
    day = DateField(_l("Day"), validators=[DataRequired(_l("Choose a day."))])
    start = TimeField(_l("From"), validators=[DataRequired(_l("Choose a start time."))])
    end = TimeField(_l("Until"), validators=[DataRequired(_l("Choose an end time."))])
    note = StringField(_l("Note for the desk (optional)"), validators=[Length(max=300)])


class DwellingSearch(FlaskForm):
    """The dwellings list's search box (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    q = StringField(_l("Flat number or resident's name"), validators=[Optional(), Length(max=60)])
