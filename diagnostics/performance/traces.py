"""Where the time goes inside requests, from X-Ray trace summaries (pure).

``GetTraceSummaries`` answers one summary per trace: its ResponseTime, whether it had a fault or an
error, and ``ResponseTimeRootCauses``: the services (and the path of entities within each) that X-Ray
holds responsible for the response time. Counting, over the slowest traces, which service is named
as the root cause says which segment takes the time, with example trace IDs to open.
See https://docs.aws.amazon.com/xray/latest/api/API_TraceSummary.html and
https://docs.aws.amazon.com/xray/latest/api/API_ResponseTimeRootCause.html.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from diagnostics.performance.percentiles import Latency, from_samples

SLOWEST_SHARE = 0.1  # the slowest tenth of the traces, at least SLOWEST_MIN of them
SLOWEST_MIN = 5
EXAMPLES = 3


@dataclass(frozen=True)
class RootCause:
    service: str
    entity: str  # the deepest entity X-Ray named in that service ("DynamoDB GetItem", a subsegment)
    traces: int
    share: float  # of the slow traces
    examples: tuple[str, ...]


@dataclass(frozen=True)
class TraceReading:
    count: int
    faults: int
    errors: int
    latency: Latency | None
    slow: int
    causes: tuple[RootCause, ...]


def _cause_of(summary: Mapping[str, Any]) -> tuple[str, str] | None:
    """The service and deepest entity X-Ray blames for this trace's response time."""
    for cause in summary.get("ResponseTimeRootCauses") or []:
        for service in cause.get("Services") or []:
            path = service.get("EntityPath") or []
            if not path:
                continue
            entity = " > ".join(str(e.get("Name", "?")) for e in path)
            return str(service.get("Name") or path[0].get("Name") or "?"), entity
    return None


def read_summaries(summaries: Iterable[Mapping[str, Any]]) -> TraceReading:
    traces = list(summaries)
    times = [float(t["ResponseTime"]) * 1000.0 for t in traces if t.get("ResponseTime") is not None]
    ordered = sorted(traces, key=lambda t: -(t.get("ResponseTime") or 0))
    slow = ordered[:max(SLOWEST_MIN, int(len(ordered) * SLOWEST_SHARE))] if ordered else []
    blamed: Counter[tuple[str, str]] = Counter()
    examples: dict[tuple[str, str], list[str]] = {}
    for trace in slow:
        cause = _cause_of(trace)
        if cause is None:
            continue
        blamed[cause] += 1
        examples.setdefault(cause, [])
        if len(examples[cause]) < EXAMPLES:
            examples[cause].append(str(trace.get("Id", "")))
    causes = tuple(RootCause(service, entity, n, n / len(slow), tuple(examples[(service, entity)]))
                   for (service, entity), n in blamed.most_common())
    return TraceReading(len(traces), sum(1 for t in traces if t.get("HasFault")),
                        sum(1 for t in traces if t.get("HasError")), from_samples(times, "X-Ray traces"),
                        len(slow), causes)


def describe_traces(reading: TraceReading) -> str:
    if not reading.count:
        return "no traces"
    text = f"{reading.count} traces ({reading.faults} with faults, {reading.errors} with errors)"
    if reading.latency is not None:
        text += f", response time {reading.latency.describe()}"
    if reading.causes:
        top = reading.causes[0]
        text += (f"; in {top.traces} of the {reading.slow} slowest, X-Ray names {top.entity} ({top.service}) as "
                 f"the root cause of the response time ({top.share:.0%}), e.g. trace {', '.join(top.examples)}")
    else:
        text += "; X-Ray named no root cause for the slowest traces"
    return text + "."
