"""Entry point: `python app.py` serves Bon Voisin with real-time support."""

import os

if os.environ.get("BV_SOCKETIO_ASYNC_MODE") == "gevent":
    # Must come before any other import, or Redis and database calls block the process.
    from gevent import monkey

    monkey.patch_all()

from portal.factory import create_app
from portal.server import serve

app = create_app()

if __name__ == "__main__":
    serve(app)
