"""Security headers on every response; the client's real address, scheme and host behind
the reverse proxies the configuration trusts."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from portal.config import ConfigError

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(self), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

# One year, the span browsers and the preload list expect. Sent over HTTPS only: a browser
# ignores it over plain HTTP, and sending it there would say nothing true.
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    """Set the headers the guide requires, without overwriting deliberate ones."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        response.headers.setdefault("Cache-Control", "no-store")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    return response


def trust_proxies(app: Flask, hops: int) -> None:
    """Take the client's address, scheme, host and port from the X-Forwarded-* headers the
    last `hops` proxies wrote, so rate limits count each real client and external links
    carry the public address; values further left (the client's own) are ignored.

    X-Forwarded-Prefix is never trusted: the portal is served at the root of its host, and a
    client could otherwise send one through the proxy and change every link it builds. The
    middleware wraps the Socket.IO one too (realtime.init_app ran first), so socket
    connections see the same address and origin.
    """
    if isinstance(hops, bool) or not isinstance(hops, int) or hops < 0:
        raise ConfigError(f"BV_PROXY_HOPS must be 0 or a positive whole number, not {hops!r}.")
    if hops == 0:
        return
    app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
        app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops, x_prefix=0
    )


def init_app(app: Flask) -> None:
    """Trust the configured proxies; every response carries the security headers."""
    trust_proxies(app, app.config.setdefault("PORTAL_PROXY_HOPS", 0))
    app.after_request(add_security_headers)
