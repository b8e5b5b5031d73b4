"""Latency percentiles that are never invented: from CloudWatch's extended statistics or from samples.

A percentile is only as good as the number of samples under it. With 30 invocations the "p99" is
simply the slowest one, so this module reports a percentile only when enough samples stand behind it
(at least 1 / (1 - q): 2 for p50, 10 for p90, 100 for p99) and otherwise says why it is missing. The
rank is the nearest-rank definition (the smallest sample with at least q of all samples at or below
it), so every value reported is one that was actually observed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

QUANTILES: dict[str, float] = {"p50": 0.50, "p90": 0.90, "p99": 0.99}
# Where a latency came from, in the words a transcript uses.
CLOUDWATCH_PERCENTILES = "CloudWatch extended statistics"
CLOUDWATCH_AVERAGES = "CloudWatch averages"
LOG_SAMPLES = "log lines"


def milliseconds(value: float) -> str:
    """"1,250 ms", "45 ms", "4.5 ms", "0.35 ms": a per-I/O or per-request latency of a few milliseconds
    keeps its digits (rounded to whole milliseconds, 0.35 ms would read "0 ms")."""
    return f"{value:,.0f} ms" if abs(value) >= 10 else f"{value:.2g} ms"


def min_samples(q: float) -> int:
    """The fewest samples for which the q-quantile is not simply the largest sample."""
    return max(1, math.ceil(round(1.0 / (1.0 - q), 9))) if q < 1 else 1


def nearest_rank(sorted_values: list[float], q: float) -> float:
    """The q-quantile of already sorted values by nearest rank (an observed value, never interpolated)."""
    if not sorted_values:
        raise ValueError("no samples")
    rank = max(1, math.ceil(round(q * len(sorted_values), 9)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True)
class Latency:
    """What is known about one component's latency over one window, in milliseconds.

    ``percentiles`` holds only those that enough samples support; ``withheld`` names the others and
    why. ``samples`` is None where the source does not say (CloudWatch percentiles without a count).
    """

    source: str
    samples: int | None = None
    average: float | None = None
    maximum: float | None = None
    percentiles: Mapping[str, float] = field(default_factory=dict)
    withheld: Mapping[str, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.average is None and self.maximum is None and not self.percentiles

    def get(self, stat: str) -> float | None:
        if stat == "average":
            return self.average
        if stat == "maximum":
            return self.maximum
        return self.percentiles.get(stat)

    def describe(self) -> str:
        """"p50 120 ms, p90 480 ms (from log lines, 30 samples; p99 needs at least 100 samples ...)"."""
        parts = [f"{name} {milliseconds(value)}" for name, value in self.percentiles.items()]
        if not parts and self.average is not None:
            parts.append(f"average {milliseconds(self.average)}")
        if self.maximum is not None:
            parts.append(f"max {milliseconds(self.maximum)}")
        count = f", {self.samples:,} samples" if self.samples is not None else ""
        text = ", ".join(parts) + f" (from {self.source}{count}"
        if self.withheld:
            text += "; " + "; ".join(self.withheld.values())
        return text + ")"


def from_samples(values: Iterable[float | None], source: str = LOG_SAMPLES,
                 quantiles: Mapping[str, float] = QUANTILES) -> Latency | None:
    """Percentiles of observed samples (None entries are missing data and are dropped); None for none."""
    ordered = sorted(v for v in values if v is not None and not math.isnan(v))
    if not ordered:
        return None
    found: dict[str, float] = {}
    withheld: dict[str, str] = {}
    for name, q in quantiles.items():
        need = min_samples(q)
        if len(ordered) >= need:
            found[name] = nearest_rank(ordered, q)
        else:
            withheld[name] = f"{name} needs at least {need} samples, there are {len(ordered)}"
    return Latency(source, len(ordered), sum(ordered) / len(ordered), ordered[-1], found, withheld)


def from_cloudwatch(extended: Mapping[str, float | None], average: float | None = None,
                    maximum: float | None = None, samples: float | None = None,
                    scale: float = 1.0) -> Latency | None:
    """A window's latency from CloudWatch statistics (``scale`` turns seconds into ms where needed).

    Percentiles CloudWatch did not answer are not filled in; with none at all, the averages stand
    alone and the source says so.
    """
    found = {name: float(v) * scale for name, v in extended.items() if v is not None}
    count = int(samples) if samples is not None else None
    if count is not None and count <= 0:
        return None
    avg = average * scale if average is not None else None
    peak = maximum * scale if maximum is not None else None
    if not found and avg is None and peak is None:
        return None
    source = CLOUDWATCH_PERCENTILES if found else CLOUDWATCH_AVERAGES
    withheld = {} if found else {"percentiles": "CloudWatch answered no percentiles for this metric"}
    return Latency(source, count, avg, peak, found, withheld)


def best(*candidates: Latency | None) -> Latency | None:
    """The first candidate with percentiles, else the first with anything: extended statistics beat
    log samples, which beat averages."""
    present = [c for c in candidates if c is not None and not c.empty]
    return next((c for c in present if c.percentiles), present[0] if present else None)
