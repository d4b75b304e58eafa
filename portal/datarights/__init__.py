"""A person's rights over their data: download everything about them, erasure on request."""

from flask import Blueprint

bp = Blueprint("datarights", __name__, template_folder="templates")

from portal.datarights import requests, routes  # noqa: E402, F401

# The resident's settings page shows where their erasure request stands (its section is
# datarights/_settings_erasure.html): the page reads it without importing this package.
bp.add_app_template_global(requests.get_latest, "erasure_request_of")
