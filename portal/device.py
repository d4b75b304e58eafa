"""The signed cookie that remembers which building and flat a tablet belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

SALT = "bv-device"


@dataclass(frozen=True)
class Device:
    building_id: int
    dwelling_id: int | None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def current_device() -> Device | None:
    """The building (and flat) this tablet was enrolled in by a resident's login, if any."""
    raw = request.cookies.get(current_app.config["AUTH_DEVICE_COOKIE"])
    if not raw:
        return None
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("b"), int):
        return None
    dwelling = value.get("d")
    return Device(value["b"], dwelling if isinstance(dwelling, int) else None)


def device_building_id() -> int | None:
    device = current_device()
    return device.building_id if device else None


def remember_device(response: Response, building_id: int, dwelling_id: int | None) -> Response:
    """Let this tablet show its building's photo login from now on."""
    config = current_app.config
    response.set_cookie(
        config["AUTH_DEVICE_COOKIE"],
        _serializer().dumps({"b": building_id, "d": dwelling_id}),
        max_age=config["AUTH_DEVICE_COOKIE_DAYS"] * 86400,
        httponly=True,
        samesite="Lax",
        secure=config["SESSION_COOKIE_SECURE"],
    )
    return response
