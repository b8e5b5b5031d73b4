"""CloudWatch ``GetMetricStatistics`` with ``ExtendedStatistics`` (p50, p90, p99), which moto accepts but
never answers: computed here from the values moto holds for each period.

Percentiles are taken over the raw values put into the period (nearest rank, as
:mod:`diagnostics.performance.percentiles` does), so a scenario that seeds one value per minute gets
percentiles of those values. Values put as pre-aggregated ``StatisticValues`` have no raw samples and
yield no percentile, as on AWS for such data. Only ``pNN`` / ``pNN.N`` statistics are understood.
"""

from __future__ import annotations

import math
import re
from typing import Any

from diagnostics.sandbox import gaps

PERCENTILE = re.compile(r"^p(\d{1,2}(?:\.\d+)?)$")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(round(q * len(ordered), 9))) - 1]


def extended(values: list[float], names: list[str]) -> dict[str, float]:
    out = {}
    for name in names:
        match = PERCENTILE.match(name)
        if match and values:
            out[name] = percentile(values, float(match.group(1)) / 100.0)
    return out


@gaps.filler
def install() -> None:
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult

    original = CloudWatchResponse.get_metric_statistics

    def get_metric_statistics(self: Any) -> Any:
        names = self._get_param("ExtendedStatistics") or []
        if not names or self._get_param("Statistics"):
            return original(self)
        periods = self.cloudwatch_backend.get_metric_statistics(
            self._get_param("Namespace"), self._get_param("MetricName"), self._get_param("StartTime"),
            self._get_param("EndTime"), self._get_int_param("Period"), ["SampleCount"],
            unit=self._get_param("Unit"), dimensions=self._get_param("Dimensions", []))
        points = []
        for stats in periods:
            found = extended([float(v) for v in stats.metric_single_values_list], names)
            if found:
                points.append({"Timestamp": stats.timestamp, "ExtendedStatistics": found})
        return ActionResult({"Label": self._get_param("MetricName"), "Datapoints": points})

    CloudWatchResponse.get_metric_statistics = get_metric_statistics  # type: ignore[method-assign]
