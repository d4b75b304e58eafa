"""Rate limits for Socket.IO events, sharing Flask-Limiter's storage (Redis when configured)."""

from __future__ import annotations

import logging
from functools import cache

from flask import current_app
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import RateLimiter

from portal.extensions import limiter


@cache
def _item(limit: str) -> RateLimitItem:
    """A limit such as "120/10 seconds", parsed once."""
    return parse(limit)


log = logging.getLogger(__name__)


@cache
def _fallback(strategy: type[RateLimiter]) -> RateLimiter:
    """The same strategy in this process's memory, for while the shared storage is away."""
    return strategy(MemoryStorage())


def hit(limit: str, scope: str, key: str | int) -> bool:
    """Count one event against `limit`; False when the limit is already reached."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return True
    shared = limiter.limiter
    try:
        return shared.hit(_item(limit), scope, str(key))
    except Exception as error:  # the storage's own errors (Redis restarting, unreachable)
        log.warning("rate-limit storage unavailable (%s): counting in memory", type(error).__name__)
        return _fallback(type(shared)).hit(_item(limit), scope, str(key))
