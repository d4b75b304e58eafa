"""Rate limits for Socket.IO events, sharing Flask-Limiter's storage (Redis when configured)."""

from __future__ import annotations

from functools import cache

from flask import current_app
from limits import RateLimitItem, parse

from portal.extensions import limiter


@cache
def _item(limit: str) -> RateLimitItem:
    return parse(limit)


def hit(limit: str, scope: str, key: str | int) -> bool:
    """Count one event against `limit`; False when the limit is already reached."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    return limiter.limiter.hit(_item(limit), scope, str(key))
