"""Organisations, buildings, dwellings and the people who live or work there."""

from flask import Blueprint

bp = Blueprint("people", __name__, template_folder="templates")

from portal.people import routes  # noqa: E402, F401
