"""The installable app: web app manifest, icons, the service worker and the offline page."""

from flask import Blueprint

bp = Blueprint("offline", __name__, template_folder="templates")

from portal.offline import routes  # noqa: E402, F401
