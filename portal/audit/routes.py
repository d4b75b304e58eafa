"""The audit log page for managers: filter by action, building and dates; newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.audit import bp
from portal.audit import service as audit
from portal.audit.labels import action_label
from portal.auth.decorators import roles_required
from portal.errors import DomainError, Invalid, on_refusal
from portal.people import service as people
from portal.people.models import Building, Role
from portal.validation import MAX_ID, as_id, check_day

PAGE_SIZE = 50
MAX_PAGE = MAX_ID // PAGE_SIZE  # the offset of the last page still fits the database's integer
MAX_DATE_LENGTH = 10  # "YYYY-MM-DD"


@dataclass(frozen=True)
class LogQuery:
    """The filters and the page number a manager asked for."""

    filters: audit.AuditFilters
    page: int


def _parse_date(value: str) -> date | None:
    """A date from the filter form ("YYYY-MM-DD") within the years a person could mean
    (a day like 9999-12-31 would overflow the "day after" of the filter); empty means none."""
    if not value:
        return None
    if len(value) > MAX_DATE_LENGTH:
        raise Invalid(_("Please give dates as day, month and year."))
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid(_("Please give dates as day, month and year.")) from None
    return check_day(day)


def _parse_query(args: Any, building_ids: set[int]) -> LogQuery:
    """Read the filters from the query string; a translated refusal (Invalid) on bad input."""
    building_text = args.get("building", "").strip()
    building_id: int | None = None
    if building_text:
        building_id = as_id(building_text)
        if building_id is None or building_id not in building_ids:
            raise Invalid(_("Please choose one of the buildings shown."))
    since, until = _parse_date(args.get("since", "")), _parse_date(args.get("until", ""))
    if since and until and since > until:
        raise Invalid(_("The first date must come before the last one."))
    page = as_id(args.get("page", "1").strip(), MAX_PAGE)
    if page is None:
        raise Invalid(_("This page number does not exist."))
    action = args.get("action", "").strip()[:60] or None
    filters = audit.AuditFilters(action, building_id, since, until)
    return LogQuery(filters, page)


def _who(entry_id: int | None, ref: str | None, names: dict[int, str]) -> str:
    """A person of an entry: their name while they exist, else their pseudonym's start."""
    if entry_id is not None and entry_id in names:
        return names[entry_id]
    if ref:
        return _("Erased person (%(ref)s)", ref=ref[:8])
    return _("Bon Voisin (automatic)")


@bp.get("/audit")
@roles_required(Role.MANAGER)
def log() -> str:
    """The organisation's log, filtered; bad filters show their message above an empty list."""
    buildings = people.list_buildings_for(current_user)

    def refused(error: DomainError) -> tuple[str, int]:
        empty = audit.AuditPage([], 1, False, {})
        return _render_log(buildings, audit.AuditFilters(), empty, error.message), 422

    on_refusal(refused)
    query = _parse_query(request.args, {b.id for b in buildings})
    result = audit.list_entries(current_user, query.filters, query.page, PAGE_SIZE)
    return _render_log(buildings, query.filters, result)


def _render_log(
    buildings: list[Building],
    filters: audit.AuditFilters,
    result: audit.AuditPage,
    error: str | None = None,
) -> str:
    """The log page: the filter form, one page of entries, the links to the next ones."""
    return render_template(
        "audit/log.html",
        result=result,
        filters=filters,
        args=request.args,
        buildings=buildings,
        building_names={b.id: b.name for b in buildings},
        actions=audit.list_actions(current_user),
        action_label=action_label,
        who=lambda entry_id, ref: _who(entry_id, ref, result.names),
        page_args=_page_args,
        error=error,
    )


def _page_args(page: int) -> dict[str, str]:
    """The current filters with another page number, for the pagination links."""
    kept = {k: v for k, v in request.args.items() if k in {"action", "building", "since", "until"}}
    return {**kept, "page": str(page)}
