"""Login forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
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
