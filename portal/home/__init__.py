"""Home screens, help, settings and the language switch."""

from flask import Blueprint

bp = Blueprint("home", __name__, template_folder="templates")

from portal.home import panels, routes  # noqa: E402, F401
