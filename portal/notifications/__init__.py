"""Every notification addressed to a person, in one list, live."""

from flask import Blueprint

bp = Blueprint("notifications", __name__, template_folder="templates")

from portal.notifications import routes  # noqa: E402, F401
