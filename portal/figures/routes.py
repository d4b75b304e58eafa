"""The figures page and each figure's CSV export."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from babel.numbers import get_decimal_symbol
from flask import Response, render_template, request
from flask_babel import format_date, get_locale
from flask_login import current_user, login_required

from portal.audit import service as audit
from portal.db import utcnow
from portal.figures import bp
from portal.figures import service as figures
from portal.figures.service import Figure, Number, Period, Scope

FORMULA_STARTS = frozenset("=+-@\t\r")


def _parse() -> tuple[Scope, Period]:
    """The building and the weeks asked for; a refusal (shown on the error page with its
    message) when they are not valid."""
    scope = figures.access_scope(current_user, request.args.get("building"))
    period = figures.check_period(
        request.args.get("weeks"), request.args.get("until"), scope.zone, utcnow()
    )
    return scope, period


def format_number(value: Number, empty: str = "–", decimal: str | None = None) -> str:
    """A count as is; a median with one decimal in the reader's language."""
    if value is None:
        return empty
    if isinstance(value, float):
        if decimal is None:
            decimal = get_decimal_symbol(str(get_locale() or "fr"))
        return f"{value:.1f}".replace(".", decimal)
    return str(value)


def row_label(figure: Figure, label: str, weeks: dict[str, str] | None = None) -> str:
    """Weeks are shown as their Monday's date in the reader's language (from `weeks` when
    they are already formatted)."""
    if figure.weekly and label[:1].isdigit():
        if weeks is not None and label in weeks:
            return weeks[label]
        return format_date(date.fromisoformat(label), "d MMM yyyy")
    return label


@dataclass(frozen=True)
class ShownRow:
    """One line of a figure's table as the page shows it."""

    key: str
    label: str
    total: bool  # the whole-period line, left out of the chart
    cells: tuple[tuple[str, str], ...]  # (number for the chart, text for the reader)


def shown_rows(figure: Figure, weeks: dict[str, str], decimal: str) -> list[ShownRow]:
    """A figure's table formatted here once, rather than cell by cell in the template."""
    return [
        ShownRow(
            row.key,
            row_label(figure, row.label, weeks),
            row.key == figures.TOTAL,
            tuple(
                ("" if v is None else str(v), format_number(v, decimal=decimal)) for v in row.values
            ),
        )
        for row in figure.rows
    ]


@bp.get("/staff/figures")
@login_required
def index() -> str | tuple[str, int]:
    figures.check_reader(current_user)
    scope, period = _parse()
    shown = figures.list_figures(scope, period, utcnow())
    weeks = {monday.isoformat(): format_date(monday, "d MMM yyyy") for monday in period.mondays}
    decimal = get_decimal_symbol(str(get_locale() or "fr"))
    return render_template(
        "figures/index.html",
        figures=[(figure, shown_rows(figure, weeks, decimal)) for figure in shown],
        scope=scope,
        scopes=figures.list_scopes(current_user),
        period=period,
        week_choices=figures.WEEK_CHOICES,
        weeks=len(period.mondays),
        until=request.args.get("until", ""),
    )


@bp.get("/staff/figures/<key>.csv")
@login_required
def export(key: str) -> Response | tuple[str, int]:
    """One figure as CSV for a spreadsheet (UTF-8 with BOM, ";"), recorded in the audit log."""
    figures.check_reader(current_user)
    figures.check_figure(key)
    scope, period = _parse()
    figure = figures.get_figure(key, scope, period, utcnow())
    audit.record(
        "figures.exported",
        actor=current_user,
        building_id=scope.building_id,
        detail={
            "figure": key,
            "scope": scope.key,
            "from": period.start.isoformat(),
            "weeks": len(period.mondays),
        },
    )
    name = f"figures-{key}-{scope.key}-{period.start.isoformat()}-{period.last_day.isoformat()}.csv"
    return Response(
        to_csv(figure),
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def to_csv(figure: Figure) -> str:
    """A header row, then one row per line of the table; the numbers the page shows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([figure.row_header, *(c.label for c in figure.columns)])
    for row in figure.rows:
        writer.writerow([safe_cell(row.label), *(format_number(v, "") for v in row.values)])
    return "\ufeff" + buffer.getvalue()


def safe_cell(text: str) -> str:
    """A label a spreadsheet must never run as a formula (an activity called "=1+1")."""
    return "'" + text if text[:1] in FORMULA_STARTS else text
