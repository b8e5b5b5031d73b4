"""API throttling: which caller and which operation run into a rate limit, and which limit bites.

CloudTrail's event history shows every management API call with its error code, so throttled calls
can be counted by caller, operation, client and minute. Lambda and DynamoDB throttle data-plane
traffic (invocations, item reads and writes) that the event history does not show; their own metrics
and limits are judged in the last two steps, each read on its own so one refused call never hides the
others' answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from diagnostics.awslambda.collect import FunctionAbsent, absent_sentence, read_target
from diagnostics.awslambda.names import function_name_of
from diagnostics.cloudtrail.data_events import DATA_EVENT_SERVICES, DataEventService, data_event_service
from diagnostics.cloudtrail.events import EventQuery, EventWindow, event_source, lookup_events
from diagnostics.cloudwatch.metrics import MetricSeries
from diagnostics.errors import where_searched
from diagnostics.findings import Finding
from diagnostics.throttling.api_rates import (
    MAX_FINDINGS,
    Offender,
    QuotaUse,
    RateQuota,
    ThrottleReport,
    analyse_throttling,
    counted_rate,
    describe_report,
    peak_calls_per_second,
    quota_for,
    quota_sentence,
    throttling_findings,
    undercount,
)
from diagnostics.throttling.collect import (
    MAX_CANDIDATES,
    TableAbsent,
    call_count,
    candidates,
    lambda_series,
    listed_dimension_values,
    listed_table_metrics,
    read_account_settings,
    read_applied_quota,
    read_concurrency_quota,
    read_contributor_insights,
    read_provisioned,
    read_rate_quotas,
    read_reserved,
    read_sqs_sources,
    read_table_target,
    table_series,
    throttled_keys,
    top_consumers,
)
from diagnostics.throttling.dynamodb_limits import (
    CONSUMED,
    THROTTLE_METRICS,
    TableConfig,
    TableLoad,
    decide_dynamodb,
    decide_index,
)
from diagnostics.throttling.error_message import ThrottleMessage, parse_throttle_message
from diagnostics.throttling.lambda_limits import (
    LAMBDA_CONCURRENCY_QUOTA,
    AccountPool,
    Consumer,
    FunctionLoad,
    LimitDecision,
    decide_lambda_limit,
)
from playbooks import params as v
from playbooks.common import IDENTITY_STEP
from playbooks.model import Context, Param, Playbook, Step, StepOutcome, StepSkip

SERVICE = re.compile(r"^[a-z][a-z0-9-]*(\.amazonaws\.com)?$")
OPERATION = re.compile(r"^(?:([a-z][a-z0-9-]*):)?([A-Z][A-Za-z0-9]+)$")
TABLE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
MAX_LOOKBACK_HOURS = 90 * 24  # CloudTrail's event history keeps 90 days
LIMIT_SERVICES = ("lambda", "dynamodb")
MAX_JUDGED_FUNCTIONS = 5
MAX_JUDGED_TABLES = 5
MAX_TABLE_SERIES = 40


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


def table_name(text: str) -> str:
    """A DynamoDB table name, or its ARN (``arn:aws:dynamodb:REGION:ACCOUNT:table/NAME``)."""
    value = text.strip()
    where = v.arn_location(value)
    if value.startswith("arn:"):
        if ":table/" not in value:
            raise ValueError(f"'{text}' is not a DynamoDB table ARN")
        value = value.split(":table/", 1)[1]
    # A global secondary index has its own capacity and throttle metrics (dimension
    # GlobalSecondaryIndexName): TABLE/index/INDEX is kept whole, so the index is judged, not its table.
    table, sep, index = value.partition("/index/")
    if not TABLE.match(table) or (sep and not TABLE.match(index)) or (not sep and "/" in value):
        raise ValueError(f"'{text}' is not a DynamoDB table name (3-255 letters, digits, '_', '-', '.') or "
                         "TABLE/index/INDEX")
    return v.Located(value, *where) if where else value  # the ARN's region and account steer the run


PARAMS = (
    Param("function", "the throttled Lambda function (name, name:alias or ARN)", v.function_name,
          picker="lambda-function",
          example="thumbnail-resizer"),
    Param("table", "the throttled DynamoDB table (name or ARN)", table_name, example="orders"),
    Param("error", "the error message as the caller logged it; fills service, operation, and Lambda's or "
          "DynamoDB's throttle reason", parse_throttle_message,
          example="An error occurred (TooManyRequestsException) when calling the Invoke operation: Rate Exceeded."),
    Param("service", "the service whose calls are throttled (ec2, dynamodb, lambda, s3, ...); "
          "without it every service is searched", service_name, example="ec2"),
    Param("operation", "the API operation, as in the error message (DescribeInstances)", operation_name,
          example="DescribeInstances"),
    Param("principal", "only calls by this user or role ARN", v.principal_arn, picker="iam-principal",
          example="arn:aws:iam::123456789012:role/app"),
    Param("hours", "how many hours back to look (CloudTrail keeps 90 days)", lookback_hours, default="1"),
)


# --- what the inputs say ---------------------------------------------------------------------


def _message(ctx: Context) -> ThrottleMessage | None:
    message = ctx.inputs.get("error")
    return message if isinstance(message, ThrottleMessage) else None


def _function(ctx: Context) -> str:
    given = ctx.inputs.get("function")
    if given:
        return function_name_of(str(given))
    message = _message(ctx)
    return message.function if message else ""


def _table(ctx: Context) -> str:
    message = _message(ctx)
    return str(ctx.inputs.get("table") or (message.table if message else "")).partition("/index/")[0]


def _index(ctx: Context) -> str:
    """The global secondary index named with table=TABLE/index/INDEX (or its ARN), else ""."""
    return str(ctx.inputs.get("table") or "").partition("/index/")[2]


def _operation(ctx: Context) -> tuple[str | None, str | None]:
    """(service prefix, operation) from ``operation``, else from the pasted message."""
    match = OPERATION.match(str(ctx.inputs.get("operation") or ""))
    if match:
        return match.group(1), match.group(2)
    message = _message(ctx)
    return None, (message.operation or None) if message else None


def _service(ctx: Context) -> str | None:
    service = ctx.inputs.get("service")
    if service:
        return str(service)
    prefix, _ = _operation(ctx)
    message = _message(ctx)
    return (prefix or (message.service if message else "") or ("lambda" if _function(ctx) else "")
            or ("dynamodb" if _table(ctx) else "") or None)


def _data_events(ctx: Context) -> DataEventService | None:
    """The service whose data event the named (or pasted) operation is; None for a management call."""
    prefix, operation = _operation(ctx)
    return data_event_service(operation, prefix or _service(ctx))


def _data_plane(ctx: Context) -> bool:
    """True when the question is about data events (invocations, item and object calls, ...), which the
    event history never holds (see diagnostics.cloudtrail.data_events)."""
    _, operation = _operation(ctx)
    if operation:
        return _data_events(ctx) is not None
    return bool(_function(ctx) or _table(ctx))


def _unjudged_data_events(ctx: Context) -> DataEventService | None:
    """The data-event service of the question when no step of this playbook reads its metrics (S3, SQS, ...):
    nothing here can see those calls, so the run cannot judge them."""
    entry = _data_events(ctx)
    return entry if entry is not None and entry.service not in LIMIT_SERVICES else None


def _window(ctx: Context) -> tuple[datetime, datetime]:
    def make() -> tuple[datetime, datetime]:
        end = datetime.now(UTC).replace(microsecond=0)
        return end - timedelta(hours=int(ctx.inputs.get("hours", 1))), end

    return ctx.memo("window", make)


def _recent(ctx: Context) -> bool:
    start, end = _window(ctx)
    return (end - start).total_seconds() <= 3 * 3600


def _query(ctx: Context) -> EventQuery:
    start, end = _window(ctx)
    service = _service(ctx)
    _, operation = _operation(ctx)
    return EventQuery(start=start, end=end, source=event_source(service) if service else None,
                      operation=operation, principal=ctx.inputs.get("principal"))


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


def _plan(ctx: Context) -> None:
    """CloudTrail's event history is the longest read (pages one after another, two a second): it starts
    beside the identity step, unless the question is about data events, which the history never holds."""
    if not _data_plane(ctx):
        ctx.prefetch("cloudtrail:events", lambda: _events(ctx))
    # Whether what was named exists is known from the start: asked beside the identity step.
    if target := _function_target(ctx):
        ctx.prefetch(f"throttle:function:{target}", lambda: read_target(ctx.client("lambda"), target))
    if table := _table(ctx):
        ctx.prefetch(f"throttle:table:{table}", lambda: read_table_target(ctx.client("dynamodb"), table))


# --- CloudTrail: throttled API calls and who sent them ----------------------------------------


def _data_calls_unseen(entry: DataEventService) -> str:
    """The sentence that keeps "no throttled management call" from passing for "no throttled call" of a service
    whose data calls the event history never holds."""
    return (f"Only {entry.service}'s management calls are in the event history; its data calls "
            f"({entry.examples()}, ...) never are. For those: {entry.evidence} ({entry.doc}).")


def _unseen_data_events(ctx: Context, entry: DataEventService) -> StepOutcome:
    """A data-event question no step here reads: say it cannot be judged from the event history, and where
    the evidence is."""
    _, operation = _operation(ctx)
    message = _message(ctx)
    said = (f"The pasted error ({message.code or message.reason}) is AWS's word that it throttled {entry.service} "
            f"{operation}. " if message is not None and message.says_throttled else "")
    return StepOutcome("no_data", (
        f"{said}{entry.service} {operation} is a data event, and CloudTrail's event history (LookupEvents) holds "
        "only management and Insights events, so no matching event there could show it; it was not read. "
        f"Where to look instead: {entry.evidence} ({entry.doc}). awstriage does not read these for "
        f"{entry.service} yet."))


def _skip_data_plane(ctx: Context) -> None:
    if _data_plane(ctx):
        what = _function(ctx) or _table(ctx) or _operation(ctx)[1]
        entry = _data_events(ctx) or DATA_EVENT_SERVICES["lambda" if _function(ctx) else "dynamodb"]
        raise StepSkip(f"The question is about {what}: {entry.service} {entry.examples()} "
                       "and the like are data events, which CloudTrail's event history never holds; the steps "
                       "below read the service's own metrics. (Name service= and operation= to look for "
                       "throttled management calls too.)")


def _throttled_calls(ctx: Context) -> StepOutcome:
    unjudged = _unjudged_data_events(ctx)
    if unjudged is not None:
        return _unseen_data_events(ctx, unjudged)
    _skip_data_plane(ctx)
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
                       "last steps.")
        elif (entry := DATA_EVENT_SERVICES.get(_service(ctx) or "")) is not None:
            detail += " " + _data_calls_unseen(entry)
        return StepOutcome("ok", detail)
    sustained = any(o.sustained for o in report.offenders)
    return StepOutcome("problem" if sustained else "warning", detail)


def _offenders(ctx: Context) -> StepOutcome:
    if _data_plane(ctx):
        raise StepSkip("No management calls were read (see the step before), so no caller to name.")
    if _read_events(ctx) is None:
        raise StepSkip("CloudTrail's event history could not be read (the step before says why), so no "
                       "caller can be named from it.")
    report = _report(ctx)
    top = report.top
    if top is None:
        raise StepSkip("No throttled calls in the window, so nobody to name.")
    uses = _quota_uses(ctx, report.offenders[:MAX_FINDINGS])
    findings = throttling_findings(report, ctx.session.region, uses)
    detail = (f"Most throttles come from {top.caller} calling {top.action}: {top.throttled} throttled; "
              f"{counted_rate(top)}.")
    detail += undercount(top, uses.get(top.action)) + quota_sentence(top, uses.get(top.action))
    if top.retry_modes:
        detail += f" Its client declares retry mode {', '.join(top.retry_modes)}."
    if len(findings) > 1:
        detail += f" {len(findings) - 1} other caller(s) take a large share too."
    status = "problem" if any(f.severity == "error" for f in findings) else "warning"
    return StepOutcome(status, detail, findings)


def _quota_uses(ctx: Context, offenders: Sequence[Offender]) -> dict[str, QuotaUse]:
    """Service Quotas' rate quota and AWS/Usage CallCount for each offender's operation, each read on its own
    (a refused call leaves the finding without that sentence, never without the finding)."""
    quotas_client, cw = ctx.client("service-quotas"), ctx.client("cloudwatch")
    start, end = _window(ctx)
    by_service: dict[str, list[RateQuota] | None] = {}
    uses: dict[str, QuotaUse] = {}
    for offender in offenders:
        service = offender.service
        if service not in by_service:
            by_service[service] = ctx.read(f"the API rate quotas of {service} (Service Quotas)",
                                           lambda service=service: read_rate_quotas(quotas_client, service))
        quotas = by_service[service]
        quota = quota_for(offender.operation, quotas or [])
        peak = None
        if quota is not None:
            quota = ctx.read(f"the applied value of quota {quota.code}",
                             lambda quota=quota, service=service: read_applied_quota(quotas_client, service, quota),
                             default=quota)
            if quota.usage:
                series = ctx.read(f"the AWS/Usage CallCount of {offender.action}",
                                  lambda usage=quota.usage: call_count(cw, usage, start, end))
                if series is not None:
                    peak = peak_calls_per_second(series.values("Sum"), series.period)
        uses[offender.action] = QuotaUse(quotas_read=quotas is not None, quota=quota, peak_per_second=peak)
    return uses


def _read_events(ctx: Context) -> EventWindow | None:
    """The events the first step read; None if it could not read them (it said why already), so the
    limits steps still check the service that was named."""
    return ctx.peek("cloudtrail:events")


def _throttled_sources(ctx: Context) -> set[str]:
    window = _read_events(ctx)
    return {e.service for e in window.throttled()} if window else set()


def _named(ctx: Context, source: str, key: str) -> list[str]:
    window = _read_events(ctx)
    names = [str(e.param(key)) for e in (window.events if window else ())
             if e.throttled and e.service == source and e.param(key)]
    if source == "lambda":
        return [function_name_of(n) for n in names]
    return [n.split(":table/", 1)[1].split("/")[0] if ":table/" in n else n for n in names]


def _wanted(ctx: Context, service: str) -> bool:
    return _service(ctx) == service or service in _throttled_sources(ctx)


def _unseen(ctx: Context, what: str) -> str:
    """Why no throttled ``what`` call points this step at a resource, without claiming an absence that was
    never observed: when CloudTrail's event history was not read, it says so."""
    if _read_events(ctx) is None:
        return (f"CloudTrail's event history was not read (see 'Were API calls throttled?'), so it could not "
                f"show a throttled {what} call either")
    return f"CloudTrail's event history has no throttled {what} call in the window"


def _partition_and_account(ctx: Context) -> tuple[str, str]:
    arn = ctx.identity.get("arn", "")
    parts = arn.split(":")
    return (parts[1] if len(parts) > 1 and parts[1] else "aws"), ctx.identity.get("account", "")


# --- Lambda: which concurrency limit ---------------------------------------------------------

_NOT_READ = object()


def _where(ctx: Context) -> str:
    return where_searched(ctx.session.region, ctx.identity.get("account", ""))


def _function_target(ctx: Context) -> str:
    """The function as given (with its alias or version), from the parameter or the pasted error."""
    given = str(ctx.inputs.get("function") or "")
    message = _message(ctx)
    return given or (message.function if message else "")


def _function_absent(ctx: Context) -> FunctionAbsent | None:
    """What Lambda said when the function, alias or version named does not exist; None when it exists or
    its configuration could not be read (then a missing fact, and the step judges from the metrics)."""
    target = _function_target(ctx)
    found = ctx.read(f"the configuration of function {target}", lambda: read_target(ctx.client("lambda"), target),
                     key=f"throttle:function:{target}")
    return found if isinstance(found, FunctionAbsent) else None


def _function_arn(ctx: Context, name: str) -> str:
    given = str(ctx.inputs.get("function") or "")
    if given.startswith("arn:"):
        return ":".join(given.split(":")[:7])
    partition, account = _partition_and_account(ctx)
    return f"arn:{partition}:lambda:{ctx.session.region}:{account}:function:{name}"


def _account_pool(ctx: Context) -> AccountPool:
    """The account's limit and the account-wide series, each read on its own; memoised per run."""
    def make() -> AccountPool:
        lam, cw = ctx.client("lambda"), ctx.client("cloudwatch")
        start, end = _window(ctx)
        settings, account, unreserved_series = ctx.read_all([  # independent: asked for together
            ("the account's Lambda concurrency limit", lambda: read_account_settings(lam), None),
            ("the account-wide ConcurrentExecutions metric",
             lambda: lambda_series(cw, "ConcurrentExecutions", None, start, end, "Maximum"), None),
            ("the account-wide UnreservedConcurrentExecutions metric",
             lambda: lambda_series(cw, "UnreservedConcurrentExecutions", None, start, end, "Maximum"), None),
        ])
        limit, unreserved, source = (settings[0], settings[1], "GetAccountSettings") if settings else (None, None, "")
        return AccountPool(limit=limit, unreserved=unreserved, concurrency=account,
                           unreserved_concurrency=unreserved_series, limit_source=source)

    return ctx.memo("lambda:pool", make)


def _with_consumers(ctx: Context, pool: AccountPool) -> AccountPool:
    """The pool as a function sharing it needs it: its top consumers (one call per function), and the limit
    from Service Quotas when GetAccountSettings could not give it."""
    def make() -> AccountPool:
        cw = ctx.client("cloudwatch")
        start, end = _window(ctx)
        limit, source = pool.limit, pool.limit_source
        if limit is None:
            limit = ctx.read("Lambda's concurrency quota (L-B99A9384) in Service Quotas",
                             lambda: read_concurrency_quota(ctx.client("service-quotas"), LAMBDA_CONCURRENCY_QUOTA))
            source = "Service Quotas" if limit is not None else ""
        consumers, listed = ctx.read("the functions using the most concurrency",
                                     lambda: top_consumers(cw, start, end, _recent(ctx)), default=([], 0))
        return replace(pool, limit=limit, limit_source=source, consumers=tuple(Consumer(n, p) for n, p in consumers),
                       functions_listed=listed)

    return ctx.memo("lambda:pool+consumers", make)


def _function_load(ctx: Context, name: str, throttles: MetricSeries | None) -> FunctionLoad:
    lam, cw = ctx.client("lambda"), ctx.client("cloudwatch")
    start, end = _window(ctx)
    reserved, concurrency, invocations, spillover, sqs = ctx.read_all([  # independent: asked for together
        (f"the reserved concurrency of {name}", lambda: read_reserved(lam, name), _NOT_READ),
        (f"the ConcurrentExecutions metric of {name}",
         lambda: lambda_series(cw, "ConcurrentExecutions", name, start, end, "Maximum"), None),
        (f"the Invocations metric of {name}", lambda: lambda_series(cw, "Invocations", name, start, end), None),
        (f"the ProvisionedConcurrencySpilloverInvocations metric of {name}",
         lambda: lambda_series(cw, "ProvisionedConcurrencySpilloverInvocations", name, start, end), None),
        (f"the SQS event sources of {name}", lambda: read_sqs_sources(lam, name), ()),
    ])
    # Provisioned concurrency is read only where the metric shows it spilled over: most functions have none.
    provisioned = None
    if spillover is not None and spillover.total() > 0:
        provisioned = ctx.read(f"the provisioned concurrency of {name}", lambda: read_provisioned(lam, name))
    known = reserved is not _NOT_READ
    return FunctionLoad(name=name, arn=_function_arn(ctx, name), throttles=throttles, concurrency=concurrency,
                        invocations=invocations, reserved=reserved if known else None, reserved_known=known,
                        provisioned=provisioned, spillover=spillover, sqs_sources=sqs)


def _pool_sentence(pool: AccountPool) -> str:
    if pool.limit is None:
        return "The account's concurrency limit could not be read."
    text = f"The account's concurrency limit is {pool.limit:,} ({pool.limit_source}"
    if pool.unreserved is not None:
        text += f", {pool.unreserved:,} unreserved"
    return text + ")."


def _to_judge(ctx: Context, given: str, named: list[str], metric: tuple[str, str, str], noun: str, limit: int,
              empty_means: str) -> list[str] | StepOutcome:
    """The resources a limits step judges: the one named, else those the throttled events name and those
    CloudWatch lists with the throttle ``metric`` (namespace, name, dimension); an outcome when none."""
    if given:
        return [given]
    namespace, name, dimension = metric
    listed = ctx.read(f"the {noun}s CloudWatch lists with a {name} metric",
                      lambda: listed_dimension_values(ctx.client("cloudwatch"), namespace, name, dimension,
                                                      last_3_hours=_recent(ctx)), default=None)
    if listed is None and not named:
        return StepOutcome("error", f"Could not list which {noun}s have {namespace} {name} metrics; name the "
                                    f"{noun} with {noun}=NAME.")
    names = candidates(named, listed or [], limit=limit)
    if names:
        return names
    hours = int(ctx.inputs.get("hours", 1))
    return StepOutcome("no_data", (
        f"CloudWatch lists no {namespace} {name} metric for any {noun} in the last {hours} h in "
        f"{ctx.session.region} ({empty_means}): name the {noun} ({noun}=NAME) to read it directly, widen `hours`, "
        "or check the region."))


def _lambda_step(ctx: Context) -> StepOutcome:
    if not (_function(ctx) or _wanted(ctx, "lambda")):
        raise StepSkip("This step checks Lambda concurrency: name function=NAME or service=lambda "
                       f"({_unseen(ctx, 'Lambda')}).")
    cw = ctx.client("cloudwatch")
    start, end = _window(ctx)
    given = _function(ctx)
    if given and (absent := _function_absent(ctx)) is not None:
        # A function, alias or version that does not exist has no metrics: never "not invoked", never judged
        # as the whole function.
        return StepOutcome("error", absent_sentence(absent, ctx.identity.get("account", ""), ctx.session.region))
    named = _named(ctx, "lambda", "functionName")
    names = _to_judge(ctx, given, named, ("AWS/Lambda", "Throttles", "FunctionName"), "function", MAX_CANDIDATES,
                      "no function was invoked in the window according to CloudWatch")
    if isinstance(names, StepOutcome):
        return names
    throttles = dict(zip(names, ctx.read_all([  # independent: asked for together
        (f"the Throttles metric of {n}", lambda n=n: lambda_series(cw, "Throttles", n, start, end), None)
        for n in names]), strict=True))
    judged = [n for n in names if n == given or n in named
              or (throttles[n] is not None and throttles[n].total() > 0)][:MAX_JUDGED_FUNCTIONS]
    read = [n for n in names if throttles[n] is not None]
    if not judged:
        return _none_throttled(ctx, read)
    message = _message(ctx)
    reason = message.lambda_reason if message else ""
    decisions: list[LimitDecision] = []
    pool: AccountPool | None = None

    def throttled(name: str) -> bool:
        return bool((throttles[name] is not None and throttles[name].total() > 0) or reason)

    # The functions' loads and, when one was throttled, the account's pool need only what is read so far:
    # they are asked for together.
    for name in judged:
        ctx.prefetch(f"throttle:load:{name}", lambda name=name: _function_load(ctx, name, throttles[name]))
    if any(throttled(name) for name in judged):
        ctx.prefetch("throttle:plan:pool", lambda: _account_pool(ctx))
    for name in judged:
        load = ctx.memo(f"throttle:load:{name}", lambda name=name: _function_load(ctx, name, throttles[name]))
        if throttled(name):
            pool = _account_pool(ctx)
            if load.reserved is None:  # it shares the pool (or its reservation could not be read)
                pool = _with_consumers(ctx, pool)
        decisions.append(decide_lambda_limit(load, pool, ctx.session.region, reason))
    parts = [d.detail for d in decisions]
    # The pool's limit, unless a decision already says it (the drained pool's numbers, or an unexplained
    # throttle that names the unread limit among the others).
    if pool is not None and not any(d.cause == "account_pool" or (d.cause == "unexplained" and pool.limit is None)
                                    for d in decisions):
        parts.append(_pool_sentence(pool))
    return _outcome(_once(parts), [f for d in decisions for f in d.findings], {d.cause for d in decisions})


def _none_throttled(ctx: Context, read: list[str]) -> StepOutcome:
    """No function was named and none of those read was throttled. The account-wide Throttles metric (no
    dimensions) covers every function, also those not read: it decides whether "none" holds for the account."""
    start, end = _window(ctx)
    hours = int(ctx.inputs.get("hours", 1))
    account = ctx.read("the account-wide AWS/Lambda Throttles metric",
                       lambda: lambda_series(ctx.client("cloudwatch"), "Throttles", None, start, end))
    total = account.total() if account is not None and not account.empty else None
    which = f" ({', '.join(read[:5])}{', ...' if len(read) > 5 else ''})" if read else ""
    if total:
        return StepOutcome("no_data", (
            f"The account-wide AWS/Lambda Throttles metric counts {total:,.0f} throttled invocations in the last "
            f"{hours} h, but none of the {len(read)} function(s) whose Throttles were read{which} shows them: "
            "the throttled function is another one; name it (function=NAME) to read it directly."))
    if not read:
        return StepOutcome("error", "No function's Throttles metric could be read, so nothing says whether "
                                    "any was throttled.")
    detail = f"None of the {len(read)} function(s) with Throttles metrics in the last {hours} h was throttled{which}"
    if total == 0:
        return StepOutcome("ok", detail + ", and the account-wide Throttles metric is 0 in every minute.")
    return StepOutcome("ok", detail + (" (the account-wide Throttles metric could not be read)." if account is None
                                       else "; the account-wide Throttles metric has no datapoints."))


def _once(parts: Sequence[str]) -> str:
    """The parts as one text, each sentence said once: several functions (and the pool) may each say that
    the same fact could not be read."""
    seen: set[str] = set()
    kept = []
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(p.strip() for p in parts if p.strip())):
        if sentence not in seen:
            seen.add(sentence)
            kept.append(sentence)
    return " ".join(kept)


def _outcome(detail: str, findings: list[Finding], causes: set[str]) -> StepOutcome:
    """A limits step's status: a blocking finding is a problem; otherwise a judged "not throttled" is ok,
    and a step that judged nothing says it had no data (or could not read)."""
    if any(f.severity == "error" for f in findings):
        return StepOutcome("problem", detail, findings)
    if findings:
        return StepOutcome("warning", detail, findings)
    if "none" in causes:
        return StepOutcome("ok", detail)
    return StepOutcome("no_data" if "no_data" in causes else "error", detail)


# --- DynamoDB: which capacity ------------------------------------------------------------------


def _table_config(ctx: Context, name: str) -> TableConfig | TableAbsent | None:
    """The table's configuration, or its absence; None when DescribeTable failed (a missing fact)."""
    return ctx.read(f"the configuration of table {name}", lambda: read_table_target(ctx.client("dynamodb"), name),
                    key=f"throttle:table:{name}")


def _table_load(ctx: Context, name: str) -> TableLoad:
    """Everything about one table, each read on its own so a refused call keeps the rest."""
    ddb, cw = ctx.client("dynamodb"), ctx.client("cloudwatch")
    start, end = _window(ctx)
    config = _table_config(ctx, name)
    if isinstance(config, TableAbsent):
        config = None
    listed = ctx.read(f"the metrics CloudWatch lists for table {name}", lambda: listed_table_metrics(cw, name),
                      default=[])
    wanted = {(m, (("TableName", name),)) for m in (*THROTTLE_METRICS[:2], *CONSUMED.values())}
    index = _index(ctx) if name == _table(ctx) else ""
    if index:  # the index asked about: read even when CloudWatch lists none of its metrics
        wanted |= {(m, (("GlobalSecondaryIndexName", index), ("TableName", name)))
                   for m in (*THROTTLE_METRICS[:2], *CONSUMED.values())}
    wanted |= {(m, dims) for m, dims in listed
               if m in THROTTLE_METRICS or m in CONSUMED.values() or m == "ThrottledRequests"}
    series: dict[tuple[str, str | None], MetricSeries] = {}
    by_operation: dict[str, float] = {}
    unread = 0
    for metric, dims in sorted(wanted)[:MAX_TABLE_SERIES]:
        found = ctx.read(f"the {metric} metric of table {name}" + "".join(f", {k} {v}" for k, v in dims[1:]),
                         lambda metric=metric, dims=dims: table_series(cw, metric, dict(dims), start, end))
        if found is None:
            unread += 1
            continue
        extra = dict(dims)
        if metric == "ThrottledRequests":
            if "Operation" in extra and found.total() > 0:
                by_operation[extra["Operation"]] = found.total()
            continue
        series[(metric, extra.get("GlobalSecondaryIndexName"))] = found
    throttled = any(s.total() > 0 for (m, _), s in series.items() if m in THROTTLE_METRICS) or by_operation
    status, keys = None, ()
    if throttled:
        insights = ctx.read(f"whether Contributor Insights is enabled on table {name}",
                            lambda: read_contributor_insights(ddb, name))
        if insights is not None:
            status, rules = insights
            rule = next((r for r in rules if "-PKT-" in r), None)  # the rule counting throttled partition keys
            if status == "ENABLED" and rule:
                keys = ctx.read(f"the throttled keys of table {name} (Contributor Insights)",
                                lambda: throttled_keys(cw, rule, start, end), default=())
    return TableLoad(name=name, config=config, series=series,
                     by_operation=tuple(sorted(by_operation.items(), key=lambda kv: -kv[1])),
                     insights_status=status, hot_keys=keys, unread=unread)


def _dynamodb_step(ctx: Context) -> StepOutcome:
    if not (_table(ctx) or _wanted(ctx, "dynamodb")):
        raise StepSkip("This step checks DynamoDB capacity: name table=NAME or service=dynamodb "
                       f"({_unseen(ctx, 'DynamoDB')}).")
    given = _table(ctx)
    if given and isinstance(absent := _table_config(ctx, given), TableAbsent):
        # Its metrics would be empty, and empty is not "not throttled": the name is the answer.
        return StepOutcome("error", f"There is no DynamoDB table {absent.name}: DescribeTable answered "
                                    f"ResourceNotFoundException; {_where(ctx)}.")
    if given and (index := _index(ctx)):
        config = _table_config(ctx, given)
        if isinstance(config, TableConfig) and index not in (have := [c.index for c in config.indexes]):
            return StepOutcome("error", f"Table {given} has no global secondary index {index}: its indexes are "
                                        f"{', '.join(str(i) for i in have)}." if have else
                                        f"Table {given} has no global secondary index {index}: it has none.")
        load = _table_load(ctx, given)
        message = _message(ctx)
        reason = message.reason if message and message.reason and not message.lambda_reason else ""
        decisions = decide_index(load, index, ctx.session.region, reason)
        return _outcome(_once([d.detail for d in decisions]), [f for d in decisions for f in d.findings],
                        {d.cause for d in decisions})
    named = _named(ctx, "dynamodb", "tableName")
    names = _to_judge(ctx, given, named, ("AWS/DynamoDB", "ThrottledRequests", "TableName"), "table",
                      MAX_JUDGED_TABLES, "DynamoDB publishes it only when a request is throttled")
    if isinstance(names, StepOutcome):
        return names
    message = _message(ctx)
    reason = message.reason if message and message.reason and not message.lambda_reason else ""
    decisions = [d for n in names for d in decide_dynamodb(_table_load(ctx, n), ctx.session.region, reason)]
    return _outcome(_once([d.detail for d in decisions]), [f for d in decisions for f in d.findings],
                    {d.cause for d in decisions})


# --- The pasted error against what was read ---------------------------------------------------------

# Which findings of this playbook show a throttle of which service (API_THROTTLING: any management call).
_FINDING_PREFIX = {"lambda": "LAMBDA_", "dynamodb": "DYNAMODB_"}
_WHERE_READ = {"lambda": "AWS/Lambda Throttles", "dynamodb": "the table's AWS/DynamoDB throttle metrics"}


def _shows(finding: Finding, service: str) -> bool:
    if not service:  # the message did not say which service: any throttle found accounts for it
        return True
    prefix = _FINDING_PREFIX.get(service)
    return finding.code.startswith(prefix) if prefix else finding.code == "API_THROTTLING"


def _pasted_throttle(ctx: Context) -> StepOutcome:
    """AWS's message proves a throttle happened: a run that read nothing showing it has not found its cause,
    whatever each source said on its own. No data is not health, and neither is a source that looked
    elsewhere (another function, window or region)."""
    message = _message(ctx)
    if message is None:
        raise StepSkip("No error was pasted (error=...): the steps above decide.")
    if not message.says_throttled:
        raise StepSkip(f"The pasted error ({message.describe()}) is not a throttling error, so it proves no "
                       "throttle: the steps above decide.")
    if _unjudged_data_events(ctx) is not None:
        raise StepSkip("'Were API calls throttled?' says where this data event's throttles can be seen.")
    service = message.service or _service(ctx) or ""
    what = " ".join(filter(None, (service, message.operation))) or "the call"
    said = f"The pasted error ({message.describe()}) is AWS's word that it throttled {what}"
    shown = [f for f in ctx.findings if _shows(f, service)]
    if shown:
        named = ", ".join(dict.fromkeys(f"{f.code} on {f.resource}" for f in shown))
        return StepOutcome("ok", f"{said}; the steps above account for it: {named}.")
    hours = int(ctx.inputs.get("hours", 1))
    source = _WHERE_READ.get(service, "CloudTrail's event history")
    hints = [f"older than the last {hours} h (widen `hours`)", f"from another region than {ctx.session.region}"]
    if service == "lambda":
        hints.append("from another function than the one(s) read (name it with function=NAME)"
                     if not ctx.inputs.get("function") else "from another function than the one named")
    elif service == "dynamodb":
        hints.append("from another table or index (name it with table=NAME)" if not _table(ctx)
                     else "from another table or index than the one read")
    entry = DATA_EVENT_SERVICES.get(service)
    unseen = ""
    if entry is not None and service not in LIMIT_SERVICES:
        unseen = (f" {_data_calls_unseen(entry)}" if _read_events(ctx) is None else
                  f" If it was one of {service}'s data calls ({entry.examples()}, ...), the event history cannot "
                  "show it: 'Were API calls throttled?' says where it shows.")
    return StepOutcome("no_data", (
        f"{said}, but nothing read here shows it ({source}, see the steps above). It may be "
        f"{', or '.join(hints)}.{unseen} The throttle happened; its cause was not found."))


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

LAMBDA_STEP = Step(
    id="lambda-limits",
    title="Which Lambda concurrency limit throttles the function?",
    why=(
        "Lambda runs at most as many copies of a function as its concurrency allows, and throttles the rest "
        "(HTTP 429, \"Rate Exceeded.\"); invocations never appear in the event history. The limit is either the "
        "function's reserved concurrency (a guarantee that is also a cap; 0 switches it off), the room left "
        "above its provisioned concurrency, the account's regional pool shared by every unreserved function "
        "(one busy function can drain it for all), or the scaling rate of 1,000 new execution environments "
        "every 10 seconds per function. This step reads the function's Throttles, ConcurrentExecutions and "
        "settings, the account's limit and the account-wide concurrency, and names the limit with its numbers."
    ),
    good="The function's Throttles are 0, or it is throttled on purpose by a reservation someone chose.",
    run=_lambda_step,
)

DYNAMODB_STEP = Step(
    id="dynamodb-limits",
    title="Is DynamoDB capacity behind it?",
    why=(
        "A DynamoDB table throttles requests beyond its provisioned capacity, beyond what one partition can "
        "serve (a hot key), or, on demand, beyond twice its previous peak. Item calls never appear in the "
        "event history, so this step reads the table's throttle metrics and its capacity settings."
    ),
    good="No ThrottledRequests on the table, or a handful the SDK's retries absorbed.",
    run=_dynamodb_step,
)

PASTED_STEP = Step(
    id="pasted-throttle",
    title="Does what was read show the pasted throttle?",
    why=(
        "A pasted throttling error is AWS's own word that a call was throttled. If none of the sources read "
        "above shows a throttle, the run has not found it: the error may be older than the window, from "
        "another region, function or table, or from calls no source here can see. This step says so instead "
        "of letting a quiet source pass for health."
    ),
    good="The steps above name the throttle the pasted error reports.",
    run=_pasted_throttle,
)

PLAYBOOK = Playbook(
    name="throttling",
    title="Requests are throttled (rate exceeded)",
    purpose="Finds the throttled API calls in CloudTrail, names the caller and operation behind them, checks "
            "Lambda concurrency and DynamoDB capacity, and gives the backoff, quota and concurrency fixes.",
    params=PARAMS,
    steps=(IDENTITY_STEP, THROTTLED_STEP, OFFENDER_STEP, LAMBDA_STEP, DYNAMODB_STEP, PASTED_STEP),
    default_scenario="throttling-ec2-poller",
    plan=_plan,
)
