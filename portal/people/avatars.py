"""Generated avatars: initials on a colour, drawn as SVG (nothing is downloaded)."""

from __future__ import annotations

from markupsafe import escape

from portal.people.models import Person

SVG_TEMPLATE = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 96 96" role="img" '
    'aria-label="{label}"><rect width="96" height="96" rx="48" fill="{colour}"/>'
    '<text x="48" y="50" dy=".35em" text-anchor="middle" font-family="sans-serif" '
    'font-size="38" font-weight="700" fill="#ffffff">{initials}</text></svg>'
)


def avatar_svg(person: Person) -> str:
    return SVG_TEMPLATE.format(
        label=escape(person.full_name),
        colour=person.avatar_colour,
        initials=escape(person.initials),
    )
