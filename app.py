"""Entry point: `python app.py` serves Bon Voisin with real-time support."""

import os

# Served by gevent unless told otherwise: measured with bench/messaging.py, one process
# keeps up with 100 messages/s for 500 tablets where the threaded server falls behind.
os.environ.setdefault("BV_SOCKETIO_ASYNC_MODE", "gevent")

if os.environ["BV_SOCKETIO_ASYNC_MODE"] == "gevent":
    # Must come before any other import, or Redis and database calls block the process.
    from gevent import monkey

    monkey.patch_all()

from portal.factory import create_app
from portal.server import serve

app = create_app()

if __name__ == "__main__":
    serve(app)
