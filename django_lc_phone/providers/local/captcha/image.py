"""The CAPTCHA image: the answer's strokes, distorted and mixed with decoys, as an SVG.

Nothing in the file names the answer: no text, no font, no character. Each character is drawn
from the stroke font in ``glyphs.py``, turned, scaled and sheared on its own, then every point
is moved by a wave and a jitter drawn afresh for each image, so the coordinates themselves are
distorted (there is no transform attribute to undo). Decoy strokes are polylines of the same
kind, width and colours, and the image always has the same elements in the same order (one
background, then a fixed number of polylines, shuffled, each of the same number of points),
whatever the answer: telling strokes from decoys takes reading the picture.
"""

from __future__ import annotations

import bisect
import itertools
import math
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from .glyphs import GLYPHS, HEIGHT, WIDTH, Point, Stroke

_CELL: Final = 40  # pixels per character
_MARGIN: Final = 14
_IMAGE_HEIGHT: Final = 64
_POINTS: Final = 16  # per stroke, glyph or decoy
# Decoys per image: pieces of characters strewn anywhere, and curves across the whole image.
_PIECES: Final = 4
_CROSSINGS: Final = 1
_GLYPH_SCALE: Final = 2.4  # pixels per unit of the stroke font
_BACKGROUND: Final = "rgb(246,246,242)"

_random = secrets.SystemRandom()


@dataclass(frozen=True)
class _Affine:
    """``x' = a x + b y + e``, ``y' = c x + d y + f``."""

    a: float
    b: float
    c: float
    d: float
    e: float
    f: float

    def __call__(self, point: Point) -> Point:
        x, y = point
        return (self.a * x + self.b * y + self.e, self.c * x + self.d * y + self.f)


def _placement(centre: Point, scale: float, turn_degrees: float) -> _Affine:
    """A font cell centred on ``centre``: scaled, turned, sheared and squashed at random."""
    angle = math.radians(turn_degrees)
    shear = _random.uniform(-0.25, 0.25)
    sx = scale * _random.uniform(0.85, 1.1)
    sy = scale * _random.uniform(0.85, 1.1)
    cos, sin = math.cos(angle), math.sin(angle)
    # Centre the cell on the origin, shear, scale, turn, then move to ``centre``.
    a, b = cos * sx, cos * sx * shear - sin * sy
    c, d = sin * sx, sin * sx * shear + cos * sy
    cx, cy = WIDTH / 2, HEIGHT / 2
    return _Affine(a, b, c, d, centre[0] - a * cx - b * cy, centre[1] - c * cx - d * cy)


def _resampled(stroke: Sequence[Point], count: int = _POINTS) -> list[Point]:
    """``count`` points evenly spaced along the stroke (so every stroke has as many)."""
    # ends[k] is how far along the stroke its point k lies.
    steps = (math.dist(p, q) for p, q in itertools.pairwise(stroke))
    ends = list(itertools.accumulate(steps, initial=0.0))
    points = []
    for step in range(count):
        target = ends[-1] * step / (count - 1)
        k = min(max(bisect.bisect_right(ends, target) - 1, 0), len(stroke) - 2)
        t = min(1.0, (target - ends[k]) / ((ends[k + 1] - ends[k]) or 1.0))
        (x1, y1), (x2, y2) = stroke[k], stroke[k + 1]
        points.append((x1 + (x2 - x1) * t, y1 + (y2 - y1) * t))
    return points


def _fragment(stroke: Stroke) -> list[Point]:
    """A random stretch of a stroke: a quarter to nearly half of it (short enough to read as
    a scratch, not as a character)."""
    points = _resampled(stroke, 40)
    size = _random.randint(10, 18)
    start = _random.randint(0, len(points) - size)
    return points[start : start + size]


def _piece(width: float) -> list[Point]:
    """A decoy: a piece of some character's stroke, anywhere, turned any way."""
    strokes = GLYPHS[_random.choice(sorted(GLYPHS))]
    centre = (_random.uniform(_MARGIN, width - _MARGIN), _random.uniform(16, _IMAGE_HEIGHT - 16))
    place = _placement(centre, _GLYPH_SCALE * _random.uniform(0.7, 1.0), _random.uniform(0, 360))
    return [place(p) for p in _fragment(_random.choice(strokes))]


def _crossing(width: float) -> list[Point]:
    """A decoy: a gentle curve from one side of the image to the other."""
    y = _random.uniform(14, _IMAGE_HEIGHT - 14)
    lift, phase = _random.uniform(-8, 8), _random.uniform(0, math.tau)
    last = _POINTS - 1
    return [(width * i / last, y + lift * math.sin(phase + 4 * i / last)) for i in range(_POINTS)]


@dataclass(frozen=True)
class _Wave:
    """Moves every point by two sine waves, one across and one along the image, and a jitter
    of its own."""

    ax: float
    ay: float
    kx: float
    ky: float
    px: float
    py: float

    @classmethod
    def new(cls) -> _Wave:
        """A wave of its own for one image."""
        return cls(
            ax=_random.uniform(1.5, 3.0),
            ay=_random.uniform(2.0, 4.0),
            kx=math.tau / _random.uniform(28, 48),
            ky=math.tau / _random.uniform(50, 90),
            px=_random.uniform(0, math.tau),
            py=_random.uniform(0, math.tau),
        )

    def __call__(self, point: Point, width: float) -> Point:
        x, y = point
        x += self.ax * math.sin(self.kx * y + self.px) + _random.uniform(-0.5, 0.5)
        y += self.ay * math.sin(self.ky * x + self.py) + _random.uniform(-0.5, 0.5)
        return (min(width, max(0.0, x)), min(_IMAGE_HEIGHT, max(0.0, y)))


def _colour() -> str:
    red, green, blue = (_random.randint(25, 100) for _ in range(3))
    return f"rgb({red},{green},{blue})"


def _answer_strokes(text: str, colours: list[str]) -> list[tuple[list[Point], str]]:
    """The characters' strokes, each character in its own place, angle and colour."""
    strokes = []
    for index, char in enumerate(text):
        centre = (
            _MARGIN + _CELL * (index + 0.5) + _random.uniform(-4, 4),
            _IMAGE_HEIGHT / 2 + _random.uniform(-3, 3),
        )
        place = _placement(centre, _GLYPH_SCALE, _random.uniform(-15, 15))
        strokes += [([place(point) for point in stroke], colours[index]) for stroke in GLYPHS[char]]
    return strokes


def _polyline(points: Sequence[Point], colour: str) -> str:
    return (
        f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}" '
        f'stroke="{colour}" stroke-width="{_random.uniform(2.0, 2.8):.1f}"/>'
    )


def render_svg(text: str) -> str:
    """``text`` (characters of ``glyphs.ALPHABET``) as a distorted SVG among decoy strokes."""
    width = 2 * _MARGIN + _CELL * len(text)
    # A colour per character; decoys take the same ones, so colour groups no strokes apart.
    colours = [_colour() for _ in text]
    strokes = _answer_strokes(text, colours)
    strokes += [(_piece(width), _random.choice(colours)) for _ in range(_PIECES)]
    strokes += [(_crossing(width), _random.choice(colours)) for _ in range(_CROSSINGS)]
    _random.shuffle(strokes)
    wave = _Wave.new()
    lines = []
    for stroke, colour in strokes:
        points = [wave(point, width) for point in _resampled(stroke)]
        if _random.random() < 0.5:  # which end a stroke starts from says nothing either
            points.reverse()
        lines.append(_polyline(points, colour))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{_IMAGE_HEIGHT}" '
        f'viewBox="0 0 {width} {_IMAGE_HEIGHT}">'
        f'<rect width="{width}" height="{_IMAGE_HEIGHT}" fill="{_BACKGROUND}"/>'
        '<g fill="none" stroke-linecap="round" stroke-linejoin="round">'
        + "".join(lines)
        + "</g></svg>"
    )
