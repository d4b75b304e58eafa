"""Messaging forms (pages without JavaScript still work through these)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget


class MessageForm(FlaskForm):
    """The composer, for pages without JavaScript."""

    client_id = HiddenField()
    body = TextAreaField(
        _l("Your message"),
        validators=[DataRequired(_l("The message is empty.")), Length(max=2000)],
    )


class GroupForm(FlaskForm):
    """A new group: its name and members."""

    title = StringField(
        _l("Name of the group"),
        validators=[DataRequired(_l("Give the group a name.")), Length(max=120)],
    )
    members = SelectMultipleField(
        _l("Who is in it?"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
