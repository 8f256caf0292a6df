"""The CAPTCHA's stroke font: each character as the pen strokes a person would draw it.

Coordinates are in a cell :data:`WIDTH` wide and :data:`HEIGHT` tall, y pointing down. A
stroke is a polyline; curves are sampled arcs. ``image.py`` resamples, distorts and draws them,
so no character, font or text ever reaches the image.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Final

Point = tuple[float, float]
Stroke = tuple[Point, ...]

WIDTH: Final = 10.0
HEIGHT: Final = 14.0
# No 0/O, 1/I/L, 2/Z, 5/S: characters people misread.
ALPHABET: Final = "346789ABCDEFGHJKMNPQRTUVWXY"


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float) -> Stroke:
    """An elliptic arc from angle ``start`` to ``end`` (degrees; 0 is right, 90 is down)."""
    steps = max(4, round(abs(end - start) / 15))
    return tuple(
        (
            cx + rx * math.cos(math.radians(start + (end - start) * i / steps)),
            cy + ry * math.sin(math.radians(start + (end - start) * i / steps)),
        )
        for i in range(steps + 1)
    )


def _turned(strokes: tuple[Stroke, Stroke]) -> tuple[Stroke, Stroke]:
    """The strokes turned half a circle about the cell's centre (a 6 becomes a 9)."""
    first, second = (tuple((WIDTH - x, HEIGHT - y) for x, y in stroke) for stroke in strokes)
    return (first, second)


_SIX: Final = (_arc(6, 6.5, 5.5, 6, 290, 180), _arc(5, 9.8, 4.5, 4.2, 180, -180))

# Every character is exactly two strokes (STROKES), so their number says nothing.
GLYPHS: Final[Mapping[str, tuple[Stroke, Stroke]]] = {
    "3": (_arc(5, 3.5, 4, 3.5, 200, 450), _arc(5, 10.5, 4.5, 3.5, 270, 520)),
    "4": (((7, 0), (0, 9.5), (10, 9.5)), ((7, 0), (7, 14))),
    "6": _SIX,
    "7": (((0, 0), (10, 0)), ((10, 0), (4, 14))),
    "8": (_arc(5, 3.6, 3.8, 3.4, 0, 360), _arc(5, 10.3, 4.5, 3.7, 0, 360)),
    "9": _turned(_SIX),
    "A": (((0, 14), (5, 0), (10, 14)), ((2.2, 8.5), (7.8, 8.5))),
    "B": (
        ((0, 14), (0, 0), (5.5, 0), *_arc(5.5, 3.5, 3.8, 3.5, 270, 450), (0, 7)),
        ((0, 7), (6, 7), *_arc(6, 10.5, 4, 3.5, 270, 450), (0, 14)),
    ),
    "C": (_arc(5.5, 7, 5, 7, -40, -180), _arc(5.5, 7, 5, 7, -180, -320)),
    "D": (((0, 14), (0, 0)), ((0, 0), (4, 0), *_arc(4, 7, 6, 7, 270, 450), (0, 14))),
    "E": (((10, 0), (0, 0), (0, 14), (10, 14)), ((0, 7), (7.5, 7))),
    "F": (((10, 0), (0, 0), (0, 14)), ((0, 7), (7.5, 7))),
    "G": (_arc(5.5, 7, 5, 7, -40, -200), (*_arc(5.5, 7, 5, 7, -200, -340), (10.2, 7.5), (6, 7.5))),
    "H": (((0, 0), (0, 14)), ((0, 7), (10, 7), (10, 0), (10, 14))),
    "J": (((4.5, 0), (9, 0)), ((9, 0), (9, 9.5), *_arc(5, 9.5, 4, 4.5, 0, 160))),
    "K": (((0, 0), (0, 14)), ((10, 0), (2, 7.5), (10, 14))),
    "M": (((0, 14), (0, 0), (5, 9)), ((5, 9), (10, 0), (10, 14))),
    "N": (((0, 14), (0, 0), (10, 14)), ((10, 14), (10, 0))),
    "P": (((0, 14), (0, 0)), ((0, 0), (5.5, 0), *_arc(5.5, 3.75, 4.3, 3.75, 270, 450), (0, 7.5))),
    "Q": (_arc(5, 7, 5, 7, 0, 360), ((5.5, 9.5), (10.5, 14.5))),
    "R": (
        ((0, 14), (0, 0), (5.5, 0), *_arc(5.5, 3.75, 4.3, 3.75, 270, 450), (0, 7.5)),
        ((4, 7.5), (10, 14)),
    ),
    "T": (((0, 0), (10, 0)), ((5, 0), (5, 14))),
    "U": (((0, 0), (0, 9), *_arc(5, 9, 5, 5, 180, 90)), (*_arc(5, 9, 5, 5, 90, 0), (10, 0))),
    "V": (((0, 0), (5, 14)), ((5, 14), (10, 0))),
    "W": (((0, 0), (2.5, 14), (5, 5)), ((5, 5), (7.5, 14), (10, 0))),
    "X": (((0, 0), (10, 14)), ((10, 0), (0, 14))),
    "Y": (((0, 0), (5, 7), (10, 0)), ((5, 7), (5, 14))),
}
STROKES: Final = 2
