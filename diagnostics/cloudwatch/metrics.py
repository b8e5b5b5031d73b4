"""CloudWatch metric series: one typed shape for datapoints, the fetch, and the few sums analysers need.

Only ``GetMetricStatistics`` with the plain statistics (Average, Maximum, Minimum, Sum, SampleCount)
is used: it answers the same on every account and in the sandbox (no extended statistics, no metric
math). A series with no datapoints means CloudWatch has nothing for that window, which is not the
same as a zero: analysers say so instead of reporting a healthy value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# GetMetricStatistics answers at most 1,440 datapoints per call.
MAX_DATAPOINTS = 1440
STAT_KEYS = {"Average": "average", "Maximum": "maximum", "Minimum": "minimum", "Sum": "total",
             "SampleCount": "samples"}


@dataclass(frozen=True)
class Datapoint:
    at: datetime
    average: float | None = None
    maximum: float | None = None
    minimum: float | None = None
    total: float | None = None
    samples: float | None = None

    def get(self, stat: str) -> float | None:
        return getattr(self, STAT_KEYS.get(stat, stat))


@dataclass(frozen=True)
class MetricSeries:
    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...] = ()
    period: int = 60
    points: tuple[Datapoint, ...] = field(default_factory=tuple)
    unit: str = ""

    @property
    def empty(self) -> bool:
        return not self.points

    def values(self, stat: str) -> list[float]:
        return [v for p in self.points if (v := p.get(stat)) is not None]

    def peak(self, stat: str = "Maximum") -> float | None:
        """The highest value of ``stat``, or of the averages when ``stat`` was not asked for."""
        values = self.values(stat) or self.values("Average")
        return max(values) if values else None

    def low(self, stat: str = "Minimum") -> float | None:
        values = self.values(stat) or self.values("Average")
        return min(values) if values else None

    def mean(self, stat: str = "Average") -> float | None:
        values = self.values(stat)
        return sum(values) / len(values) if values else None

    def total(self) -> float:
        return sum(self.values("Sum"))

    def latest(self, stat: str = "Average") -> float | None:
        for point in reversed(self.points):
            value = point.get(stat)
            if value is not None:
                return value
        return None

    def longest_run(self, stat: str, above: float | None = None, below: float | None = None) -> float:
        """Minutes of the longest stretch of consecutive datapoints whose ``stat`` is >= ``above``
        (or <= ``below``). A hole in the data (no datapoint for more than two periods) ends a run."""
        best = 0.0
        start: datetime | None = None
        previous: datetime | None = None
        for point in self.points:
            value = point.get(stat)
            hit = (value is not None and (above is None or value >= above)
                   and (below is None or value <= below))
            gap = previous is not None and (point.at - previous).total_seconds() > 2 * max(self.period, 300)
            if not hit or gap:
                start = None
            if hit:
                start = start or point.at
                best = max(best, ((point.at - start).total_seconds() + self.period) / 60.0)
            previous = point.at
        return best

    def summary(self) -> dict[str, Any]:
        """Compact evidence: what a person needs to judge the metric without the raw datapoints."""
        out: dict[str, Any] = {"datapoints": len(self.points), "period_seconds": self.period}
        for label, stat, fn in (("average", "Average", self.mean), ("maximum", "Maximum", self.peak),
                                ("minimum", "Minimum", self.low)):
            value = fn(stat)
            if value is not None:
                out[label] = round(value, 2)
        if self.values("Sum"):
            out["sum"] = round(self.total(), 2)
        if self.unit:
            out["unit"] = self.unit
        return out


def period_for(start: datetime, end: datetime, minimum: int = 60) -> int:
    """The smallest whole-minute period that keeps the answer under the datapoint limit."""
    seconds = max((end - start).total_seconds(), 60.0)
    period = max(minimum, math.ceil(seconds / MAX_DATAPOINTS / 60.0) * 60)
    return int(period)


def window(hours: float, now: datetime | None = None) -> tuple[datetime, datetime]:
    end = (now or datetime.now(UTC)).replace(microsecond=0) + timedelta(minutes=1)
    return end - timedelta(hours=hours, minutes=1), end


def parse_datapoints(raw: Iterable[Mapping[str, Any]]) -> tuple[tuple[Datapoint, ...], str]:
    points = []
    unit = ""
    for item in raw:
        at = item["Timestamp"]
        if isinstance(at, datetime):
            at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
        unit = unit or str(item.get("Unit", "") or "")
        points.append(Datapoint(at=at, average=item.get("Average"), maximum=item.get("Maximum"),
                                minimum=item.get("Minimum"), total=item.get("Sum"),
                                samples=item.get("SampleCount")))
    points.sort(key=lambda p: p.at)
    return tuple(points), unit


def fetch_series(cloudwatch: Any, namespace: str, name: str, dimensions: Mapping[str, str],
                 start: datetime, end: datetime, statistics: Iterable[str] = ("Average", "Maximum"),
                 period: int | None = None) -> MetricSeries:
    period = period or period_for(start, end)
    answer = cloudwatch.get_metric_statistics(
        Namespace=namespace, MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=start, EndTime=end, Period=period, Statistics=list(statistics),
    )
    points, unit = parse_datapoints(answer.get("Datapoints", []))
    return MetricSeries(namespace, name, tuple(dimensions.items()), period, points, unit)


@dataclass(frozen=True)
class WindowStats:
    """One metric summed up over a whole window: what a percentile comparison needs.

    ``extended`` holds the percentiles CloudWatch answered (p50, p90, p99); an endpoint without
    extended statistics answers none, and none are made up.
    """

    average: float | None = None
    maximum: float | None = None
    samples: float | None = None
    total: float | None = None
    extended: Mapping[str, float] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return self.average is None and self.maximum is None and not self.total and not self.extended


def combine_window(raw: Iterable[Mapping[str, Any]], extended: Iterable[Mapping[str, Any]] = ()) -> WindowStats:
    """Datapoints of a one-period-per-window answer into one WindowStats (an endpoint may still split
    the window: averages are weighted by their sample counts; a split percentile answer is not
    combinable and is dropped rather than guessed)."""
    points = list(raw)
    counted = [(p.get("Average"), p.get("SampleCount") or 0) for p in points if p.get("Average") is not None]
    weight = sum(n for _, n in counted)
    if weight:
        average = sum(a * n for a, n in counted) / weight
    else:
        average = sum(a for a, _ in counted) / len(counted) if counted else None
    maxima = [p["Maximum"] for p in points if p.get("Maximum") is not None]
    sums = [p["Sum"] for p in points if p.get("Sum") is not None]
    ext_points = [p.get("ExtendedStatistics") or {} for p in extended]
    ext_points = [p for p in ext_points if p]
    found = {k: float(v) for k, v in ext_points[0].items()} if len(ext_points) == 1 else {}
    return WindowStats(average, max(maxima) if maxima else None, weight or None,
                       sum(sums) if sums else None, found)


def fetch_window(cloudwatch: Any, namespace: str, name: str, dimensions: Mapping[str, str], start: datetime,
                 end: datetime, percentiles: Iterable[str] = ()) -> WindowStats:
    """The metric over the whole window in one period; with ``percentiles``, a second call asks for them
    (GetMetricStatistics takes plain or extended statistics, not both in one call)."""
    period = max(60, math.ceil((end - start).total_seconds() / 60.0) * 60)
    base = {"Namespace": namespace, "MetricName": name, "StartTime": start, "EndTime": end, "Period": period,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()]}
    plain = cloudwatch.get_metric_statistics(**base, Statistics=["Average", "Maximum", "SampleCount", "Sum"])
    wanted = list(percentiles)
    extended = (cloudwatch.get_metric_statistics(**base, ExtendedStatistics=wanted)
                if wanted and plain.get("Datapoints") else {})
    return combine_window(plain.get("Datapoints", []), extended.get("Datapoints", []))
