"""Forms of the family circle: invite, choose what a relative sees, join, log in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, StringField, TelField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from messaging.family.models import InviteChannel


class InviteForm(FlaskForm):
    """Who to invite and how to send the link; the service checks every field."""

    first_name = StringField(_l("First name"), validators=[Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Length(max=100)])
    relation = StringField(
        _l("Who is this person for you? (for example: my daughter)"),
        validators=[Optional(), Length(max=60)],
    )
    channel = RadioField(
        _l("Send the invitation"),
        choices=[SelectChoice(c.value, c.label) for c in InviteChannel],
        default=InviteChannel.EMAIL.value,
    )
    email = EmailField(_l("Email address"), validators=[Optional(), Length(max=254)])
    phone = TelField(_l("Mobile phone number"), validators=[Optional(), Length(max=30)])
    consent = BooleanField(_l("The resident agreed to invite this person."))


class VisibilityForm(FlaskForm):
    """What one relative may see beyond the conversation."""

    activities = BooleanField(_l("The activities I am going to"))
    check_in = BooleanField(_l("Whether I checked in today"))


class EmergencyForm(FlaskForm):
    """Name the relative one of the resident's emergency contacts, or stop."""

    consent = BooleanField(_l("The resident agreed."))


class JoinForm(FlaskForm):
    """The relative's first visit: their name, email and how they log in."""

    first_name = StringField(_l("First name"), validators=[Optional(), Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Optional(), Length(max=100)])
    email = EmailField(_l("Email address"), validators=[Optional(), Length(max=254)])
    method = RadioField(
        _l("How do you want to log in?"),
        choices=[
            SelectChoice("link", _l("Send me a login link by email each time")),
            SelectChoice("password", _l("With a password")),
        ],
        default="link",
    )
    password = PasswordField(_l("Password (12 characters at least)"), validators=[Optional()])
    confirm = PasswordField(_l("The same password again"), validators=[Optional()])


class LoginForm(FlaskForm):
    """A relative logs in with their email, and their password or a login link."""

    email = EmailField(_l("Email address"), validators=[Length(max=254)])
    password = PasswordField(_l("Password"), validators=[Optional()])
