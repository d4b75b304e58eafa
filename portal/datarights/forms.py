"""The erasure confirmation form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length


class EraseForm(FlaskForm):
    """The manager types the person's full name to confirm an erasure."""

    # The name is compared in the service, so a mismatch gets one clear message.
    confirm_name = StringField(_l("Type the person's full name"), validators=[Length(max=210)])
