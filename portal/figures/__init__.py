"""Figures for the coordinator and the managers: charts, tables and CSV exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "figures",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/figures/static",
)

from portal.figures import routes, tiles  # noqa: E402, F401
