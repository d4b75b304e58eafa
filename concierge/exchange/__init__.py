"""The neighbour service exchange: requests and offers of help between neighbours."""

from __future__ import annotations

from concierge.exchange import demo, events, figures, models, privacy, queue, routes, tiles  # noqa: F401
