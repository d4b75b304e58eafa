"""Forms of residents' voice (each carries its CSRF token)."""

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
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from activities.voice.icons import ANSWER_ICONS
from activities.voice.models import IdeaKind, IdeaStatus
from activities.voice.service import MAX_CHOICES
from portal.validation import day_in_range


class PollForm(FlaskForm):
    """One question, 2 to 6 answers each with a pictogram, an end day, anonymous or named."""

    question = StringField(
        _l("The question"),
        validators=[DataRequired(_l("Write the question.")), Length(max=200)],
    )
    closes_on = DateField(
        _l("Last day to answer"),
        validators=[DataRequired(_l("Choose a day.")), day_in_range],
    )
    anonymous = RadioField(
        _l("Who sees the answers"),
        choices=[
            SelectChoice("1", _l("Anonymous: nobody sees who answered what")),
            SelectChoice("0", _l("Named: the staff see who answered what")),
        ],
        default="1",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [SelectChoice(name, label) for name, label in ANSWER_ICONS.items()]
        for index in range(MAX_CHOICES):
            getattr(self, f"icon_{index}").choices = choices

    def answers(self) -> list[tuple[str, str]]:
        """(label, icon) of each answer row, empty rows included (the service skips them)."""
        return [
            (
                getattr(self, f"label_{i}").data or "",
                getattr(self, f"icon_{i}").data or "",
            )
            for i in range(MAX_CHOICES)
        ]

    def answer_rows(self) -> list[tuple[Any, Any]]:
        return [
            (getattr(self, f"label_{i}"), getattr(self, f"icon_{i}")) for i in range(MAX_CHOICES)
        ]


for _index in range(MAX_CHOICES):
    setattr(
        PollForm,
        f"label_{_index}",
        StringField(_l("Answer %(n)s", n=_index + 1), validators=[Length(max=60)]),
    )
    setattr(
        PollForm,
        f"icon_{_index}",
        RadioField(
            _l("Picture for answer %(n)s", n=_index + 1),
            validators=[Optional()],
            validate_choice=False,  # the service checks it is one of the pictograms offered
        ),
    )


class VoteForm(FlaskForm):
    """One tap: the answer chosen (a button's value)."""

    choice = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=2**31 - 1)])


class SettingsForm(FlaskForm):
    residents_may_ask = BooleanField(_l("Residents may ask the building a question"))


class IdeaForm(FlaskForm):
    """An idea or an observation, in the resident's words, with a photo if wanted."""

    kind = RadioField(_l("What do you want to share?"), default=IdeaKind.IDEA.value)
    text = TextAreaField(
        _l("Say it in your words"),
        validators=[DataRequired(_l("Write a few words.")), Length(max=1000)],
    )
    about_person = BooleanField(_l("It is about a person. Only the coordinator reads it."))
    photo = FileField(_l("A photo (if you want)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, k.label) for k in IdeaKind]


class AnswerForm(FlaskForm):
    """The coordinator's public answer to an idea."""

    status = RadioField(_l("Where the idea stands"))
    answer = TextAreaField(
        _l("Your answer (needed when the idea is not kept)"), validators=[Length(max=500)]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice(s.value, s.label) for s in IdeaStatus]


class MeetingForm(FlaskForm):
    """A building meeting: an activity of kind "meeting" with its agenda."""

    title = StringField(
        _l("Title"),
        default=_l("Building meeting"),
        validators=[DataRequired(_l("Give a title.")), Length(max=120)],
    )
    day = DateField(_l("Day"), validators=[DataRequired(_l("Choose a day.")), day_in_range])
    start = TimeField(_l("Start"), validators=[DataRequired(_l("Choose a start time."))])
    end = TimeField(_l("End"), validators=[DataRequired(_l("Choose an end time."))])
    place = StringField(_l("Place"), validators=[Length(max=200)])
    capacity = IntegerField(
        _l("Places (leave empty for no limit)"),
        validators=[Optional(), NumberRange(min=1, max=1000)],
    )
    notes = TextAreaField(_l("Other points of the agenda"), validators=[Length(max=2000)])


class MinutesForm(FlaskForm):
    minutes = TextAreaField(_l("Minutes of the meeting"), validators=[Length(max=20000)])


class DecisionForm(FlaskForm):
    text = StringField(
        _l("What was decided"),
        validators=[DataRequired(_l("Write the decision.")), Length(max=500)],
    )
    who = StringField(_l("Who does it"), validators=[Length(max=120)])
    due_on = DateField(_l("By when"), validators=[Optional(), day_in_range])
