"""Findings for the ways a Lambda function fails besides memory: timeouts, init failures, crashes.

A pure analysis over a :class:`~diagnostics.awslambda.failures.FailureReport` and the REPORT lines.
Each finding names the function, counts the failed requests (a retried request once), shows example
request IDs with the last lines each logged before it failed (a failure often leaves its cause just
before it), and gives one primary fix with the others as alternatives.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from diagnostics.awslambda.deploy import change_summary, configuration_change
from diagnostics.awslambda.failures import (
    CLASSES,
    CRASH,
    INIT_FAILURE,
    INIT_LIMIT_MS,
    OUT_OF_MEMORY,
    TIMEOUT,
    VERBS,
    FailedRequest,
    FailureReport,
    cut_line,
)
from diagnostics.awslambda.memory import FunctionMemory, Invocation, OomKill
from diagnostics.findings import Finding, Fix
from diagnostics.proof import LogProof, MetricProof, event_proof, log_proof, with_proof

MAX_TIMEOUT_S = 900
EXAMPLES = 3
# Hosts a function waits on, as logs name them: URLs, AWS endpoints, database hosts with a port.
HOST = re.compile(r"https?://([A-Za-z0-9.-]+)|\b((?:[a-z0-9-]+\.)+(?:amazonaws\.com|com|net|org|io|internal|local))"
                  r"(?::\d+)?\b")


def examples(requests: Sequence[FailedRequest], n: int = EXAMPLES) -> list[dict[str, object]]:
    """The last ``n`` failures, each with its request ID, what showed it and the lines before it."""
    out = []
    for r in list(requests)[-n:]:
        item: dict[str, object] = {"request_id": r.request_id or "(init, no request)", "at": r.at.isoformat(),
                                   "cause": r.detail, "line": r.line, "lines_before": list(r.before)}
        if r.attempts > 1:
            item["attempts"] = r.attempts
        out.append(item)
    return out


def failure_lines(fn: FunctionMemory, request: FailedRequest, most: int = 3) -> LogProof | None:
    """At most ``most`` lines: the one that shows ``request`` failed, its REPORT line when that is another
    (Max Memory Used at the memory size, ``Status: timeout``), and before them the lines its stream wrote just
    before it failed, where the cause usually is."""
    shown = [(None if request.at == datetime.min else request.at, request.line)]
    if request.report_line:
        shown.append((request.report_at, request.report_line))
    room = max(0, most - len(shown))
    earlier = [*zip(request.before_at, request.before, strict=False)] if request.before_at else [
        (None, text) for text in request.before]
    return log_proof(fn.log_group, request.stream, [*(earlier[-room:] if room else []), *shown], most=most)


def _last_lines(fn: FunctionMemory, requests: Sequence[FailedRequest]) -> LogProof | None:
    shown = [r for r in requests if r.line]
    return failure_lines(fn, shown[-1]) if shown else None


# What a REPORT line measures: the field's name, its unit, how to read it, the limit it is judged against.
REPORT_FIELDS = {
    "memory": ("Max Memory Used", "Megabytes", lambda i: i.max_memory_used_mb, "memory size"),
    "duration": ("Duration", "Milliseconds", lambda i: i.duration_ms, "timeout"),
    "init": ("Init Duration", "Milliseconds", lambda i: i.init_ms, "init limit"),
}


def report_series(log_group: str, invocations: Sequence[Invocation], what: str,
                  limit: float | None = None) -> MetricProof | None:
    """One REPORT field per invocation (``what``: memory, duration or init, see :data:`REPORT_FIELDS`) against
    its ``limit`` (the memory size, the timeout in ms, the 10 s init limit); None when no line has it."""
    name, unit, read, label = REPORT_FIELDS[what]
    return event_proof("REPORT lines", name, f"LogGroup={log_group}" if log_group else "", "per invocation", unit,
                       [(i.at, v) for i in invocations if (v := read(i)) is not None], limit or None,
                       label if limit else "")


def memory_series(fn: FunctionMemory, invocations: Sequence[Invocation]) -> MetricProof | None:
    return report_series(fn.log_group, invocations, "memory", fn.memory_size_mb)


def _ids(requests: Sequence[FailedRequest]) -> str:
    ids = [r.request_id for r in requests if r.request_id][-EXAMPLES:]
    return ", ".join(ids)


def _retries(requests: Sequence[FailedRequest]) -> str:
    retried = [r for r in requests if r.attempts > 1]
    if not retried:
        return ""
    recovered = sum(1 for r in retried if r.recovered)
    words = (f" {len(retried)} of them were retried (the same request ID logged again, counted once)")
    if recovered:
        words += f"; {recovered} succeeded on a retry"
    return words + "."


def base_evidence(report: FailureReport, requests: Sequence[FailedRequest]) -> dict[str, object]:
    return {
        "failed_requests": len(requests),
        "requests_read": report.requests,
        "failures_by_class": report.counts(),
        "retried_requests": sum(1 for r in requests if r.attempts > 1),
        "examples": examples(requests),
    }


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def downstream_host(requests: Sequence[FailedRequest]) -> str | None:
    """The host most often named in the lines just before the failures, if any is."""
    hosts: Counter[str] = Counter()
    for r in requests:
        for text in (*r.before[-2:], r.line):
            for match in HOST.finditer(text):
                hosts[match.group(1) or match.group(2)] += 1
    return hosts.most_common(1)[0][0] if hosts else None


def _update(fn: FunctionMemory, region: str, **settings: object) -> tuple[str, ...]:
    """The commands that make the change reach what the caller runs (an alias: through a new version)."""
    return tuple(configuration_change(fn.target, region, **settings))


def timeout_finding(fn: FunctionMemory, report: FailureReport, invocations: Sequence[Invocation],
                    region: str) -> Finding:
    timed_out = report.by_class().get(TIMEOUT, [])
    limit_ms = fn.timeout_s * 1000
    failed_ids = {r.request_id for r in report.failed}
    durations = [r.duration_ms for r in timed_out if r.duration_ms is not None]
    ok = [i.duration_ms for i in invocations if i.duration_ms is not None and i.request_id not in failed_ids]
    summary = (f"{fn.target.label()} timed out in {len(timed_out)} of {report.requests} requests read: each was "
               f"stopped at its {fn.timeout_s} s timeout")
    if durations:
        low, high = min(durations), max(durations)
        summary += f" (after {low:.0f} ms)." if round(low) == round(high) else f" (after {low:.0f}-{high:.0f} ms)."
    else:
        summary += "."
    evidence = base_evidence(report, timed_out)
    evidence.update(timeout_s=fn.timeout_s, memory_size_mb=fn.memory_size_mb)
    if durations:
        evidence["timed_out_duration_ms"] = {"min": round(min(durations), 1), "max": round(max(durations), 1)}
    if ok:
        p50, p90, top = statistics.median(ok), _percentile(ok, 0.9), max(ok)
        evidence["successful_duration_ms"] = {"count": len(ok), "median": round(p50, 1), "p90": round(p90, 1),
                                              "max": round(top, 1)}
        summary += (f" The {len(ok)} that finished took a median {p50:.0f} ms, p90 {p90:.0f} ms, longest "
                    f"{top:.0f} ms ({top / limit_ms:.0%} of the timeout).")
    else:
        summary += " No invocation finished in the window, so the logs do not show how long the work needs."
    # Memory and CPU: more memory brings more CPU, which shortens only CPU-bound work. Say what the
    # data shows: several sizes in the window allow a comparison, one size does not.
    used = [r.max_memory_used_mb for r in timed_out if r.max_memory_used_mb is not None]
    sizes = sorted({i.memory_size_mb for i in invocations})
    if len(sizes) > 1:
        by_size = {s: [i.duration_ms for i in invocations if i.memory_size_mb == s and i.duration_ms] for s in sizes}
        medians = {s: statistics.median(d) for s, d in by_size.items() if d}
        summary += " Median duration by memory size: " + ", ".join(
            f"{s} MB {m:.0f} ms" for s, m in medians.items()) + "."
        evidence["median_duration_ms_by_memory_mb"] = {str(s): round(m, 1) for s, m in medians.items()}
    else:
        summary += (" All invocations read ran at one memory size, so the logs cannot show whether more memory "
                    "(and with it CPU) would make it faster.")
    if used and fn.memory_size_mb:
        peak = max(used)
        evidence["timed_out_peak_memory_mb"] = peak
        if peak >= 0.9 * fn.memory_size_mb:
            summary += (f" The timed-out invocations used up to {peak} MB of {fn.memory_size_mb} MB: memory "
                        "pressure (garbage collection, swapping work) may be slowing them.")
    host = downstream_host(timed_out)
    if host:
        evidence["downstream"] = host
        summary += (f" The last lines before the timeouts name {host}: the invocation is most likely waiting on "
                    "that call.")
    retries = _retries(timed_out)
    summary += retries
    need_s = math.ceil(max(ok) * 1.5 / 1000) if ok else fn.timeout_s * 3
    new_timeout = min(MAX_TIMEOUT_S, max(need_s, fn.timeout_s * 2))
    downstream_fix = Fix(
        (f"# Give the client that calls {host or 'the downstream service'} a timeout shorter than the "
         f"function's {fn.timeout_s} s, and retry or fail fast when it expires",),
        "Fail fast on the call it waits on, so an invocation ends with a clear error instead of a timeout",
        "a code change and a deployment")
    memory_fix = Fix(_update(fn, region, memory_size=min(10240, fn.memory_size_mb * 2)),
                     "Double the memory: more memory brings proportionally more CPU, which helps only CPU-bound "
                     "work", "costs more per millisecond; no help when it waits on the network")
    raise_fix = Fix(_update(fn, region, timeout=new_timeout), f"Raise the timeout to {new_timeout} s",
                    "callers wait longer for a failure")
    # Which fix comes first follows the data: successful runs close to the timeout need more time;
    # fast successful runs beside timeouts mean some runs hang, on the host the logs name if they do.
    needs_time = bool(ok) and max(ok) >= 0.8 * limit_ms
    if fn.timeout_s >= MAX_TIMEOUT_S or (host and not needs_time):
        remediation = list(downstream_fix.commands)
        alternatives = [memory_fix] if fn.timeout_s >= MAX_TIMEOUT_S else [raise_fix, memory_fix]
    else:
        remediation = list(raise_fix.commands)
        alternatives = [downstream_fix, memory_fix]
    if ok and not needs_time:
        summary += (f" The runs that finish need at most {max(ok) / limit_ms:.0%} of the timeout, so the timed-out "
                    "ones are stuck rather than slow.")
    summary += change_summary(fn.target)
    return with_proof(Finding("LAMBDA_TIMEOUT", "error", fn.arn, summary, evidence, remediation,
                              alternatives=alternatives),
                      report_series(fn.log_group, invocations, "duration", fn.timeout_s * 1000),
                      _last_lines(fn, timed_out))


INIT_ADVICE = {
    "Runtime.ImportModuleError": ("# Package the missing module with the function (or in a layer) for its "
                                  "runtime and architecture, then deploy again"),
    "Runtime.HandlerNotFound": "# Point the handler setting at a function that exists in the package",
    "Runtime.UserCodeSyntaxError": "# Fix the syntax error the log names and deploy again",
}


def init_finding(fn: FunctionMemory, report: FailureReport, region: str) -> Finding:
    failed = report.by_class().get(INIT_FAILURE, [])
    every = [*failed, *report.environment_failures]
    causes = Counter(r.detail for r in every)
    cause, _ = causes.most_common(1)[0]
    summary = (f"{fn.name} failed to initialise: {len(failed)} of {report.requests} requests read failed before "
               f"the handler ran ({', '.join(f'{n}x {c}' for c, n in causes.most_common(3))}).")
    if "timeout" in cause or cause.startswith("init over"):
        summary += (f" Initialisation has {INIT_LIMIT_MS // 1000} s: module-level work (connections, downloads, large "
                    "imports) took longer.")
    summary += _retries(failed)
    evidence = base_evidence(report, failed)
    evidence.update(causes=dict(causes), environment_init_failures=len(report.environment_failures))
    error_type = next((t for t in INIT_ADVICE if t in cause), "")
    if error_type:
        remediation = [INIT_ADVICE[error_type]]
    elif "timeout" in cause or cause.startswith("init over"):
        remediation = ["# Move slow work out of module scope (open connections lazily, load large files on "
                       "first use) so init finishes within 10 s"]
    else:
        remediation = ["# Fix the error in the lines before the failure (module-level code) and deploy again"]
    alternatives = [Fix((f"aws lambda get-function-configuration --function-name {fn.name} --query "
                         f"'[Handler,Runtime,Layers]' --region {region}",),
                        "Check the handler, runtime and layers the package was built for", "")]
    return with_proof(Finding("LAMBDA_INIT_FAILURE", "error", fn.arn, summary, evidence, remediation,
                              alternatives=alternatives), _last_lines(fn, sorted(every, key=lambda r: r.at)))


def crash_finding(fn: FunctionMemory, report: FailureReport) -> Finding:
    crashed = report.by_class().get(CRASH, [])
    causes = Counter(r.detail for r in crashed)
    summary = (f"{fn.name} crashed in {len(crashed)} of {report.requests} requests read, not for lack of memory: "
               + ", ".join(f"{n}x {c}" for c, n in causes.most_common(3)) + ".")
    last = crashed[-1]
    if last.line:
        summary += f" Last: {cut_line(last.line, 160)}"
        summary += "" if summary.endswith((".", "…")) else "."
    summary += _retries(crashed)
    evidence = base_evidence(report, crashed)
    evidence["causes"] = dict(causes)
    remediation = ["# Fix the code path in the error and the lines before it (see the examples), then deploy"]
    alternatives = []
    if any("ExitError" in c for c in causes):
        alternatives.append(Fix(("# Find what ends the process (os.exit, an uncaught signal, a native crash) in "
                                 "the lines before 'Runtime exited'",), "The runtime process itself exited", ""))
    return with_proof(Finding("LAMBDA_CRASH", "error", fn.arn, summary, evidence, remediation,
                              alternatives=alternatives), _last_lines(fn, crashed))


def throttle_finding(fn: FunctionMemory, throttles: float, reserved: int | None = None,
                     reserved_read: bool = False, invocations: float | None = None) -> Finding:
    """Throttled requests never ran, so the logs hold nothing of them: only the ``Throttles`` metric counts
    them (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html). They are failures of
    their own class ("throttled or never run"), and a problem as the throttling playbook judges them
    (Throttles > 0): an error finding that points at that playbook, which names the limit that bites."""
    share = ""
    if invocations:
        asked = throttles + invocations
        share = f" ({throttles:g} of {asked:g} requests, {throttles / asked:.0%}; {invocations:g} ran)"
    summary = (f"{fn.name} was throttled {throttles:g} times{share}: those requests never ran, so the logs read "
               "have no line of them.")
    if reserved is not None:
        summary += f" Its reserved concurrency is {reserved}: at most {reserved} requests run at once."
    elif reserved_read:
        summary += " It has no reserved concurrency: it shares the account's unreserved pool."
    summary += (f" The throttling playbook names the limit that bites (awstriage run throttling --param "
                f"function={fn.name}).")
    evidence: dict[str, object] = {"throttles": throttles, "invocations": invocations,
                                   "reserved_concurrency": reserved}
    remediation = [f"awstriage run throttling --param function={fn.name}"]
    alternatives = []
    if reserved is not None:
        alternatives.append(Fix((f"aws lambda put-function-concurrency --function-name {fn.name} "
                                 f"--reserved-concurrent-executions {reserved * 2}",),
                                "Raise the function's reserved concurrency",
                                "takes that much from the account's unreserved pool, which other functions share"))
    return Finding("LAMBDA_THROTTLED", "error", fn.arn, summary, evidence, remediation,
                   alternatives=alternatives)


# Log levels that drop what a failure writes (JSON log format only): an application level above ERROR drops the
# runtime's ERROR record of an unhandled exception; a system level of WARN drops platform.start and platform.report.
DROPS_ERRORS = frozenset({"FATAL"})
DROPS_REPORTS = frozenset({"WARN"})


def unexplained_errors_finding(fn: FunctionMemory, errors: float, explained: int, hours: int, region: str, *,
                               invocations: float | None = None, logs_read: bool = True,
                               log_group_exists: bool = True, truncated: bool = False) -> Finding:
    """Failures Lambda counted that no log line read shows. AWS/Lambda ``Errors`` is Lambda's own count of
    invocations that failed (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html), so
    they failed whatever the logs hold: an error finding when the logs explain none of them (the count alone
    proves the function fails), a warning beside the failures the logs do explain. It says where the missing
    lines can be: the log group the function writes to now, its log levels, retention, the read's bound."""
    missing = errors - explained
    of = f" of {invocations:g} invocations" if invocations else ""
    summary = (f"{missing:g} failures counted by Lambda are not in the log lines read: AWS/Lambda counts "
               f"{errors:g} failed invocations (Errors){of} of {fn.target.label()} in the last {hours} h, ")
    summary += (f"the log lines read show {explained}." if explained else
                "the log lines read show none, so they failed (Lambda's own count) for a reason the logs read do "
                "not say.")
    where = where_to_look(fn, hours, logs_read=logs_read, log_group_exists=log_group_exists, truncated=truncated)
    summary += " Where to look: " + " ".join(where)
    evidence: dict[str, object] = {"errors_counted": errors, "invocations_counted": invocations,
                                   "failures_in_logs": explained, "not_in_logs": missing, "log_group": fn.log_group,
                                   "log_format": fn.log_format}
    name = f"{fn.name}:{fn.qualifier}" if fn.qualifier else fn.name
    lookups = Fix((f"aws lambda get-function-configuration --function-name {name} --query LoggingConfig "
                   f"--region {region}",
                   f"aws logs describe-log-groups --log-group-name-prefix {fn.log_group} "
                   f"--query 'logGroups[].[logGroupName,retentionInDays]' --region {region}",
                   f"aws logs describe-log-streams --log-group-name {fn.log_group} --order-by LastEventTime "
                   f"--descending --max-items 5 --region {region}"),
                  "Read where the function logs, how long the group keeps lines, and which streams were written",
                  "")
    dropped = fn.log_format == "JSON" and (fn.application_log_level.upper() in DROPS_ERRORS
                                           or fn.system_log_level.upper() in DROPS_REPORTS)
    if dropped:
        levels = Fix(tuple(configuration_change(
            fn.target, region, logging_config="LogFormat=JSON,ApplicationLogLevel=ERROR,SystemLogLevel=INFO")),
            "Let ERROR records and the REPORT records through to the log group", "more log lines are billed")
        remediation, alternatives = list(levels.commands), [lookups]
    else:
        remediation, alternatives = list(lookups.commands), []
    return Finding("LAMBDA_ERRORS_NOT_IN_LOGS", "warning" if explained else "error", fn.arn, summary, evidence,
                   remediation, alternatives=alternatives)


def where_to_look(fn: FunctionMemory, hours: int, *, logs_read: bool = True, log_group_exists: bool = True,
                  truncated: bool = False) -> list[str]:
    """Sentences on where failures Lambda counted can be when the log lines read do not show them."""
    where: list[str] = []
    if not logs_read:
        where.append(f"the log group {fn.log_group} could not be read (see 'What do the logs show?').")
    elif not log_group_exists:
        where.append(f"there is no log group {fn.log_group}: the execution role may lack logs:CreateLogGroup and "
                     "logs:PutLogEvents, so a failure leaves no line at all.")
    if truncated:
        where.append("the function logged more lines than awstriage reads in one run: the unread ones may hold them.")
    if fn.log_format == "JSON" and fn.application_log_level.upper() in DROPS_ERRORS:
        where.append(f"its LoggingConfig keeps application records at {fn.application_log_level} only, so the "
                     "runtime's ERROR record of an unhandled exception never reaches the log group.")
    if fn.log_format == "JSON" and fn.system_log_level.upper() in DROPS_REPORTS:
        where.append(f"its LoggingConfig keeps system records at {fn.system_log_level} only, so Lambda's "
                     "platform.start and platform.report records (Status, Max Memory Used) are dropped.")
    if fn.qualifier:
        where.append(f"only the log streams of version {fn.version} were read; Errors of {fn.target.label()} "
                     "count that version's invocations only, so look for streams named otherwise.")
    where.append(f"the function writes to {fn.log_group} now (its LoggingConfig): lines it wrote to another log "
                 f"group earlier in the last {hours} h are there, and a retention shorter than the window has "
                 "deleted older ones.")
    return [w[0].upper() + w[1:] for w in where]


def kills_of(report: FailureReport) -> list[OomKill]:
    """The out-of-memory failures as the memory analysis counts them."""
    return [OomKill(r.request_id, r.at, r.detail, r.line) for r in report.by_class().get(OUT_OF_MEMORY, [])]


def failure_findings(fn: FunctionMemory, report: FailureReport, invocations: Sequence[Invocation], region: str,
                     memory: Finding | None = None) -> list[Finding]:
    """One finding per failure class seen, the dominant class first (``memory``: the out-of-memory
    finding of the memory analysis, given the examples of this report)."""
    by_class = report.by_class()
    findings: dict[str, Finding] = {}
    if TIMEOUT in by_class:
        findings[TIMEOUT] = timeout_finding(fn, report, invocations, region)
    if INIT_FAILURE in by_class or report.environment_failures:
        findings[INIT_FAILURE] = init_finding(fn, report, region)
    if CRASH in by_class:
        findings[CRASH] = crash_finding(fn, report)
    if memory is not None and OUT_OF_MEMORY in by_class:
        memory.evidence.update(examples=examples(by_class[OUT_OF_MEMORY]),
                               retried_requests=sum(1 for r in by_class[OUT_OF_MEMORY] if r.attempts > 1))
        findings[OUT_OF_MEMORY] = with_proof(memory, memory_series(fn, invocations),
                                             _last_lines(fn, by_class[OUT_OF_MEMORY]))
    order = [report.dominant] + [c for c in CLASSES if c != report.dominant]
    return [findings[c] for c in order if c in findings]


def describe_failures(report: FailureReport | None, throttles: float | None = None) -> str:
    """The step's answer to "why does it fail?": counts, the dominant class, examples and last lines; with
    ``throttles`` (the Throttles metric) the requests that never ran, and whether they outnumber the rest.
    ``report`` None: no log line could be classified."""
    counts = report.counts() if report else {}
    parts: list[str] = []
    if report is not None and not counts and throttles:
        parts.append(f"{throttles:g} requests were throttled (Lambda's Throttles metric): they never ran, so no log "
                     f"line shows them; none of the {report.requests} requests read that ran failed. The throttling "
                     "playbook names the limit that bites.")
    elif report is not None and not counts:
        parts.append(f"None of the {report.requests} requests read failed.")
    elif report is not None:
        total = sum(counts.values())
        listed = ", ".join(f"{n} {VERBS[c]}" for c, n in sorted(counts.items(), key=lambda kv: -kv[1]))
        parts.append(f"{total} of {report.requests} requests read failed: {listed}.")
        dominant = report.dominant
        requests = report.by_class()[dominant or ""]
        # The lead speaks of the failed requests, never of all requests read.
        lead = "Every failed request" if len(counts) == 1 else f"Most failed requests ({len(requests)})"
        parts.append(f"{lead} {VERBS[dominant or '']}: requests {_ids(requests) or '(no request ID)'}.")
        last = requests[-1]
        if last.before:
            parts.append("Before the last one it logged: " + " | ".join(last.before[-3:]) + ".")
        if last.line:
            parts.append(f"Then: {last.line.rstrip('.')}.")
        retried = report.retried
        if retried:
            parts.append(f"{len(retried)} failed request(s) were retried (same request ID again; counted once).")
    if report is not None and report.environment_failures:
        parts.append(f"{len(report.environment_failures)} initialisation failure(s) belong to no request read.")
    if throttles and (counts or report is None):
        logged = sum(counts.values())
        also = " also" if counts else ""
        parts.append(f"CloudWatch{also} counts {throttles:g} throttled request(s): they never ran, so they left no "
                     "log line; the throttling playbook names the limit that bites.")
        if throttles > logged and report is not None:
            parts.append(f"Most failures were throttled: {throttles:g} throttled against {logged} failed in the "
                         "logs.")
    return " ".join(parts)
