"""Words for the audit log's actions, shown to managers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

ACTION_LABELS: dict[str, LazyString] = {
    "card.issued": _l("Login card printed"),
    "card.revoked": _l("Login card cancelled"),
    "pin.reset": _l("Code set by staff"),
    "health.details_read": _l("Pharmacy run details read"),
    "data.exported": _l("Personal data downloaded"),
    "person.erased": _l("Account erased"),
    "residents.imported": _l("Residents imported"),
    "person.created": _l("Resident added"),
    "cards.printed": _l("Login cards printed"),
    "person.role_changed": _l("Role changed"),
    "person.deactivated": _l("Account closed"),
    "person.reactivated": _l("Account reopened"),
    "person.moved": _l("Moved to another dwelling"),
    "person.easy_read_set": _l("Easy-to-read pages switched by staff"),
    "wellbeing.setting_changed": _l("Check-in settings changed"),
    "wellbeing.enrolled": _l("Enrolled in daily check-ins"),
    "wellbeing.unenrolled": _l("Left daily check-ins"),
    "wellbeing.reached": _l("Missed check-in: person reached"),
    "wellbeing.help_call_seen": _l("Help call seen"),
    "wellbeing.help_call_resolved": _l("Help call closed"),
    "wellbeing.contact_added": _l("Emergency contact added"),
    "wellbeing.contact_removed": _l("Emergency contact removed"),
    "wellbeing.checkin_paused": _l("Daily check-in paused"),
    "wellbeing.checkin_resumed": _l("Daily check-in resumed"),
}


def action_label(action: str) -> str:
    """The translated name of an action; an action without a name shows its code."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
