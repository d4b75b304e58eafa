"""The erasure confirmation form, a resident's request and a manager's refusal."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length


class EraseForm(FlaskForm):
    """The manager types the person's full name to confirm an erasure."""

    # The name is compared in the service, so a mismatch gets one clear message.
    confirm_name = StringField(_l("Type the person's full name"), validators=[Length(max=210)])


class AskErasureForm(FlaskForm):
    """A resident confirms they want their account erased (the button is the whole form)."""


class DeclineErasureForm(FlaskForm):
    """A manager declines a resident's request and says why."""

    # Checked in the service (empty or too long), so the resident-facing rule lives in one place.
    reason = TextAreaField(_l("Why you decline (the resident reads this)"))
