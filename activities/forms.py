"""Activity forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from activities.models import ActivityCategory, Audience
from portal.validation import day_in_range


class SignupForm(FlaskForm):
    """Join an occurrence, with guests, choosing whether the others see one's first name."""

    guests = RadioField(
        _l("Guests coming with you"),
        choices=[SelectChoice(str(n), str(n)) for n in range(5)],
        default="0",
    )
    show_name = BooleanField(_l("Show my first name to the others going"), default=True)


class ActivityForm(FlaskForm):
    """Plan an activity, once or repeating."""

    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give a title.")), Length(max=120)]
    )
    category = RadioField(_l("Kind of activity"), default=ActivityCategory.OTHER.value)
    audience = RadioField(_l("For whom"), default=Audience.EVERYONE.value)
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    place = StringField(_l("Place"), validators=[Length(max=200)])
    room = SelectField(_l("Common room"), coerce=str, default="", validate_choice=True)
    day = DateField(_l("Day"), validators=[DataRequired(_l("Choose a day.")), day_in_range])
    start = TimeField(_l("Start"), validators=[DataRequired(_l("Choose a start time."))])
    end = TimeField(_l("End"), validators=[DataRequired(_l("Choose an end time."))])
    capacity = IntegerField(
        _l("Places (leave empty for no limit)"),
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    recurrence = RadioField(
        _l("Repeat"),
        choices=[
            SelectChoice("none", _l("Once")),
            SelectChoice("weekly", _l("Every week")),
            SelectChoice("monthly", _l("Every month")),
        ],
        default="none",
    )
    repeat_until = DateField(_l("Repeat until"), validators=[Optional(), day_in_range])
    photo = FileField(_l("A photo (optional)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels in the page's language: read per form, not once at import.
        self.category.choices = [SelectChoice(c.value, c.label) for c in ActivityCategory]
        self.audience.choices = [SelectChoice(a.value, a.label) for a in Audience]


class ProposalForm(FlaskForm):
    """A resident proposes an activity for one day."""

    title = StringField(_l("What"), validators=[DataRequired(_l("Give a title.")), Length(max=120)])
    description = TextAreaField(_l("A few words about it"), validators=[Length(max=2000)])
    place = StringField(_l("Where"), validators=[Length(max=200)])
    day = DateField(_l("Day"), validators=[DataRequired(_l("Choose a day.")), day_in_range])
    start = TimeField(_l("Start"), validators=[DataRequired(_l("Choose a start time."))])
    end = TimeField(_l("End"), validators=[DataRequired(_l("Choose an end time."))])


class RoomForm(FlaskForm):
    """Add a common room with its hours and limits."""

    name = StringField(
        _l("Name of the room"), validators=[DataRequired(_l("Give a name.")), Length(max=120)]
    )
    capacity = IntegerField(
        _l("How many people"), default=20, validators=[DataRequired(), NumberRange(min=1, max=500)]
    )
    opens_at = TimeField(_l("Opens at"), validators=[DataRequired(_l("Choose a time."))])
    closes_at = TimeField(_l("Closes at"), validators=[DataRequired(_l("Choose a time."))])
    max_minutes = IntegerField(
        _l("Longest booking, in minutes"),
        default=180,
        validators=[DataRequired(), NumberRange(min=15, max=1440)],
    )
    needs_approval = BooleanField(_l("Bookings need staff approval"))


class BookingForm(FlaskForm):
    """Book a common room for part of a day."""

    day = DateField(_l("Day"), validators=[DataRequired(_l("Choose a day.")), day_in_range])
    start = TimeField(_l("Start"), validators=[DataRequired(_l("Choose a start time."))])
    end = TimeField(_l("End"), validators=[DataRequired(_l("Choose an end time."))])
    purpose = StringField(_l("What for (optional)"), validators=[Length(max=200)])


class EditForm(FlaskForm):
    """Change one date of an activity, or it and the following ones."""

    scope = RadioField(
        _l("What to change"),
        choices=[
            SelectChoice("one", _l("This date only")),
            SelectChoice("series", _l("This date and all the following ones")),
        ],
        default="one",
    )
    title = StringField(
        _l("Title"), validators=[DataRequired(_l("Give a title.")), Length(max=120)]
    )
    description = TextAreaField(_l("Description"), validators=[Length(max=2000)])
    place = StringField(_l("Place"), validators=[Length(max=200)])
    start = TimeField(_l("Start"), validators=[DataRequired(_l("Choose a start time."))])
    end = TimeField(_l("End"), validators=[DataRequired(_l("Choose an end time."))])
    capacity = IntegerField(
        _l("Places (leave empty for no limit)"),
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
