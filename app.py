"""Entry point: `python app.py` serves Bon Voisin with real-time support."""

from portal.factory import create_app
from portal.server import serve

app = create_app()

if __name__ == "__main__":
    serve(app)
