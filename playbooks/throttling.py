"""API throttling: which caller and which operation run into a rate limit, and what lifts it.

CloudTrail's event history shows every management API call with its error code, so throttled calls
can be counted by caller, operation, client and minute. Lambda and DynamoDB throttle data-plane
traffic (invocations, item reads and writes) that the event history does not show; their own metrics
and limits are checked in the last step.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnostics.awslambda.collect import function_name_of
from diagnostics.cloudtrail.events import EventQuery, EventWindow, event_source, lookup_events
from diagnostics.throttling.api_rates import ThrottleReport, analyse_throttling, describe_report, throttling_findings
from diagnostics.throttling.collect import (
    candidates,
    function_throttles,
    listed_dimension_values,
    read_account_concurrency,
    read_function_concurrency,
    read_table_throttles,
)
from diagnostics.throttling.limits import dynamodb_findings, lambda_concurrency_findings
from playbooks import params as v
from playbooks.common import IDENTITY_STEP
from playbooks.model import Context, Param, Playbook, Step, StepOutcome, StepSkip

SERVICE = re.compile(r"^[a-z][a-z0-9-]*(\.amazonaws\.com)?$")
OPERATION = re.compile(r"^(?:([a-z][a-z0-9-]*):)?([A-Z][A-Za-z0-9]+)$")
MAX_LOOKBACK_HOURS = 90 * 24  # CloudTrail's event history keeps 90 days
LIMIT_SERVICES = ("lambda", "dynamodb")


def service_name(text: str) -> str:
    value = text.strip().lower()
    if not SERVICE.match(value):
        raise ValueError(f"'{text}' is not an AWS service name (for example ec2, dynamodb, lambda, s3)")
    return value.removesuffix(".amazonaws.com")


def operation_name(text: str) -> str:
    value = text.strip()
    if not OPERATION.match(value):
        raise ValueError(f"'{text}' is not an API operation (for example DescribeInstances or "
                         "ec2:DescribeInstances)")
    return value


def lookback_hours(text: str) -> int:
    hours = v.positive_int(text)
    if hours > MAX_LOOKBACK_HOURS:
        raise ValueError(f"CloudTrail keeps 90 days of event history; {hours} hours is more than "
                         f"{MAX_LOOKBACK_HOURS}")
    return hours


PARAMS = (
    Param("service", "the service whose calls are throttled (ec2, dynamodb, lambda, s3, ...); "
          "without it every service is searched", service_name, example="ec2"),
    Param("operation", "the API operation, as in the error message (DescribeInstances)", operation_name,
          example="DescribeInstances"),
    Param("principal", "only calls by this user or role ARN", v.principal_arn, picker="iam-principal",
          example="arn:aws:iam::123456789012:role/app"),
    Param("hours", "how many hours back to look (CloudTrail keeps 90 days)", lookback_hours, default="1"),
)


# --- what the steps read ---------------------------------------------------------------------


def _service(ctx: Context) -> str | None:
    service = ctx.inputs.get("service")
    if service:
        return str(service)
    operation = OPERATION.match(str(ctx.inputs.get("operation") or ""))
    return operation.group(1) if operation and operation.group(1) else None


def _window(ctx: Context) -> tuple[datetime, datetime]:
    def make() -> tuple[datetime, datetime]:
        end = datetime.now(UTC).replace(microsecond=0)
        return end - timedelta(hours=int(ctx.inputs.get("hours", 1))), end

    return ctx.memo("window", make)


def _query(ctx: Context) -> EventQuery:
    start, end = _window(ctx)
    service = _service(ctx)
    operation = OPERATION.match(str(ctx.inputs.get("operation") or ""))
    return EventQuery(start=start, end=end, source=event_source(service) if service else None,
                      operation=operation.group(2) if operation else None,
                      principal=ctx.inputs.get("principal"))


def _events(ctx: Context) -> EventWindow:
    return ctx.memo("cloudtrail:events", lambda: lookup_events(ctx.client("cloudtrail"), _query(ctx)))


def _report(ctx: Context) -> ThrottleReport:
    def make() -> ThrottleReport:
        window = _events(ctx)
        return analyse_throttling(window.events, window.covered_minutes, window.read, window.truncated)

    return ctx.memo("throttle:report", make)


def _scope(query: EventQuery) -> str:
    parts = [f"calls to {query.source}" if query.source else "calls to every service"]
    if query.operation:
        parts.append(f"operation {query.operation}")
    if query.principal:
        parts.append(f"by {query.principal}")
    return ", ".join(parts)


# --- the steps -------------------------------------------------------------------------------


def _throttled_calls(ctx: Context) -> StepOutcome:
    window = _events(ctx)
    report = _report(ctx)
    query = window.query
    hours = int(ctx.inputs.get("hours", 1))
    detail = (f"Read {window.read} CloudTrail events from the last {hours} h in {ctx.session.region} "
              f"({_scope(query)}; {len(window.events)} matched). ")
    if window.truncated:
        detail += (f"The reading stopped after {window.read} events (CloudTrail answers 50 a page, two pages "
                   f"a second), so only the last {window.covered_minutes:.0f} minutes are covered; name a "
                   "service or an operation to look further back. ")
    detail += describe_report(report)
    if not report.throttled:
        if _service(ctx) in LIMIT_SERVICES:
            detail += (" Lambda invocations and DynamoDB item calls are not in the event history: see the "
                       "last step.")
        return StepOutcome("ok", detail)
    sustained = any(o.sustained for o in report.offenders)
    return StepOutcome("problem" if sustained else "warning", detail)


def _offenders(ctx: Context) -> StepOutcome:
    report = _report(ctx)
    top = report.top
    if top is None:
        raise StepSkip("No throttled calls in the window, so nobody to name.")
    findings = throttling_findings(report, ctx.session.region)
    detail = (f"Most throttles come from {top.caller} calling {top.action}: {top.throttled} throttled of "
              f"{top.calls} calls, up to {top.peak_calls_per_minute} calls a minute.")
    if top.retry_modes:
        detail += f" Its client declares retry mode {', '.join(top.retry_modes)}."
    if len(findings) > 1:
        detail += f" {len(findings) - 1} other caller(s) take a large share too."
    status = "problem" if any(f.severity == "error" for f in findings) else "warning"
    return StepOutcome(status, detail, findings)


def _read_events(ctx: Context) -> EventWindow | None:
    """The events the first step read; None if it could not read them (it said why already), so the
    limits step still checks the service that was named."""
    return ctx.peek("cloudtrail:events")


def _throttled_sources(ctx: Context) -> set[str]:
    window = _read_events(ctx)
    return {e.service for e in window.throttled()} if window else set()


def _resource_name(value: str) -> str:
    """A function or table name from a name or an ARN (``...:function:NAME``, ``...:table/NAME``)."""
    if value.startswith("arn:") and ":table/" in value:
        return value.split(":table/", 1)[1].split("/")[0]
    return function_name_of(value)


def _named(ctx: Context, source: str, key: str) -> list[str]:
    window = _read_events(ctx)
    return [_resource_name(e.param(key)) for e in (window.events if window else ())
            if e.throttled and e.service == source and e.param(key)]


def _partition_and_account(ctx: Context) -> tuple[str, str]:
    arn = ctx.identity.get("arn", "")
    parts = arn.split(":")
    return (parts[1] if len(parts) > 1 and parts[1] else "aws"), ctx.identity.get("account", "")


def _lambda_limits(ctx: Context, start: datetime, end: datetime) -> tuple[list[Any], list[str]]:
    lam, cw = ctx.client("lambda"), ctx.client("cloudwatch")
    region = ctx.session.region
    partition, account = _partition_and_account(ctx)
    named = _named(ctx, "lambda", "functionName")
    recent = (end - start).total_seconds() <= 3 * 3600
    names = candidates(named, listed_dimension_values(cw, "AWS/Lambda", "Throttles", "FunctionName",
                                                      last_3_hours=recent))
    counts = {n: function_throttles(cw, n, start, end) for n in names}
    arn = f"arn:{partition}:lambda:{region}:{account}:function:"
    throttled = [read_function_concurrency(lam, cw, n, arn + n, start, end, counts[n])
                 for n in names if counts[n] > 0 or n in named]
    account_limits = read_account_concurrency(lam) if throttled else None
    notes = [f"{f.name}: {f.throttles:g} throttles, reserved concurrency "
             f"{'none' if f.reserved is None else f.reserved}, peak {f.peak_concurrency or 0:g}"
             for f in throttled]
    if account_limits is not None:
        notes.append(f"account concurrency {account_limits.limit} ({account_limits.unreserved} unreserved)")
    if not names:
        notes.append("no Lambda function has throttle metrics in the window")
    elif not throttled:
        notes.append(f"none of the {len(names)} function(s) checked was throttled")
    return lambda_concurrency_findings(account_limits, throttled, region, account), notes


def _dynamodb_limits(ctx: Context, start: datetime, end: datetime) -> tuple[list[Any], list[str]]:
    ddb, cw = ctx.client("dynamodb"), ctx.client("cloudwatch")
    recent = (end - start).total_seconds() <= 3 * 3600
    names = candidates(_named(ctx, "dynamodb", "tableName"),
                       listed_dimension_values(cw, "AWS/DynamoDB", "ThrottledRequests", "TableName",
                                               last_3_hours=recent))
    tables = [read_table_throttles(ddb, cw, n, start, end) for n in names]
    throttled = [t for t in tables if t.throttled_requests > 0 or t.read_throttles + t.write_throttles > 0]
    notes = [f"{t.name} ({t.billing_mode}): "
             f"{max(t.throttled_requests, t.read_throttles + t.write_throttles):g} "
             "throttled requests" for t in throttled]
    if not throttled:
        notes.append(f"none of the {len(names)} table(s) with throttle metrics was throttled" if names
                     else "no DynamoDB table has throttle metrics in the window")
    return dynamodb_findings(throttled, ctx.session.region), notes


def _limits(ctx: Context) -> StepOutcome:
    wanted = ({_service(ctx)} | _throttled_sources(ctx)) & set(LIMIT_SERVICES)
    if not wanted:
        services = ", ".join(sorted(_throttled_sources(ctx)))
        raise StepSkip("This step checks Lambda concurrency and DynamoDB capacity (name service=lambda or "
                       "service=dynamodb to check them); "
                       + (f"the throttled calls went to: {services}." if services else "no call was "
                                                                                       "throttled."))
    start, end = _window(ctx)
    findings: list[Any] = []
    notes: list[str] = []
    for service in sorted(wanted):
        found, said = (_lambda_limits if service == "lambda" else _dynamodb_limits)(ctx, start, end)
        findings += found
        notes += [f"{service}: {n}" for n in said]
    detail = "; ".join(notes) + "."
    if any(f.severity == "error" for f in findings):
        return StepOutcome("problem", detail, findings)
    return StepOutcome("warning" if findings else "ok", detail, findings)


THROTTLED_STEP = Step(
    id="throttled-calls",
    title="Were API calls throttled?",
    why=(
        "Every AWS API accepts only so many requests a second per account and region, like a bucket of "
        "tokens that refills at a steady rate. A caller that empties the bucket gets throttling errors "
        "(ThrottlingException, RequestLimitExceeded, TooManyRequestsException, SlowDown, ...). CloudTrail "
        "records every management API call with its error code, so this step reads the event history for the "
        "window and counts the throttled calls by operation, caller, error code and client. (CloudTrail "
        "shows a call up to about 15 minutes after it happened.)"
    ),
    good="No throttled calls, or a handful spread over the window (the SDK's retries absorb those).",
    run=_throttled_calls,
)

OFFENDER_STEP = Step(
    id="top-offender",
    title="Who is sending too many requests?",
    why=(
        "The rate limit is shared: one noisy caller, say a monitoring script polling DescribeInstances in a "
        "tight loop, makes every other caller in the account slow or failing too. This step names the caller "
        "(the role or user) and the operation behind most throttles, how fast it called, and which client it "
        "uses: SDKs announce their retry mode in the user agent, and the old 'legacy' mode retries at once, "
        "which turns a burst into a storm."
    ),
    good="Nobody is throttled repeatedly; any caller's throttles are few and isolated.",
    run=_offenders,
)

LIMITS_STEP = Step(
    id="service-limits",
    title="Is a Lambda or DynamoDB limit behind it?",
    why=(
        "Lambda and DynamoDB throttle the work itself, not just API calls, and those throttles never appear "
        "in the event history. Lambda runs at most as many copies of a function as its concurrency allows: "
        "the account's regional pool, or the function's reserved concurrency, which is also a cap (0 "
        "switches it off). A DynamoDB table throttles requests beyond its provisioned capacity, or beyond "
        "what one partition can serve. This step reads their throttle metrics and limits."
    ),
    good="No Lambda or DynamoDB throttles, or throttled functions well below their concurrency limits.",
    run=_limits,
)

PLAYBOOK = Playbook(
    name="throttling",
    title="Requests are throttled (rate exceeded)",
    purpose="Finds the throttled API calls in CloudTrail, names the caller and operation behind them, checks "
            "Lambda concurrency and DynamoDB capacity, and gives the backoff, quota and concurrency fixes.",
    params=PARAMS,
    steps=(IDENTITY_STEP, THROTTLED_STEP, OFFENDER_STEP, LIMITS_STEP),
    default_scenario="throttling-ec2-poller",
)
