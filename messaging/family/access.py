"""What a relative may reach: their family pages, the conversations of their circle, their
notifications, settings and data rights. Everything else answers 404 (portal.auth.confined)."""

from __future__ import annotations

from portal.auth.confined import allow_event, confine
from portal.people.models import Role

# The relative's own pages (the resident's and the coordinator's pages of the blueprint
# check, object by object, that the viewer manages the resident).
RELATIVE_ENDPOINTS = (
    "family.home",
    "family.resident",
    "family.close_account",
    "family.join",
    "family.login",
    "family.login_link",
    # A conversation of their circle: the messaging service lets a person read only the
    # conversations they are a member of.
    "messaging.conversation",
    "messaging.send_from_form",
    "messaging.media",
    "messaging.api_messages",
    "messaging.api_send",
    "messaging.api_upload",
    "messaging.api_unread",
    "messaging.leave",
    "messaging.report",
    # Their own notifications, settings, help page and avatar.
    "notifications.index",
    "notifications.api_unread",
    "notifications.open_one",
    "notifications.read_all",
    "home.settings",
    "home.help_page",
    "people.avatar",
)

RELATIVE_EVENTS = ("send_message", "mark_read", "typing", "catch_up", "toggle_reaction")

confine(
    Role.RELATIVE,
    *RELATIVE_ENDPOINTS,
    home="family.home",
    send_home=("home.index", "messaging.inbox"),
)
allow_event(Role.RELATIVE, *RELATIVE_EVENTS)
