"""Forms of the announcements: writing or correcting one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, Length, Optional

from messaging.announcements.service import MAX_BODY, MAX_TITLE
from portal.validation import day_in_range


class AnnouncementForm(FlaskForm):
    """Writing or correcting an announcement."""

    building = SelectField(_l("Building"), coerce=str, choices=[], validate_choice=False)
    title = StringField(
        _l("Title (for example: Heatwave warning)"),
        validators=[DataRequired(_l("Write a title.")), Length(max=MAX_TITLE)],
    )
    body = TextAreaField(
        _l("Text"),
        validators=[DataRequired(_l("Write the text of the announcement.")), Length(max=MAX_BODY)],
    )
    photo = FileField(_l("A photo (optional)"))
    remove_photo = BooleanField(_l("Remove the photo"))
    pinned = BooleanField(_l("Pin it: shown first, and on the residents' home screen"))
    until_day = DateField(
        _l("Shown until (day, optional)"),
        validators=[Optional(), day_in_range],
    )
    until_time = TimeField(_l("At (time, optional)"), validators=[Optional()])
