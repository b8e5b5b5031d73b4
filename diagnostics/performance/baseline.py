"""Now against normal: the baseline window and the arithmetic of "how much slower".

p99 of 2.6 s is fine for a batch job and a disaster for a checkout API, so a latency is judged
against the same component's latency in a baseline window: by default the same hours one week
earlier (same weekday, same time of day, so the traffic is alike), or one day earlier, or the window
just before this one. A comparison needs the same statistic on both sides; where one side has no
data the comparison says so instead of reporting a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from diagnostics.performance.components import REQUEST_GROWTH_MS
from diagnostics.performance.percentiles import Latency, milliseconds

BASELINES = {"week": "the same hours one week earlier", "day": "the same hours one day earlier",
             "previous": "the window just before"}
# The statistics compared, in order of preference: p90 is steady and still sees the tail.
COMPARED = ("p90", "p50", "average", "p99")
# Slower means both: grown by a ratio, and by at least a floor in milliseconds that fits the metric's
# scale (components.LATENCY: 100 ms for what a request waits for, a few ms per disk I/O or table call).
# The ratio alone would call 1 ms -> 3 ms an incident; the floor alone would miss 2 ms -> 80 ms per I/O.
SLOWER_RATIO = 1.5
MUCH_SLOWER_RATIO = 2.0


def baseline_name(text: str) -> str:
    """Validate the ``baseline`` parameter: week, day or previous."""
    value = text.strip().lower()
    if value not in BASELINES:
        raise ValueError(f"'{text}' is not a baseline: use week (default), day or previous")
    return value


def baseline_window(start: datetime, end: datetime, mode: str = "week") -> tuple[datetime, datetime]:
    shift = {"week": timedelta(days=7), "day": timedelta(days=1)}.get(mode, end - start)
    return start - shift, end - shift


@dataclass(frozen=True)
class Change:
    """One statistic now and at baseline. ``ratio`` and ``growth_ms`` are None when a side is missing.
    ``floor_ms`` is the smallest growth that counts at this metric's scale (components.min_growth_ms)."""

    stat: str
    now: float | None
    then: float | None
    floor_ms: float = REQUEST_GROWTH_MS

    @property
    def growth_ms(self) -> float | None:
        return None if self.now is None or self.then is None else self.now - self.then

    @property
    def ratio(self) -> float | None:
        if self.now is None or self.then is None or self.then <= 0:
            return None
        return self.now / self.then

    @property
    def slower(self) -> bool:
        return (self.ratio or 0) >= SLOWER_RATIO and (self.growth_ms or 0) >= self.floor_ms

    @property
    def much_slower(self) -> bool:
        return (self.ratio or 0) >= MUCH_SLOWER_RATIO and (self.growth_ms or 0) >= 2 * self.floor_ms

    @property
    def weight(self) -> float:
        """Growth in units of the metric's floor: compares a per-I/O regression with a per-request one."""
        return (self.growth_ms or 0.0) / self.floor_ms

    def sentence(self) -> str:
        if self.now is None and self.then is None:
            return f"no {self.stat} now or at baseline"
        if self.then is None:
            return f"{self.stat} {milliseconds(self.now)} now, no data at baseline"
        if self.now is None:
            return f"no data now, {self.stat} {milliseconds(self.then)} at baseline"
        ratio = f" ({self.ratio:.1f}x)" if self.ratio is not None else ""
        return f"{self.stat} {milliseconds(self.now)} now against {milliseconds(self.then)} at baseline{ratio}"


def compare(now: Latency | None, then: Latency | None, floor_ms: float = REQUEST_GROWTH_MS) -> Change | None:
    """The first statistic of COMPARED that both windows have; else what one side has; None for neither.
    ``floor_ms``: the smallest growth that counts for this metric (components.min_growth_ms)."""
    if now is None and then is None:
        return None
    for stat in COMPARED:
        a = now.get(stat) if now else None
        b = then.get(stat) if then else None
        if a is not None and b is not None:
            return Change(stat, a, b, floor_ms)
    for stat in COMPARED:
        a = now.get(stat) if now else None
        b = then.get(stat) if then else None
        if a is not None or b is not None:
            return Change(stat, a, b, floor_ms)
    return None


def own_time(total: float | None, below: float | None) -> float | None:
    """A component's own time: what it took minus what the component below it took (never negative).

    Percentiles do not subtract exactly (the slowest front-end requests need not be the slowest
    back-end ones), so callers use this with averages or with the same percentile on both sides, and
    say it is an estimate.
    """
    if total is None:
        return None
    if below is None:
        return total
    return max(0.0, total - below)


def rate(part: float | None, whole: float | None) -> float | None:
    """part / whole, None when the whole is missing or zero (an error rate without requests is unknown)."""
    if part is None or not whole:
        return None
    return part / whole
