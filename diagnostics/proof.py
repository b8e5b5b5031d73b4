"""The data behind a finding, as a person checks it: the metric series it rests on, the log lines that show it.

A finding's ``evidence`` sums things up; its ``proof`` keeps the few pieces a reader would open the console for:

- :class:`MetricProof`: one CloudWatch series (or a series read from log lines, such as each invocation's
  REPORT ``Max Memory Used``), the statistic, unit and period, its points as (UTC time, value), and the limit it
  is judged against (the function's timeout, its reserved concurrency, 0 CPU credits) when there is one.
- :class:`LogProof`: the two or three lines, with their timestamps, as the runtime wrote them (redacted).

Proof is built only from what a playbook already read, never with another call. A series with no datapoints
gives no proof at all (:func:`metric_proof` returns None): no data is not health, and an empty series is never
drawn as a flat line of zeros. :func:`sparkline` draws a series in block characters for a terminal or a text
export; gaps in the data stay gaps.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from diagnostics.cloudwatch.metrics import MetricSeries
from diagnostics.redact import redact_text
from diagnostics.timestamps import maybe_utc

BLOCKS = "▁▂▃▄▅▆▇█"
GAP = " "  # a stretch with no datapoint: drawn as nothing, never as zero
MAX_LOG_LINES = 3
MAX_POINTS = 1440  # what one GetMetricStatistics answer holds; a proof never keeps more
LOG_LINE_CHARS = 240

# CloudWatch's unit names as a reader writes them.
UNIT_WORDS = {"Percent": "%", "Milliseconds": "ms", "Seconds": "s", "Microseconds": "µs", "Bytes": "bytes",
              "Kilobytes": "KB", "Megabytes": "MB", "Gigabytes": "GB", "Count": "", "Count/Second": "/s",
              "Bytes/Second": "bytes/s", "None": ""}


@dataclass(frozen=True)
class MetricProof:
    """One series a finding rests on. ``period`` 0: one point per event (an invocation's REPORT line)."""

    namespace: str
    metric: str
    dimensions: str
    statistic: str
    unit: str
    period: int
    points: tuple[tuple[str, float], ...]
    limit: float | None = None
    limit_label: str = ""

    kind = "metric"

    @property
    def values(self) -> list[float]:
        return [v for _, v in self.points]

    @property
    def title(self) -> str:
        """"AWS/Lambda Throttles (FunctionName=x), Sum"; a series without dimensions is the account's."""
        where = f" ({self.dimensions})" if self.dimensions else (" (account-wide)" if self.namespace.startswith(
            "AWS/") else "")
        return f"{self.namespace} {self.metric}{where}, {self.statistic}".strip()

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "namespace": self.namespace, "metric": self.metric,
                                "dimensions": self.dimensions, "statistic": self.statistic, "unit": self.unit,
                                "period_seconds": self.period, "points": [[at, v] for at, v in self.points]}
        if self.limit is not None:
            data["limit"] = self.limit
            data["limit_label"] = self.limit_label
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricProof:
        points = tuple((str(p[0]), float(p[1])) for p in data.get("points") or ()
                       if isinstance(p, list | tuple) and len(p) == 2 and _number(p[1]))
        limit = data.get("limit")
        return cls(str(data.get("namespace", "")), str(data.get("metric", "")), str(data.get("dimensions", "")),
                   str(data.get("statistic", "")), str(data.get("unit", "")), int(data.get("period_seconds") or 0),
                   points, float(limit) if _number(limit) else None, str(data.get("limit_label") or ""))


@dataclass(frozen=True)
class LogProof:
    """The lines that show a finding: ``lines`` as (UTC time or "" when the read did not say, text)."""

    log_group: str
    stream: str
    lines: tuple[tuple[str, str], ...]

    kind = "log"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "log_group": self.log_group, "stream": self.stream,
                "lines": [[at, text] for at, text in self.lines]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LogProof:
        lines = tuple((str(p[0] or ""), str(p[1])) for p in data.get("lines") or ()
                      if isinstance(p, list | tuple) and len(p) == 2)
        return cls(str(data.get("log_group", "")), str(data.get("stream", "")), lines)


Proof = MetricProof | LogProof
F = TypeVar("F")


def with_proof(finding: F, *proofs: Proof | None) -> F:
    """``finding`` (a :class:`~diagnostics.findings.Finding`) with ``proofs`` added; those that are None (a series
    that was empty, no line to show) are left out, so an empty source never becomes a picture."""
    kept = [p for p in proofs if p is not None]
    return replace(finding, proof=[*finding.proof, *kept]) if kept else finding  # type: ignore[attr-defined,type-var]


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def iso(at: datetime, millis: bool = False) -> str:
    """UTC, to the second (a log line: to the millisecond, as runtimes write it), with a Z."""
    at = at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)
    if millis:
        return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


def proof_from_dict(data: Mapping[str, Any]) -> Proof | None:
    kind = data.get("kind")
    if kind == MetricProof.kind:
        return MetricProof.from_dict(data)
    if kind == LogProof.kind:
        return LogProof.from_dict(data)
    return None


def proofs_from(items: Iterable[Any] | None) -> list[Proof]:
    """The proof of a finding's dict (a transcript, a journal): unknown kinds are left out."""
    out: list[Proof] = []
    for item in items or ():
        if isinstance(item, MetricProof | LogProof):
            out.append(item)
        elif isinstance(item, Mapping) and (proof := proof_from_dict(item)) is not None:
            out.append(proof)
    return out


def dimension_text(dimensions: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"{k}={v}" for k, v in dimensions)


def metric_proof(series: MetricSeries | None, statistic: str, limit: float | None = None, limit_label: str = "",
                 unit: str | None = None, scale: float = 1.0, scaled_as: str = "") -> MetricProof | None:
    """``series`` as proof, or None when it was not read or has no value for ``statistic``.

    ``scale`` converts what CloudWatch counts into what the finding speaks of (a Sum per period into units a
    second: ``1 / period``, ``scaled_as="Sum per second"``); ``unit`` names the result when it differs from the
    series' own.
    """
    if series is None or series.empty:
        return None
    points = tuple((iso(p.at), round(v * scale, 6)) for p in series.points if (v := p.get(statistic)) is not None)
    if not points:
        return None
    return MetricProof(series.namespace, series.name, dimension_text(series.dimensions), scaled_as or statistic,
                       series.unit if unit is None else unit, series.period, points[-MAX_POINTS:], limit,
                       limit_label)


def event_proof(namespace: str, metric: str, dimensions: str, statistic: str, unit: str,
                events: Iterable[tuple[datetime, float]], limit: float | None = None,
                limit_label: str = "", period: int = 0) -> MetricProof | None:
    """A series read from events, or None when there is none: one point per event (a REPORT line) with
    ``period`` 0, or events counted per ``period`` seconds."""
    points = tuple((iso(at), float(v)) for at, v in sorted(events, key=lambda e: e[0]))
    if not points:
        return None
    return MetricProof(namespace, metric, dimensions, statistic, unit, period, points[-MAX_POINTS:], limit,
                       limit_label)


def log_proof(log_group: str, stream: str, lines: Iterable[tuple[datetime | None, str]],
              most: int = MAX_LOG_LINES) -> LogProof | None:
    """The last ``most`` non-empty lines, each on one line and redacted; None when there is none."""
    kept = [(iso(at, millis=True) if at else "", redact_text(text.rstrip())[:LOG_LINE_CHARS])
            for at, text in lines if text and text.strip()]
    if not kept:
        return None
    return LogProof(log_group, stream, tuple(kept[-most:]))


# --- drawing -------------------------------------------------------------------------------------


def _timeline(proof: MetricProof) -> tuple[list[datetime], float] | None:
    """The points' times and the slot one datapoint stands for: the period, or the series' own cadence (its
    smallest step) when that is longer (a series answered every 5 minutes for a 1-minute period, as basic
    monitoring does, has no gaps). None when a time does not parse."""
    times = [maybe_utc(at) for at, _ in proof.points]
    if not all(times):
        return None
    known = [t for t in times if t is not None]
    steps = [(b - a).total_seconds() for a, b in itertools.pairwise(known)]
    return known, max(float(proof.period), min((s for s in steps if s > 0), default=float(proof.period)))


def cadence(proof: MetricProof) -> int:
    """Seconds between two datapoints as answered (see :func:`_timeline`)."""
    line = _timeline(proof)
    return int(line[1]) if line else proof.period


def cells(proof: MetricProof, width: int) -> list[float | None]:
    """The series laid out on at most ``width`` cells, in time: None where no datapoint fell (a gap).

    With a period, each cell is one or more periods from the first point to the last, so a missing period is a
    gap. A cell that holds several points keeps the worst of them: the lowest for a Minimum series (a balance
    running out), the highest otherwise (a peak).
    """
    if not proof.points or width < 1:
        return []
    pick = min if proof.statistic == "Minimum" else max
    line = _timeline(proof) if proof.period > 0 else None
    if line is not None:
        times, slot = line
        slots = [round((t - times[0]).total_seconds() / slot) for t in times]
        count = slots[-1] + 1
    else:
        slots = list(range(len(proof.points)))
        count = len(proof.points)
    per = max(1, math.ceil(count / width))
    out: list[list[float]] = [[] for _ in range(math.ceil(count / per))]
    for slot, (_, value) in zip(slots, proof.points, strict=True):
        out[min(len(out) - 1, max(0, slot // per))].append(value)
    return [pick(group) if group else None for group in out]


def segments(proof: MetricProof) -> list[list[tuple[float, float]]]:
    """The points as (position 0..1 along the time drawn, value), split where the data has a gap: a line is
    drawn only between two datapoints that follow each other."""
    if not proof.points:
        return []
    line = _timeline(proof)
    if line is None or len(proof.points) == 1:
        n = max(1, len(proof.points) - 1)
        return [[(i / n if len(proof.points) > 1 else 0.5, v) for i, (_, v) in enumerate(proof.points)]]
    times, slot = line
    total = max(1.0, (times[-1] - times[0]).total_seconds())
    out: list[list[tuple[float, float]]] = [[]]
    for i, (at, (_, value)) in enumerate(zip(times, proof.points, strict=True)):
        if i and proof.period > 0 and (at - times[i - 1]).total_seconds() > 1.5 * slot:
            out.append([])
        out[-1].append(((at - times[0]).total_seconds() / total, value))
    return out


def scale_of(proof: MetricProof) -> tuple[float, float]:
    """The low and high end a drawing spans: the values and the limit, from 0 for a series that never goes
    below it (a bar's height then says how much, not only how it moved)."""
    values = proof.values
    low = min([*values, *([proof.limit] if proof.limit is not None else [])])
    high = max([*values, *([proof.limit] if proof.limit is not None else [])])
    return min(low, 0.0), high


def sparkline(proof: MetricProof, width: int = 60) -> str:
    """The series in block characters, at most ``width`` wide; gaps as spaces. "" when there is no point."""
    low, high = scale_of(proof)
    span = high - low
    out = []
    for value in cells(proof, width):
        if value is None:
            out.append(GAP)
        elif span <= 0:
            out.append(BLOCKS[0])
        else:
            out.append(BLOCKS[min(len(BLOCKS) - 1, max(0, int((value - low) / span * (len(BLOCKS) - 1) + 0.5)))])
    return "".join(out)


def number(value: float) -> str:
    """A value as a reader wants it: whole above 100, three significant digits below."""
    if abs(value) >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:.3g}"


def unit_words(unit: str) -> str:
    return UNIT_WORDS.get(unit, unit)


def with_unit(value: float, unit: str) -> str:
    words = unit_words(unit)
    if not words:
        return number(value)
    return f"{number(value)}{words}" if words in ("%", "/s") else f"{number(value)} {words}"


def period_words(period: int) -> str:
    if period <= 0:
        return "one point per invocation"
    if period % 3600 == 0:
        return f"{period // 3600} h periods"
    if period % 60 == 0:
        return f"{period // 60} min periods"
    return f"{period} s periods"


def stats_words(proof: MetricProof) -> str:
    """"min 0, max 98%, last 97%; 1 min periods; limit 90% (saturated)"."""
    values = proof.values
    unit = proof.unit
    every = cadence(proof) if proof.period > 0 else 0
    when = period_words(proof.period)
    if every > proof.period > 0:
        when += f", a datapoint every {period_words(every).removesuffix(' periods')}"
    text = (f"min {with_unit(min(values), unit)}, max {with_unit(max(values), unit)}, "
            f"last {with_unit(values[-1], unit)}; {when}")
    if proof.limit is not None:
        label = f" ({proof.limit_label})" if proof.limit_label else ""
        text += f"; limit {with_unit(proof.limit, unit)}{label}"
    return text


def span_words(proof: MetricProof) -> str:
    """"2026-11-29 13:00 to 14:00 UTC": the time the drawing covers."""
    first, last = maybe_utc(proof.points[0][0]), maybe_utc(proof.points[-1][0])
    if first is None or last is None:
        return ""
    end = f"{last:%H:%M}" if first.date() == last.date() else f"{last:%Y-%m-%d %H:%M}"
    return f"{first:%Y-%m-%d %H:%M} to {end} UTC"


def log_day(proof: LogProof) -> str:
    """The one UTC day all the lines fall on ("2026-11-30"), or "" when they span days or have no time."""
    days = {at[:10] for at, _ in proof.lines}
    return days.pop() if len(days) == 1 and all(at for at, _ in proof.lines) else ""


def log_line_words(line: tuple[str, str], day: str = "") -> str:
    """A line with its time: the time of day when the heading already says the ``day``, else the full time."""
    at, text = line
    if not at:
        return text
    return f"{at[11:].removesuffix('Z') if day and at.startswith(day) else at}  {text}"


def metric_points(proofs: Sequence[Proof]) -> list[MetricProof]:
    return [p for p in proofs if isinstance(p, MetricProof)]
