"""Professionals' referrals: partners from outside the building (social workers, home-care
aides, the landlord's technicians, associations) tell the coordinator about a resident or a
building that needs attention, and follow what becomes of it. A partner reaches these pages
and nothing else of the portal."""

from __future__ import annotations

from flask import Blueprint

from portal.auth.confined import confine
from portal.people.models import Role

bp = Blueprint(
    "referrals",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/referrals/static",
)

# Default-deny: a partner reaches their referral pages, their settings, help and their
# notifications (the answers to their referrals), never a page of the building.
confine(
    Role.PARTNER,
    "referrals.mine",
    "referrals.mine_list",
    "referrals.new",
    "home.settings",
    "home.help_page",
    "notifications.*",
    "people.avatar",
    home="referrals.mine",
)

from portal.referrals import (  # noqa: E402, F401
    demo,
    events,
    figures,
    models,
    privacy,
    queue,
    routes,
    tiles,
)
