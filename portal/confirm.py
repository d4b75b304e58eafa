"""The plain confirmation step before a destructive tap: one question, what will happen, a big
"Yes" that does it (a CSRF-protected POST) and a big "No" that goes back, changing nothing."""

from __future__ import annotations

from typing import Any

from flask import render_template

from portal.forms import ConfirmForm


def confirm_page(
    *,
    question: Any,
    consequence: Any,
    yes: Any,
    no: Any,
    action: str,
    back: str,
    pictogram: str = "",
) -> str:
    """The confirmation page; the caller has already checked the person may do this."""
    return render_template(
        "confirm.html",
        question=question,
        consequence=consequence,
        yes=yes,
        no=no,
        action=action,
        back=back,
        pictogram=pictogram,
        confirm_form=ConfirmForm(),
    )
