"""Draw the app's icons (a white house on the portal's blue), run once when they change:
`python -m portal.offline.icons` writes them under portal/static/icons/."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from portal.offline.routes import BACKGROUND_COLOUR, ICON_SIZES, STATIC, THEME_COLOUR

OUT = STATIC / "icons"
# The house on a 100-unit square: roof, walls and door (the door in the background colour).
ROOF = [(50, 18), (86, 50), (14, 50)]
WALLS = (24, 46, 76, 84)
DOOR = (43, 60, 57, 84)


def draw(size: int, safe: float = 1.0) -> Image.Image:
    """The icon at `size` pixels; `safe` < 1 shrinks the house into a maskable icon's circle."""
    image = Image.new("RGB", (size, size), THEME_COLOUR)
    pen = ImageDraw.Draw(image)
    scale = size / 100 * safe
    offset = size * (1 - safe) / 2

    def at(x: float, y: float) -> tuple[float, float]:
        return (offset + x * scale, offset + y * scale)

    pen.polygon([at(x, y) for x, y in ROOF], fill=BACKGROUND_COLOUR)
    pen.rectangle([*at(WALLS[0], WALLS[1]), *at(WALLS[2], WALLS[3])], fill=BACKGROUND_COLOUR)
    pen.rectangle([*at(DOOR[0], DOOR[1]), *at(DOOR[2], DOOR[3])], fill=THEME_COLOUR)
    return image


def svg() -> str:
    """The same house as a scalable image."""
    roof = " ".join(f"{x},{y}" for x, y in ROOF)
    x0, y0, x1, y1 = WALLS
    d0, e0, d1, e1 = DOOR
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">'
        f'<rect width="100" height="100" fill="{THEME_COLOUR}"/>'
        f'<polygon points="{roof}" fill="{BACKGROUND_COLOUR}"/>'
        f'<rect x="{x0}" y="{y0}" width="{x1 - x0}" height="{y1 - y0}" fill="{BACKGROUND_COLOUR}"/>'
        f'<rect x="{d0}" y="{e0}" width="{d1 - d0}" height="{e1 - e0}" fill="{THEME_COLOUR}"/>'
        "</svg>\n"
    )


def write_all(folder: Path = OUT) -> list[Path]:
    """Write every icon the manifest and the pages name."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for size in ICON_SIZES:
        path = folder / f"icon-{size}.png"
        draw(size).save(path, optimize=True)
        written.append(path)
    for name, size, safe in (("maskable-512.png", 512, 0.7), ("apple-touch-icon.png", 180, 0.85)):
        path = folder / name
        draw(size, safe).save(path, optimize=True)
        written.append(path)
    path = folder / "icon.svg"
    path.write_text(svg(), encoding="utf-8")
    written.append(path)
    return written


if __name__ == "__main__":
    for written in write_all():
        print(written)
