"""Pictograms are SVG of the npm package lucide-static, drawn inline: never emoji, which show as
empty boxes on a tablet without an emoji font."""

from __future__ import annotations

import re
from pathlib import Path

from flask import render_template_string

from portal.enums import LabelledEnum
from portal.icons import PACKAGE_DIR, LazyIcon, icon

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("portal", "messaging", "concierge", "activities")
SOURCES = ("*.py", "*.html", "*.js", "*.css")

# Emoji and pictographic symbols that need an emoji font (arrows and typographic signs, which
# every text font has, are allowed).
EMOJI = re.compile(
    "[\U0001f000-\U0001faff\u2300-\u23ff\u25a0-\u25ff\u2600-\u27bf\u2b00-\u2bff\ufe0f]"
)
# Where code and templates name a pictogram: icon("name"), icon("a" if x else "b"),
# LazyIcon("name"), a tile's or an item's icon="name".
ICON_CALL = re.compile(r"\b(?:icon|LazyIcon)\(([^()]*)\)")
ICON_FIELD = re.compile(r"\bicon=\"([^\"]*)\"")
CSS_ARGUMENT = re.compile(r"\bcss\s*=\s*\"[^\"]*\"")
QUOTED = re.compile(r"[\"']([^\"'/\s]+)[\"']")  # a MIME type compared is no name


def app_sources() -> list[Path]:
    return [
        path
        for package in APP_PACKAGES
        for pattern in SOURCES
        for path in sorted((ROOT / package).rglob(pattern))
        if "_bundle" not in path.parts
    ]


def all_subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *all_subclasses(sub)]
    return found


def test_an_icon_is_inline_svg_hidden_from_screen_readers(app):
    drawn = str(icon("thumbs-up", 40, "extra"))
    assert drawn.startswith("<svg") and 'aria-hidden="true"' in drawn and 'width="40"' in drawn
    assert 'focusable="false"' in drawn and 'class="icon extra"' in drawn
    assert "<!--" not in drawn and "<path" in drawn and 'stroke="currentColor"' in drawn


def test_only_icons_of_the_package_are_drawn(app):
    assert str(icon("../../etc/passwd")) == ""
    assert str(icon("not-an-icon")) == ""
    assert str(icon("House")) == "" and str(icon("")) == ""


def test_a_lazy_icon_is_its_name_and_draws_in_templates(app):
    lazy = LazyIcon("vote")
    assert lazy == "vote" and lazy.__html__().startswith("<svg")
    assert render_template_string("{{ name }}", name=lazy).startswith("<svg")


def test_every_template_can_draw_an_icon(app):
    with app.test_request_context():
        drawn = render_template_string('<span>{{ icon("house", 24) }}</span>')
    assert drawn.startswith('<span><svg class="icon"') and 'width="24"' in drawn


def test_a_labelled_enum_member_draws_its_pictogram(app):
    from messaging.models import ConversationKind

    assert ConversationKind.DESK.icon == "concierge-bell"
    assert render_template_string("{{ k.icon }}", k=ConversationKind.DESK).startswith("<svg")


def test_no_app_source_contains_an_emoji():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()[:80]}"
        for path in app_sources()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if EMOJI.search(line)
    ]
    assert found == []


def test_every_icon_named_in_code_and_templates_exists_in_the_package(app):
    folder = Path(app.config["PORTAL_NODE_MODULES"]) / PACKAGE_DIR
    named: dict[str, str] = {}
    for path in app_sources():
        text = path.read_text(encoding="utf-8")
        for call in ICON_CALL.findall(text):
            for name in QUOTED.findall(CSS_ARGUMENT.sub("", call)):
                named.setdefault(name, str(path.relative_to(ROOT)))
        for name in ICON_FIELD.findall(text):
            named.setdefault(name, str(path.relative_to(ROOT)))
    for enum_class in all_subclasses(LabelledEnum):
        for member in enum_class:
            if member._icon:
                named.setdefault(member._icon, enum_class.__qualname__)
    from messaging.service import REACTION_PICTOGRAMS

    for name, _label in REACTION_PICTOGRAMS.values():
        named.setdefault(name, "messaging reactions")
    assert len(named) > 50  # the scan finds the pictograms
    missing = {n: where for n, where in named.items() if not (folder / f"{n}.svg").is_file()}
    assert missing == {}
