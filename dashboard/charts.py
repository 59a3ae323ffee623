"""Server-side SVG charts: no JavaScript, nothing to build, allowed by the page's CSP.

Each function returns safe markup built only from numbers and escaped labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# One colour per account state, shared by charts, legends and badges (site CSS uses the same).
STATE_COLOURS = {
    "healthy": "#2b8a3e",
    "healing": "#1c7ed6",
    "waiting_user": "#f08c00",
    "waiting_admin": "#e03131",
    "waiting_operator": "#7048e8",
    "unchecked": "#adb5bd",
    "disabled": "#495057",
}
STATE_LABELS = {
    "healthy": "Healthy",
    "healing": "Healing",
    "waiting_user": "Waiting on user",
    "waiting_admin": "Waiting on admin",
    "waiting_operator": "Waiting on operator",
    "unchecked": "Not checked yet",
    "disabled": "Removed from sync",
}


@dataclass(frozen=True)
class Part:
    key: str
    value: int

    @property
    def colour(self) -> str:
        return STATE_COLOURS.get(self.key, "#868e96")

    @property
    def label(self) -> str:
        return STATE_LABELS.get(self.key, self.key)


def _svg(width: int, height: int, label: str, body: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every interpolated value below is a number or escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'class="chart" role="img" aria-label="{escape(label)}"><title>{escape(label)}</title>'
        f"{body}</svg>"
    )


def state_bar(parts: Sequence[Part], *, width: int = 320, height: int = 14) -> SafeString:
    """One horizontal bar split by state: the share of each at a glance."""
    total = sum(p.value for p in parts)
    label = ", ".join(f"{p.label}: {p.value}" for p in parts if p.value) or "No accounts"
    if not total:
        return _svg(
            width, height, label, f'<rect width="{width}" height="{height}" rx="3" fill="#e9ecef"/>'
        )
    x, body = 0.0, []
    for p in parts:
        if not p.value:
            continue
        w = width * p.value / total
        body.append(
            f'<rect x="{x:.2f}" width="{w:.2f}" height="{height}" fill="{p.colour}">'
            f"<title>{escape(p.label)}: {p.value}</title></rect>"
        )
        x += w
    return _svg(width, height, label, "".join(body))


def stacked_area(
    days: Sequence[date],
    series: dict[str, Sequence[int | None]],
    *,
    width: int = 520,
    height: int = 160,
    title: str = "30-day trend",
) -> SafeString:
    """States stacked over the days: healthy at the bottom, the problems on top.

    A day without a snapshot is ``None`` in every series: the areas join its neighbours
    instead of dropping to zero.
    """
    pad_l, pad_b, pad_t = 40, 18, 6
    plot_w, plot_h = width - pad_l - 4, height - pad_b - pad_t
    n = len(days)
    present = [i for i in range(n) if any(series[k][i] is not None for k in series)]
    totals = [sum(series[k][i] or 0 for k in series) for i in present]
    top = max(totals, default=0) or 1

    def x(i: int) -> float:
        return pad_l + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return pad_t + plot_h - plot_h * v / top

    body = [
        f'<line x1="{pad_l}" y1="{y(0):.1f}" x2="{width - 4}" y2="{y(0):.1f}" stroke="#ced4da"/>',
        f'<text x="{pad_l - 4}" y="{y(top) + 4:.1f}" text-anchor="end" class="axis">{top}</text>',
        f'<text x="{pad_l - 4}" y="{y(0):.1f}" text-anchor="end" class="axis">0</text>',
    ]
    if n:
        body.append(
            f'<text x="{x(0):.1f}" y="{height - 4}" class="axis">{days[0]:%b %d}</text>'
            f'<text x="{x(n - 1):.1f}" y="{height - 4}" text-anchor="end" class="axis">'
            f"{days[-1]:%b %d}</text>"
        )
    base = dict.fromkeys(present, 0)
    for key, values in series.items():
        if not any(values[i] for i in present):
            continue
        upper = {i: base[i] + (values[i] or 0) for i in present}
        if len(present) == 1:
            (i,) = present
            pts = [(x(i) - 6, y(upper[i])), (x(i) + 6, y(upper[i]))]
            low = [(x(i) + 6, y(base[i])), (x(i) - 6, y(base[i]))]
        else:
            pts = [(x(i), y(upper[i])) for i in present]
            low = [(x(i), y(base[i])) for i in reversed(present)]
        path = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts + low)
        colour = STATE_COLOURS.get(key, "#868e96")
        label = STATE_LABELS.get(key, key)
        body.append(
            f'<polygon points="{path}" fill="{colour}" fill-opacity="0.85">'
            f"<title>{escape(label)}</title></polygon>"
        )
        base = upper
    # One transparent column per day carrying that day's values: hovering the chart shows them
    # (the SVG's own <title> tooltip: no script, so nothing for the CSP to allow).
    step = plot_w / (n - 1) if n > 1 else plot_w
    for i in present:
        values = ", ".join(
            f"{STATE_LABELS.get(k, k)} {series[k][i] or 0}" for k in series if series[k][i]
        )
        left = max(pad_l, x(i) - step / 2)
        col_w = min(width - 4, x(i) + step / 2) - left
        body.append(
            f'<rect class="day" x="{left:.1f}" y="{pad_t}" width="{col_w:.1f}" height="{plot_h}" '
            f'fill="transparent"><title>{days[i]:%b %d}: {escape(values or "no accounts")}'
            "</title></rect>"
        )
    if not present:
        body.append(
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="axis">'
            "No snapshots yet</text>"
        )
    return _svg(width, height, title, "".join(body))


def sparkline(
    values: Sequence[float | None], *, width: int = 160, height: int = 36, title: str = ""
) -> SafeString:
    """A small line of one value over the days; gaps where a day had no value."""
    known = [v for v in values if v is not None]
    if not known:
        return _svg(width, height, title or "No data", "")
    top, n = max(known) or 1, len(values)
    segs, cur = [], []
    for i, v in enumerate(values):
        if v is None:
            if cur:
                segs.append(cur)
            cur = []
            continue
        px = 2 + (width - 4) * (i / (n - 1) if n > 1 else 0.5)
        cur.append(f"{px:.1f},{height - 2 - (height - 4) * v / top:.1f}")
    if cur:
        segs.append(cur)
    body = "".join(
        f'<polyline points="{" ".join(s)}" fill="none" stroke="#3b5bdb" stroke-width="2"/>'
        if len(s) > 1
        else f'<circle cx="{s[0].split(",")[0]}" cy="{s[0].split(",")[1]}" r="2" fill="#3b5bdb"/>'
        for s in segs
    )
    return _svg(width, height, title, body)
