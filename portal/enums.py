"""Enums whose members carry their translated label and pictogram beside their value."""

from __future__ import annotations

import enum
from typing import Any, Self

from portal.icons import LazyIcon


class LabelledEnum(enum.StrEnum):
    """A StrEnum whose members are declared `NAME = "value", _l("Label"), "icon"`.

    The value is what is stored and sent; `.label` is translated when read (in the reader's
    language), `.icon` is the pictogram shown beside it: a lucide-static icon's name, which
    Jinja draws as inline SVG (portal.icons).
    """

    _label: Any
    _icon: str

    def __new__(cls, value: str, label: Any = None, icon: str = "") -> Self:
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        member._icon = icon
        return member

    @property
    def label(self) -> str:
        return str(self._label) if self._label is not None else self.value

    @property
    def icon(self) -> LazyIcon:
        return LazyIcon(self._icon)
