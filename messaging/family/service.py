"""The family circle: a resident (or their coordinator, with the resident's agreement)
invites relatives by email or text message; a relative opens the one-time link, sets up an
account and then talks with the resident through the same messaging as everyone, and sees
what the resident chose to show (their activities, today's check-in). Nothing else.

Like every service, this module adds and flushes; the request commits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from activities import service as activities
from messaging.family.models import FamilyGroup, FamilyLink, InviteChannel
from messaging.models import Conversation, ConversationKind, Membership
from portal import mail, realtime
from portal.alerts import channels
from portal.audit import service as audit
from portal.auth import links
from portal.auth.models import AccountLink, LinkPurpose
from portal.auth.service import do_end_sessions, do_set_password, verify_secret
from portal.db import begin_write, utcnow
from portal.errors import Conflict, Invalid, NotFound
from portal.extensions import db
from portal.people import service as people
from portal.people.models import Person, Role
from portal.transaction import after_commit
from portal.validation import clean_text
from portal.wellbeing import contacts
from portal.wellbeing import service as wellbeing

log = logging.getLogger(__name__)

MAX_CIRCLE = 12
MAX_NAME = 100
MAX_RELATION = 60
EVENT_CIRCLE = "family.circle_changed"
ACTIVITY_DAYS = 14
LINK_GONE = links.LINK_GONE


# Reading the circle ---------------------------------------------------------------------


def in_circle(resident_id: int, relative_id: int) -> bool:
    """Whether the relative accepted the resident's invitation and is still in the circle
    (the one rule other domains ask, e.g. whether the two may call each other)."""
    stmt = select(FamilyLink.id).where(
        FamilyLink.resident_id == resident_id,
        FamilyLink.relative_id == relative_id,
        FamilyLink.accepted_at.is_not(None),
    )
    return db.session.scalar(stmt) is not None


def list_circle(resident_id: int) -> list[FamilyLink]:
    """The resident's relatives, invited or joined, in the order they were invited."""
    stmt = select(FamilyLink).where(FamilyLink.resident_id == resident_id).order_by(FamilyLink.id)
    return list(db.session.scalars(stmt))


def list_residents_of(relative: Person) -> list[FamilyLink]:
    """The residents whose circle the relative joined."""
    stmt = (
        select(FamilyLink)
        .where(FamilyLink.relative_id == relative.id, FamilyLink.accepted_at.is_not(None))
        .order_by(FamilyLink.id)
    )
    return list(db.session.scalars(stmt))


def relative_ids_of(resident_id: int) -> list[int]:
    """The relatives who joined the resident's circle."""
    stmt = select(FamilyLink.relative_id).where(
        FamilyLink.resident_id == resident_id, FamilyLink.accepted_at.is_not(None)
    )
    return list(db.session.scalars(stmt))


def family_group_id(resident_id: int) -> int | None:
    """The resident's family group conversation, once there is one."""
    group = db.session.get(FamilyGroup, resident_id)
    return group.conversation_id if group is not None else None


# Access ---------------------------------------------------------------------------------


def may_manage(actor: Person, resident: Person) -> bool:
    """The resident themselves, or a coordinator of the resident's building."""
    if resident.role != Role.RESIDENT or not resident.active:
        return False
    if actor.id == resident.id:
        return True
    return (
        actor.role == Role.COORDINATOR
        and resident.building_id is not None
        and resident.building_id in people.building_ids_for(actor)
    )


def access_resident(actor: Person, resident_id: int) -> Person:
    """A resident whose circle `actor` may manage, or not found."""
    resident = db.session.get(Person, resident_id)
    if resident is None or not may_manage(actor, resident):
        raise NotFound(_("This person does not exist."))
    return resident


def access_link(actor: Person, link_id: int) -> FamilyLink:
    """A circle entry `actor` may manage (the resident's own, or their coordinator's)."""
    link = db.session.get(FamilyLink, link_id)
    if link is None or not may_manage(actor, link.resident):
        raise NotFound(_("This person is not in the circle."))
    return link


def access_resident_as_relative(relative: Person, resident_id: int) -> FamilyLink:
    """The relative's link to a resident whose circle they joined, or not found."""
    stmt = select(FamilyLink).where(
        FamilyLink.resident_id == resident_id,
        FamilyLink.relative_id == relative.id,
        FamilyLink.accepted_at.is_not(None),
    )
    link = db.session.scalars(stmt).first()
    if link is None or relative.role != Role.RELATIVE:
        raise NotFound(_("This person does not exist."))
    return link


# Checks ---------------------------------------------------------------------------------


def check_name(value: Any, *, last: bool = False) -> str:
    """A first (or last) name: 1 to 100 characters."""
    text = clean_text(str(value or "")).strip()
    if not text or len(text) > MAX_NAME:
        message = (
            _("Write the last name (at most 100 characters).")
            if last
            else _("Write the first name (at most 100 characters).")
        )
        raise Invalid(message, "bad_name")
    return text


def check_relation(value: Any) -> str:
    """How the resident calls the relative ("my daughter"), optional, 60 characters."""
    text = clean_text(str(value or "")).strip()
    if len(text) > MAX_RELATION:
        raise Invalid(_("Write at most 60 characters."), "bad_relation")
    return text


def check_channel(value: Any) -> InviteChannel:
    try:
        return InviteChannel(str(value or ""))
    except ValueError:
        raise Invalid(_("Choose how to send the invitation."), "bad_channel") from None


@dataclass(frozen=True)
class Invitee:
    """Who is invited and how to reach them, checked."""

    first_name: str
    last_name: str
    relation: str
    channel: InviteChannel
    email: str | None
    phone: str | None


def check_invitee(
    first_name: Any, last_name: Any, relation: Any, channel: Any, email: Any, phone: Any
) -> Invitee:
    """Every field checked; the chosen channel needs its address."""
    chosen = check_channel(channel)
    email_ok = contacts.check_email(email)
    phone_ok = contacts.check_phone(phone)
    if chosen == InviteChannel.EMAIL and email_ok is None:
        raise Invalid(_("Write the email address."), "no_email")
    if chosen == InviteChannel.SMS and phone_ok is None:
        raise Invalid(_("Write the mobile phone number."), "no_phone")
    if chosen == InviteChannel.SMS and not channels.sms_enabled():
        raise Invalid(_("Text messages cannot be sent here. Use an email address."), "no_sms")
    return Invitee(
        check_name(first_name),
        check_name(last_name, last=True),
        check_relation(relation),
        chosen,
        email_ok,
        phone_ok,
    )


def _find_by_email(email: str) -> Person | None:
    stmt = select(Person).where(func.lower(Person.email) == email.strip().lower())
    return db.session.scalars(stmt).first()


# Inviting -------------------------------------------------------------------------------


def do_invite(
    actor: Person,
    resident_id: int,
    *,
    first_name: Any,
    last_name: Any,
    relation: Any = "",
    channel: Any = "email",
    email: Any = "",
    phone: Any = "",
    consent: bool = False,
) -> FamilyLink:
    """Invite a relative into the resident's circle and send them a one-time link (after
    the commit). A coordinator must tick that the resident agreed; it is recorded."""
    resident = access_resident(actor, resident_id)
    on_behalf = actor.id != resident.id
    if on_behalf and not consent:
        raise Invalid(_("Tick the box to confirm that the resident agreed."), "consent_needed")
    invitee = check_invitee(first_name, last_name, relation, channel, email, phone)
    begin_write(db.session)
    # One writer at a time per resident, so two invitations at once never pass the limit.
    db.session.execute(select(Person.id).where(Person.id == resident.id).with_for_update())
    count = db.session.scalar(
        select(func.count(FamilyLink.id)).where(FamilyLink.resident_id == resident.id)
    )
    if int(count or 0) >= MAX_CIRCLE:
        raise Conflict(_("The circle is full. Remove someone first."), "too_many")
    relative = _relative_for(resident, invitee)
    link = db.session.scalars(
        select(FamilyLink).where(
            FamilyLink.resident_id == resident.id, FamilyLink.relative_id == relative.id
        )
    ).first()
    if link is not None and link.is_active:
        raise Conflict(_("This person is already in the circle."), "already_in")
    now = utcnow()
    if link is None:
        link = FamilyLink(resident_id=resident.id, relative_id=relative.id)
        db.session.add(link)
    link.relation = invitee.relation
    link.channel = invitee.channel
    link.invited_by_id = actor.id
    link.consent_recorded_at = now if on_behalf else None
    db.session.flush()
    _send_invitation(link, actor)
    audit.record(
        "family.invited",
        actor=actor,
        subject=resident,
        object_type="family_link",
        object_id=link.id,
        building_id=resident.building_id,
        detail={"channel": invitee.channel.value, "on_behalf": on_behalf},
    )
    _tell_circle_changed(resident.id)
    return link


def _relative_for(resident: Person, invitee: Invitee) -> Person:
    """The relative's account: the one already made for this email, or a new one."""
    if invitee.email is not None:
        existing = _find_by_email(invitee.email)
        if existing is not None:
            if existing.role != Role.RELATIVE or existing.id == resident.id:
                raise Invalid(_("Use another email address for this person."), "email_taken")
            if not existing.active:
                existing.active = True
            if invitee.phone and not existing.phone:
                existing.phone = invitee.phone
            return existing
    relative = Person(
        organisation_id=resident.organisation_id,
        role=Role.RELATIVE,
        building_id=None,
        dwelling_id=None,
        first_name=invitee.first_name,
        last_name=invitee.last_name,
        email=invitee.email,
        phone=invitee.phone or "",
        locale=resident.locale,
        time_zone=resident.time_zone,
        in_directory=False,
        show_presence=True,
    )
    db.session.add(relative)
    db.session.flush()
    return relative


def do_resend(actor: Person, link_id: int) -> FamilyLink:
    """Send a pending invitation again (the earlier link stops working)."""
    link = access_link(actor, link_id)
    if link.is_active:
        raise Conflict(_("This person is already in the circle."), "already_in")
    _send_invitation(link, actor)
    return link


def _send_invitation(link: FamilyLink, actor: Person) -> None:
    """Issue the one-time link and send it once the transaction commits."""
    relative, resident = link.relative, link.resident
    token = links.do_issue_link(relative, LinkPurpose.FAMILY, actor)
    url = absolute_url("family.join", token=token)
    with force_locale(relative.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        if link.channel == InviteChannel.SMS:
            text = _(
                "%(name)s invites you to their family circle on Bon Voisin: %(url)s",
                name=resident.full_name,
                url=url,
            )
            phone = relative.phone
            after_commit(lambda: _send_sms(phone, text))
            return
        subject = _("%(name)s invites you to their family circle", name=resident.full_name)
        body = "\n".join(
            [
                _("Hello %(name)s,", name=relative.first_name),
                "",
                _(
                    "%(name)s invites you to their family circle on Bon Voisin, "
                    "the portal of their building.",
                    name=resident.full_name,
                ),
                _("You will be able to write to them and see their news."),
                _("Open this link to join (it works once, for 7 days):"),
                url,
            ]
        )
    mail.send_after_commit(mail.OutgoingMail(relative.email or "", subject, body))


def _send_sms(phone: str, text: str) -> None:
    delivery = channels.send_sms(phone, text)
    if not delivery.ok:
        log.warning("family invitation text message not delivered: %s", delivery.error)


def absolute_url(endpoint: str, **values: Any) -> str:
    """An address for a mail or a text (BV_BASE_URL when set: a command has no request)."""
    path = url_for(endpoint, **values)
    base = current_app.config.get("PORTAL_BASE_URL")
    if base:
        return base.rstrip("/") + path
    return url_for(endpoint, _external=True, **values)


# Joining --------------------------------------------------------------------------------


def check_token(token: str, purpose: LinkPurpose) -> AccountLink:
    """An unused, unexpired link of this purpose for an active relative."""
    link = links.find_link(token)
    if (
        link is None
        or link.purpose != purpose
        or link.used_at is not None
        or link.expires_at <= utcnow()
        or link.person.role != Role.RELATIVE
        or not link.person.active
    ):
        raise Invalid(str(LINK_GONE), "link_gone")
    return link


def check_invitation(token: str) -> AccountLink:
    return check_token(token, LinkPurpose.FAMILY)


def sms_enabled() -> bool:
    """Whether invitations may go by text message (an SMS gateway is configured)."""
    return channels.sms_enabled()


def is_set_up(relative: Person) -> bool:
    """Whether the relative already chose how to log in (joined some circle before)."""
    stmt = select(FamilyLink.id).where(
        FamilyLink.relative_id == relative.id, FamilyLink.accepted_at.is_not(None)
    )
    return db.session.scalar(stmt) is not None


def pending_residents(relative: Person) -> list[Person]:
    """The residents whose invitation the relative has not accepted yet."""
    stmt = select(FamilyLink).where(
        FamilyLink.relative_id == relative.id, FamilyLink.accepted_at.is_(None)
    )
    return [link.resident for link in db.session.scalars(stmt)]


def _claim(link: AccountLink) -> None:
    claimed = db.session.execute(
        update(AccountLink)
        .where(AccountLink.id == link.id, AccountLink.used_at.is_(None))
        .values(used_at=utcnow())
        .returning(AccountLink.id)
    ).first()
    if claimed is None:  # used by another request meanwhile
        raise Invalid(str(LINK_GONE), "link_gone")


def do_join(
    token: str,
    *,
    first_name: Any = "",
    last_name: Any = "",
    email: Any = "",
    use_password: bool = False,
    password: str = "",
    confirm: str = "",
) -> Person:
    """The relative opens the invitation: on the first time they set up the account (name,
    email, a password or a login link each time); every pending invitation is accepted and
    the conversations made. The link dies; the caller starts a new session."""
    begin_write(db.session)
    link = check_token(token, LinkPurpose.FAMILY)
    relative = link.person
    if not is_set_up(relative):
        relative.first_name = check_name(first_name)
        relative.last_name = check_name(last_name, last=True)
        address = contacts.check_email(email)
        if address is None:
            raise Invalid(_("Write your email address: it is how you log in."), "no_email")
        other = _find_by_email(address)
        if other is not None and other.id != relative.id:
            raise Invalid(_("Use another email address."), "email_taken")
        relative.email = address
        if use_password:
            if password != confirm:
                raise Invalid(str(links.PASSWORDS_DIFFER), "passwords_differ")
            do_set_password(relative, password)
        else:
            relative.password_hash = None
    _claim(link)
    accepted = _accept_pending(relative)
    do_end_sessions(relative)
    relative.last_login_at = utcnow()
    log.info("relative %d joined %d circle(s)", relative.id, len(accepted))
    return relative


def _accept_pending(relative: Person) -> list[FamilyLink]:
    """Accept every pending invitation of the relative and open the conversations."""
    stmt = select(FamilyLink).where(
        FamilyLink.relative_id == relative.id, FamilyLink.accepted_at.is_(None)
    )
    accepted = list(db.session.scalars(stmt))
    now = utcnow()
    for link in accepted:
        link.accepted_at = now
        db.session.flush()
        link.conversation_id = _direct_conversation(link).id
        _sync_family_group(link.resident)
        audit.record(
            "family.joined",
            actor=relative,
            subject=link.resident,
            object_type="family_link",
            object_id=link.id,
        )
        _tell_circle_changed(link.resident_id)
        realtime.publish(
            "messaging.conversation_changed",
            {"conversation_id": link.conversation_id},
            realtime.user_room(link.resident_id),
        )
    return accepted


# Conversations --------------------------------------------------------------------------


def _direct_conversation(link: FamilyLink) -> Conversation:
    """The one conversation of the resident and the relative, made or re-opened."""
    low, high = sorted((link.resident_id, link.relative_id))
    key = f"{low}:{high}"
    conversation = db.session.scalars(
        select(Conversation).where(Conversation.direct_key == key)
    ).first()
    if conversation is None:
        conversation = Conversation(
            building_id=link.resident.building_id,
            kind=ConversationKind.DIRECT,
            created_by_id=link.resident_id,
            direct_key=key,
        )
        conversation.members = [Membership(person_id=low), Membership(person_id=high)]
        db.session.add(conversation)
        db.session.flush()
        return conversation
    for membership in conversation.members:
        membership.left_at = None
    db.session.flush()
    return conversation


def _sync_family_group(resident: Person) -> None:
    """The family group holds the resident and every joined relative, once there are two
    relatives; a relative who left the circle leaves it."""
    relatives = set(relative_ids_of(resident.id))
    group = db.session.get(FamilyGroup, resident.id)
    if group is None:
        if len(relatives) < 2:
            return
        with force_locale(resident.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            title = _("Family of %(name)s", name=resident.first_name)
        conversation = Conversation(
            building_id=resident.building_id,
            kind=ConversationKind.GROUP,
            title=title[:120],
            created_by_id=resident.id,
        )
        conversation.members = [Membership(person_id=resident.id, is_admin=True)]
        db.session.add(conversation)
        db.session.flush()
        group = FamilyGroup(resident_id=resident.id, conversation_id=conversation.id)
        db.session.add(group)
        db.session.flush()
    conversation = db.session.get(Conversation, group.conversation_id)
    if conversation is None:
        return
    wanted = relatives | {resident.id}
    present = {m.person_id: m for m in conversation.members}
    for person_id in wanted:
        membership = present.get(person_id)
        if membership is None:
            conversation.members.append(Membership(person_id=person_id))
        elif membership.left_at is not None:
            membership.left_at = None
    now = utcnow()
    for person_id, membership in present.items():
        if person_id not in wanted and membership.left_at is None:
            membership.left_at = now
    db.session.flush()
    for person_id in wanted:
        realtime.publish(
            "messaging.conversation_changed",
            {"conversation_id": conversation.id},
            realtime.user_room(person_id),
        )


# The resident's choices -----------------------------------------------------------------


def do_set_visibility(
    actor: Person, link_id: int, *, activities_shown: bool, check_in_shown: bool
) -> FamilyLink:
    """What this relative may see beyond the conversation, as the resident chose."""
    link = access_link(actor, link_id)
    link.sees_activities = bool(activities_shown)
    link.sees_check_in = bool(check_in_shown)
    db.session.flush()
    audit.record(
        "family.visibility_changed",
        actor=actor,
        subject=link.resident,
        object_type="family_link",
        object_id=link.id,
        detail={"activities": link.sees_activities, "check_in": link.sees_check_in},
    )
    _tell_circle_changed(link.resident_id)
    return link


def do_set_emergency(actor: Person, link_id: int, *, named: bool, consent: bool) -> FamilyLink:
    """Name the relative one of the resident's emergency contacts (the contact itself lives
    in portal.wellbeing), or stop."""
    link = access_link(actor, link_id)
    if named and link.emergency_contact_id is None:
        if not link.is_active:
            raise Invalid(_("This person has not joined yet."), "not_joined")
        relative = link.relative
        contact = contacts.do_add_contact(
            actor,
            link.resident_id,
            name=relative.full_name[: contacts.MAX_NAME],
            relation="family",
            email=relative.email or "",
            phone=relative.phone or "",
            locale=relative.locale or contacts.default_locale(link.resident),
            consent=consent,
        )
        link.emergency_contact_id = contact.id
    elif not named and link.emergency_contact_id is not None:
        contacts.do_remove_contact(actor, link.emergency_contact_id)
        link.emergency_contact_id = None
    db.session.flush()
    _tell_circle_changed(link.resident_id)
    return link


def do_remove(actor: Person, link_id: int) -> None:
    """Take a relative out of the circle: they leave the conversations at once, are no
    longer an emergency contact, and a relative left in no circle can no longer log in."""
    link = access_link(actor, link_id)
    _remove_link(link, actor)


def do_close_account(relative: Person) -> None:
    """A relative leaves every circle; the closed account is erased after the usual delay
    for closed accounts (portal.datarights)."""
    if relative.role != Role.RELATIVE:
        raise people.not_found()
    begin_write(db.session)
    stmt = select(FamilyLink).where(FamilyLink.relative_id == relative.id)
    for link in list(db.session.scalars(stmt)):
        _remove_link(link, relative)
    relative.active = False
    do_end_sessions(relative)
    audit.record("family.account_closed", actor=relative, subject=relative)


def _remove_link(link: FamilyLink, actor: Person | None) -> None:
    resident, relative = link.resident, link.relative
    if link.emergency_contact_id is not None:
        # The contact is the resident's; whoever may manage it removes it, else the
        # resident's own rights do (the relative left, or the portal erases someone).
        manager = actor if actor is not None and may_manage(actor, resident) else resident
        if may_manage(manager, resident):
            contacts.do_remove_contact(manager, link.emergency_contact_id)
    now = utcnow()
    if link.conversation_id is not None:
        db.session.execute(
            update(Membership)
            .where(
                Membership.conversation_id == link.conversation_id,
                Membership.person_id == relative.id,
                Membership.left_at.is_(None),
            )
            .values(left_at=now)
        )
    audit.record(
        "family.removed",
        actor=actor,
        subject=resident,
        object_type="family_link",
        object_id=link.id,
    )
    db.session.delete(link)
    db.session.flush()
    db.session.expire_all()
    _sync_family_group(resident)
    remaining = db.session.scalar(
        select(func.count(FamilyLink.id)).where(FamilyLink.relative_id == relative.id)
    )
    if not remaining:
        relative.active = False
    do_end_sessions(relative)
    _tell_circle_changed(resident.id)


# What a relative sees -------------------------------------------------------------------


@dataclass(frozen=True)
class ResidentNews:
    """What one resident shows one relative: activities and today's check-in, if allowed."""

    link: FamilyLink
    activities: list[Any] | None
    checked_in_today: bool | None


def get_news(relative: Person, resident_id: int, now: datetime | None = None) -> ResidentNews:
    """The resident's news the relative may see (None where the resident did not allow)."""
    link = access_resident_as_relative(relative, resident_id)
    resident = link.resident
    moment = now or utcnow()
    going: list[Any] | None = None
    if link.sees_activities:
        views = activities.list_upcoming(resident, moment, moment + timedelta(days=ACTIVITY_DAYS))
        going = [v for v in views if v.my_status == activities.SignupStatus.CONFIRMED]
    checked: bool | None = None
    if link.sees_check_in and wellbeing.get_enrolment(resident) is not None:
        checked = wellbeing.has_checked_in(resident, moment)
    return ResidentNews(link, going, checked)


# Logging in -----------------------------------------------------------------------------


def do_login_with_password(email: str, password: str) -> Person:
    """A relative's email and password; the same refusal for any mistake."""
    person = _find_by_email(email or "")
    if (
        person is None
        or person.role != Role.RELATIVE
        or not verify_secret(person.password_hash, password or "")
    ):
        raise Invalid(_("The email or password is not right."), "bad_login")
    if not person.active:
        raise Invalid(_("This account is closed."), "inactive")
    person.last_login_at = utcnow()
    return person


def do_request_login_link(email: str) -> None:
    """Mail a login link to an active relative with that address. The caller answers the
    same whether or not one exists, so the page tells nobody who has an account."""
    person = _find_by_email(email or "")
    if person is None or person.role != Role.RELATIVE or not person.active:
        return
    if not is_set_up(person):
        return
    token = links.do_issue_link(person, LinkPurpose.LOGIN)
    url = absolute_url("family.login_link", token=token)
    with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        subject = _("Your Bon Voisin login link")
        body = "\n".join(
            [
                _("Hello %(name)s,", name=person.first_name),
                "",
                _("Open this link to log in (it works once, for one hour):"),
                url,
                "",
                _("If you did not ask for it, ignore this mail."),
            ]
        )
    mail.send_after_commit(mail.OutgoingMail(person.email or "", subject, body), in_background=True)


def check_login_token(token: str) -> AccountLink:
    return check_token(token, LinkPurpose.LOGIN)


def do_login_with_link(token: str) -> Person:
    """Use a login link once; the caller starts the session."""
    begin_write(db.session)
    link = check_login_token(token)
    _claim(link)
    link.person.last_login_at = utcnow()
    return link.person


# Data rights ----------------------------------------------------------------------------


def export_of(person: Person) -> dict[str, Any]:
    """The person's circle, as a resident (who they invited) or as a relative."""
    if person.role == Role.RELATIVE:
        stmt = select(FamilyLink).where(FamilyLink.relative_id == person.id)
        return {
            "circles": [
                {
                    "resident": link.resident.full_name,
                    "relation": link.relation,
                    "invited_at": link.created_at.isoformat(),
                    "joined_at": link.accepted_at.isoformat() if link.accepted_at else None,
                    "sees_activities": link.sees_activities,
                    "sees_check_in": link.sees_check_in,
                    "emergency_contact": link.emergency_contact_id is not None,
                }
                for link in db.session.scalars(stmt)
            ]
        }
    return {
        "relatives": [
            {
                "name": link.relative.full_name,
                "relation": link.relation,
                "channel": link.channel.value,
                "invited_at": link.created_at.isoformat(),
                "joined_at": link.accepted_at.isoformat() if link.accepted_at else None,
                "consent_recorded_at": (
                    link.consent_recorded_at.isoformat() if link.consent_recorded_at else None
                ),
                "sees_activities": link.sees_activities,
                "sees_check_in": link.sees_check_in,
                "emergency_contact": link.emergency_contact_id is not None,
            }
            for link in list_circle(person.id)
        ]
    }


def erase_circle_of(person: Person) -> None:
    """Before a person is erased: a resident's circle goes (relatives left in no circle are
    closed); a relative's links go with them."""
    if person.role == Role.RELATIVE:
        db.session.execute(delete(FamilyLink).where(FamilyLink.relative_id == person.id))
        db.session.flush()
        return
    for link in list_circle(person.id):
        _remove_link(link, None)
    db.session.execute(delete(FamilyGroup).where(FamilyGroup.resident_id == person.id))
    db.session.flush()


# Events ---------------------------------------------------------------------------------


def _tell_circle_changed(resident_id: int) -> None:
    """The resident's family page (and their coordinator's) redraws."""
    realtime.publish(EVENT_CIRCLE, {"resident_id": resident_id}, realtime.user_room(resident_id))


# Pictures -------------------------------------------------------------------------------


def _resident_ids_of(relative_id: int) -> set[int]:
    stmt = select(FamilyLink.resident_id).where(FamilyLink.relative_id == relative_id)
    return set(db.session.scalars(stmt))


@people.register_avatar_rule
def may_see_picture(viewer: Person, person: Person) -> bool:
    """Within a circle: the resident and their relatives see each other's pictures, the
    relatives of one resident see each other's, and the coordinator sees the relatives."""
    if viewer.role == Role.RELATIVE:
        if person.role == Role.RESIDENT:
            return in_circle(person.id, viewer.id)
        if person.role == Role.RELATIVE:
            return bool(_resident_ids_of(viewer.id) & _resident_ids_of(person.id))
        return False
    if person.role != Role.RELATIVE:
        return False
    residents = _resident_ids_of(person.id)
    if viewer.id in residents:
        return True
    if viewer.role != Role.COORDINATOR:
        return False
    covered = people.building_ids_for(viewer)
    stmt = select(Person.id).where(Person.id.in_(residents), Person.building_id.in_(covered))
    return db.session.scalar(stmt) is not None
