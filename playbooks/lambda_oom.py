"""Lambda out of memory: find the invocations Lambda killed, measure the real peak, size the memory.

The function's configuration says how much memory it has; its REPORT log lines say how much each
invocation used, and its error lines say which ones were killed. The environment variables are never
read into the transcript: the configuration step keeps only the fields the diagnosis needs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from diagnostics.awslambda.collect import (
    LAMBDA_METRICS,
    FunctionAbsent,
    absent_sentence,
    query_failure_lines,
    read_context_lines,
    read_failure_lines,
    read_lambda_metric,
    read_report_lines,
    read_target,
    read_versions,
)
from diagnostics.awslambda.cost import compute_optimizer_note
from diagnostics.awslambda.failure_findings import (
    describe_failures,
    failure_findings,
    kills_of,
    memory_series,
    throttle_finding,
    unexplained_errors_finding,
)
from diagnostics.awslambda.failures import TIMED_OUT, VERBS, FailureReport, classify_invocations, merge_lines
from diagnostics.awslambda.memory import (
    FunctionMemory,
    Invocation,
    MemoryVerdict,
    analyse_memory,
    describe_verdict,
    memory_findings,
    parse_report,
    version_memory,
)
from diagnostics.awslambda.names import function_name_of, parse_function, ran_version, stream_version
from diagnostics.cloudwatch.logs import InsightsRead, LogLine, LogRead
from diagnostics.cloudwatch.metrics import MetricSeries, window
from diagnostics.findings import Finding
from diagnostics.proof import metric_proof, with_proof
from diagnostics.throttling.collect import read_reserved
from playbooks import params as v
from playbooks.common import IDENTITY_STEP
from playbooks.model import Context, Param, Playbook, Step, StepOutcome, StepSkip

MAX_HOURS = 30 * 24
CONTEXT_EXAMPLES = 3


def lookback_hours(text: str) -> int:
    hours = v.positive_int(text)
    if hours > MAX_HOURS:
        raise ValueError(f"{hours} hours is more than the {MAX_HOURS} (30 days) this playbook reads")
    return hours


PARAMS = (
    Param("function", "the Lambda function (name, name:alias or ARN)", v.function_name, required=True,
          picker="lambda-function", example="orders-worker"),
    Param("hours", "how many hours of logs and metrics to read", lookback_hours, default="24"),
)


def _window(ctx: Context) -> tuple[datetime, datetime]:
    return ctx.memo("window", lambda: window(int(ctx.inputs.get("hours", 24))))


def _hours(ctx: Context) -> int:
    return int(ctx.inputs.get("hours", 24))


CONFIG_FACT = "the function's configuration (memory, timeout, log group)"


def _read_target(ctx: Context) -> FunctionMemory | FunctionAbsent:
    return read_target(ctx.client("lambda"), str(ctx.inputs["function"]))


def _function(ctx: Context) -> FunctionMemory:
    """The configuration, read once. When it cannot be read, the diagnosis goes on with what the name
    says (the default log group ``/aws/lambda/NAME``) and takes memory and timeout from the logs; the
    configuration step names the missing configuration once (the steps after it lean on the guess)."""
    known = ctx.peek("lambda:function")
    if isinstance(known, FunctionMemory):
        return known
    if known is None and not ctx.has("lambda:function:missing"):
        before = len(ctx.missing)
        fn = ctx.read(CONFIG_FACT, lambda: _read_target(ctx), key="lambda:function")
        if isinstance(fn, FunctionMemory):
            return fn
        if fn is None:
            ctx.cache["lambda:function:missing"] = ctx.missing[before:]
    return ctx.memo("lambda:function:guess", lambda: _guess(ctx))


def _guessed(ctx: Context) -> str:
    """A clause for the steps that judge with the memory size and timeout the logs state, because the
    configuration step could not read them (it names the missing fact; they do not repeat it)."""
    if not ctx.has("lambda:function:missing"):
        return ""
    return (" (Memory size and timeout as the log lines state them: the configuration could not be read, see "
            "the first step.)")


def _absent(ctx: Context) -> FunctionAbsent | None:
    """What Lambda said when the function, alias or version asked about does not exist."""
    _function(ctx)
    found = ctx.peek("lambda:function")
    return found if isinstance(found, FunctionAbsent) else None


def _absent_sentence(ctx: Context, absent: FunctionAbsent) -> str:
    return absent_sentence(absent, ctx.identity.get("account", ""), ctx.session.region)


def _present(ctx: Context) -> None:
    """Stop a step when the function asked about does not exist: there is nothing of it to read."""
    absent = _absent(ctx)
    if absent is not None:
        raise StepSkip("Not run: " + _absent_sentence(ctx, absent))


def _guess(ctx: Context) -> FunctionMemory:
    given = str(ctx.inputs["function"])
    name = function_name_of(given)
    ref = parse_function(given)
    account = ctx.identity.get("account", "")
    arn = given if given.startswith("arn:") else (
        f"arn:aws:lambda:{ctx.session.region}:{account}:function:{name}" if account else name)
    # The version an alias runs is unknown without its configuration: its lines cannot be told apart.
    qualifier = ref.qualifier if ref else ""
    return FunctionMemory(name=name, arn=arn, memory_size_mb=0, timeout_s=0, architectures=(),
                          log_group=f"/aws/lambda/{name}", log_format="", qualifier=qualifier,
                          version=qualifier if qualifier.isdigit() else "$LATEST" if not qualifier else "")


def _known(ctx: Context) -> FunctionMemory:
    """The function as the analyses need it: from its configuration, or with the memory size its
    REPORT lines state and the timeout its timeout lines state when the configuration is unreadable."""
    fn = _function(ctx)
    if fn.memory_size_mb and fn.timeout_s:
        return fn
    invocations = _invocations(ctx)
    memory = invocations[-1].memory_size_mb if invocations else 0
    stated = [float(m.group(1)) for line in _lines(ctx) if (m := TIMED_OUT.search(line.message))]
    timeout = round(max(stated)) if stated else 0
    return replace(fn, memory_size_mb=fn.memory_size_mb or memory, timeout_s=fn.timeout_s or timeout,
                   architectures=fn.architectures or ("x86_64",))


# Every read below goes through ctx.read: a refused call is named as a missing fact and the step
# judges with what the other calls returned.


def _reports(ctx: Context) -> LogRead | None:
    start, end = _window(ctx)
    fn = _function(ctx)
    return ctx.read(f"the REPORT lines of {fn.log_group}",
                    lambda: read_report_lines(ctx.client("logs"), fn, start, end), key="logs:report")


def _insights(ctx: Context) -> LogRead | None:
    """The failure lines by Logs Insights, or None (and why, under ``logs:insights:failed``) when the
    query is refused, missing or fails: then FilterLogEvents reads them. Fatal errors still propagate."""
    start, end = _window(ctx)
    fn = _function(ctx)

    def query() -> LogRead | None:
        try:
            return query_failure_lines(ctx.client("logs"), fn, start, end, cancelled=ctx.cancelled)
        except Exception as exc:  # any failure of the faster path leaves the fallback
            if ctx.explain is None:
                raise
            action, reason, fatal = ctx.explain(exc)
            if fatal:
                raise
            ctx.cache["logs:insights:failed"] = f"{action}: {reason}"
            return None
    return ctx.memo("logs:insights", query)


def _failure_lines(ctx: Context) -> LogRead | None:
    found = _insights(ctx)
    if found is not None:
        return found
    start, end = _window(ctx)
    fn = _function(ctx)
    return ctx.read(f"the error lines of {fn.log_group}",
                    lambda: read_failure_lines(ctx.client("logs"), fn, start, end), key="logs:failures")


def _metric(ctx: Context, name: str) -> MetricSeries | None:
    start, end = _window(ctx)
    fn = _function(ctx)
    return ctx.read(f"the AWS/Lambda {name} metric of {fn.target.label()}",
                    lambda: read_lambda_metric(ctx.client("cloudwatch"), fn.name, name, start, end, fn.qualifier),
                    key=f"cloudwatch:{name}")


def _plan(ctx: Context) -> None:
    """The configuration at once; everything that hangs on it (the log group, the metrics' dimension) as
    soon as it is read (see :func:`_plan_reads`)."""
    ctx.prefetch("lambda:function", lambda: _read_target(ctx))
    ctx.prefetch("lambda:plan:reads", lambda: _plan_reads(ctx))


def _plan_reads(ctx: Context) -> None:
    """With the configuration read (when it fails the steps read with the guessed log group, in order),
    the log reads and every metric the metrics step reads start together; the context lines of the
    failures follow the failure lines. Each goes through the accessor a step uses, under its key."""
    if isinstance(ctx.memo("lambda:function", lambda: _read_target(ctx)), FunctionAbsent):
        return  # nothing of a function that does not exist can be read
    parts: dict[str, Callable[[Context], Any]] = {
        "reports": _reports, "failure-lines": _failure_lines, "classified": _classified,
        **{f"metric:{name}": (lambda c, name=name: _metric(c, name)) for name in LAMBDA_METRICS},
    }
    for name, accessor in parts.items():
        ctx.prefetch(f"lambda:plan:{name}", lambda accessor=accessor: accessor(ctx))


def _reads(ctx: Context) -> list[LogRead]:
    return [r for r in (_reports(ctx), _failure_lines(ctx)) if r is not None]


def _no_log_group(ctx: Context) -> bool:
    return any(not r.log_group_exists for r in _reads(ctx))


def _ran_it(ctx: Context, line: LogLine) -> bool:
    """Whether a line was written by the version asked about. Lambda names each log stream after the
    version its environment runs ([$LATEST], [1], ...); for an alias or a version only its own
    streams count (the unqualified function is every version's lines, as before). A stream not
    named that way is kept: it cannot be told apart."""
    fn = _function(ctx)
    return not fn.qualifier or ran_version(line.stream, fn.version)


def _of_version(fn: FunctionMemory) -> str:
    """" of version N" when only one version's lines are read, for sentences about what the logs hold."""
    return f" of version {fn.version}" if fn.qualifier and fn.version else ""


def _version_key(version: str) -> tuple[int, str]:
    return (int(version), "") if version.isdigit() else (1 << 30, version)


def _groups(ctx: Context) -> list[FunctionMemory]:
    """The function as each version that ran in the window, each judged on its own lines and memory.

    For an alias or a version, the one asked about. For the unqualified function, $LATEST and every published
    version its log streams name ([1], [2], ...): memory settings belong to each published version and cannot
    change (https://docs.aws.amazon.com/lambda/latest/dg/configuration-versions.html), so a request is judged
    against the memory of the version that ran it, and a published version's fix is published and its alias
    moved (never a change to $LATEST alone, which does not reach it)."""
    def build() -> list[FunctionMemory]:
        fn = _known(ctx)
        if fn.qualifier or not ctx.has("lambda:function"):
            return [fn]
        published = sorted({v for line in _merged(ctx) if (v := stream_version(line.stream)) not in (None, "$LATEST")},
                           key=_version_key)
        if not published:
            return [fn]
        versions = ctx.read(f"the published versions and aliases of {fn.name}",
                            lambda: read_versions(ctx.client("lambda"), fn.name))
        reported: dict[str, int] = {}
        reports = _reports(ctx)
        for line in reports.lines if reports else ():
            version = stream_version(line.stream)
            if version in published and (invocation := parse_report(line)) is not None:
                reported[version] = invocation.memory_size_mb
        return [fn, *(version_memory(fn, v, versions.configs.get(v) if versions else None,
                                     versions.aliases_of(v) if versions else (), reported.get(v, 0))
                      for v in published)]
    return ctx.memo("lambda:groups", build)


def _in_group(group: FunctionMemory, line: LogLine) -> bool:
    """Whether ``line`` was written by the version ``group`` stands for (a stream not named after a version
    cannot be told apart and counts as the function's own, $LATEST)."""
    if group.qualifier:
        return ran_version(line.stream, group.version)
    return stream_version(line.stream) in (None, "$LATEST")


def _group_report(ctx: Context, group: FunctionMemory) -> FailureReport:
    if len(_groups(ctx)) == 1:
        return _classified(ctx)
    return ctx.memo(f"lambda:failures:{group.version}", lambda: classify_invocations(
        [line for line in _merged(ctx) if _in_group(group, line)], runtime=group.runtime))


def _group_invocations(ctx: Context, group: FunctionMemory) -> list[Invocation]:
    if len(_groups(ctx)) == 1:
        return _invocations(ctx)
    reports = _reports(ctx)
    return [i for line in (reports.lines if reports else ())
            if _in_group(group, line) and (i := parse_report(line)) is not None]


def _group_label(group: FunctionMemory) -> str:
    return group.target.label() if group.qualifier else f"{group.name} ($LATEST)"


def _group_verdict(ctx: Context, group: FunctionMemory) -> MemoryVerdict:
    reports = _reports(ctx)
    return analyse_memory(group, _group_invocations(ctx, group), kills_of(_group_report(ctx, group)),
                          sampled=bool(reports and reports.truncated))


def _by_version(ctx: Context) -> str:
    """For the unqualified function whose published versions ran too: what each version did, at its own memory."""
    groups = _groups(ctx)
    if len(groups) == 1:
        return ""
    parts = []
    for group in groups:
        report = _group_report(ctx, group)
        invocations = _group_invocations(ctx, group)
        counts = report.counts()
        peak = max((i.max_memory_used_mb for i in invocations), default=None)
        said = (f"{sum(counts.values())} of {report.requests} requests failed ("
                + ", ".join(f"{n} {VERBS[c]}" for c, n in counts.items()) + ")" if counts
                else f"none of {report.requests} requests failed" if report.requests else "no request read")
        if peak is not None:
            said += f", peak {peak} MB"
        parts.append(f"{_group_label(group)} with {group.memory_size_mb} MB: {said}")
    return ("By the version that ran each request (log stream [VERSION]): " + "; ".join(parts)
            + ". Published versions are immutable: a fix for one is published from $LATEST and its alias moved.")


def _other_versions(ctx: Context) -> dict[str, int]:
    """REPORT lines of the window written by other versions than the one asked about, per version."""
    reports = _reports(ctx)
    counts: dict[str, int] = {}
    for line in reports.lines if reports else ():
        if not _ran_it(ctx, line) and parse_report(line) is not None:
            version = stream_version(line.stream) or "?"
            counts[version] = counts.get(version, 0) + 1
    return counts


def _invocations(ctx: Context) -> list[Invocation]:
    reports = _reports(ctx)
    return [i for line in (reports.lines if reports else ())
            if _ran_it(ctx, line) and (i := parse_report(line)) is not None]


def _lines(ctx: Context) -> list[LogLine]:
    return [line for line in merge_lines(*(r.lines for r in _reads(ctx))) if _ran_it(ctx, line)]


def _classified(ctx: Context) -> FailureReport:
    """Every failed request, with the lines its log stream wrote just before it failed.

    The failure read holds only the marker lines; for a few examples without context, the lines of
    their own stream before the failure are read too (one small call each), and everything is
    classified again with them.
    """
    def classify() -> FailureReport:
        lines = _lines(ctx)
        fn = _known(ctx)
        report = classify_invocations(lines, runtime=fn.runtime)
        dominant = report.by_class().get(report.dominant or "", [])
        wanting = [r for r in dominant[-CONTEXT_EXAMPLES:] if r.stream and len(r.before) < 2]
        extra: list[LogLine] = []
        # One small read per example, independent of the others: asked for together.
        for read in ctx.read_all([(f"the lines before the failure of request {request.request_id}",
                                   lambda r=request: read_context_lines(ctx.client("logs"), fn, r.stream, r.at), None)
                                  for request in wanting]):
            if read is not None:
                extra.extend(read.lines)
        merged = merge_lines(lines, extra) if extra else lines
        ctx.cache["lambda:merged"] = merged
        return classify_invocations(merged, runtime=fn.runtime) if extra else report
    return ctx.memo("lambda:failures", classify)


def _merged(ctx: Context) -> list[LogLine]:
    """The lines classified: those read and the context lines read for a few failures."""
    _classified(ctx)
    merged = ctx.peek("lambda:merged")
    return merged if merged is not None else _lines(ctx)


def _metrics_sentence(ctx: Context, logged: int) -> str:
    """What the Invocations metric says next to what the logs say, without claiming more than either."""
    series = _metric(ctx, "Invocations")
    if series is None:
        return "The Invocations metric could not be read to compare."
    if series.empty:
        if logged:
            return ""
        return (f"CloudWatch has no AWS/Lambda Invocations datapoint for {_function(ctx).name} either: by both "
                f"sources, the function was not invoked in the last {_hours(ctx)} h (widen hours=, or check the "
                "region).")
    return (f"Yet CloudWatch counts {series.total():g} invocations in the window: the sources disagree (the logs "
            "may go to another log group, or the execution role may not be allowed to write them).")


# --- the steps -------------------------------------------------------------------------------


def _configuration(ctx: Context) -> StepOutcome:
    fn = _function(ctx)
    absent = _absent(ctx)
    if absent is not None:
        return StepOutcome("error", _absent_sentence(ctx, absent))
    if not ctx.has("lambda:function"):
        unknown = (f" Which version alias {fn.qualifier} runs is unknown too, so every version's lines are read."
                   if fn.qualifier and not fn.version else "")
        return StepOutcome("error", f"Could not read the configuration of {fn.target.label()}. The next steps read "
                                    f"its default log group {fn.log_group} and take the memory size and timeout "
                                    f"from its log lines.{unknown}")
    arch = ", ".join(fn.architectures)
    detail = (f"{fn.target.label()} has {fn.memory_size_mb} MB of memory and a {fn.timeout_s} s timeout; runtime "
              f"{fn.runtime or fn.package_type + ' image'} on {arch}; last changed "
              f"{fn.last_modified or 'unknown'}. It logs to {fn.log_group} ({fn.log_format} format).")
    if fn.qualifier:
        detail += (f" Only the log streams of version {fn.version} ([{fn.version}] in their names) are read as its "
                   "lines; a published version's configuration cannot change.")
    return StepOutcome("ok", detail)


def _logs(ctx: Context) -> StepOutcome:
    _present(ctx)
    fn = _function(ctx)
    reads = _reads(ctx)
    if not reads:
        return StepOutcome("error", f"Could not read the log group {fn.log_group}.")
    hours = _hours(ctx)
    if _no_log_group(ctx):
        return StepOutcome("no_data", (
            f"There is no log group {fn.log_group}: the function has not run since it was created, or its role "
            "lacks logs:CreateLogGroup and logs:PutLogEvents (AWSLambdaBasicExecutionRole), so nothing it did "
            "can be read. " + _metrics_sentence(ctx, 0)).strip())
    invocations = _invocations(ctx)
    report = _classified(ctx)
    others = _other_versions(ctx) if fn.qualifier else {}
    if not invocations and not report.failed and not report.environment_failures and others:
        listed = ", ".join(f"{n} from version {v}" for v, n in sorted(others.items()))
        return StepOutcome("no_data", (
            f"None of the REPORT lines in {fn.log_group} in the last {hours} h is from version {fn.version}, which "
            f"{fn.target.label()} runs: {listed}. Another version's failures are not this one's, so nothing "
            f"{fn.target.label()} did can be judged; widen hours=, or check that callers invoke it."))
    if not invocations and not report.failed and not report.environment_failures:
        return StepOutcome("no_data", (
            f"The log group {fn.log_group} has no REPORT line and no error line in the last {hours} h. "
            + _metrics_sentence(ctx, 0)).strip())
    reports = _reports(ctx)
    sampled = (" (the most awstriage reads in one run; the rest were not read)"
               if reports is not None and reports.truncated else "")
    parts = [f"Read {len(invocations)} REPORT lines from the last {hours} h{sampled}, for {report.requests} "
             "requests."]
    if others:
        parts.append(f"Left out as other versions' lines: {sum(others.values())} REPORT lines of version(s) "
                     f"{', '.join(sorted(others))}.")
    if report.attempts > report.requests:
        parts.append(f"{report.attempts - report.requests} were retries of a request already seen.")
    if invocations:
        peak = max(invocations, key=lambda i: (i.ratio, i.max_memory_used_mb))
        parts.append(f"The hungriest invocation used {peak.max_memory_used_mb} MB of {peak.memory_size_mb} "
                     f"MB ({peak.ratio:.0%}), request {peak.request_id}.")
    failures = _failure_lines(ctx)
    if isinstance(failures, InsightsRead):
        scanned = failures.bytes_scanned
        size = f"{scanned / 1024**2:,.1f} MB" if scanned >= 1024**2 else f"{scanned / 1024:,.0f} KB"
        parts.append(f"Error lines read with one Logs Insights query ({size} scanned)"
                     + (f", stopped early because {failures.stopped}." if failures.stopped else "."))
    elif ctx.peek("logs:insights:failed"):
        parts.append(f"Logs Insights was not available ({ctx.peek('logs:insights:failed')}); error lines read "
                     "with FilterLogEvents instead.")
    if failures is not None and failures.truncated:
        parts.append("There were more error lines than awstriage reads in one run; counts are a floor.")
    return StepOutcome("ok", " ".join(parts))


def _throttled(ctx: Context) -> tuple[float | None, Finding | None]:
    """Requests Lambda throttled (the Throttles metric) and the finding for them. They never ran, so no log line
    shows them: a failure class of their own ("throttled or never run"), a problem as the throttling playbook
    judges it (Throttles > 0), whose limit that playbook names."""
    throttles = _metric(ctx, "Throttles")
    throttled = throttles.total() if throttles is not None else None
    if not throttled or throttles is None:
        return throttled, None
    fn = _known(ctx)
    invocations = _metric(ctx, "Invocations")
    before = len(ctx.missing)
    reserved = ctx.read(f"the reserved concurrency of {fn.name}", lambda: read_reserved(ctx.client("lambda"), fn.name))
    finding = throttle_finding(fn, throttled, reserved, reserved_read=len(ctx.missing) == before,
                               invocations=invocations.total() if invocations is not None and not invocations.empty
                               else None)
    return throttled, with_proof(finding, metric_proof(throttles, "Sum"))


def _errors_beyond(ctx: Context, report: FailureReport | None) -> float:
    """How many failures Lambda's Errors metric counts beyond the failed attempts the logs read show."""
    errors = _metric(ctx, "Errors")
    if errors is None or errors.empty:
        return 0.0
    shown = sum(r.failed_attempts for r in report.failed) if report else 0
    return max(0.0, errors.total() - shown)


def _failures(ctx: Context) -> StepOutcome:
    _present(ctx)
    fn = _function(ctx)
    throttled, throttle = _throttled(ctx)
    throttles = [throttle] if throttle is not None else []
    if not _reads(ctx):
        detail = f"Could not read the log group {fn.log_group}, so no failure can be classified."
        if throttle is None:
            return StepOutcome("error", detail)
        return StepOutcome("problem", f"{detail} {describe_failures(None, throttled)}", throttles)
    report = _classified(ctx)
    if _no_log_group(ctx) or (not report.requests and not report.failed and not report.environment_failures):
        detail = (f"Nothing to classify: {fn.log_group} shows no invocation{_of_version(fn)} in the last "
                  f"{_hours(ctx)} h.")
        if beyond := _errors_beyond(ctx, None):
            detail += (f" Yet Lambda's Errors metric counts {beyond:g} failed invocations (see 'Do the metrics "
                       "agree?').")
        if throttle is None:
            return StepOutcome("no_data", detail)
        return StepOutcome("problem", f"{detail} {describe_failures(None, throttled)}", throttles)
    findings = []
    settled = 0  # failed requests that ran out of memory at a smaller size than the function has now
    for group in _groups(ctx):
        # Each version's failures against its own memory, with the fix that reaches it.
        group_report = _group_report(ctx, group)
        if not group_report.failed and not group_report.environment_failures:
            continue
        verdict = _group_verdict(ctx, group)
        memory = memory_findings(verdict, ctx.session.region)
        oom = next((f for f in memory if f.code == "LAMBDA_OUT_OF_MEMORY"), None)
        findings += failure_findings(group, group_report, _group_invocations(ctx, group), ctx.session.region,
                                     memory=oom)
        if verdict.settled:
            # Judged at the memory size they ran with: the raise since answered them; say so, fix nothing.
            settled += len(verdict.earlier_kills)
            findings += [with_proof(f, memory_series(group, _group_invocations(ctx, group)))
                         for f in memory if f.code == "LAMBDA_OOM_BEFORE_MEMORY_RAISED"]
    detail = describe_failures(report, throttled) + (_guessed(ctx) if report.failed else "")
    by_version = _by_version(ctx)
    if by_version:
        detail += " " + by_version
    if throttle is not None:
        # The dominant class first: throttled requests outnumbering the failures the logs show lead.
        lead = (throttled or 0) > len(report.failed)
        findings = [throttle, *findings] if lead else [*findings, throttle]
    beyond = _errors_beyond(ctx, report)
    if beyond:
        detail += (f" Lambda's Errors metric counts {beyond:g} more failed invocations than these lines show "
                   "(see 'Do the metrics agree?').")
    history = " ".join(f.summary for f in findings if f.code == "LAMBDA_OOM_BEFORE_MEMORY_RAISED")
    if history:
        detail += " " + history
    failed = bool(len(report.failed) > settled or report.environment_failures or throttle is not None)
    return StepOutcome("problem" if failed else "warning" if beyond or settled else "ok", detail, findings)


def _metric_step(ctx: Context) -> StepOutcome:
    _present(ctx)
    fn = _function(ctx)
    series = {name: _metric(ctx, name) for name in LAMBDA_METRICS}
    read = {name: s for name, s in series.items() if s is not None}
    if not read:
        return StepOutcome("error", f"None of the AWS/Lambda metrics of {fn.target.label()} could be read.")
    logs_read = bool(_reads(ctx))
    report = _classified(ctx) if logs_read else None
    logged = report.requests if report else 0
    label = fn.target.label()
    if all(s.empty for s in read.values()):
        if logged:
            detail = (f"CloudWatch has no AWS/Lambda metrics for {label} in the window, while its logs show "
                      f"{logged} invocations: the two sources disagree (metrics can lag a few minutes, or this "
                      "endpoint does not publish them). The diagnosis rests on the logs.")
        elif logs_read:
            detail = (f"CloudWatch has no AWS/Lambda metrics for {label} in the window, and its logs show no "
                      f"invocation either: by both sources, it was not invoked in the last {_hours(ctx)} h.")
        else:
            detail = (f"CloudWatch has no AWS/Lambda metrics for {label} in the window; the logs could not be "
                      "read to compare.")
        return StepOutcome("no_data", detail)
    parts = []
    totals = {name: read[name].total() for name in ("Invocations", "Errors", "Throttles") if name in read}
    parts.append(", ".join(f"{value:g} {name.lower()}" for name, value in totals.items()) + ".")
    duration = read.get("Duration")
    if duration is not None and duration.peak() is not None:
        parts.append(f"Duration averaged {duration.mean():.0f} ms, longest {duration.peak():.0f} ms "
                     f"(timeout {fn.timeout_s * 1000} ms).")
    errors = totals.get("Errors", 0.0)
    # Errors counts attempts: a retried request that failed twice is two errors and one failed request.
    failed = sum(r.failed_attempts for r in report.failed) if report else 0
    status = "ok"
    findings = []
    if errors and failed:
        parts.append(f"{min(failed, int(errors))} of the errors are failures classified from the logs.")
    if errors > failed:
        # Lambda's own count of failed invocations: unexplained by the logs, they still failed.
        reports = _reports(ctx)
        finding = unexplained_errors_finding(
            fn, errors, failed, _hours(ctx), ctx.session.region,
            invocations=totals.get("Invocations") or None, logs_read=logs_read,
            log_group_exists=not _no_log_group(ctx) if logs_read else True,
            truncated=any(r.truncated for r in _reads(ctx)) or bool(reports and reports.truncated))
        findings.append(with_proof(finding, metric_proof(read["Errors"], "Sum")))
        parts.append(finding.summary)
        status = "problem" if finding.severity == "error" else "warning"
    if logged and totals.get("Invocations") == 0 and "Invocations" in read and read["Invocations"].empty:
        parts.append(f"The Invocations metric is empty while the logs show {logged}: the sources disagree.")
    return StepOutcome(status, " ".join(parts), findings)


def _verdict(ctx: Context) -> StepOutcome:
    _present(ctx)
    fn = _function(ctx)
    if not _reads(ctx):
        return StepOutcome("error", f"Could not read the log group {fn.log_group}, so memory use is unknown.")
    groups = _groups(ctx)
    verdicts = [(group, _group_verdict(ctx, group)) for group in groups]
    if all(v.peak_mb is None and not v.killed and not v.settled for _, v in verdicts):
        return StepOutcome("no_data", f"No REPORT line{_of_version(fn)} in {fn.log_group} in the last {_hours(ctx)} h, "
                                      "so memory use cannot be judged; read a longer window with hours=.")
    findings = []
    parts = []
    for group, verdict in verdicts:
        if verdict.peak_mb is None and not verdict.killed and not verdict.settled:
            parts.append(f"{_group_label(group)}: no REPORT line in the window.")
            continue
        # An out-of-memory finding is the failure step's; this step sizes the memory and warns near the limit.
        findings += [with_proof(f, memory_series(group, _group_invocations(ctx, group)))
                     for f in memory_findings(verdict, ctx.session.region)
                     if f.code not in ("LAMBDA_OUT_OF_MEMORY", "LAMBDA_OOM_BEFORE_MEMORY_RAISED")]
        said = describe_verdict(verdict)
        if verdict.killed or verdict.near_limit:
            said += " " + compute_optimizer_note(group.memory_size_mb, verdict.invocations, _hours(ctx))
        parts.append(f"{_group_label(group)}: {said}" if len(groups) > 1 else said)
    killed = any(v.killed for _, v in verdicts)
    near = any(v.near_limit or v.settled for _, v in verdicts)
    status = "problem" if killed else "warning" if near else "ok"
    return StepOutcome(status, " ".join(parts) + _guessed(ctx), findings)


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
    title="What do the logs show?",
    why=(
        "After every invocation Lambda writes a REPORT line with its duration, 'Memory Size' (configured) and "
        "'Max Memory Used' (the invocation's peak), and a failed invocation leaves its own error lines. This "
        "step reads both from the function's log group, in the text or the JSON log format: the error lines "
        "with one Logs Insights query when it is allowed, with FilterLogEvents otherwise. An empty or missing "
        "log group is said as such: no data is not health."
    ),
    good="REPORT lines for the window, in a log group that exists.",
    run=_logs,
)

FAILURES_STEP = Step(
    id="failures",
    title="Why do invocations fail?",
    why=(
        "A function that 'fails with no clear error' fails in one of a few ways, each with its own signature "
        "in the logs: out of memory ('Runtime.OutOfMemory', 'signal: killed', a language heap error), a "
        "timeout ('Task timed out after 3.00 seconds'), an init failure ('INIT_REPORT ... Status: error', "
        "'Runtime.ImportModuleError') or a crash (an unhandled exception, 'Runtime.ExitError'). This step "
        "classifies every failed request by its request ID, counts a retried request once, and shows the "
        "lines each logged just before it failed, where the cause usually is."
    ),
    good="No request failed in the window.",
    run=_failures,
)

METRICS_STEP = Step(
    id="metrics",
    title="Do the metrics agree?",
    why=(
        "CloudWatch counts every invocation, error and throttle, whether or not it was logged. Comparing the "
        "error count with the failures found in the logs tells whether the logs explain every failure; "
        "throttled requests never run, so only this count shows them. It corroborates the logs: when the "
        "two disagree, the step says so."
    ),
    good="Errors are zero or all explained by the logs; duration stays well under the timeout.",
    run=_metric_step,
    decides=False,
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
    title="Lambda function fails or runs out of memory",
    purpose="Reads a function's REPORT and error log lines, classifies every failed invocation (out of memory, "
            "timeout, init failure, crash) with the lines before it, and recommends a memory size or timeout.",
    params=PARAMS,
    steps=(IDENTITY_STEP, CONFIG_STEP, LOGS_STEP, FAILURES_STEP, METRICS_STEP, VERDICT_STEP),
    plan=_plan,
    default_scenario="lambda-oom-killed",
)
