"""Voice's pictograms come from the npm package lucide-static, drawn by portal.icons."""

from __future__ import annotations

from pathlib import Path

from activities.voice.icons import ANSWER_ICONS, PACKAGE_DIR, UI_ICONS, LazyIcon, icon


def test_every_pictogram_named_exists_in_the_npm_package(app):
    folder = Path(app.config["PORTAL_NODE_MODULES"]) / PACKAGE_DIR
    missing = [n for n in (*ANSWER_ICONS, *UI_ICONS) if not (folder / f"{n}.svg").is_file()]
    assert missing == []


def test_a_voice_icon_carries_the_class_voice_styles(app):
    drawn = str(icon("thumbs-up", 40))
    assert drawn.startswith("<svg") and "voice-icon" in drawn and 'width="40"' in drawn
    assert str(icon("not-an-icon")) == ""
    assert LazyIcon("vote").__html__().startswith("<svg")
