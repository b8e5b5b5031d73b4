"""Which DynamoDB limit throttles a table or one of its indexes: a pure decision over its metrics.

A table (and each global secondary index, which has its own capacity) throttles for one of four reasons,
which DynamoDB names in the exception's ThrottlingReasons and counts in cause-specific metrics
(Amazon DynamoDB Developer Guide, "CloudWatch throttling metrics"):

- **ProvisionedThroughput**: provisioned mode, traffic above the RCU/WCU configured.
- **KeyRange**: one partition key takes more than a partition serves (3,000 read units or 1,000 write
  units a second), however much the table has: a hot key.
- **MaxOnDemandThroughput**: on-demand, above the maximum configured on the table.
- **AccountLimit**: on-demand, above the per-table account quota.

Older series (ReadThrottleEvents, WriteThrottleEvents) count throttles without the reason. Then the
cause is inferred: provisioned capacity reached, or, on demand, traffic more than double its previous
peak (on-demand tables absorb up to twice the previous peak at once), or else a hot key. Which keys are
hot only Contributor Insights can tell, when it is enabled.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from diagnostics.cloudwatch.metrics import MetricSeries
from diagnostics.findings import Finding, Fix
from diagnostics.proof import metric_proof, with_proof

NEAR = 0.9
SUSTAINED_EVENTS = 10
LIMIT_TYPES = ("ProvisionedThroughput", "KeyRangeThroughput", "MaxOnDemandThroughput", "AccountLimit")
# Series per side: the generic count first, then one per cause.
SIDES = ("Read", "Write")
THROTTLE_METRICS = tuple(f"{side}ThrottleEvents" for side in SIDES) + tuple(
    f"{side}{kind}ThrottleEvents" for side in SIDES for kind in LIMIT_TYPES)
CONSUMED = {"Read": "ConsumedReadCapacityUnits", "Write": "ConsumedWriteCapacityUnits"}
PARTITION_UNITS = {"Read": 3000, "Write": 1000}
HOT_KEY_DOC = "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"


@dataclass(frozen=True)
class Capacity:
    """The table's or one index's capacity settings (``None`` where not set)."""

    index: str | None = None
    read_capacity: int | None = None
    write_capacity: int | None = None
    max_read: int | None = None
    max_write: int | None = None


@dataclass(frozen=True)
class TableConfig:
    name: str
    arn: str
    billing_mode: str  # PROVISIONED | PAY_PER_REQUEST
    table: Capacity
    indexes: tuple[Capacity, ...] = ()

    def capacity(self, index: str | None) -> Capacity:
        return next((c for c in self.indexes if c.index == index), self.table) if index else self.table


@dataclass(frozen=True)
class TableLoad:
    """What was read about one table: ``series[(metric, index)]`` (index None for the table itself),
    ThrottledRequests per operation, and Contributor Insights (status None: not read)."""

    name: str
    config: TableConfig | None
    series: dict[tuple[str, str | None], MetricSeries] = field(default_factory=dict)
    by_operation: tuple[tuple[str, float], ...] = ()
    insights_status: str | None = None
    hot_keys: tuple[tuple[str, float], ...] = ()
    unread: int = 0  # series that could not be read


@dataclass(frozen=True)
class TableDecision:
    target: str  # "orders" or "orders/index/by-day"
    cause: str  # none | no_data | unknown | provisioned | key_range | previous_peak | max_on_demand | account_limit
    detail: str
    findings: list[Finding] = field(default_factory=list)


def _total(load: TableLoad, metric: str, index: str | None) -> float:
    series = load.series.get((metric, index))
    return series.total() if series is not None else 0.0


def _per_second_peak(load: TableLoad, side: str, index: str | None) -> float | None:
    series = load.series.get((CONSUMED[side], index))
    if series is None or series.empty:
        return None
    return max(series.values("Sum"), default=0.0) / series.period


def _previous_peak_jump(load: TableLoad, side: str, index: str | None) -> tuple[float, float] | None:
    """(earlier peak, peak while throttled) per second when traffic more than doubled at once."""
    consumed = load.series.get((CONSUMED[side], index))
    throttled = load.series.get((f"{side}ThrottleEvents", index))
    if consumed is None or throttled is None or consumed.empty:
        return None
    first = next((p.at for p in throttled.points if (p.total or 0) > 0), None)
    if first is None:
        return None
    before = [p.total or 0.0 for p in consumed.points if p.at < first]
    during = [p.total or 0.0 for p in consumed.points if p.at >= first]
    if not before or not during:
        return None
    earlier, now = max(before) / consumed.period, max(during) / consumed.period
    return (earlier, now) if earlier > 0 and now > 2 * earlier else None


def _targets(load: TableLoad) -> list[str | None]:
    indexes = sorted({index for (_, index) in load.series if index})
    return [None, *indexes]


def _arn(load: TableLoad, index: str | None) -> str:
    base = load.config.arn if load.config else load.name
    return f"{base}/index/{index}" if index else base


def _capacity_fix(load: TableLoad, index: str | None, side: str, wanted: int, region: str) -> str:
    cap = load.config.capacity(index) if load.config else Capacity(index)
    read = wanted if side == "Read" else (cap.read_capacity or 1)
    write = wanted if side == "Write" else (cap.write_capacity or 1)
    if index:
        update = ('[{"Update":{"IndexName":"' + index + '","ProvisionedThroughput":{"ReadCapacityUnits":'
                  f'{read},"WriteCapacityUnits":{write}' + "}}}]")
        return (f"aws dynamodb update-table --table-name {load.name} --global-secondary-index-updates "
                f"'{update}' --region {region}")
    return (f"aws dynamodb update-table --table-name {load.name} --provisioned-throughput "
            f"ReadCapacityUnits={read},WriteCapacityUnits={write} --region {region}")


def decide_dynamodb(load: TableLoad, region: str, reason: str = "") -> list[TableDecision]:
    """One decision per throttled target (the table, each index); ``reason`` is a pasted ThrottlingReason
    (``TableWriteKeyRangeThroughputExceeded``) that decides where the metrics cannot."""
    decisions = [d for index in _targets(load) if (d := _decide_target(load, index, region, reason, False))]
    if not decisions:
        # Only ThrottledRequests (per operation) was published: judge the table with it.
        decisions = [d for d in [_decide_target(load, None, region, reason, True)] if d]
    decisions = [_with_proof(load, d) for d in decisions]
    if not decisions:
        traffic = any(not s.empty for (m, _), s in load.series.items() if m in CONSUMED.values())
        if not load.series and load.unread:
            decisions.append(TableDecision(load.name, "unknown", f"None of the metrics of {load.name} could be "
                                                                 "read, so nothing says whether it was throttled."))
        elif traffic:
            decisions.append(TableDecision(load.name, "none", f"{load.name} served traffic and was not throttled "
                                                              "in the window (no throttle events)."))
        else:
            decisions.append(TableDecision(load.name, "no_data", (
                f"CloudWatch has no consumed-capacity or throttle datapoints for {load.name} in the window: it "
                "had no traffic according to CloudWatch, or the window or region is not the one of the errors "
                "(widen `hours`, check `--region`).")))
    return decisions


def _with_proof(load: TableLoad, decision: TableDecision) -> TableDecision:
    return replace(decision, findings=[_proved(load, f) for f in decision.findings]) if decision.findings else decision


def _proved(load: TableLoad, finding: Finding) -> Finding:
    """``finding`` with the series that show it: the side's consumed capacity a second against what the target
    may use (its provisioned capacity, or its on-demand maximum), and the throttle events that count most."""
    evidence = finding.evidence
    side = str(evidence.get("side", "")).capitalize()
    if side not in SIDES:
        return finding
    index = evidence.get("index")
    target = index if isinstance(index, str) else None
    provisioned = evidence.get("billing_mode") == "PROVISIONED"
    allowed = evidence.get("provisioned_capacity" if provisioned else "on_demand_maximum")
    limit = float(allowed) if isinstance(allowed, int | float) else None
    label = ("provisioned capacity" if provisioned else "on-demand maximum") if limit is not None else ""
    consumed = load.series.get((CONSUMED[side], target))
    per_second = metric_proof(consumed, "Sum", limit, label, unit="units/s", scale=1.0 / consumed.period,
                              scaled_as="Sum per second") if consumed is not None else None
    counted = [found for metric in (f"{side}ThrottleEvents", *(f"{side}{kind}ThrottleEvents" for kind in LIMIT_TYPES))
               if (found := load.series.get((metric, target))) is not None and found.total() > 0]
    events = metric_proof(max(counted, key=lambda found: found.total()), "Sum") if counted else None
    return with_proof(finding, per_second, events)


def decide_index(load: TableLoad, index: str, region: str, reason: str = "") -> list[TableDecision]:
    """The one global secondary index asked about: its own throttling (a GSI has its own capacity and
    metrics, dimension GlobalSecondaryIndexName), then the table's if it was throttled too (a GSI short of
    write capacity throttles the table's writes)."""
    target = f"{load.name}/index/{index}"
    decisions = [d for d in decide_dynamodb(load, region, reason) if d.target == target]
    if not decisions:
        traffic = any(not s.empty for (m, i), s in load.series.items() if i == index and m in CONSUMED.values())
        if traffic:
            decisions.append(TableDecision(target, "none", f"Index {index} of {load.name} served traffic and was not "
                                                           "throttled in the window (no throttle events)."))
        else:
            decisions.append(TableDecision(target, "no_data", (
                f"CloudWatch has no consumed-capacity or throttle datapoints for index {index} of {load.name} "
                "(dimension GlobalSecondaryIndexName) in the window: it had no traffic according to CloudWatch, or "
                "the window or region is not the one of the errors (widen `hours`, check `--region`).")))
    table = [d for d in decide_dynamodb(load, region, reason) if d.target == load.name and d.findings]
    return decisions + table


def _decide_target(load: TableLoad, index: str | None, region: str, reason: str,
                   by_requests: bool) -> TableDecision | None:
    target = f"{load.name}/index/{index}" if index else load.name
    what = f"index {index} of {load.name}" if index else load.name
    sides = {side: max(_total(load, f"{side}ThrottleEvents", index),
                       sum(_total(load, f"{side}{kind}ThrottleEvents", index) for kind in LIMIT_TYPES))
             for side in SIDES}
    if by_requests and index is None and not any(sides.values()):
        requests = sum(n for _, n in load.by_operation)
        if requests > 0:
            sides["Write" if any(op in ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem")
                                 for op, _ in load.by_operation) else "Read"] = requests
    if not any(sides.values()):
        return None
    side = max(SIDES, key=lambda s: sides[s])
    events = sides[side]
    config = load.config
    cap = config.capacity(index) if config else Capacity(index)
    mode = config.billing_mode if config else "unknown"
    by_kind = {kind: _total(load, f"{side}{kind}ThrottleEvents", index) for kind in LIMIT_TYPES}
    peak = _per_second_peak(load, side, index)
    provisioned = cap.read_capacity if side == "Read" else cap.write_capacity
    maximum = cap.max_read if side == "Read" else cap.max_write
    said = (f"DynamoDB throttled {events:,.0f} {side.lower()} events on {what} ({mode.lower().replace('_', '-')}"
            + (f", {provisioned:,} {side[0]}CU provisioned" if mode == "PROVISIONED" and provisioned else "")
            + (f", peak {peak:,.0f} units a second consumed" if peak is not None else "") + ")")
    if load.by_operation and index is None:
        said += "; by operation: " + ", ".join(f"{op} ({n:,.0f})" for op, n in load.by_operation[:4])
    severity = "error" if events >= SUSTAINED_EVENTS else "warning"
    evidence: dict[str, object] = {
        "table": load.name, "index": index, "billing_mode": mode, "side": side.lower(), "throttle_events": events,
        "events_by_cause": {k: v for k, v in by_kind.items() if v}, "peak_consumed_per_second": peak,
        "provisioned_capacity": provisioned, "on_demand_maximum": maximum,
        "throttled_requests_by_operation": dict(load.by_operation)}
    if reason:
        evidence["error_reason"] = reason
    arn = _arn(load, index)
    kind = _cause(reason, index, side)
    told = f"the pasted ThrottlingReason ({reason}) says " if kind else ""
    if not kind and any(by_kind.values()):
        kind = max(by_kind, key=lambda k: by_kind[k])
        told = f"{side}{kind}ThrottleEvents says "
    certain = bool(kind)
    if not kind:
        if mode == "PROVISIONED" and provisioned and peak is not None and peak >= NEAR * provisioned:
            kind, certain = "ProvisionedThroughput", True
        elif mode == "PAY_PER_REQUEST" and maximum and peak is not None and peak >= NEAR * maximum:
            kind, certain = "MaxOnDemandThroughput", True
        elif mode == "PAY_PER_REQUEST" and _previous_peak_jump(load, side, index):
            kind = "previous_peak"
        else:
            kind = "KeyRangeThroughput"

    if kind == "ProvisionedThroughput":
        wanted = max((provisioned or 1) * 2, math.ceil((peak or provisioned or 1) * 1.5))
        summary = (f"{said}: the traffic reached the {side.lower()} capacity provisioned"
                   + (" for the index; a global secondary index short of write capacity throttles writes to the "
                      "table itself" if index and side == "Write" else "") + ".")
        return TableDecision(target, "provisioned", summary, [Finding(
            "DYNAMODB_PROVISIONED_CAPACITY", severity, arn, summary, evidence,
            [_capacity_fix(load, index, side, wanted, region)],
            alternatives=[
                Fix((f"aws dynamodb update-table --table-name {load.name} --billing-mode PAY_PER_REQUEST "
                     f"--region {region}",), "Switch the table to on-demand capacity",
                    "billing changes to pay per request for the table and all its indexes"),
                Fix((f"aws application-autoscaling register-scalable-target --service-namespace dynamodb "
                     f"--resource-id table/{load.name}{f'/index/{index}' if index else ''} --scalable-dimension "
                     f"dynamodb:{'index' if index else 'table'}:{side}CapacityUnits --min-capacity "
                     f"{provisioned or 1} --max-capacity {wanted * 2} --region {region}",
                     "# then a target-tracking policy: aws application-autoscaling put-scaling-policy ..."),
                    "Let auto scaling follow the traffic", "scaling up takes minutes: sudden bursts still throttle")])])
    if kind == "MaxOnDemandThroughput":
        wanted = math.ceil(max(maximum or 1, peak or 1) * 2)
        units = "MaxReadRequestUnits" if side == "Read" else "MaxWriteRequestUnits"
        summary = f"{said}: the traffic reached the table's configured on-demand maximum ({maximum:,} a second)."
        return TableDecision(target, "max_on_demand", summary, [Finding(
            "DYNAMODB_MAX_ON_DEMAND", severity, arn, summary, evidence,
            [f"aws dynamodb update-table --table-name {load.name} --on-demand-throughput {units}={wanted} "
             f"--region {region}"])])
    if kind == "AccountLimit":
        summary = f"{said}: the table reached the account's per-table throughput quota for on-demand tables."
        return TableDecision(target, "account_limit", summary, [Finding(
            "DYNAMODB_ACCOUNT_LIMIT", severity, arn, summary, evidence,
            [f"aws service-quotas list-service-quotas --service-code dynamodb --region {region} --query "
             "\"Quotas[?contains(QuotaName, 'Table-level')].[QuotaCode,QuotaName,Value]\" --output table",
             "aws service-quotas request-service-quota-increase --service-code dynamodb --quota-code <QUOTA_CODE> "
             f"--desired-value <VALUE> --region {region}"])])
    if kind == "previous_peak":
        jump = _previous_peak_jump(load, side, index)
        assert jump is not None
        summary = (f"{said}: traffic jumped from a peak of {jump[0]:,.0f} to {jump[1]:,.0f} units a second, more "
                   "than double, and an on-demand table absorbs at once only up to twice its previous peak.")
        unit = "ReadUnitsPerSecond" if side == "Read" else "WriteUnitsPerSecond"
        return TableDecision(target, "previous_peak", summary, [Finding(
            "DYNAMODB_ON_DEMAND_PEAK", severity, arn, summary, evidence,
            [f"aws dynamodb update-table --table-name {load.name} --warm-throughput {unit}={math.ceil(jump[1] * 1.5)} "
             f"--region {region}"],
            certainty="conditional",
            condition="if no partition key is hot: the metrics cannot show keys (Contributor Insights can)",
            alternatives=[Fix(("export AWS_RETRY_MODE=adaptive AWS_MAX_ATTEMPTS=10",),
                              "Retry with backoff while the table adapts", "requests wait longer during bursts")])])
    # a hot key
    limit = PARTITION_UNITS[side]
    summary = (f"{said}: {told}one partition key takes more than a "
               f"partition serves ({limit:,} {side.lower()} units a second), however much capacity the "
               f"{'index' if index else 'table'} has.")
    if load.hot_keys:
        summary += " Contributor Insights names the throttled keys: " + ", ".join(
            f"{k} ({n:,.0f})" for k, n in load.hot_keys[:5]) + "."
        evidence["throttled_keys"] = dict(load.hot_keys[:10])
    elif load.insights_status == "ENABLED":
        summary += " Contributor Insights is enabled but names no throttled key in the window."
    else:
        state = "is not enabled" if load.insights_status else "could not be read"
        summary += (f" Contributor Insights {state} on the table, so which key is hot is not known: "
                    f"aws dynamodb update-contributor-insights --table-name {load.name} "
                    f"{f'--index-name {index} ' if index else ''}--contributor-insights-action ENABLE")
        evidence["contributor_insights"] = load.insights_status or "not read"
    fixes = [f"# Spread the hot key over more partition keys: append a suffix (0-9) to it on write and read all "
             f"suffixes back, or pick a key with more distinct values ({HOT_KEY_DOC})"]
    alternatives = []
    if side == "Read":
        alternatives.append(Fix(("# Cache the hot items (DynamoDB Accelerator, DAX, or an application cache)",),
                                "Serve the hot reads from a cache", "reads may be slightly stale"))
    return TableDecision(target, "key_range", summary, [Finding(
        "DYNAMODB_HOT_KEY", severity, arn, summary, evidence, fixes,
        certainty="certain" if certain else "conditional",
        condition="" if certain else ("if the traffic did not more than double at once: the older throttle "
                                      "metrics do not say which limit was hit"),
        alternatives=alternatives)])


def _cause(reason: str, index: str | None, side: str) -> str:
    """The limit type a pasted ThrottlingReason names, if it is about this target and side."""
    if not reason:
        return ""
    resource = "Index" if index else "Table"
    for kind in LIMIT_TYPES:
        if reason == f"{resource}{side}{kind}Exceeded":
            return kind
    return ""
