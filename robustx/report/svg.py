"""A minimal inline-SVG writer and colour-blind-safe colour scales (no plotting library, no scripts).

Every piece of text and every attribute value is HTML-escaped here, so plots can carry model names
and languages straight from run directories.
"""

from __future__ import annotations

import math
from html import escape

# ColorBrewer RdBu (11 classes), red -> blue; colour-blind safe and diverging around its white middle.
RDBU = (
    "#67001f", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#f7f7f7",
    "#d1e5f0", "#92c5de", "#4393c3", "#2166ac", "#053061",
)  # fmt: skip
# Okabe & Ito (2008) categorical palette, distinguishable under the common colour-vision deficiencies.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442")
SHAPES = ("circle", "square", "triangle", "diamond")
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16)


def diverging(value: float, vmax: float) -> str:
    """Colour of ``value`` on RdBu over [-vmax, vmax]: positive (a drop) red, negative blue, 0 white."""
    t = 0.5 if vmax <= 0 else min(1.0, max(0.0, (vmax - value) / (2.0 * vmax)))
    pos = t * (len(RDBU) - 1)
    i = min(int(pos), len(RDBU) - 2)
    frac = pos - i
    a, b = _rgb(RDBU[i]), _rgb(RDBU[i + 1])
    r, g, bl = (round(x + (y - x) * frac) for x, y in zip(a, b, strict=True))
    return f"#{r:02x}{g:02x}{bl:02x}"


def ink_on(fill: str) -> str:
    """Black or white text, whichever reads better on ``fill`` (relative luminance)."""
    r, g, b = (c / 255 for c in _rgb(fill))
    return "#ffffff" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else "#1a1a1a"


def nice_ceiling(x: float) -> float:
    """Round up to 1, 2, 2.5 or 5 times a power of ten (colour-scale and axis limits)."""
    if x <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(x))
    for step in (1, 2, 2.5, 5, 10):
        if x <= step * power + 1e-12:
            return step * power
    return 10 * power


def ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    step = nice_ceiling((high - low) / max(1, count))
    start = math.ceil(low / step - 1e-9) * step
    out = []
    value = start
    while value <= high + 1e-9:
        out.append(round(value, 6))
        value += step
    return out


def fmt_num(x: float) -> str:
    return f"{x:g}".replace("-", "\u2212")


class Svg:
    """Collects SVG elements; ``render()`` gives an inline <svg> (no xmlns needed inside HTML)."""

    def __init__(self, width: float, height: float, label: str) -> None:
        self.width, self.height, self.label = width, height, label
        self.parts: list[str] = []

    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        fill: str,
        title: str | None = None,
        stroke: str | None = None,
    ) -> None:
        attrs = f'x="{x:.1f}" y="{y:.1f}" width="{max(0.0, w):.1f}" height="{max(0.0, h):.1f}" fill="{fill}"'
        if stroke:
            attrs += f' stroke="{stroke}" stroke-width="1"'
        self._shape(f"<rect {attrs}", title)

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        stroke: str = "#999",
        width: float = 1,
        dash: str | None = None,
    ) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{stroke}" stroke-width="{width}"{extra}/>'
        )

    def text(
        self,
        x: float,
        y: float,
        content: str,
        size: float = 12,
        anchor: str = "start",
        fill: str = "#1a1a1a",
        weight: str = "normal",
        rotate: float | None = None,
    ) -> None:
        transform = f' transform="rotate({rotate:.0f} {x:.1f} {y:.1f})"' if rotate else ""
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{fill}" font-weight="{weight}"{transform}>{escape(content)}</text>'
        )

    def marker(self, shape: str, x: float, y: float, r: float, fill: str, title: str | None = None) -> None:
        style = f'fill="{fill}" fill-opacity="0.85" stroke="#ffffff" stroke-width="1"'
        if shape == "square":
            self._shape(
                f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" {style}',
                title,
            )
        elif shape in ("triangle", "diamond"):
            pts = (
                [(x, y - 1.2 * r), (x + 1.1 * r, y + 0.8 * r), (x - 1.1 * r, y + 0.8 * r)]
                if shape == "triangle"
                else [(x, y - 1.3 * r), (x + 1.3 * r, y), (x, y + 1.3 * r), (x - 1.3 * r, y)]
            )
            coords = " ".join(f"{px:.1f},{py:.1f}" for px, py in pts)
            self._shape(f'<polygon points="{coords}" {style}', title)
        else:
            self._shape(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" {style}', title)

    def _shape(self, opening: str, title: str | None) -> None:
        if title is None:
            self.parts.append(opening + "/>")
        else:  # a <title> child is the browser's native tooltip: no script needed
            self.parts.append(
                f"{opening}><title>{escape(title)}</title>{opening.split()[0].replace('<', '</')}>"
            )

    def render(self) -> str:
        head = (
            f'<svg viewBox="0 0 {self.width:.0f} {self.height:.0f}" width="{self.width:.0f}" '
            f'height="{self.height:.0f}" role="img" aria-label="{escape(self.label)}" '
            f'font-family="{escape(FONT)}">'
        )
        return head + f"<title>{escape(self.label)}</title>" + "".join(self.parts) + "</svg>"
