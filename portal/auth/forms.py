"""Login forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, Regexp


class StaffLoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Please type your email.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Please type your password."))]
    )


class PinForm(FlaskForm):
    pin = PasswordField(
        _l("Your 4-digit code"),
        validators=[
            DataRequired(_l("Please type your 4-digit code.")),
            Regexp(r"^[0-9]{4}$", message=_l("The code has exactly 4 digits.")),
        ],
    )


class SetPinForm(FlaskForm):
    pin = PasswordField(
        _l("New 4-digit code"),
        validators=[
            DataRequired(_l("Please type a 4-digit code.")),
            Regexp(r"^[0-9]{4}$", message=_l("The code has exactly 4 digits.")),
        ],
    )
    confirm = PasswordField(
        _l("The same code again"),
        validators=[DataRequired(_l("Please type the code a second time.")), Length(max=4)],
    )


class AccountLinkForm(FlaskForm):
    """Choosing a password from a one-time link (and, for an invitation, one's name)."""

    first_name = StringField(_l("First name"), validators=[Length(max=100)])
    last_name = StringField(_l("Last name"), validators=[Length(max=100)])
    password = PasswordField(
        _l("New password (12 characters at least)"),
        validators=[DataRequired(_l("Please type a password.")), Length(max=200)],
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[DataRequired(_l("Please type the password a second time.")), Length(max=200)],
    )


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Your email"),
        validators=[DataRequired(_l("Please type your email.")), Length(max=254)],
    )
