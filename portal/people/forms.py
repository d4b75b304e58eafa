"""Forms of the people package: a resident's profile."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from portal.people.service import PROFILE_LIMITS


class ProfileForm(FlaskForm):
    photo = FileField(_l("My photo (optional)"))
    display_name = StringField(
        _l("The first name my neighbours see"),
        validators=[Length(max=PROFILE_LIMITS["display_name"])],
    )
    languages = StringField(
        _l("Languages I speak"), validators=[Length(max=PROFILE_LIMITS["languages"])]
    )
    interests = StringField(
        _l("What I like (gardening, cards, music…)"),
        validators=[Length(max=PROFILE_LIMITS["interests"])],
    )
    can_help_with = StringField(
        _l("I can help with…"), validators=[Length(max=PROFILE_LIMITS["can_help_with"])]
    )
    in_directory = BooleanField(_l("Show me in the neighbours directory"))
