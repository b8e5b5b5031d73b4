"""Which component's own time grew most against the baseline: the main finding of a slow path.

Each component's latency is compared with its baseline. A component whose total grew only because
the component below it grew (an API whose IntegrationLatency grew as much as its Latency, a target
group whose Lambda targets got slower) is reported as "something below it got slower"; the finding
names the component whose *own* time grew most, with both numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from diagnostics.cloudtrail.resource_names import cloudtrail_names
from diagnostics.findings import Finding
from diagnostics.performance.baseline import SLOWER_RATIO, Change, compare, own_time
from diagnostics.performance.components import LATENCY, Component, children, min_growth_ms
from diagnostics.performance.percentiles import Latency, milliseconds


@dataclass(frozen=True)
class Timing:
    """One component's latency now and at baseline, and the part of it spent below it."""

    component: Component
    now: Latency | None = None
    then: Latency | None = None
    below_now: Latency | None = None
    below_then: Latency | None = None
    metric: str = ""  # the metric compared, when not the component's main one (RDS WriteLatency)


def subtract(total: Latency | None, below: Latency | None) -> Latency | None:
    """Own time, statistic by statistic (an estimate for percentiles: see :func:`own_time`)."""
    if total is None or below is None:
        return total
    pct = {k: own for k, v in total.percentiles.items()
           if k in below.percentiles and (own := own_time(v, below.percentiles[k])) is not None}
    return Latency(total.source, total.samples, own_time(total.average, below.average),
                   None, pct, total.withheld)


@dataclass(frozen=True)
class Verdict:
    component: Component
    total: Change | None
    own: Change | None
    below_grew: bool  # its total grew, but the time below it grew as much
    metric: str = ""  # as Timing.metric

    @property
    def own_growth(self) -> float:
        """Own growth in units of the metric's floor, so 2 ms -> 80 ms per disk I/O outranks a load
        balancer's 150 ms more per request (comparable across metrics of different scales)."""
        return self.own.weight if self.own else 0.0


def with_children(timings: Mapping[str, Timing], path: list[Component]) -> dict[str, Timing]:
    """Fill ``below`` from the slowest child where the component has no metric of its own for it."""
    out = dict(timings)
    for comp in path:
        t = out.get(comp.key)
        if t is None or t.below_now is not None:
            continue
        kids = [out[c.key] for c in children(path, comp.key) if c.key in out]
        now = [k.now for k in kids if k.now is not None]
        then = [k.then for k in kids if k.then is not None]
        if now:
            out[comp.key] = Timing(comp, t.now, t.then, max(now, key=lambda x: x.average or 0),
                                   max(then, key=lambda x: x.average or 0) if then else None)
    return out


def judge(timings: Iterable[Timing]) -> list[Verdict]:
    """Every component with a comparison, the one whose own time grew most first."""
    verdicts = []
    for t in timings:
        floor = min_growth_ms(t.component.kind)
        total = compare(t.now, t.then, floor)
        if total is None:
            continue
        own = compare(subtract(t.now, t.below_now), subtract(t.then, t.below_then), floor) \
            if t.below_now is not None else total
        below_grew = bool(total.slower and own is not None and not own.slower)
        verdicts.append(Verdict(t.component, total, own, below_grew, t.metric))
    return sorted(verdicts, key=lambda v: -v.own_growth)


def sentence(verdict: Verdict) -> str:
    """"label: p90 900 ms now against 300 ms at baseline (3.0x)", with its own share where part of
    its time is spent below it."""
    comp, total, own = verdict.component, verdict.total, verdict.own
    metric = LATENCY.get(comp.kind)
    # A component judged on several metrics says which one each sentence is about.
    name = verdict.metric or (metric.name if metric and metric.also else "")
    label = f"{comp.label} {name}" if name else comp.label
    if total is None:
        return f"{label}: no data"
    text = f"{label}: {total.sentence()}"
    if own is not None and own is not total and own.now is not None and own.then is not None:
        text += f", of which its own time {milliseconds(own.now)} (was {milliseconds(own.then)})"
    return text


def under_floor(verdicts: Iterable[Verdict]) -> list[str]:
    """Components whose own time grew by the ratio but by fewer milliseconds than count at their metric's
    scale, said as such (never a bare "nothing got slower" beside "(3.0x)")."""
    out = []
    for v in verdicts:
        own = v.own
        if own is None or own.slower or (own.ratio or 0) < SLOWER_RATIO or own.growth_ms is None:
            continue
        out.append(f"{v.component.label} grew {own.ratio:.1f}x, but by {milliseconds(own.growth_ms)}, less than "
                   f"the {milliseconds(own.floor_ms)} that counts as slower for its metric")
    return out


def regression_finding(verdicts: list[Verdict], baseline: str, region: str) -> Finding | None:
    """The component whose own time grew most, if it grew enough to matter."""
    top = next((v for v in verdicts if v.own is not None and v.own.slower), None)
    if top is None:
        return None
    comp, own = top.component, top.own
    assert own is not None and own.now is not None and own.then is not None
    below = [v.component.label for v in verdicts if v.below_grew]
    also = (f" Slower too, but only because of what is below them: {', '.join(below)}." if below else "")
    # Name the metric (ReadLatency is per disk I/O, SuccessfulRequestLatency per table call): "40x" of which.
    metric = LATENCY.get(comp.kind)
    own_word = ("its own time" if top.total is not None and top.total is not own
                else f"its {top.metric or metric.name}" if metric else "its latency")
    return Finding(
        "LATENCY_REGRESSION", "error" if own.much_slower else "warning", comp.resource,
        f"{comp.label} got slower: {own_word} is {own.sentence()} ({baseline})." + also,
        {"component": comp.key, "metric": top.metric or (metric.name if metric else ""),
         "statistic": own.stat, "now_ms": round(own.now, 2),
         "baseline_ms": round(own.then, 2), "ratio": round(own.ratio or 0, 2), "baseline": baseline,
         "total_now_ms": round(top.total.now, 2) if top.total and top.total.now is not None else None,
         "total_baseline_ms": round(top.total.then, 2) if top.total and top.total.then is not None
         else None},
        [*change_command(comp, region), *alarm_command(comp, own.then * 1.5, region, top.metric)])


def change_command(comp: Component, region: str) -> list[str]:
    """The CloudTrail lookup of the component's changes, under the name CloudTrail records it by (a load
    balancer's ARN, a table's ARN, an API's ID), never its label ("orders GetItem")."""
    found = cloudtrail_names(comp.resource)
    if not found.names:
        return []
    return [f"# What changed on {comp.name} between the two windows (deployments, configuration):",
            f"aws cloudtrail lookup-events --lookup-attributes AttributeKey=ResourceName,"
            f"AttributeValue={found.names[0]} --region {found.region or region}"]


def alarm_command(comp: Component, threshold_ms: float, region: str, name: str = "") -> list[str]:
    """The alarm that would have paged before the users did: p90 of the component's latency metric (``name``:
    the one that grew, when not its main one)."""
    metric = LATENCY.get(comp.kind)
    if metric is None or not comp.dimensions:
        return []
    alarm = f"{comp.name}-{name.lower()}-p90" if name else f"{comp.name}-latency-p90"
    name = name or metric.name
    dims = " ".join(f"Name={k},Value={v}" for k, v in comp.dimensions)
    return ["# Alarm on it before the next page:",
            f"aws cloudwatch put-metric-alarm --alarm-name {alarm} --namespace "
            f"{metric.namespace} --metric-name {name} --dimensions {dims} --extended-statistic p90 "
            f"--threshold {threshold_ms / metric.scale:.4g} --comparison-operator GreaterThanThreshold "
            f"--period 300 --evaluation-periods 3 --region {metric.region or region}"]
