"""The installed command: `bon-voisin serve` runs the portal as `python app.py` does in a
checkout; `bon-voisin <command>` runs any flask command (`db upgrade`, `scheduler run`, ...)
without FLASK_APP."""

from __future__ import annotations

import os
import sys


def serve() -> None:
    """Serve with real-time support; gevent (the default) is patched in before any import."""
    os.environ.setdefault("BV_SOCKETIO_ASYNC_MODE", "gevent")
    if os.environ["BV_SOCKETIO_ASYNC_MODE"] == "gevent":
        from gevent import monkey

        monkey.patch_all()

    from portal.factory import create_app
    from portal.server import serve as serve_app

    serve_app(create_app())


def main(argv: list[str] | None = None) -> None:
    """`bon-voisin serve`, or the flask command line with this app."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["serve"]:
        serve()
        return
    from flask.cli import FlaskGroup

    from portal.factory import create_app

    FlaskGroup(
        create_app=create_app,
        load_dotenv=False,
        help="Bon Voisin: `serve` runs the portal; the other commands are flask's.",
    ).main(args, prog_name="bon-voisin")


if __name__ == "__main__":
    main()
