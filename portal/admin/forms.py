"""Forms of the staff pages for onboarding residents and managing people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.people.models import DwellingType

NEW_DWELLING = "new"


class MultiCheckboxField(SelectMultipleField):
    """Several choices, each a checkbox."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def language_choices() -> list[SelectChoice]:
    return [
        SelectChoice("fr", _l("French")),
        SelectChoice("en", _l("English")),
        SelectChoice("ar", _l("Arabic")),
    ]


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, kind.value) for kind in DwellingType]


class NamedForm(FlaskForm):
    """A new person's first and last name, both needed (the form's first fields)."""

    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(_l("Please type the first name.")), Length(max=100)],
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(_l("Please type the last name.")), Length(max=100)],
    )


class NewResidentForm(NamedForm):
    birth_year = StringField(_l("Birth year (for example 1942)"), validators=[Length(max=4)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    language = SelectField(_l("Language"), choices=language_choices(), default="fr")
    dwelling = SelectField(_l("Dwelling"), coerce=str, validate_choice=True)
    number = StringField(_l("New dwelling: number"), validators=[Length(max=20)])
    floor = StringField(
        _l("New dwelling: floor (0 for the ground floor)"), validators=[Length(max=3)]
    )
    kind = SelectField(_l("New dwelling: type"), choices=kind_choices(), default="T2")
    easy_read = BooleanField(_l("Easy-to-read pages (short sentences, pictures)"))


class ImportUploadForm(FlaskForm):
    file = FileField(_l("The CSV file"))


class ImportConfirmForm(FlaskForm):
    content = HiddenField()
    signature = HiddenField()


class RoleForm(FlaskForm):
    role = RadioField(_l("New role"), coerce=str, validators=[DataRequired(_l("Choose a role."))])


class MoveForm(FlaskForm):
    dwelling = SelectField(_l("To the dwelling"), coerce=str, validate_choice=False)
    who = RadioField(
        _l("Who moves"),
        choices=[
            SelectChoice("one", _l("Only this person")),
            SelectChoice("household", _l("Everyone of the dwelling")),
        ],
        default="one",
    )


WEEKDAY_LABELS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
TIME_ZONES = (
    "Europe/Paris",
    "Europe/Brussels",
    "Europe/Luxembourg",
    "Europe/Zurich",
    "Indian/Reunion",
    "America/Martinique",
    "America/Guadeloupe",
    "America/Cayenne",
    "Indian/Mayotte",
    "Pacific/Noumea",
    "Pacific/Tahiti",
    "Europe/London",
    "UTC",
)


def hour_choices() -> list[SelectChoice]:
    return [SelectChoice(str(h), f"{h:02d}:00") for h in range(25)]


class BuildingForm(FlaskForm):
    """A building's name, address, time zone and the desk's hours."""

    name = StringField(
        _l("Name of the building"),
        validators=[DataRequired(_l("Give the building a name.")), Length(max=200)],
    )
    address = StringField(_l("Address"), validators=[Length(max=300)])
    time_zone = SelectField(
        _l("Time zone"), choices=[SelectChoice(z, z) for z in TIME_ZONES], default="Europe/Paris"
    )
    concierge_phone = StringField(_l("The desk's phone"), validators=[Length(max=40)])
    concierge_hours = StringField(
        _l("The desk's hours, as residents read them (for example: 9 h–17 h)"),
        validators=[Length(max=200)],
    )
    desk_opens = SelectField(_l("The desk opens at"), choices=hour_choices(), default="8")
    desk_closes = SelectField(_l("The desk closes at"), choices=hour_choices(), default="18")
    desk_days = MultiCheckboxField(
        _l("The desk is open on"),
        choices=[SelectChoice(str(i), label) for i, label in enumerate(WEEKDAY_LABELS)],
        default=["0", "1", "2", "3", "4"],
    )


class DwellingForm(FlaskForm):
    number = StringField(
        _l("Dwelling number"),
        validators=[DataRequired(_l("Type the dwelling's number.")), Length(max=20)],
    )
    floor = StringField(_l("Floor (0 for the ground floor)"), validators=[Length(max=3)])
    kind = SelectField(_l("Type"), choices=kind_choices(), default="T2")


class InviteStaffForm(NamedForm):
    email = EmailField(
        _l("Email"), validators=[DataRequired(_l("Please type the email.")), Length(max=254)]
    )
    role = RadioField(
        _l("Role"),
        choices=[
            SelectChoice("coordinator", _l("Coordinator")),
            SelectChoice("concierge", _l("Concierge")),
            SelectChoice("manager", _l("Manager")),
        ],
        default="coordinator",
        validators=[DataRequired(_l("Choose a role."))],
    )
    language = SelectField(_l("Language of the mails"), choices=language_choices(), default="fr")
