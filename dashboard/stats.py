"""Small statistics the dashboard computes from stored snapshots."""

from __future__ import annotations

from collections.abc import Iterable


def weighted_median(pairs: Iterable[tuple[float, int]]) -> float | None:
    """The median of values given with their weights (a day's median and its resolutions).

    Daily medians cannot be merged exactly; weighting each by its count is the usual estimate
    and is exact when every day holds one resolution.
    """
    items = sorted((v, w) for v, w in pairs if w > 0 and v is not None)
    total = sum(w for _, w in items)
    if not total:
        return None
    seen = 0
    for value, weight in items:
        seen += weight
        if seen * 2 >= total:
            return value
    return items[-1][0]
