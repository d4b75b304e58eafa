"""Forms of the staff pages for onboarding residents and managing people."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.people.models import DwellingType

NEW_DWELLING = "new"


def language_choices() -> list[SelectChoice]:
    return [
        SelectChoice("fr", _l("French")),
        SelectChoice("en", _l("English")),
        SelectChoice("ar", _l("Arabic")),
    ]


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind.value, kind.value) for kind in DwellingType]


class NewResidentForm(FlaskForm):
    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(_l("Please type the first name.")), Length(max=100)],
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(_l("Please type the last name.")), Length(max=100)],
    )
    birth_year = StringField(_l("Birth year (for example 1942)"), validators=[Length(max=4)])
    phone = StringField(_l("Phone"), validators=[Length(max=40)])
    language = SelectField(_l("Language"), choices=language_choices(), default="fr")
    dwelling = SelectField(_l("Dwelling"), coerce=str, validate_choice=True)
    number = StringField(_l("New dwelling: number"), validators=[Length(max=20)])
    floor = StringField(
        _l("New dwelling: floor (0 for the ground floor)"), validators=[Length(max=3)]
    )
    kind = SelectField(_l("New dwelling: type"), choices=kind_choices(), default="T2")


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
