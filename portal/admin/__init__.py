"""Staff pages: residents of a building, login cards and codes."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/staff", template_folder="templates")

from portal.admin import routes  # noqa: E402, F401
