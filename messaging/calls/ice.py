"""ICE servers handed to a browser for one call: STUN to find its public address, TURN to
relay media for buildings behind NAT. Only configuration (portal/config.py, CALLS_*)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from flask import current_app

from portal.people.models import Person


def turn_credentials(secret: str, person_id: int, ttl: int, now: float) -> tuple[str, str]:
    """A TURN login that coturn accepts with `use-auth-secret` (the "TURN REST API"): the
    user name carries its expiry, the password is its HMAC-SHA1 under the shared secret, so
    no password is stored and a copied one stops working after `ttl` seconds."""
    username = f"{int(now) + ttl}:{person_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(person: Person) -> list[dict[str, Any]]:
    """The RTCPeerConnection `iceServers` for this person (empty: direct connections only,
    enough on one local network)."""
    config = current_app.config
    servers: list[dict[str, Any]] = []
    stun = list(config.get("CALLS_STUN_URLS") or ())
    if stun:
        servers.append({"urls": stun})
    turn = list(config.get("CALLS_TURN_URLS") or ())
    if turn:
        secret = config.get("CALLS_TURN_SECRET")
        if secret:
            ttl = int(config.get("CALLS_TURN_TTL_SECONDS") or 6 * 3600)
            username, credential = turn_credentials(secret, person.id, ttl, time.time())
        else:
            username = config.get("CALLS_TURN_USERNAME") or ""
            credential = config.get("CALLS_TURN_PASSWORD") or ""
        servers.append({"urls": turn, "username": username, "credential": credential})
    return servers
