"""Stacked bars per day, laid out for a server-rendered SVG (the template draws the shapes).

No script and no inline style: the page's Content-Security-Policy allows neither. Colours
come from the stylesheet through each segment's class.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 720
HEIGHT = 220
_LEFT = 44
_RIGHT = 40
_TOP = 10
_BOTTOM = 28
_GAP = 0.2
_TICKS = 4


@dataclass(frozen=True, slots=True)
class Segment:
    """One status's part of one day's bar."""

    x: float
    y: float
    width: float
    height: float
    series: str
    title: str


@dataclass(frozen=True, slots=True)
class Tick:
    """A label on an axis, at a position along it."""

    at: float
    text: str


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart ready to draw: its box, bars, axes and what it says in words."""

    label: str
    width: int
    height: int
    segments: list[Segment]
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    baseline: float
    left: float
    right: float
    total: int


def _nice_ceiling(value: int) -> int:
    """The smallest round number (1, 2 or 5 times a power of ten) at or above ``value``."""
    if value <= _TICKS:
        return _TICKS
    power: int = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def stacked_bars(
    label: str,
    days: Sequence[date],
    series: Sequence[str],
    counts: Mapping[tuple[date, str], int],
    day_text: Mapping[date, str],
    series_text: Mapping[str, str],
    number: Callable[[int], str] = str,
) -> Chart:
    """One bar per day, one segment per series (bottom first), scaled to the busiest day.

    ``day_text`` and ``series_text`` word the labels and each segment's tooltip; ``number``
    writes numbers in the reader's digits.
    """
    totals = {d: sum(counts.get((d, s), 0) for s in series) for d in days}
    top = _nice_ceiling(max(totals.values(), default=0))
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(1, len(days))
    bar = slot * (1 - _GAP)
    baseline = float(_TOP + plot_h)
    segments: list[Segment] = []
    for i, d in enumerate(days):
        x = _LEFT + i * slot + (slot - bar) / 2
        y = baseline
        for s in series:
            n = counts.get((d, s), 0)
            if n <= 0:
                continue
            h = plot_h * n / top
            y -= h
            title = f"{day_text[d]} · {series_text[s]}: {number(n)}"
            segments.append(Segment(round(x, 2), round(y, 2), round(bar, 2), round(h, 2), s, title))
    label_every = max(1, math.ceil(len(days) / 6))
    x_ticks = [
        Tick(round(_LEFT + i * slot + slot / 2, 2), day_text[d])
        for i, d in enumerate(days)
        if (len(days) - 1 - i) % label_every == 0
    ]
    y_ticks = [
        Tick(round(baseline - plot_h * k / _TICKS, 2), number(top * k // _TICKS))
        for k in range(_TICKS + 1)
    ]
    return Chart(
        label=label,
        width=WIDTH,
        height=HEIGHT,
        segments=segments,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        baseline=baseline,
        left=float(_LEFT),
        right=float(WIDTH - _RIGHT),
        total=sum(totals.values()),
    )
