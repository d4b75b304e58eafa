"""Forms of the referrals: the partner's referral, the coordinator's answer, an invitation.

Choices are checked by the service (its message shows beside the field), not by WTForms,
whose own refusal says only "Not a valid choice"."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from portal.referrals.models import ConcernKind, PartnerKind, ReferralStatus, Urgency
from portal.referrals.service import MAX_NAME, MAX_NOTE, MAX_ORGANISATION, MAX_TEXT


def enum_choices(
    members: type[ConcernKind | Urgency | ReferralStatus | PartnerKind],
) -> list[SelectChoice]:
    """Each member as a choice: its value, and its label read in the page's language."""
    return [SelectChoice(m.value, m.label) for m in members]


class ReferralForm(FlaskForm):
    """A partner's referral: the building, who (typed, never chosen from a list), what and
    how urgent."""

    building = SelectField(_l("Building"), choices=[], validate_choice=False)
    dwelling = StringField(
        _l("Flat number (leave empty if it is about the building)"),
        validators=[Length(max=20)],
    )
    resident_name = StringField(
        _l("The resident's name (optional)"), validators=[Length(max=MAX_NAME)]
    )
    concern = RadioField(_l("What is it about?"), choices=[], validate_choice=False)
    urgency = RadioField(_l("How urgent is it?"), choices=[], validate_choice=False)
    text = TextAreaField(
        _l("What did you notice? (a few words, no medical details)"),
        validators=[
            DataRequired(_l("Please say in a few words what you noticed.")),
            Length(max=MAX_TEXT),
        ],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.concern.choices = enum_choices(ConcernKind)
        self.urgency.choices = enum_choices(Urgency)


class AnswerForm(FlaskForm):
    """The coordinator's answer to the partner: a status and a short note."""

    status = RadioField(_l("Status"), choices=[], validate_choice=False)
    note = StringField(
        _l("A short note for the partner (optional)"), validators=[Length(max=MAX_NOTE)]
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = enum_choices(ReferralStatus)


class ConsentForm(FlaskForm):
    """The coordinator records that the resident agreed."""

    consent = BooleanField(
        _l("The resident agreed that we tell the partner how their referral is going"),
        validators=[DataRequired(_l("Tick the box once the resident has agreed."))],
    )


class InviteForm(FlaskForm):
    """A coordinator or manager invites a partner by email."""

    first_name = StringField(
        _l("First name"), validators=[DataRequired(_l("Type the first name.")), Length(max=100)]
    )
    last_name = StringField(
        _l("Last name"), validators=[DataRequired(_l("Type the last name.")), Length(max=100)]
    )
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(_l("Type the email address.")), Length(max=254)],
    )
    kind = RadioField(_l("Kind of partner"), choices=[], validate_choice=False)
    organisation = StringField(
        _l("Organisation"),
        validators=[DataRequired(_l("Type the organisation.")), Length(max=MAX_ORGANISATION)],
    )
    buildings = SelectMultipleField(_l("Buildings"), choices=[], coerce=int, validate_choice=False)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = enum_choices(PartnerKind)
