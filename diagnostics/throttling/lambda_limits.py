"""Which Lambda limit throttles a function: a pure decision over its metric series and settings.

Lambda runs at most "concurrency" copies of a function at once, and throttles (HTTP 429,
TooManyRequestsException "Rate Exceeded.") what does not fit. The limits, in the order they are judged:

1. **Reserved concurrency** is a slice of the account's pool kept for the function and also its cap;
   0 throttles every invocation.
2. **Provisioned concurrency** is pre-warmed; invocations beyond it spill over to on-demand concurrency,
   which a reservation equal to the provisioned amount leaves no room for.
3. **The account's regional pool** (quota L-B99A9384) is shared by every function without a reservation;
   one busy function can drain it for all the others.
4. **The scaling rate**: each function gains at most 1,000 execution environments every 10 seconds
   (AWS Lambda Developer Guide, "Lambda scaling behavior",
   https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html). It can bind only when the
   function's concurrency jumps by about 1,000 or more at once.
5. **An SQS event source's maximum concurrency** above the function's reservation makes the poller invoke
   more copies than the reservation admits (AWS Lambda Developer Guide, "Configuring maximum concurrency
   for Amazon SQS event sources").

CloudWatch publishes these as per-minute series: Throttles (Sum), ConcurrentExecutions (Maximum) per
function and, without dimensions, for the whole account, and UnreservedConcurrentExecutions for the
shared pool. A series that was not read is ``None``; one that was read but has no datapoints is empty:
neither is a zero.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from datetime import datetime

from diagnostics.cloudwatch.metrics import MetricSeries
from diagnostics.findings import Finding, Fix
from diagnostics.proof import MetricProof, metric_proof, with_proof
from diagnostics.throttling.error_message import LAMBDA_REASON_MEANS

LAMBDA_CONCURRENCY_QUOTA = "L-B99A9384"
# A peak this close to a limit counts as reaching it (metrics are per-minute maxima of a moving number).
NEAR = 0.9
# The account-wide series has sat at its ceiling when it stays this close to its peak.
PLATEAU = 0.98
SCALING_STEP = 1000  # execution environments per function per 10 seconds
UNRESERVED_FLOOR = 100  # Lambda always keeps this much of the pool unreserved
SCALING_DOC = "https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html"
MAX_CONSUMERS_NAMED = 5

Cause = str  # none | no_data | unknown | reserved_zero | reserved | event_source | provisioned_spillover |
#              account_pool | invocation_rate | scaling_rate | unexplained


@dataclass(frozen=True)
class SqsSource:
    """An enabled SQS event source mapping that sets a maximum concurrency."""

    queue_arn: str
    maximum: int
    uuid: str


@dataclass(frozen=True)
class FunctionLoad:
    """One function: its settings (``None`` when it has none) and series (``None`` when not read)."""

    name: str
    arn: str
    throttles: MetricSeries | None
    concurrency: MetricSeries | None = None
    invocations: MetricSeries | None = None
    reserved: int | None = None
    reserved_known: bool = True
    provisioned: int | None = None
    spillover: MetricSeries | None = None
    sqs_sources: tuple[SqsSource, ...] = ()


@dataclass(frozen=True)
class Consumer:
    """Another function drawing on the pool, and its peak concurrency in the window."""

    name: str
    peak: float
    reserved: int | None = None


@dataclass(frozen=True)
class AccountPool:
    """The account's regional pool: its limit (``None`` when not read) and the account-wide series."""

    limit: int | None = None
    unreserved: int | None = None
    concurrency: MetricSeries | None = None
    unreserved_concurrency: MetricSeries | None = None
    consumers: tuple[Consumer, ...] = ()
    limit_source: str = "GetAccountSettings"
    functions_listed: int = 0  # functions with a ConcurrentExecutions metric; more than consumers when bounded


@dataclass(frozen=True)
class LimitDecision:
    cause: Cause
    detail: str
    findings: list[Finding] = field(default_factory=list)


def _fmt(value: float | None) -> str:
    return "no data" if value is None else f"{value:,.0f}"


def _bucket(at: datetime, period: int) -> int:
    return int(at.timestamp()) // period


def _throttled_buckets(throttles: MetricSeries) -> set[int]:
    return {_bucket(p.at, throttles.period) for p in throttles.points if (p.total or 0) > 0}


def _peak_in(series: MetricSeries | None, buckets: set[int], period: int) -> float | None:
    """The series' highest Maximum in the throttled minutes; its overall peak when none line up."""
    if series is None or series.empty:
        return None
    hits = [v for p in series.points if _bucket(p.at, period) in buckets
            and (v := p.maximum if p.maximum is not None else p.average) is not None]
    return max(hits) if hits else series.peak()


def _largest_rise(series: MetricSeries | None) -> float:
    values = series.values("Maximum") if series is not None else []
    return max((b - a for a, b in itertools.pairwise(values)), default=0.0)


def _sum_in(series: MetricSeries | None, buckets: set[int]) -> float:
    if series is None:
        return 0.0
    return sum(p.total or 0.0 for p in series.points if _bucket(p.at, series.period) in buckets)


def _demand(fn: FunctionLoad, served: float) -> int:
    """Concurrency the function wanted: what it ran, scaled by how many requests were turned away in the
    minutes it was throttled, plus a fifth for headroom."""
    buckets = _throttled_buckets(fn.throttles) if fn.throttles is not None else set()
    invocations = _sum_in(fn.invocations, buckets)
    throttles = _sum_in(fn.throttles, buckets)
    if invocations > 0:
        return max(int(served) + 1, math.ceil(served * (invocations + throttles) / invocations * 1.2))
    return max(int(served) * 2, int(served) + 10)


def _evidence(fn: FunctionLoad, pool: AccountPool | None, reason: str, **extra: object) -> dict[str, object]:
    evidence: dict[str, object] = {"function": fn.name}
    for label, series in (("throttles", fn.throttles), ("concurrent_executions", fn.concurrency),
                          ("invocations", fn.invocations)):
        if series is not None and not series.empty:
            evidence[label] = series.summary()
    evidence["reserved_concurrency"] = fn.reserved if fn.reserved_known else "not read"
    if fn.provisioned:
        evidence["provisioned_concurrency"] = fn.provisioned
    if pool is not None:
        evidence["account_concurrency_limit"] = pool.limit if pool.limit is not None else "not read"
        evidence["unreserved_concurrency"] = pool.unreserved if pool.unreserved is not None else "not read"
    if reason:
        evidence["error_reason"] = reason
    evidence.update(extra)
    return evidence


def _quota_fix(region: str, desired: int, why: str) -> Fix:
    return Fix((f"aws service-quotas request-service-quota-increase --service-code lambda --quota-code "
                f"{LAMBDA_CONCURRENCY_QUOTA} --desired-value {desired} --region {region}",),
               f"Ask for a larger regional concurrency pool ({why})",
               "nothing, but AWS must approve it, which can take days")


def decide_lambda_limit(fn: FunctionLoad, pool: AccountPool | None, region: str, reason: str = "") -> LimitDecision:
    """Name the limit behind ``fn``'s throttles, with the numbers and the fix, and the series that show it.

    ``pool`` is None when nothing account-wide was read; ``reason`` is the Reason of a pasted
    TooManyRequestsException, used where the metrics cannot decide alone. A Reason that cannot be true of
    ``fn`` (a reservation reached by a function without one) is AWS's word against what was read: the
    function is judged on its own numbers and the contradiction is said, never smoothed over.
    """
    decision = _decide(fn, pool, region, reason)
    contradiction = _contradiction(fn, reason)
    if contradiction:
        decision = _said_against(decision, fn, reason, contradiction)
    if not decision.findings:
        return decision
    proofs = _proof(fn, pool, decision.cause)
    return replace(decision, findings=[with_proof(f, *proofs) for f in decision.findings])


def _proof(fn: FunctionLoad, pool: AccountPool | None, cause: Cause) -> tuple[MetricProof | None, ...]:
    """The concurrency that reached its limit (the account's for a drained pool, the function's own against
    its reservation otherwise) and the throttles; a series with no datapoints shows nothing."""
    concurrency: MetricProof | None
    if cause == "account_pool" and pool is not None:
        concurrency = (metric_proof(pool.concurrency, "Maximum", pool.limit, "the account's concurrency limit")
                       or metric_proof(pool.unreserved_concurrency, "Maximum", pool.unreserved,
                                       "the account's unreserved concurrency"))
    else:
        reserved = fn.reserved if fn.reserved_known else None
        concurrency = metric_proof(fn.concurrency, "Maximum", reserved,
                                   "reserved concurrency" if reserved is not None else "")
    return concurrency, metric_proof(fn.throttles, "Sum")


def _decide(fn: FunctionLoad, pool: AccountPool | None, region: str, reason: str) -> LimitDecision:
    name = fn.name
    pasted = bool(reason)
    if _contradiction(fn, reason):
        reason = ""  # AWS's Reason does not fit this function: judge it on its own numbers (the caller says so)
    if fn.reserved_known and fn.reserved == 0:
        throttled = fn.throttles.total() if fn.throttles is not None and not fn.throttles.empty else None
        return LimitDecision("reserved_zero", (
            f"{name} has a reserved concurrency of 0, so Lambda throttles every invocation of it "
            f"({_fmt(throttled)} throttles in the window)."), [Finding(
            "LAMBDA_RESERVED_CONCURRENCY", "error", fn.arn,
            f"{name} has a reserved concurrency of 0: Lambda throttles every invocation "
            f"({_fmt(throttled)} throttles in the window). A reservation of 0 is how a function is switched "
            "off on purpose; if that is over, remove it.",
            _evidence(fn, pool, reason),
            [f"aws lambda delete-function-concurrency --function-name {name} --region {region}"],
            alternatives=[Fix((f"aws lambda put-function-concurrency --function-name {name} "
                               f"--reserved-concurrent-executions 10 --region {region}",),
                              "Give it a small reservation instead, which guarantees and caps it",
                              "takes 10 from the pool the other functions share")])])
    if fn.throttles is None:
        return LimitDecision("unknown", f"The Throttles metric of {name} could not be read, so nothing says "
                                        "whether it was throttled.")
    if fn.throttles.empty:
        invoked = fn.invocations.total() if fn.invocations is not None else 0.0
        if invoked > 0:
            return LimitDecision("none", (
                f"CloudWatch counted {invoked:,.0f} invocations of {name} in the window and no throttle (no "
                "Throttles datapoints)."))
        return LimitDecision("no_data", (
            f"CloudWatch has no AWS/Lambda Throttles or Invocations datapoints for {name} in the window: it was not "
            "invoked in the window according to CloudWatch, or the window or region is not the one of the errors "
            "(widen `hours`, check `--region`)."))
    throttled = fn.throttles.total()
    period = fn.throttles.period
    buckets = _throttled_buckets(fn.throttles)
    peak = _peak_in(fn.concurrency, buckets, period)
    peak_text = (f"peak concurrency {peak:,.0f}" if peak is not None else "peak concurrency not read"
                 if fn.concurrency is None else "no ConcurrentExecutions datapoints")
    if throttled <= 0:
        limit = (f"reserved {fn.reserved}" if fn.reserved is not None else
                 f"the account's pool of {pool.limit:,}" if pool is not None and pool.limit else "its limits")
        return LimitDecision("none", f"{name} was not throttled in the window ({len(fn.throttles.points)} "
                                     f"Throttles datapoints, all 0; {peak_text}, {limit}).")
    worst = max(fn.throttles.values("Sum"), default=0.0)
    said = f"{name} was throttled {throttled:,.0f} times (up to {worst:,.0f} a minute; {peak_text})"
    means = LAMBDA_REASON_MEANS.get(reason, "")
    reason_note = f" The pasted error's Reason, {reason}, says {means}." if means else ""

    # Provisioned spill-over first: its reservation is reached too, but raising provisioned is the other fix.
    spilled = fn.spillover.total() if fn.spillover is not None else 0.0
    if fn.provisioned and spilled > 0 and fn.reserved is not None and fn.reserved <= fn.provisioned * 1.05:
        wanted = max(fn.reserved + 10, _demand(fn, fn.reserved))
        return LimitDecision("provisioned_spillover", f"{said}: its {fn.provisioned} provisioned environments "
                             f"were busy and {spilled:,.0f} invocations spilled over, but its reserved concurrency "
                             f"({fn.reserved}) leaves no on-demand room above them.{reason_note}", [Finding(
            "LAMBDA_PROVISIONED_SPILLOVER", "error", fn.arn,
            f"{said}. Its provisioned concurrency ({fn.provisioned}) was full, {spilled:,.0f} invocations spilled "
            f"over to on-demand concurrency, and its reservation of {fn.reserved} caps it at the provisioned "
            f"amount, so the spill-over was throttled.{reason_note}",
            _evidence(fn, pool, reason, spillover_invocations=spilled),
            [f"aws lambda put-function-concurrency --function-name {name} --reserved-concurrent-executions "
             f"{wanted} --region {region}"],
            alternatives=[Fix((f"aws lambda put-provisioned-concurrency-config --function-name {name} "
                               f"--qualifier <ALIAS> --provisioned-concurrent-executions {wanted} "
                               f"--region {region}",),
                              "Provision more pre-warmed environments instead",
                              "costs for every provisioned environment, used or not")])])

    # The reservation is the cap.
    if fn.reserved is not None and (peak is None or peak >= NEAR * fn.reserved
                                    or reason.startswith("ReservedFunction")):
        wanted = _demand(fn, fn.reserved)
        if pool is not None and pool.unreserved is not None:
            wanted = min(wanted, fn.reserved + max(0, pool.unreserved - UNRESERVED_FLOOR))
        wanted = max(wanted, fn.reserved + 1)
        certain = peak is not None or bool(reason)
        sqs_over = [source for source in fn.sqs_sources if source.maximum > fn.reserved]
        evidence = _evidence(fn, pool, reason)
        summary = (f"{said}: it reached its reserved concurrency of {fn.reserved}, which is also its cap.")
        fixes = [f"aws lambda put-function-concurrency --function-name {name} --reserved-concurrent-executions "
                 f"{wanted} --region {region}"]
        alternatives = [Fix((f"aws lambda delete-function-concurrency --function-name {name} --region {region}",),
                            "Remove the reservation and let it share the account's pool",
                            "the function loses its guaranteed concurrency and the cap that protects what it "
                            "calls; it then competes with every unreserved function")]
        cause = "reserved"
        if sqs_over:
            source = sqs_over[0]
            cause = "event_source"
            evidence["sqs_maximum_concurrency"] = {s.queue_arn: s.maximum for s in sqs_over}
            summary += (f" Its SQS event source ({source.queue_arn}) may run {source.maximum} copies at once, more "
                        "than the "
                        f"reservation admits, so the poller's invocations are throttled and the messages "
                        "return to the queue.")
            alternatives.insert(0, Fix(tuple(fixes), f"Raise the reservation to {wanted} instead",
                                       f"takes {wanted - fn.reserved} more from the pool the other functions share"))
            fixes = [f"aws lambda update-event-source-mapping --uuid {source.uuid} --scaling-config "
                     f"MaximumConcurrency={max(2, fn.reserved)} --region {region}"]
        summary += reason_note
        return LimitDecision(cause, summary, [Finding(
            "LAMBDA_RESERVED_CONCURRENCY" if cause == "reserved" else "LAMBDA_EVENT_SOURCE_CONCURRENCY",
            "error", fn.arn, summary, evidence, fixes,
            certainty="certain" if certain else "conditional",
            condition="" if certain else (f"if its concurrency reached {fn.reserved}: CloudWatch has no "
                                          f"ConcurrentExecutions datapoints for {name} to show it"),
            alternatives=alternatives)])

    # The account's pool, drained by others or by this function.
    pool_decision = _account_pool(fn, pool, region, reason, said, peak, buckets, period)
    if pool_decision is not None:
        return pool_decision

    # The request-rate limit: 10 requests a second per unit of concurrency; only the error's Reason shows it.
    if reason == "FunctionInvocationRateLimitExceeded":
        limit_text = f"{pool.limit:,}" if pool is not None and pool.limit else "the account's"
        summary = (f"{said}.{reason_note} Lambda accepts at most 10 requests a second per unit of concurrency "
                   f"({limit_text} concurrency): many very short invocations reach this before they reach the "
                   "concurrency itself.")
        return LimitDecision("invocation_rate", summary, [Finding(
            "LAMBDA_INVOCATION_RATE", "error", fn.arn, summary, _evidence(fn, pool, reason),
            ["# Send fewer, larger requests: batch the work per invocation (an SQS or Kinesis source with a "
             "larger batch size, or several items per synchronous call)"],
            alternatives=[_quota_fix(region, (pool.limit if pool and pool.limit else 1000) * 2,
                                     "the request-rate limit grows with it")])])

    # The scaling rate, only where the jump could outrun it.
    rise = _largest_rise(fn.concurrency)
    if rise >= SCALING_STEP:
        summary = (f"{said}. Its concurrency jumped by {rise:,.0f} between two minutes while no concurrency "
                   "limit was reached: a burst outran Lambda's scaling rate of 1,000 new execution environments "
                   f"every 10 seconds per function ({SCALING_DOC}).{reason_note}")
        return LimitDecision("scaling_rate", summary, [Finding(
            "LAMBDA_SCALING_RATE", "error", fn.arn, summary, _evidence(fn, pool, reason, largest_rise=rise),
            [f"aws lambda put-provisioned-concurrency-config --function-name {name} --qualifier <ALIAS> "
             f"--provisioned-concurrent-executions {int(peak or rise)} --region {region}"],
            certainty="conditional", condition="if the burst arrived within seconds (the per-minute metrics cannot "
                                               "show how fast it rose inside the minute)",
            alternatives=[Fix(("# Smooth the burst at its source: a queue in front of the function, or a "
                               "gentler ramp in the caller",), "Spread the load over time",
                              "adds latency for the queued requests")])])

    # Throttled invocations were observed: that is a problem whichever limit it was. Name what was read, and
    # claim nothing about what was not (no concurrency data is not "below every limit").
    unread = _unread_limits(fn, pool)
    reserved = "not read" if not fn.reserved_known else "none" if fn.reserved is None else str(fn.reserved)
    evidence = _evidence(fn, pool, reason, largest_rise=rise, **({"not_read": unread} if unread else {}))
    checks = [] if pasted else [
        "# Paste the TooManyRequestsException your caller logged with error=...: its Reason names the limit"]
    if unread:
        summary = (f"{said}; reserved concurrency {reserved}. Which limit throttled it is not known, because "
                   f"these were not read or had no datapoints: {'; '.join(unread)}.{reason_note}")
        return LimitDecision("unexplained", summary, [Finding(
            "LAMBDA_THROTTLED", "error", fn.arn, summary, evidence, [*checks, *_reads_for(fn, pool, region)],
            certainty="conditional",
            condition="the limit is one of those not read: " + "; ".join(unread))])
    summary = (f"{said}, below every concurrency limit read (reserved {reserved}; account pool "
               f"{_fmt(pool.limit if pool else None)}), and its concurrency never rose by 1,000 at once, so "
               f"Lambda's scaling rate cannot explain it either.{reason_note}")
    return LimitDecision("unexplained", summary, [Finding(
        "LAMBDA_THROTTLED", "error", fn.arn, summary, evidence,
        [*checks, f"aws lambda get-account-settings --region {region}"])])


def _said_against(decision: LimitDecision, fn: FunctionLoad, reason: str, contradiction: str) -> LimitDecision:
    """``decision`` with the sentence that AWS's stated Reason does not fit ``fn``: its findings become
    conditional on the error having been about ``fn`` at all."""
    findings = [replace(f, summary=f"{f.summary} {contradiction}", evidence={**f.evidence, "error_reason": reason},
                        certainty="conditional",
                        condition=f.condition or f"if the pasted error was about {fn.name}: its Reason, {reason}, "
                                                 "does not fit a function without a reservation")
                for f in decision.findings]
    return replace(decision, detail=f"{decision.detail} {contradiction}", findings=findings)


def _contradiction(fn: FunctionLoad, reason: str) -> str:
    """The sentence saying that AWS's stated Reason does not fit ``fn`` as read, or ""."""
    if not (reason.startswith("ReservedFunction") and fn.reserved_known and fn.reserved is None):
        return ""
    return (f"AWS's stated reason, {reason}, says {LAMBDA_REASON_MEANS[reason]}, but {fn.name} has no reserved "
            "concurrency now: either the error came from another function (name it with function=NAME), or "
            f"{fn.name}'s reservation was removed after the error ('What changed recently?' lists changes to it, "
            "such as DeleteFunctionConcurrency).")


def _unread_limits(fn: FunctionLoad, pool: AccountPool | None) -> list[str]:
    """The facts a limit decision needs that were not read (or had no datapoints), in plain words."""
    unread = []
    if not fn.reserved_known:
        unread.append(f"the reserved concurrency of {fn.name}")
    if fn.concurrency is None or fn.concurrency.empty:
        unread.append(f"the concurrency of {fn.name} (ConcurrentExecutions "
                      f"{'not read' if fn.concurrency is None else 'has no datapoints'})")
    if fn.reserved is None:  # it shares the account's pool
        if pool is None or pool.limit is None:
            unread.append("the account's concurrency limit (lambda:GetAccountSettings, or quota "
                          f"{LAMBDA_CONCURRENCY_QUOTA} in Service Quotas)")
        if pool is None or ((pool.concurrency is None or pool.concurrency.empty)
                            and (pool.unreserved_concurrency is None or pool.unreserved_concurrency.empty)):
            unread.append("the account-wide concurrency (ConcurrentExecutions without dimensions)")
    return unread


def _reads_for(fn: FunctionLoad, pool: AccountPool | None, region: str) -> list[str]:
    """The read-only commands that show the limits :func:`_unread_limits` names, to run with other credentials."""
    window = "--start-time <START> --end-time <END> --period 60 --statistics Maximum"
    commands = []
    if not fn.reserved_known:
        commands.append(f"aws lambda get-function-concurrency --function-name {fn.name} --region {region}")
    if fn.reserved is None and (pool is None or pool.limit is None):
        commands.append(f"aws lambda get-account-settings --region {region}")
    if fn.concurrency is None or fn.concurrency.empty:
        commands.append("aws cloudwatch get-metric-statistics --namespace AWS/Lambda --metric-name "
                        f"ConcurrentExecutions --dimensions Name=FunctionName,Value={fn.name} {window} "
                        f"--region {region}")
    return commands


def _account_pool(fn: FunctionLoad, pool: AccountPool | None, region: str, reason: str, said: str,
                  peak: float | None, buckets: set[int], period: int) -> LimitDecision | None:
    if fn.reserved is not None or pool is None:
        return None
    account_peak = _peak_in(pool.concurrency, buckets, period)
    unreserved_peak = _peak_in(pool.unreserved_concurrency, buckets, period)
    limit = pool.limit
    drained = False
    certain = True
    if limit is not None and account_peak is not None and account_peak >= NEAR * limit:
        drained = True
    if pool.unreserved is not None and unreserved_peak is not None and unreserved_peak >= NEAR * pool.unreserved:
        drained = True
    ceiling = limit
    if not drained and limit is None and account_peak is not None:
        # Without the limit, a flat top is the pool's ceiling: the account-wide series sat at its peak in
        # the minutes the function was throttled.
        series = pool.concurrency
        assert series is not None
        at_top = [p for p in series.points if _bucket(p.at, period) in buckets
                  and (p.maximum or 0) >= PLATEAU * (series.peak() or 0)]
        if at_top and len(at_top) >= max(1, len(buckets) // 2):
            drained, certain, ceiling = True, bool(reason == "ConcurrentInvocationLimitExceeded"), int(account_peak)
    if not drained and reason == "ConcurrentInvocationLimitExceeded":
        drained, ceiling = True, limit or (int(account_peak) if account_peak else None)
    if not drained:
        return None
    others = sorted((c for c in pool.consumers if c.name != fn.name), key=lambda c: -c.peak)
    top = others[0] if others else None
    own = peak or 0.0
    used = account_peak if account_peak is not None else unreserved_peak
    if limit is not None:
        numbers = f"the account-wide concurrency peaked at {_fmt(used)} of its limit of {limit:,}"
    else:
        numbers = (f"the account-wide concurrency stayed flat at {_fmt(used)}, the ceiling of a pool whose limit "
                   "could not be read")
    if pool.unreserved is not None:
        numbers += f" ({pool.unreserved:,} unreserved)"
    if top is not None and top.peak > own:
        holder = f"{top.name} held {top.peak:,.0f} of it"
        more = [f"{c.name} ({c.peak:,.0f})" for c in others[1:MAX_CONSUMERS_NAMED]]
        if more:
            holder += f"; then {', '.join(more)}"
    else:
        holder = f"{fn.name} itself held {own:,.0f} of it"
    if pool.functions_listed > len(pool.consumers):
        holder += f" (of the {len(pool.consumers)} functions read out of {pool.functions_listed} listed)"
    summary = (f"{said}: the account's shared concurrency pool ran out. In the throttled minutes {numbers}; "
               f"{holder}. {fn.name} has no reservation, so it gets only what the other functions leave.")
    if reason:
        summary += f" The pasted error's Reason, {reason}, says {LAMBDA_REASON_MEANS.get(reason, reason)}."
    wanted = _demand(fn, own or 1)
    evidence = _evidence(fn, pool, reason, account_concurrent_executions_peak=used,
                         pool_ceiling=ceiling, top_consumers={c.name: c.peak for c in others[:MAX_CONSUMERS_NAMED]})
    alternatives: list[Fix] = []
    if top is not None and top.peak > own:
        cap = max(1, int(top.peak) - wanted)
        alternatives.append(Fix(
            (f"aws lambda put-function-concurrency --function-name {top.name} --reserved-concurrent-executions "
             f"{cap} --region {region}",),
            f"Cap {top.name}, the function holding the pool, at {cap:,}",
            f"{top.name} is throttled above {cap:,} concurrent executions: its callers get 429s or its event "
            "source backs up"))
    desired = int(math.ceil(((ceiling or used or 1000) + wanted) * 1.5 / 1000.0) * 1000)
    quota = _quota_fix(region, desired, f"{limit:,} today" if limit is not None else f"about {_fmt(ceiling)} today")
    if alternatives:
        # Others hold the pool: a reservation guarantees this function its share at once, without AWS.
        primary = [f"aws lambda put-function-concurrency --function-name {fn.name} --reserved-concurrent-executions "
                   f"{wanted} --region {region}"]
        alternatives.append(quota)
    else:
        # It drains the pool itself: reserving for it changes nothing, only a larger pool does.
        primary = list(quota.commands)
    finding = Finding(
        "LAMBDA_ACCOUNT_CONCURRENCY", "error", fn.arn, summary, evidence, primary,
        certainty="certain" if certain else "conditional",
        condition="" if certain else (f"if the account's concurrency limit is {ceiling:,}, the level the "
                                      "account-wide ConcurrentExecutions stayed at while it was throttled (the "
                                      "limit itself could not be read)"),
        alternatives=alternatives)
    return LimitDecision("account_pool", summary, [finding])
