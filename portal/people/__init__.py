"""Organisations, buildings, dwellings and the people who live or work there."""

from flask import Blueprint

bp = Blueprint("people", __name__, template_folder="templates")

from portal.people import display, routes  # noqa: E402, F401

bp.add_app_template_global(display.id_url)
bp.add_app_template_global(display.floor_labels)
