"""The first five minutes, judged: alarms in ALARM, open AWS Health events, and which playbook to run.

Pure analyser (no boto3): typed alarms and Health events parsed from the API answers, and the suggestion
table, as data: an alarm's namespace and metric name pick the playbook, its dimensions fill the
parameters (an alarm on a Lambda function's Errors -> ``lambda-oom`` on that function).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from diagnostics.cloudtrail.timeline import Change
from diagnostics.redact import redact_text
from diagnostics.timestamps import maybe_utc


def _stamp(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ") if at else "?"


@dataclass(frozen=True)
class Alarm:
    """A CloudWatch alarm in ALARM: what it watches and since when."""

    name: str
    arn: str
    since: datetime | None  # when it went into ALARM (StateTransitionedTimestamp, else StateUpdatedTimestamp)
    reason: str
    namespace: str = ""
    metric: str = ""
    dimensions: tuple[tuple[str, str], ...] = ()
    composite: bool = False

    @property
    def metric_words(self) -> str:
        if self.composite:
            return "composite alarm"
        if not self.metric:
            return "metric math"
        dims = ", ".join(f"{k}={v}" for k, v in self.dimensions)
        return f"{self.namespace} {self.metric}" + (f" ({dims})" if dims else "")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arn": self.arn, "since": _stamp(self.since), "reason": self.reason,
                "namespace": self.namespace, "metric": self.metric, "dimensions": dict(self.dimensions),
                "composite": self.composite}


def parse_alarm(raw: Mapping[str, Any], composite: bool = False) -> Alarm:
    """A ``MetricAlarms`` (or ``CompositeAlarms``) entry of DescribeAlarms. A metric-math alarm names its
    first metric that has a namespace."""
    namespace, metric = str(raw.get("Namespace") or ""), str(raw.get("MetricName") or "")
    dims = raw.get("Dimensions") or []
    if not metric:
        for query in raw.get("Metrics") or []:
            stat = (query.get("MetricStat") or {}).get("Metric") or {}
            if stat.get("MetricName"):
                namespace, metric, dims = str(stat.get("Namespace") or ""), str(stat["MetricName"]), \
                    stat.get("Dimensions") or []
                break
    since = maybe_utc(raw.get("StateTransitionedTimestamp")) or maybe_utc(raw.get("StateUpdatedTimestamp"))
    # Alarm names, reasons and dimensions are free text people write: a webhook URL with its token ends up in
    # a name. Redacted here, at the source, so no screen, export or journal shows it.
    return Alarm(
        name=redact_text(str(raw.get("AlarmName") or "")), arn=redact_text(str(raw.get("AlarmArn") or "")),
        since=since, reason=redact_text(str(raw.get("StateReason") or "")), namespace=namespace, metric=metric,
        dimensions=tuple((str(d.get("Name")), redact_text(str(d.get("Value")))) for d in dims), composite=composite,
    )


@dataclass(frozen=True)
class HealthEvent:
    """An open AWS Health event (DescribeEvents, summary form)."""

    arn: str
    service: str
    type_code: str
    category: str
    region: str
    start: datetime | None
    status: str
    scope: str = ""

    def line(self) -> str:
        return (f"{self.service} {self.type_code} ({self.category}) in {self.region}, {self.status} since "
                f"{_stamp(self.start)}")

    def to_dict(self) -> dict[str, Any]:
        return {"arn": self.arn, "service": self.service, "type": self.type_code, "category": self.category,
                "region": self.region, "start": _stamp(self.start), "status": self.status, "scope": self.scope}


def parse_health_event(raw: Mapping[str, Any]) -> HealthEvent:
    return HealthEvent(
        arn=str(raw.get("arn") or ""), service=str(raw.get("service") or ""),
        type_code=str(raw.get("eventTypeCode") or ""), category=str(raw.get("eventTypeCategory") or ""),
        region=str(raw.get("region") or ""), start=maybe_utc(raw.get("startTime")),
        status=str(raw.get("statusCode") or ""), scope=str(raw.get("eventScopeCode") or ""),
    )


@dataclass(frozen=True)
class Rule:
    """An alarm on ``namespace`` (``*``: any) and one of ``metrics`` points at ``playbook``. Parameter values
    are templates over the alarm's dimensions (``{FunctionName}``) or literal text."""

    namespace: str
    metrics: tuple[str, ...]
    playbook: str
    params: tuple[tuple[str, str], ...]
    why: str

    def matches(self, alarm: Alarm) -> bool:
        if self.namespace not in ("*", alarm.namespace):
            return False
        return any(m == alarm.metric or (m.endswith("*") and alarm.metric.startswith(m[:-1])) for m in self.metrics)


# Each row's parameters are the ones its playbook takes today (``awstriage list``); a test checks every row
# against the playbook's own validators. Rules are tried in order: the first whose parameters all fill from
# the alarm's dimensions wins, so a per-resource row comes before the account-wide one for the same metric.
SUGGESTIONS: tuple[Rule, ...] = (
    Rule("AWS/Lambda", ("Errors",), "lambda-oom", (("function", "{FunctionName}"),),
         "a function's errors: an out-of-memory kill shows as an error with no stack trace"),
    Rule("AWS/Lambda", ("Throttles",), "throttling", (("function", "{FunctionName}"),),
         "a function's throttles: its reserved concurrency or the account's ran out"),
    Rule("AWS/Lambda", ("Throttles",), "throttling", (("service", "lambda"),),
         "Lambda throttles: reserved or account concurrency ran out"),
    Rule("AWS/Lambda", ("Duration", "ConcurrentExecutions"), "slow-performance",
         (("resource", "lambda:{FunctionName}"),), "a function got slower: memory (and so CPU) or timeout"),
    Rule("AWS/ApplicationELB", ("TargetResponseTime",), "slow-performance",
         (("resource", "alb:{LoadBalancerName}"),), "slow responses behind a load balancer: the targets are the usual "
                                                    "limit"),
    Rule("AWS/ApiGateway", ("Latency", "IntegrationLatency"), "slow-performance",
         (("resource", "api:{ApiId}/{Stage}"),), "a slow API: its integrations (functions, backends) are the usual "
                                                 "limit"),
    Rule("AWS/CloudFront", ("OriginLatency",), "slow-performance", (("resource", "cloudfront:{DistributionId}"),),
         "a slow distribution: its origin is the usual limit"),
    Rule("AWS/EC2", ("StatusCheckFailed*",), "ssh-timeout", (("instance", "{InstanceId}"),),
         "an instance failing its status checks is often one nobody can reach"),
    Rule("AWS/EC2", ("CPUUtilization", "CPUCreditBalance", "CPUSurplusCreditsCharged"), "slow-performance",
         (("resource", "{InstanceId}"),), "an instance at its CPU limit or out of burst credits"),
    Rule("AWS/RDS", ("CPUUtilization", "ReadLatency", "WriteLatency", "BurstBalance", "DiskQueueDepth",
                     "CPUCreditBalance"), "slow-performance", (("resource", "rds:{DBInstanceIdentifier}"),),
         "a database at its CPU, storage or burst limit"),
    Rule("AWS/DynamoDB", ("ThrottledRequests", "ReadThrottleEvents", "WriteThrottleEvents"), "throttling",
         (("table", "{TableName}"),), "a table's throttles: its capacity or a hot partition"),
    Rule("AWS/DynamoDB", ("ThrottledRequests", "ReadThrottleEvents", "WriteThrottleEvents"), "throttling",
         (("service", "dynamodb"),), "DynamoDB throttles: capacity or a hot partition"),
    Rule("AWS/DynamoDB", ("SuccessfulRequestLatency",), "slow-performance", (("resource", "dynamodb:{TableName}"),),
         "a table answering slower: throttled retries or large items"),
    Rule("*", ("Throttl*", "*Throttles"), "throttling", (), "a throttling metric"),
)


def _dimensions(alarm: Alarm) -> dict[str, str]:
    """The alarm's dimensions, and the values derived from them that the playbooks take: the load balancer's
    name from ``LoadBalancer`` (``app/NAME/ID``)."""
    dims = dict(alarm.dimensions)
    balancer = dims.get("LoadBalancer", "")
    if balancer.count("/") == 2 and "LoadBalancerName" not in dims:
        dims["LoadBalancerName"] = balancer.split("/")[1]
    return dims


@dataclass(frozen=True)
class Suggestion:
    """Which playbook to run for an alarm, with which parameters (texts, as typed on the command line)."""

    alarm: str
    playbook: str
    params: tuple[tuple[str, str], ...]
    why: str
    note: str = ""  # why the parameters could not be filled (a dimension missing, a value refused)

    def command(self) -> str:
        params = "".join(f" --param {k}={v}" for k, v in self.params)
        return f"awstriage run {self.playbook}{params}"

    def to_dict(self) -> dict[str, Any]:
        data = {"alarm": self.alarm, "playbook": self.playbook, "params": dict(self.params), "why": self.why,
                "command": self.command()}
        if self.note:
            data["note"] = self.note
        return data


def suggest(alarm: Alarm, rules: Sequence[Rule] = SUGGESTIONS) -> Suggestion | None:
    """The first rule that fits the alarm and whose parameters all fill from its dimensions; when none
    fills, the first that fits, with a note saying which dimension is missing."""
    dims = _dimensions(alarm)
    partial: Suggestion | None = None
    for rule in rules:
        if not rule.matches(alarm):
            continue
        params: list[tuple[str, str]] = []
        missing: list[str] = []
        for key, template in rule.params:
            try:
                params.append((key, template.format_map(dims)))
            except KeyError as exc:
                missing.append(str(exc.args[0]))
        if not missing:
            return Suggestion(alarm.name, rule.playbook, tuple(params), rule.why)
        if partial is None:
            partial = Suggestion(alarm.name, rule.playbook, tuple(params), rule.why,
                                 f"the alarm has no {', '.join(missing)} dimension: give the parameter by hand")
    return partial


# Write calls every account makes by itself all day: they hide the changes people made.
NOISE = frozenset({"CreateLogStream", "CreateLogGroup", "PutLogEvents", "ConsoleLogin", "AssumeRole",
                   "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "CreateGrant", "RetireGrant",
                   "CreateNetworkInterface", "DeleteNetworkInterface", "StartSession", "SendCommand",
                   "UpdateInstanceInformation", "PutMetricData", "CheckMfa", "RenewRole", "CreateToken"})


@dataclass(frozen=True)
class Notable:
    changes: list[Change] = field(default_factory=list)
    hidden: int = 0  # routine calls left out


def notable_changes(changes: Sequence[Change]) -> Notable:
    """The changes a person made or deployed: routine service calls (log streams, role sessions, grants)
    and calls made by AWS services themselves are left out and counted."""
    kept = [c for c in changes if c.event not in NOISE and not c.principal.endswith(".amazonaws.com")]
    return Notable(kept, len(changes) - len(kept))


def alarm_line(alarm: Alarm, suggestion: Suggestion | None) -> str:
    line = f"{alarm.name}: {alarm.metric_words}, in ALARM since {_stamp(alarm.since)}"
    if suggestion is not None:
        line += f" -> {suggestion.command()}"
        if suggestion.note:
            line += f" ({suggestion.note})"
    return line
