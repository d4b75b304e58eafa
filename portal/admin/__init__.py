"""Staff pages: residents of a building, login cards and codes."""

from flask import Blueprint

bp = Blueprint(
    "admin",
    __name__,
    url_prefix="/staff",
    template_folder="templates",
    static_folder="static",
    static_url_path="/admin-static",
)

from portal.admin import onboarding_routes, people_routes, routes, setup_routes  # noqa: E402, F401
