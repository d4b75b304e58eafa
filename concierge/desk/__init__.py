"""The concierge desk: tickets, parcels, the dwelling logbook, expected visits, the queue."""

from __future__ import annotations

from concierge.desk import figures, models, privacy, queue, routes, tiles  # noqa: F401
