"""Draw the PWA icons (a white pin on blue) into pwa/icons/ with Pillow."""

from pathlib import Path

from PIL import Image, ImageDraw


def icon(size: int, padding: float) -> Image.Image:
    """Return one square icon; ``padding`` keeps the pin inside a maskable safe zone."""
    image = Image.new("RGB", (size, size), "#0d47a1")
    draw = ImageDraw.Draw(image)
    s = size * (1 - 2 * padding)
    cx, top = size / 2, size * padding + s * 0.1
    r = s * 0.28
    draw.ellipse((cx - r, top, cx + r, top + 2 * r), fill="white")
    draw.polygon([(cx - r * 0.85, top + r * 1.5), (cx + r * 0.85, top + r * 1.5),
                  (cx, top + s * 0.85)], fill="white")
    inner = r * 0.42
    draw.ellipse((cx - inner, top + r - inner, cx + inner, top + r + inner), fill="#0d47a1")
    return image


def main() -> None:
    """Write the three icons."""
    folder = Path(__file__).resolve().parent.parent / "pwa" / "icons"
    folder.mkdir(parents=True, exist_ok=True)
    icon(192, 0.05).save(folder / "icon-192.png", optimize=True)
    icon(512, 0.05).save(folder / "icon-512.png", optimize=True)
    icon(512, 0.15).save(folder / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
