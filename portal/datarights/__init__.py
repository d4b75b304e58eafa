"""A person's rights over their data: download everything about them, erasure on request."""

from flask import Blueprint

bp = Blueprint("datarights", __name__, template_folder="templates")

from portal.datarights import routes  # noqa: E402, F401
