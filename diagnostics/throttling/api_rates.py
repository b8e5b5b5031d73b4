"""Who is being throttled, on what, how fast: a pure analysis of CloudTrail events.

Every AWS API has a request rate it accepts per account and region (a token bucket: a burst, then a
steady refill). A caller above it gets throttling errors; SDKs retry them, so a few are harmless, but
a caller that keeps calling too fast makes everyone sharing the bucket slow, since the whole account
draws on the same limit. The analysis groups throttled calls by caller, service, operation, user
agent and minute, and names the caller and operation behind most of them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from diagnostics.cloudtrail.events import ApiEvent, count
from diagnostics.findings import Finding, Fix, Severity
from diagnostics.proof import MetricProof, event_proof, with_proof
from diagnostics.throttling.lambda_limits import LAMBDA_CONCURRENCY_QUOTA
from diagnostics.throttling.retry_advice import retry_advice

# A few throttles in a window are what retries are for; this many, or throttles in this many distinct
# minutes, is a caller that keeps hitting the limit.
SUSTAINED_EVENTS = 10
SUSTAINED_MINUTES = 3
# Other callers are named too when they take at least this share of the throttles.
NOTABLE_SHARE = 0.25
MAX_FINDINGS = 3

# A caller's rate counted from CloudTrail is "far below" a limit under this share of it: then its count is
# not its rate (more calls were made than the event history read here holds) and is said as a lower bound.
FAR_BELOW = 0.5

RETRY_MODE = re.compile(r"cfg/retry-mode#(\w+)")
SDK_TOKEN = re.compile(r"^([A-Za-z][\w.-]*/[\w.-]+)")


@dataclass(frozen=True)
class Offender:
    """One caller calling one operation of one service, and how it fared."""

    caller: str
    source: str
    operation: str
    throttled: int
    calls: int
    error_codes: tuple[tuple[str, int], ...]
    user_agents: tuple[tuple[str, int], ...]
    source_ips: tuple[tuple[str, int], ...]
    sessions: tuple[str, ...]
    first: datetime
    last: datetime
    throttled_minutes: int
    peak_throttled_per_minute: int
    peak_calls_per_minute: int
    busiest_minutes: tuple[tuple[str, int], ...]
    resources: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # Every minute it called in, oldest first: (minute, calls) and (minute, throttled calls).
    calls_by_minute: tuple[tuple[str, int], ...] = ()
    throttled_by_minute: tuple[tuple[str, int], ...] = ()

    @property
    def service(self) -> str:
        return self.source.split(".")[0]

    @property
    def action(self) -> str:
        return f"{self.service}:{self.operation}"

    @property
    def sustained(self) -> bool:
        return self.throttled >= SUSTAINED_EVENTS or self.throttled_minutes >= SUSTAINED_MINUTES

    @property
    def retry_modes(self) -> tuple[str, ...]:
        return tuple(sorted({m for ua, _ in self.user_agents if (m := retry_mode(ua))}))

    @property
    def main_code(self) -> str:
        return self.error_codes[0][0] if self.error_codes else ""


@dataclass(frozen=True)
class ThrottleReport:
    events_read: int
    calls: int
    throttled: int
    window_minutes: float
    by_caller: tuple[tuple[str, int], ...] = ()
    by_source: tuple[tuple[str, int], ...] = ()
    by_operation: tuple[tuple[str, int], ...] = ()
    by_user_agent: tuple[tuple[str, int], ...] = ()
    by_code: tuple[tuple[str, int], ...] = ()
    per_minute: tuple[tuple[str, int], ...] = ()
    offenders: tuple[Offender, ...] = ()
    truncated: bool = False

    @property
    def top(self) -> Offender | None:
        return self.offenders[0] if self.offenders else None

    @property
    def peak_minute(self) -> tuple[str, int] | None:
        return max(self.per_minute, key=lambda kv: (kv[1], kv[0])) if self.per_minute else None


@dataclass(frozen=True)
class RateQuota:
    """An API rate quota as Service Quotas lists it, with the AWS/Usage metric that counts its calls."""

    code: str
    name: str
    value: float
    adjustable: bool
    period_seconds: int = 1
    usage: tuple[tuple[str, str], ...] = ()  # the CallCount dimensions: Service, Type=API, Resource, Class
    applied: bool = False  # the account's applied value, not AWS's default

    @property
    def resource(self) -> str:
        return dict(self.usage).get("Resource", "")


@dataclass(frozen=True)
class DocumentedRate:
    """An API rate AWS documents outside Service Quotas: a token bucket and its steady refill rate."""

    service: str
    prefixes: tuple[str, ...]  # the operations it covers, by name prefix
    bucket: int
    refill_per_second: float
    source: str


# Service Quotas' value wins where it has one (CloudWatch GetMetricData, ...); these are the rates AWS
# publishes only in its documentation.
DOCUMENTED_RATES: tuple[DocumentedRate, ...] = (
    # "the bucket size for non-mutating (Describe*) API actions is 100 tokens, and the refill rate is 20
    # tokens per second", per account and region.
    DocumentedRate("ec2", ("Describe",), 100, 20.0,
                   "https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html"),
)


def documented_rate(service: str, operation: str) -> DocumentedRate | None:
    return next((r for r in DOCUMENTED_RATES if r.service == service and operation.startswith(r.prefixes)), None)


@dataclass(frozen=True)
class QuotaUse:
    """What Service Quotas and AWS/Usage said about one offender's operation.

    ``quotas_read`` is False when the service's quotas could not be read; ``quota`` None when none matches
    the operation; ``peak_per_second`` None when CallCount was not read or had no datapoints."""

    quotas_read: bool
    quota: RateQuota | None = None
    peak_per_second: float | None = None


def quota_for(operation: str, quotas: Iterable[RateQuota]) -> RateQuota | None:
    """The rate quota of ``operation``: by its usage metric's Resource, else by its name."""
    quotas = list(quotas)
    exact = [q for q in quotas if q.resource == operation]
    if exact:
        return exact[0]
    word = re.compile(rf"\b{re.escape(operation)}\b")
    return next((q for q in quotas if word.search(q.name)), None)


def peak_calls_per_second(call_count: Iterable[float], period: int) -> float | None:
    """The busiest period's calls a second from AWS/Usage CallCount sums (one per period)."""
    sums = list(call_count)
    return max(sums) / period if sums else None


def retry_mode(user_agent: str) -> str | None:
    """The retry mode an AWS SDK or CLI declares in its user agent (``cfg/retry-mode#legacy``)."""
    match = RETRY_MODE.search(user_agent or "")
    return match.group(1) if match else None


def sdk_of(user_agent: str) -> str:
    """The first product token of a user agent: ``Boto3/1.34.2``, ``aws-cli/2.15.0``, ``aws-sdk-go/1.50``."""
    match = SDK_TOKEN.match((user_agent or "").strip())
    return match.group(1) if match else (user_agent or "unknown")[:60]


def _minute(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%MZ")


def _offender(key: tuple[str, str, str], throttled: list[ApiEvent], calls: list[ApiEvent]) -> Offender:
    caller, source, operation = key
    per_minute = count(_minute(e.at) for e in throttled)
    calls_per_minute = count(_minute(e.at) for e in calls)
    times = sorted(e.at for e in throttled)
    resources = tuple(sorted({kv for e in throttled for kv in e.request}))[:10]
    return Offender(
        caller=caller, source=source, operation=operation,
        throttled=len(throttled), calls=len(calls),
        error_codes=tuple(count(e.error_code for e in throttled)),
        user_agents=tuple(count(e.user_agent for e in throttled if e.user_agent)[:5]),
        source_ips=tuple(count(e.source_ip for e in throttled if e.source_ip)[:5]),
        sessions=tuple(s for s, _ in count(e.session_arn for e in throttled if e.session_arn)[:3]),
        first=times[0], last=times[-1],
        throttled_minutes=len(per_minute),
        peak_throttled_per_minute=max((n for _, n in per_minute), default=0),
        peak_calls_per_minute=max((n for _, n in calls_per_minute), default=0),
        busiest_minutes=tuple(per_minute[:5]),
        resources=resources,
        calls_by_minute=tuple(sorted(calls_per_minute)),
        throttled_by_minute=tuple(sorted(per_minute)),
    )


def analyse_throttling(events: Iterable[ApiEvent], window_minutes: float, events_read: int | None = None,
                       truncated: bool = False) -> ThrottleReport:
    """Group the window's calls; offenders are ordered by throttled calls, most first."""
    events = list(events)
    throttled = [e for e in events if e.throttled]
    groups: dict[tuple[str, str, str], list[ApiEvent]] = {}
    all_calls: dict[tuple[str, str, str], list[ApiEvent]] = {}
    for event in events:
        key = (event.caller, event.source, event.operation)
        all_calls.setdefault(key, []).append(event)
        if event.throttled:
            groups.setdefault(key, []).append(event)
    offenders = sorted((_offender(k, v, all_calls[k]) for k, v in groups.items()),
                       key=lambda o: (-o.throttled, -o.calls, o.caller, o.action))
    return ThrottleReport(
        events_read=len(events) if events_read is None else events_read,
        calls=len(events),
        throttled=len(throttled),
        window_minutes=window_minutes,
        by_caller=tuple(count(e.caller for e in throttled)),
        by_source=tuple(count(e.source for e in throttled)),
        by_operation=tuple(count(e.action for e in throttled)),
        by_user_agent=tuple(count(sdk_of(e.user_agent) for e in throttled)),
        by_code=tuple(count(e.error_code for e in throttled)),
        per_minute=tuple(sorted(count(_minute(e.at) for e in throttled))),
        offenders=tuple(offenders),
        truncated=truncated,
    )


# --- findings --------------------------------------------------------------------------------


def _rate_hint(offender: Offender) -> str:
    op = offender.operation
    code = offender.main_code
    if code == "SlowDown":
        return ("# S3 allows about 3,500 writes and 5,500 reads a second per prefix: spread the keys over "
                "more prefixes, or batch small objects")
    if code == "ProvisionedThroughputExceededException":
        return ("# The table or index ran out of provisioned capacity (or one partition is hot): switch to "
                "on-demand or raise its capacity, and spread the keys")
    if op.startswith(("Describe", "List", "Get", "Lookup")):
        return (f"# Call {op} less often: cache its answers, ask for many IDs in one call, use filters and "
                "pagination, or react to EventBridge events instead of polling")
    return (f"# Spread the {op} calls over time (a queue in front of the writer) and use batch APIs where "
            "there is one")


def _quota_lines(offender: Offender, region: str, use: QuotaUse | None = None) -> list[str]:
    service = offender.service
    quota = use.quota if use else None
    if quota is not None:
        if not quota.adjustable:
            return [f"# The quota '{quota.name}' ({quota.code}) cannot be raised: the calls must slow down"]
        return [f"# If the rate is legitimate after the changes above, ask for a higher '{quota.name}':",
                f"aws service-quotas request-service-quota-increase --service-code {service} "
                f"--quota-code {quota.code} --desired-value {math.ceil(quota.value * 2):g} --region {region}"]
    if service == "lambda" and offender.main_code == "TooManyRequestsException":
        return ["# If the account's Lambda concurrency is the limit, ask for more:",
                f"aws service-quotas request-service-quota-increase --service-code lambda "
                f"--quota-code {LAMBDA_CONCURRENCY_QUOTA} --desired-value 2000 --region {region}"]
    if service == "ec2":
        return ["# EC2 API request rates are not in Service Quotas: if the rate is legitimate after the "
                "changes above, ask AWS Support to raise the limit for this API"]
    return ["# If the rate is legitimate, look for an adjustable rate quota for this API and ask for more:",
            f"aws service-quotas list-service-quotas --service-code {service} --region {region} "
            "--query \"Quotas[?Adjustable].[QuotaCode,QuotaName,Value]\" --output table",
            f"aws service-quotas request-service-quota-increase --service-code {service} "
            f"--quota-code <QUOTA_CODE> --desired-value <VALUE> --region {region}"]


def remediation(offender: Offender, region: str, use: QuotaUse | None = None) -> list[str]:
    """The primary fix: slow the caller down and retry well. A quota request is an alternative
    (:func:`quota_fix`); a quota that cannot be raised, or one only Support raises, is said here."""
    advice = retry_advice(offender.user_agents[0][0] if offender.user_agents else "")
    quota = _quota_lines(offender, region, use)
    notes = quota if all(line.startswith("#") for line in quota) else []
    return [*advice.lines, _rate_hint(offender), *notes]


def quota_fix(offender: Offender, region: str, use: QuotaUse | None = None) -> list[Fix]:
    """Asking for a higher rate quota, as its own choice: after the caller behaves, never instead."""
    lines = _quota_lines(offender, region, use)
    commands = tuple(line for line in lines if not line.startswith("#"))
    if not commands:
        return []
    summary = next((line.lstrip("# ").rstrip(":") for line in lines if line.startswith("#")), "Ask for more")
    return [Fix(commands, summary, "")]


def quota_sentence(offender: Offender, use: QuotaUse | None) -> str:
    """What Service Quotas and AWS/Usage say about the operation's rate, in one sentence (or nothing)."""
    if use is None:
        return ""
    if not use.quotas_read:
        return f" The rate quotas of {offender.service} could not be read from Service Quotas."
    quota = use.quota
    if quota is None:
        documented = documented_rate(offender.service, offender.operation)
        if documented is not None:
            return (f" Service Quotas lists no rate quota for {offender.operation}; AWS documents it (a bucket of "
                    f"{documented.bucket} calls refilled at {documented.refill_per_second:g} a second, per account "
                    "and region), and only AWS Support raises it.")
        return (f" Service Quotas lists no rate quota for {offender.operation}: its limit is not published, so "
                "only AWS Support can raise it.")
    per = "a second" if quota.period_seconds == 1 else f"per {quota.period_seconds} s"
    text = (f" Service Quotas: '{quota.name}' is {quota.value:g} {per} ({quota.code}, "
            f"{'adjustable' if quota.adjustable else 'not adjustable'}"
            f"{'' if quota.applied else ', AWS default: the applied value was not read'})")
    if use.peak_per_second is None:
        return text + "; AWS/Usage CallCount has no datapoints for it."
    share = use.peak_per_second / (quota.value / quota.period_seconds) if quota.value else 0.0
    return text + (f"; AWS/Usage CallCount peaked at {use.peak_per_second:,.1f} calls a second, {share:.0%} of it "
                   "(averaged over a minute: bursts inside the minute go higher).")


def rate_limit(offender: Offender, use: QuotaUse | None = None) -> tuple[float, str] | None:
    """The calls a second the API accepts steadily, and where that number comes from (words that follow "the
    N a second"): the Service Quotas quota, else the rate AWS documents (:data:`DOCUMENTED_RATES`); None when
    neither is known."""
    if use is not None and use.quota is not None and use.quota.value:
        return use.quota.value / use.quota.period_seconds, f"its quota {use.quota.code} allows"
    documented = documented_rate(offender.service, offender.operation)
    if documented is not None:
        return documented.refill_per_second, (f"at which {offender.service.upper()} refills its "
                                              f"{documented.prefixes[0]}* token bucket ({documented.source})")
    return None


def counted_rate(offender: Offender) -> str:
    """What CloudTrail shows of the caller's rate, said as what it is: events recorded, not calls made."""
    return (f"CloudTrail recorded {offender.calls} of its calls, at most {offender.peak_calls_per_minute} in one "
            "minute")


def undercount(offender: Offender, use: QuotaUse | None = None) -> str:
    """When the rate CloudTrail shows is far below the limit the caller was throttled at, the sentence that
    says the count is a lower bound (else nothing): a throttle means the bucket was empty, so more calls
    were made than the events read show, by this caller or by others sharing the account's allowance."""
    limit = rate_limit(offender, use)
    if limit is None:
        return ""
    per_second, source = limit
    shown = offender.peak_calls_per_minute / 60.0
    if shown >= FAR_BELOW * per_second:
        return ""
    usage = (" (AWS/Usage CallCount, below, counts them all)" if use is not None and use.peak_per_second is not None
             else "")
    return (f" That count is a lower bound, not its rate: {offender.peak_calls_per_minute} a minute is "
            f"{shown:.1f} a second, far below the {per_second:g} a second {source}, yet it was throttled: more "
            f"{offender.operation} calls were made than the events read show, by it or by other callers drawing "
            f"on the same per-account, per-region allowance{usage}.")


def _summary(offender: Offender, report: ThrottleReport, use: QuotaUse | None = None) -> str:
    share = offender.throttled / report.throttled if report.throttled else 0.0
    hours = report.window_minutes / 60.0
    window = f"{hours:g} h" if hours >= 1 else f"{report.window_minutes:g} min"
    text = (f"{offender.caller} was throttled {offender.throttled} times on {offender.action} in the last "
            f"{window} ({share:.0%} of all throttled calls; {counted_rate(offender)}, "
            f"{offender.peak_throttled_per_minute} throttled in the worst minute).")
    lower_bound = undercount(offender, use)
    if offender.sustained and lower_bound:
        text += lower_bound + " It keeps running into the API's rate limit, and slows every caller sharing it."
    elif offender.sustained:
        text += (" It keeps calling faster than the API's rate limit allows, and slows every caller "
                 "sharing it.")
    else:
        text += " Occasional throttles like these are retried by the SDKs; watch whether they grow."
    if "legacy" in offender.retry_modes:
        text += " Its SDK uses the legacy retry mode, which retries at once and makes bursts worse."
    return text


def _evidence(offender: Offender, report: ThrottleReport) -> dict[str, object]:
    evidence: dict[str, object] = {
        "caller": offender.caller,
        "operation": offender.action,
        "event_source": offender.source,
        "throttled_calls": offender.throttled,
        "calls_seen": offender.calls,
        "throttled_share_of_its_calls": round(offender.throttled / offender.calls, 2) if offender.calls
        else None,
        "error_codes": dict(offender.error_codes),
        "first_throttled": offender.first.isoformat(),
        "last_throttled": offender.last.isoformat(),
        "minutes_with_throttles": offender.throttled_minutes,
        "peak_throttled_per_minute": offender.peak_throttled_per_minute,
        "peak_calls_per_minute": offender.peak_calls_per_minute,
        "calls_counted_from": "CloudTrail event history (events recorded and read: a lower bound of the calls made)",
        "busiest_minutes": dict(offender.busiest_minutes),
        "user_agents": dict(offender.user_agents),
        "retry_modes": list(offender.retry_modes),
        "source_ips": dict(offender.source_ips),
    }
    if offender.sessions:
        evidence["sessions"] = list(offender.sessions)
    if offender.resources:
        evidence["request_parameters"] = [f"{k}={v}" for k, v in offender.resources]
    others = [f"{c} ({n})" for c, n in report.by_caller if c != offender.caller][:5]
    if others:
        evidence["other_throttled_callers"] = others
    return evidence


def _per_minute(offender: Offender, counts: tuple[tuple[str, int], ...], what: str) -> MetricProof | None:
    """The offender's calls a minute from CloudTrail, from its first call to its last: a minute in between with
    no event counts 0, since the event history of the whole window was read."""
    if not offender.calls_by_minute:
        return None
    given = dict(counts)
    first = datetime.strptime(offender.calls_by_minute[0][0], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    last = datetime.strptime(offender.calls_by_minute[-1][0], "%Y-%m-%dT%H:%MZ").replace(tzinfo=UTC)
    minutes = min(int((last - first).total_seconds() // 60) + 1, 1440)
    points = [(at, float(given.get(_minute(at), 0))) for at in (first + timedelta(minutes=i) for i in range(minutes))]
    return event_proof("CloudTrail", what, f"caller={offender.caller}, operation={offender.action}",
                       "events per minute", "Count", points, period=60)


def throttling_findings(report: ThrottleReport, region: str,
                        quota_uses: Mapping[str, QuotaUse] | None = None) -> list[Finding]:
    """The top offender always; others too when they take a large share of the throttles. ``quota_uses``
    holds what Service Quotas and AWS/Usage said, by ``service:Operation``."""
    uses = quota_uses or {}
    findings: list[Finding] = []
    for index, offender in enumerate(report.offenders[:MAX_FINDINGS]):
        if index and offender.throttled < NOTABLE_SHARE * report.throttled:
            break
        severity: Severity = "error" if offender.sustained else "warning"
        use = uses.get(offender.action)
        evidence = _evidence(offender, report)
        if (limit := rate_limit(offender, use)) is not None:
            evidence["rate_limit_per_second"] = limit[0]
            evidence["rate_limit_source"] = limit[1]
        if use is not None and use.quota is not None:
            evidence["rate_quota"] = {"code": use.quota.code, "name": use.quota.name, "value": use.quota.value,
                                      "adjustable": use.quota.adjustable, "applied": use.quota.applied,
                                      "peak_calls_per_second": use.peak_per_second}
        findings.append(with_proof(Finding(
            code="API_THROTTLING",
            severity=severity,
            resource=offender.caller,
            summary=_summary(offender, report, use) + quota_sentence(offender, use),
            evidence=evidence,
            remediation=remediation(offender, region, use),
            alternatives=quota_fix(offender, region, use),
        ), _per_minute(offender, offender.calls_by_minute, "calls"),
            _per_minute(offender, offender.throttled_by_minute, "throttled calls")))
    return findings


def describe_report(report: ThrottleReport, top: int = 3) -> str:
    """One paragraph for the step's detail."""
    if not report.calls:
        return "CloudTrail has no matching calls in the window."
    if not report.throttled:
        return f"None of the {report.calls} matching calls was throttled."

    def tally(pairs: Sequence[tuple[str, int]]) -> str:
        return ", ".join(f"{k} ({n})" for k, n in pairs[:top])

    peak = report.peak_minute
    text = (f"{report.throttled} of {report.calls} calls were throttled. By operation: "
            f"{tally(report.by_operation)}. By caller: {tally(report.by_caller)}. By error code: "
            f"{tally(report.by_code)}. By client: {tally(report.by_user_agent)}.")
    if peak:
        text += f" Worst minute: {peak[0]} with {peak[1]} throttled calls."
    return text
