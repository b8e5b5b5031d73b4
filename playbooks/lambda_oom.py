"""Lambda out of memory: find the invocations Lambda killed, measure the real peak, size the memory.

The function's configuration says how much memory it has; its REPORT log lines say how much each
invocation used, and its error lines say which ones were killed. The environment variables are never
read into the transcript: the configuration step keeps only the fields the diagnosis needs.
"""

from __future__ import annotations

from datetime import datetime

from diagnostics.awslambda.collect import (
    LogRead,
    read_function,
    read_lambda_metrics,
    read_oom_lines,
    read_report_lines,
)
from diagnostics.awslambda.memory import (
    FunctionMemory,
    Invocation,
    MemoryVerdict,
    OomKill,
    analyse_memory,
    describe_verdict,
    memory_findings,
    oom_kills,
    parse_report,
)
from diagnostics.cloudwatch.metrics import MetricSeries, window
from playbooks import params as v
from playbooks.common import IDENTITY_STEP
from playbooks.model import Context, Param, Playbook, Step, StepOutcome

MAX_HOURS = 30 * 24


def lookback_hours(text: str) -> int:
    hours = v.positive_int(text)
    if hours > MAX_HOURS:
        raise ValueError(f"{hours} hours is more than the {MAX_HOURS} (30 days) this playbook reads")
    return hours


PARAMS = (
    Param("function", "the Lambda function (name or ARN)", v.function_name, required=True,
          picker="lambda-function", example="orders-worker"),
    Param("hours", "how many hours of logs and metrics to read", lookback_hours, default="24"),
)


def _window(ctx: Context) -> tuple[datetime, datetime]:
    return ctx.memo("window", lambda: window(int(ctx.inputs.get("hours", 24))))


def _function(ctx: Context) -> FunctionMemory:
    return ctx.memo("lambda:function",
                    lambda: read_function(ctx.client("lambda"), str(ctx.inputs["function"])))


def _reports(ctx: Context) -> LogRead:
    start, end = _window(ctx)
    return ctx.memo("logs:report", lambda: read_report_lines(ctx.client("logs"), _function(ctx), start, end))


def _oom_lines(ctx: Context) -> LogRead:
    start, end = _window(ctx)
    return ctx.memo("logs:oom", lambda: read_oom_lines(ctx.client("logs"), _function(ctx), start, end))


def _invocations(ctx: Context) -> list[Invocation]:
    return [i for line in _reports(ctx).lines if (i := parse_report(line)) is not None]


def _kills(ctx: Context) -> list[OomKill]:
    return oom_kills(_oom_lines(ctx).lines)


def _metrics(ctx: Context) -> dict[str, MetricSeries]:
    start, end = _window(ctx)
    return ctx.memo("cloudwatch:lambda",
                    lambda: read_lambda_metrics(ctx.client("cloudwatch"), _function(ctx).name, start, end))


def _verdict_of(ctx: Context) -> MemoryVerdict:
    return analyse_memory(_function(ctx), _invocations(ctx), _kills(ctx), sampled=_reports(ctx).truncated)


# --- the steps -------------------------------------------------------------------------------


def _configuration(ctx: Context) -> StepOutcome:
    fn = _function(ctx)
    arch = ", ".join(fn.architectures)
    detail = (f"{fn.name} has {fn.memory_size_mb} MB of memory and a {fn.timeout_s} s timeout; runtime "
              f"{fn.runtime or fn.package_type + ' image'} on {arch}; last changed "
              f"{fn.last_modified or 'unknown'}. It logs to {fn.log_group} ({fn.log_format} format).")
    return StepOutcome("ok", detail)


def _logs(ctx: Context) -> StepOutcome:
    fn = _function(ctx)
    reports, oom = _reports(ctx), _oom_lines(ctx)
    hours = int(ctx.inputs.get("hours", 24))
    if not reports.log_group_exists:
        return StepOutcome("warning", f"There is no log group {fn.log_group}: the function has not run since "
                                      "it was created, or its role lacks logs:CreateLogGroup and "
                                      "logs:PutLogEvents (AWSLambdaBasicExecutionRole), so nothing it did "
                                      "can be read.")
    invocations = _invocations(ctx)
    sampled = " (the most awstriage reads in one run; the rest were not read)" if reports.truncated else ""
    parts = [f"Read {len(invocations)} REPORT lines from the last {hours} h{sampled}."]
    if invocations:
        peak = max(invocations, key=lambda i: (i.ratio, i.max_memory_used_mb))
        parts.append(f"The hungriest invocation used {peak.max_memory_used_mb} MB of {peak.memory_size_mb} "
                     f"MB ({peak.ratio:.0%}), request {peak.request_id}.")
    verdict = _verdict_of(ctx)
    if verdict.kills:
        last = verdict.kills[-1]
        ids = ", ".join(k.request_id for k in verdict.kills[-3:] if k.request_id)
        parts.append(f"{len(verdict.kills)} invocation(s) ran out of memory, the last at "
                     f"{last.at:%Y-%m-%d %H:%M} UTC "
                     f"({last.kind})" + (f"; requests {ids}" if ids else "") + ".")
        if oom.truncated:
            parts.append("There were more out-of-memory lines than awstriage reads in one run.")
        return StepOutcome("problem", " ".join(parts))
    parts.append("No out-of-memory errors in the logs.")
    return StepOutcome("warning" if verdict.near_limit else "ok", " ".join(parts))


def _metric_step(ctx: Context) -> StepOutcome:
    fn = _function(ctx)
    metrics = _metrics(ctx)
    invocations = metrics["Invocations"].total()
    errors = metrics["Errors"].total()
    throttles = metrics["Throttles"].total()
    duration = metrics["Duration"]
    if all(m.empty for m in metrics.values()):
        return StepOutcome("ok", f"CloudWatch has no AWS/Lambda metrics for {fn.name} in the window: it was "
                                 "not invoked.")
    kills = len(_verdict_of(ctx).kills)
    parts = [f"{invocations:g} invocations, {errors:g} errors, {throttles:g} throttles."]
    if duration.peak() is not None:
        parts.append(f"Duration averaged {duration.mean():.0f} ms, longest {duration.peak():.0f} ms "
                     f"(timeout {fn.timeout_s * 1000} ms).")
    if errors and kills:
        parts.append(f"{min(kills, int(errors))} of the errors are the out-of-memory kills found in the "
                     "logs.")
    status = "ok"
    if errors > kills:
        parts.append(f"{errors - kills:g} error(s) are not explained by memory: read the function's error "
                     "lines.")
        status = "warning"
    return StepOutcome(status, " ".join(parts))


def _verdict(ctx: Context) -> StepOutcome:
    verdict = _verdict_of(ctx)
    findings = memory_findings(verdict, ctx.session.region)
    unknown = verdict.peak_mb is None and not verdict.killed
    status = "problem" if verdict.killed else "warning" if verdict.near_limit or unknown else "ok"
    return StepOutcome(status, describe_verdict(verdict), findings)


CONFIG_STEP = Step(
    id="configuration",
    title="How much memory does the function have?",
    why=(
        "A Lambda function gets the memory it is configured with (128 MB to 10,240 MB) and a share of CPU in "
        "proportion. When an invocation needs more, Lambda kills it mid-flight. This step reads the memory "
        "size, timeout, runtime and where the function logs; it leaves the environment variables out, since "
        "they often hold secrets."
    ),
    good="The memory size is what the team expects (a recent change shows in the last-modified time).",
    run=_configuration,
)

LOGS_STEP = Step(
    id="logs",
    title="What do the logs say about memory?",
    why=(
        "After every invocation Lambda writes a REPORT line with 'Memory Size' (configured) and 'Max Memory "
        "Used' (the invocation's peak). A killed invocation leaves 'Runtime.OutOfMemory' or 'Runtime exited "
        "with error: signal: killed'; language runtimes add their own ('JavaScript heap out of memory', "
        "'MemoryError', 'java.lang.OutOfMemoryError'). This step searches the function's log group for both."
    ),
    good="No out-of-memory lines, and Max Memory Used stays well below Memory Size.",
    run=_logs,
)

METRICS_STEP = Step(
    id="metrics",
    title="How do errors, throttles and duration look?",
    why=(
        "CloudWatch counts every invocation, error and throttle, whether or not it was logged. Comparing the "
        "error count with the kills found in the logs tells whether memory explains the failures, or whether "
        "something else fails too. A duration close to the timeout is a different problem with a similar "
        "look."
    ),
    good="Errors are zero or all explained; duration stays well under the timeout.",
    run=_metric_step,
)

VERDICT_STEP = Step(
    id="verdict",
    title="Is the memory size right?",
    why=(
        "The right size leaves headroom above the real peak, since inputs vary: awstriage suggests the next "
        "64 MB step above the peak plus 30% (and above the current size after a kill, since a killed "
        "invocation's real need is unknown). More memory also buys CPU, so a bigger function is often faster "
        "and costs about the same."
    ),
    good="No kills and a peak below 90% of the memory size.",
    run=_verdict,
)

PLAYBOOK = Playbook(
    name="lambda-oom",
    title="Lambda function runs out of memory",
    purpose="Reads a function's memory size, its REPORT and error log lines and its metrics, counts the "
            "out-of-memory kills and recommends a memory size with the command to set it.",
    params=PARAMS,
    steps=(IDENTITY_STEP, CONFIG_STEP, LOGS_STEP, METRICS_STEP, VERDICT_STEP),
    default_scenario="lambda-oom-killed",
)
