"""Is a Lambda function running out of memory? A pure analysis of its log lines and configuration.

After every invocation Lambda logs a REPORT line with the memory configured ("Memory Size") and the
most the invocation used ("Max Memory Used"). When an invocation reaches the configured size, Lambda
kills it: the log says "Runtime.OutOfMemory" or "Runtime exited with error: signal: killed", and the
caller sees an error or a retry. Language runtimes can also run out of their own heap first
("JavaScript heap out of memory", "MemoryError", "java.lang.OutOfMemoryError").

Both the plain-text log format and the JSON one (``platform.report`` records) are understood.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from diagnostics.awslambda.cost import cost_change, cost_sentence
from diagnostics.awslambda.deploy import Target, change_summary, configuration_change
from diagnostics.cloudwatch.logs import LogLine
from diagnostics.findings import Finding

# LogLine lives with the generic log reader; it stays importable from here for the REPORT parsers' users.

MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10240
MEMORY_STEP_MB = 64
HEADROOM = 1.3
NEAR_LIMIT = 0.9

REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
REPORT_FIELDS = {
    "duration_ms": re.compile(r"\bDuration: ([\d.]+) ms"),
    "billed_ms": re.compile(r"Billed Duration: ([\d.]+) ms"),
    "memory_size_mb": re.compile(r"Memory Size: (\d+) MB"),
    "max_memory_used_mb": re.compile(r"Max Memory Used: (\d+) MB"),
    "init_ms": re.compile(r"Init Duration: ([\d.]+) ms"),
    "status": re.compile(r"Status: (\w+)"),
    "error_type": re.compile(r"Error Type: ([\w.]+)"),
}
REPORT_ID = re.compile(r"REPORT RequestId: (\S+)")
# Lambda writes the text REPORT fields in this order; one match reads them all, which matters when a
# million lines are classified. Anything else falls back to one search per field (REPORT_FIELDS).
REPORT_FAST = re.compile(
    r"REPORT RequestId: (\S+)\s+Duration: ([\d.]+) ms\s+Billed Duration: ([\d.]+) ms\s+"
    r"Memory Size: (\d+) MB\s+Max Memory Used: (\d+) MB(?:\s+Init Duration: ([\d.]+) ms)?"
    r"(?:\s+Status: (\w+))?(?:\s+Error Type: ([\w.]+))?")

# (marker, kind) in the order of preference when one invocation logs several. The markers are the
# terms a log read searches for (FilterLogEvents, Logs Insights); a line holding one is only a
# candidate: :func:`find_oom` counts it when the line is the record that says the invocation failed
# (OOM_SIGNATURES), never a message that quotes the words.
OOM_MARKERS: tuple[tuple[str, str], ...] = (
    ("Runtime.OutOfMemory", "memory limit reached (Runtime.OutOfMemory)"),
    ("signal: killed", "killed by Lambda (signal: killed)"),
    ("JavaScript heap out of memory", "Node.js heap exhausted"),
    ("Reached heap limit", "Node.js heap exhausted"),
    ("java.lang.OutOfMemoryError", "Java heap exhausted"),
    ("OutOfMemoryException", ".NET out of memory"),
    ("runtime: out of memory", "Go runtime out of memory"),
    ("MemoryError", "Python MemoryError"),
)
# Heap errors happen when a language runtime hits its own limit, which may be below the function's.
HEAP_KINDS = frozenset({"Node.js heap exhausted", "Java heap exhausted", "Python MemoryError",
                        ".NET out of memory", "Go runtime out of memory"})

# The runtime families of Lambda's Runtime setting. "" (a container image, or a configuration that
# could not be read) accepts every runtime's own format, since none can be ruled out.
RUNTIME_FAMILIES = (("python", "python"), ("nodejs", "node"), ("java", "java"), ("dotnet", "dotnet"),
                    ("provided", "custom"), ("go", "custom"), ("ruby", "ruby"))
ANY_RUNTIME = ""


def runtime_family(runtime: str) -> str:
    """python, node, java, dotnet, custom (provided.* and Go), ruby, or "" when unknown."""
    lowered = runtime.lower()
    return next((family for prefix, family in RUNTIME_FAMILIES if lowered.startswith(prefix)), ANY_RUNTIME)


# The records that prove an invocation itself ran out of memory, each with the runtime family that
# writes it ("" for Lambda's own platform lines, whatever the runtime). Each is the runtime's format
# for an error that ended the invocation (documented on each runtime's "function errors" page and in
# https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html), anchored
# where the runtime writes it: a WARNING/INFO line or an application message quoting the same words
# (``downstream reported java.lang.OutOfMemoryError``) is not the function failing.
OOM_SIGNATURES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    # Lambda's platform line and the REPORT line: the function was stopped at its memory size.
    ("", re.compile(r"^REPORT RequestId: [^\n]*Error Type: Runtime\.OutOfMemory"),
     "memory limit reached (Runtime.OutOfMemory)"),
    ("", re.compile(r"^(?:RequestId: \S+\s+)?Error: Runtime\.OutOfMemory"),
     "memory limit reached (Runtime.OutOfMemory)"),
    ("", re.compile(r"^(?:RequestId: \S+\s+)?(?:Error: )?Runtime exited with error: signal: killed"),
     "killed by Lambda (signal: killed)"),
    # V8 writes its fatal error straight to stderr (sometimes behind the console prefix).
    ("node", re.compile(r"(?:^|\t)FATAL ERROR: [^\n]*(?:JavaScript heap out of memory|Reached heap limit)"),
     "Node.js heap exhausted"),
    # The Java runtime's uncaught error: "message: java.lang.OutOfMemoryError" over the stack, or the
    # JVM's "Exception in thread ..." with its frames.
    ("java", re.compile(r"^(?:[^\n]*: java\.lang\.OutOfMemoryError[ \t]*\n"
                        r"|(?:Exception in thread \"[^\"\n]*\" )?java\.lang\.OutOfMemoryError\b[^\n]*\n\s+at )"),
     "Java heap exhausted"),
    # .NET: the runtime's "fail" record (or the host's "Unhandled exception.") with the exception first.
    ("dotnet", re.compile(r"(?:\t(?:fail|crit)\t|^)(?:Unhandled exception\. )?System\.OutOfMemoryException\b"),
     ".NET out of memory"),
    ("custom", re.compile(r"^fatal error: runtime: out of memory"), "Go runtime out of memory"),
    # Python's unhandled-error record: "[ERROR] MemoryError" (one space; its logger writes a tab).
    ("python", re.compile(r"^\[ERROR\] MemoryError(?::|\s*$|\s*\n)"), "Python MemoryError"),
)


@dataclass(frozen=True)
class Invocation:
    """One REPORT line."""

    request_id: str
    at: datetime
    memory_size_mb: int
    max_memory_used_mb: int
    duration_ms: float | None = None
    billed_ms: float | None = None
    init_ms: float | None = None
    status: str = ""
    error_type: str = ""

    @property
    def ratio(self) -> float:
        return self.max_memory_used_mb / self.memory_size_mb if self.memory_size_mb else 0.0


@dataclass(frozen=True)
class OomKill:
    request_id: str
    at: datetime
    kind: str
    line: str


@dataclass(frozen=True)
class FunctionMemory:
    """The part of a function's configuration the memory diagnosis needs (never its environment)."""

    name: str
    arn: str
    memory_size_mb: int
    timeout_s: int = 3
    runtime: str = ""
    architectures: tuple[str, ...] = ()
    last_modified: str = ""
    package_type: str = "Zip"
    log_group: str = ""
    log_format: str = "Text"
    # JSON format only: the levels below which Lambda drops records before they reach the log group
    # (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html).
    application_log_level: str = ""
    system_log_level: str = ""
    ephemeral_storage_mb: int | None = None
    qualifier: str = ""  # the alias or version asked about ("" for the function itself, $LATEST)
    version: str = "$LATEST"  # the version that configuration belongs to (an alias's version)
    code_sha256: str = ""
    latest_code_sha256: str = ""  # $LATEST's, read beside a published version's to compare the code
    latest_memory_size_mb: int = 0  # $LATEST's memory and timeout, read beside a published version's: a fix is
    latest_timeout_s: int = 0       # published from $LATEST and must never lower them

    @property
    def target(self) -> Target:
        same = (self.code_sha256 == self.latest_code_sha256) if self.code_sha256 and self.latest_code_sha256 \
            else None
        latest = tuple((key, value) for key, value in (("memory_size", self.latest_memory_size_mb),
                                                         ("timeout", self.latest_timeout_s)) if value)
        return Target(self.name, self.qualifier, self.version, same, latest)


def function_memory(config: dict, qualifier: str = "") -> FunctionMemory:
    """From a GetFunctionConfiguration answer (of ``qualifier``, an alias or version, when given);
    Environment is deliberately not read."""
    logging = config.get("LoggingConfig") or {}
    name = str(config.get("FunctionName", ""))
    return FunctionMemory(
        name=name,
        arn=str(config.get("FunctionArn", "")),
        memory_size_mb=int(config.get("MemorySize") or 128),
        timeout_s=int(config.get("Timeout") or 3),
        runtime=str(config.get("Runtime") or ""),
        architectures=tuple(config.get("Architectures") or ("x86_64",)),
        last_modified=str(config.get("LastModified") or ""),
        package_type=str(config.get("PackageType") or "Zip"),
        log_group=str(logging.get("LogGroup") or f"/aws/lambda/{name}"),
        log_format=str(logging.get("LogFormat") or "Text"),
        application_log_level=str(logging.get("ApplicationLogLevel") or ""),
        system_log_level=str(logging.get("SystemLogLevel") or ""),
        ephemeral_storage_mb=(config.get("EphemeralStorage") or {}).get("Size"),
        qualifier="" if qualifier == "$LATEST" else qualifier,
        version=str(config.get("Version") or "$LATEST"),
        code_sha256=str(config.get("CodeSha256") or ""),
    )


def version_memory(latest: FunctionMemory, version: str, config: Mapping[str, Any] | None = None,
                   aliases: Sequence[str] = (), reported_mb: int = 0) -> FunctionMemory:
    """The function as published version ``version`` runs it, for the unqualified function whose log streams
    show that version ran ([1] in their names): its own memory and timeout (from its configuration, else the
    memory size its REPORT lines state), the alias callers reach it by when exactly one points at it, and
    $LATEST's settings and code beside it, since a fix for it is published from $LATEST."""
    config = config or {}
    return replace(
        latest, arn=str(config.get("FunctionArn") or f"{latest.arn}:{version}"),
        memory_size_mb=int(config.get("MemorySize") or reported_mb or latest.memory_size_mb),
        timeout_s=int(config.get("Timeout") or latest.timeout_s),
        last_modified=str(config.get("LastModified") or latest.last_modified),
        qualifier=aliases[0] if len(aliases) == 1 else version, version=version,
        code_sha256=str(config.get("CodeSha256") or ""), latest_code_sha256=latest.code_sha256,
        latest_memory_size_mb=latest.memory_size_mb, latest_timeout_s=latest.timeout_s)


def _json_report(line: LogLine) -> Invocation | None:
    try:
        data = json.loads(line.message)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != "platform.report":
        return None
    record = data.get("record") or {}
    metrics = record.get("metrics") or {}
    if "memorySizeMB" not in metrics or "maxMemoryUsedMB" not in metrics:
        return None
    return Invocation(
        request_id=str(record.get("requestId", "")),
        at=line.at,
        memory_size_mb=int(metrics["memorySizeMB"]),
        max_memory_used_mb=int(metrics["maxMemoryUsedMB"]),
        duration_ms=metrics.get("durationMs"),
        billed_ms=metrics.get("billedDurationMs"),
        init_ms=metrics.get("initDurationMs"),
        status=str(record.get("status") or ""),
        error_type=str(record.get("errorType") or ""),
    )


def parse_report(line: LogLine) -> Invocation | None:
    """A REPORT line (text or JSON format), or None for any other line."""
    text = line.message.strip()
    if text.startswith("{"):
        return _json_report(line)
    fast = REPORT_FAST.match(text)
    if fast:
        rid, duration, billed, size, used, init, status, error = fast.groups()
        return Invocation(rid, line.at, int(size), int(used), float(duration), float(billed),
                          float(init) if init else None, status or "", error or "")
    match = REPORT_ID.search(text)
    if not match:
        return None
    values = {key: m.group(1) for key, rx in REPORT_FIELDS.items() if (m := rx.search(text))}
    if "memory_size_mb" not in values or "max_memory_used_mb" not in values:
        return None

    def number(key: str) -> float | None:
        return float(values[key]) if key in values else None

    return Invocation(
        request_id=match.group(1),
        at=line.at,
        memory_size_mb=int(values["memory_size_mb"]),
        max_memory_used_mb=int(values["max_memory_used_mb"]),
        duration_ms=number("duration_ms"),
        billed_ms=number("billed_ms"),
        init_ms=number("init_ms"),
        status=values.get("status", ""),
        error_type=values.get("error_type", ""),
    )


def oom_kind(text: str, family: str = ANY_RUNTIME) -> str | None:
    """The kind of out-of-memory failure a line records, for a function of runtime ``family``
    (:func:`runtime_family`), or None."""
    for owner, pattern, kind in OOM_SIGNATURES:
        if (not owner or not family or owner == family) and pattern.search(text) is not None:
            return kind
    return None


def find_oom(line: LogLine, runtime: str = ANY_RUNTIME) -> OomKill | None:
    """The out-of-memory failure this line records, or None. ``runtime``: the function's Runtime
    setting; only Lambda's own lines and that runtime's error records count (a Python function quoting
    a Java error is not out of memory), every runtime's when it is unknown."""
    text = line.message.lstrip()
    kind = oom_kind(text, runtime_family(runtime))
    if kind is None:
        return None
    found = REQUEST_ID.search(text)
    return OomKill(found.group(0) if found else "", line.at, kind, " ".join(text.split())[:200])


def oom_kills(lines: Iterable[LogLine], runtime: str = ANY_RUNTIME) -> list[OomKill]:
    """One kill per invocation (an invocation often logs the error and its REPORT line), oldest first."""
    preference = {kind: i for i, (_, kind) in enumerate(OOM_MARKERS)}
    by_request: dict[str, OomKill] = {}
    anonymous: list[OomKill] = []
    for line in lines:
        kill = find_oom(line, runtime)
        if kill is None:
            continue
        if not kill.request_id:
            anonymous.append(kill)
            continue
        known = by_request.get(kill.request_id)
        if known is None or preference[kill.kind] < preference[known.kind]:
            first = min(kill.at, known.at) if known else kill.at
            by_request[kill.request_id] = OomKill(kill.request_id, first, kill.kind, kill.line)
    return sorted([*by_request.values(), *anonymous], key=lambda k: (k.at, k.request_id))


def recommend_memory(peak_mb: int, configured_mb: int, killed: bool) -> int:
    """The next 64 MB step above the peak plus 30 % headroom (above the configured size after a kill,
    since a killed invocation's true need is unknown), within Lambda's 128-10,240 MB."""
    need = peak_mb * HEADROOM
    if killed:
        need = max(need, configured_mb * HEADROOM)
    size = math.ceil(need / MEMORY_STEP_MB) * MEMORY_STEP_MB
    return int(min(MAX_MEMORY_MB, max(MIN_MEMORY_MB, size)))


@dataclass(frozen=True)
class MemoryVerdict:
    function: FunctionMemory
    invocations: int
    peak_mb: int | None
    peak_ratio: float | None
    near_limit_count: int
    kills: tuple[OomKill, ...]
    recommended_mb: int
    sampled: bool = False
    sizes_seen: tuple[int, ...] = field(default_factory=tuple)
    mean_billed_ms: float | None = None
    # The memory size the peak's percentage is of: the size the peak invocation ran with (its REPORT line's
    # Memory Size), which is the current one whenever an invocation ran at the current size.
    peak_size_mb: int | None = None
    # Kills of invocations that ran with less memory than the function has now (their REPORT Memory Size),
    # when no invocation at the current size was killed: the memory was raised after them.
    earlier_kills: tuple[OomKill, ...] = ()
    earlier_sizes: tuple[int, ...] = ()
    current_invocations: int = 0  # invocations read that ran at the current memory size

    @property
    def settled(self) -> bool:
        """Every kill ran at a smaller memory size than the function has now, and none since."""
        return bool(self.earlier_kills) and not self.kills

    @property
    def architecture(self) -> str:
        return self.function.architectures[0] if self.function.architectures else "x86_64"

    @property
    def killed(self) -> bool:
        return bool(self.kills)

    @property
    def near_limit(self) -> bool:
        return self.peak_ratio is not None and self.peak_ratio >= NEAR_LIMIT

    @property
    def heap_only(self) -> bool:
        """Every kill is a language heap error while the function had memory to spare."""
        return self.killed and all(k.kind in HEAP_KINDS for k in self.kills) and not self.near_limit


def analyse_memory(function: FunctionMemory, invocations: Iterable[Invocation], kills: Iterable[OomKill],
                   sampled: bool = False) -> MemoryVerdict:
    """Each invocation is judged against the memory size it ran with (its REPORT line's Memory Size), never
    the current configuration's: after memory is raised, the older lines still say the older size. The peak,
    its percentage and the recommendation come from the invocations at the current size; kills that all ran
    at a smaller size, with none since, are the history of a problem the raise already addressed."""
    invocations = list(invocations)
    kills = tuple(kills)
    killed_ids = {k.request_id for k in kills if k.request_id}
    # A REPORT line at the limit with an error status is a kill even if its error line was not read.
    extra = tuple(OomKill(i.request_id, i.at, "memory limit reached (Runtime.OutOfMemory)",
                          f"REPORT RequestId: {i.request_id} Max Memory Used: {i.max_memory_used_mb} MB")
                  for i in invocations
                  if i.request_id not in killed_ids and i.error_type == "Runtime.OutOfMemory")
    kills = tuple(sorted((*kills, *extra), key=lambda k: (k.at, k.request_id)))
    current = function.memory_size_mb
    size_of = {i.request_id: i.memory_size_mb for i in invocations if i.request_id}
    # A kill whose size is unknown (no REPORT line read for it) counts against the current size.
    earlier = tuple(k for k in kills if 0 < size_of.get(k.request_id, current) < current)
    earlier_kills: tuple[OomKill, ...] = ()
    if earlier and len(earlier) == len(kills):
        earlier_kills, kills = earlier, ()
    at_current = [i for i in invocations if i.memory_size_mb == current]
    judged = at_current or ([] if earlier_kills else invocations)
    peak = max(judged, key=lambda i: (i.ratio, i.max_memory_used_mb), default=None)
    # A kill at a larger size than today's (memory lowered since) proves the need exceeds that size.
    killed_at = max((size_of.get(k.request_id, current) for k in kills), default=current)
    billed = [i.billed_ms if i.billed_ms is not None else i.duration_ms for i in judged]
    billed = [b for b in billed if b is not None]
    return MemoryVerdict(
        function=function,
        invocations=len(invocations),
        peak_mb=peak.max_memory_used_mb if peak else None,
        peak_ratio=peak.ratio if peak else None,
        near_limit_count=sum(1 for i in judged if i.ratio >= NEAR_LIMIT),
        kills=kills,
        recommended_mb=recommend_memory(peak.max_memory_used_mb if peak else current, max(current, killed_at),
                                        bool(kills)),
        sampled=sampled,
        sizes_seen=tuple(sorted({i.memory_size_mb for i in invocations})),
        mean_billed_ms=sum(billed) / len(billed) if billed else None,
        peak_size_mb=peak.memory_size_mb if peak else None,
        earlier_kills=earlier_kills,
        earlier_sizes=tuple(sorted({size_of[k.request_id] for k in earlier_kills if k.request_id in size_of})),
        current_invocations=len(at_current),
    )


def _settled_sentence(verdict: MemoryVerdict) -> str:
    """The history of kills the memory raise already answered, and what has run since."""
    fn = verdict.function
    sizes = " and ".join(f"{s} MB" for s in verdict.earlier_sizes) or "a smaller size"
    last = verdict.earlier_kills[-1]
    changed = f" (the configuration last changed at {fn.last_modified})" if fn.last_modified else ""
    text = (f"{fn.target.label()} ran out of memory {len(verdict.earlier_kills)} time(s) at {sizes} (the Memory "
            f"Size of their REPORT lines), last at {last.at:%Y-%m-%d %H:%M} UTC, before its memory was raised to "
            f"{fn.memory_size_mb} MB{changed}.")
    if verdict.current_invocations and verdict.peak_mb is not None:
        text += (f" Since then {verdict.current_invocations} request(s) ran at {fn.memory_size_mb} MB without "
                 f"running out of memory, peak {verdict.peak_mb} MB of {fn.memory_size_mb} MB "
                 f"({verdict.peak_ratio:.0%}): the current size already covers the need; no memory change.")
    else:
        text += (f" No request has run at {fn.memory_size_mb} MB since in the window, so the raise is not yet "
                 "confirmed: watch the next runs.")
    return text


def _command(function: FunctionMemory, size: int, region: str) -> list[str]:
    """The commands that give what the caller runs ``size`` MB (through a new version for an alias)."""
    return configuration_change(function.target, region, memory_size=size)


def _evidence(verdict: MemoryVerdict) -> dict[str, object]:
    fn = verdict.function
    evidence: dict[str, object] = {
        "memory_size_mb": fn.memory_size_mb,
        "peak_memory_used_mb": verdict.peak_mb,
        "peak_percent_of_memory": None if verdict.peak_ratio is None else round(verdict.peak_ratio * 100, 1),
        "invocations_read": verdict.invocations,
        "invocations_at_90_percent_or_more": verdict.near_limit_count,
        "recommended_memory_mb": verdict.recommended_mb,
        "runtime": fn.runtime,
    }
    if fn.qualifier:
        evidence.update(qualifier=fn.qualifier, version=fn.version)
    if verdict.kills:
        evidence.update(
            out_of_memory_kills=len(verdict.kills),
            last_kill=verdict.kills[-1].at.isoformat(),
            request_ids=[k.request_id for k in verdict.kills if k.request_id][-10:],
            kinds=sorted({k.kind for k in verdict.kills}),
            example_log_line=verdict.kills[-1].line,
        )
    if len(verdict.sizes_seen) > 1:
        evidence["memory_sizes_in_reports_mb"] = list(verdict.sizes_seen)
    if verdict.sampled:
        evidence["note"] = "REPORT lines were sampled: the function logged more than one run reads"
    if verdict.mean_billed_ms is not None and verdict.recommended_mb != fn.memory_size_mb:
        evidence["cost"] = cost_change(fn.memory_size_mb, verdict.recommended_mb, verdict.mean_billed_ms,
                                       verdict.architecture)
    return evidence


def memory_findings(verdict: MemoryVerdict, region: str) -> list[Finding]:
    fn = verdict.function
    size = verdict.recommended_mb
    at_max = fn.memory_size_mb >= MAX_MEMORY_MB
    if verdict.settled and not verdict.near_limit:
        # No memory fix: the failures ran at a smaller size than the function has now.
        evidence = _evidence(verdict)
        evidence.pop("cost", None)
        evidence.update(out_of_memory_kills_at_smaller_size=len(verdict.earlier_kills),
                        killed_at_memory_mb=list(verdict.earlier_sizes),
                        last_kill=verdict.earlier_kills[-1].at.isoformat(),
                        invocations_at_current_size=verdict.current_invocations)
        evidence.pop("recommended_memory_mb", None)
        watch = (f"# No memory change needed: watch the next runs' REPORT lines (Max Memory Used against "
                 f"{fn.memory_size_mb} MB) for a day" if verdict.current_invocations else
                 f"# No memory change yet: after the next runs, check that their REPORT lines say Memory Size: "
                 f"{fn.memory_size_mb} MB and no Runtime.OutOfMemory")
        return [Finding("LAMBDA_OOM_BEFORE_MEMORY_RAISED", "warning", fn.arn, _settled_sentence(verdict), evidence,
                        [watch])]
    if verdict.killed:
        last = verdict.kills[-1]
        summary = (f"{fn.target.label()} ran out of memory {len(verdict.kills)} time(s) in the window, last at "
                   f"{last.at:%Y-%m-%d %H:%M} UTC ({last.kind}). It has {fn.memory_size_mb} MB")
        summary += (f"; invocations used up to {verdict.peak_mb} MB of {verdict.peak_size_mb} MB "
                    f"({verdict.peak_ratio:.0%})."
                    if verdict.peak_mb is not None else ".")
        remediation = []
        if verdict.heap_only:
            summary += (" The language runtime's own heap ran out below the function's memory: if a heap "
                        "limit is set (NODE_OPTIONS=--max-old-space-size, JAVA_TOOL_OPTIONS=-Xmx), raise it "
                        "too.")
        if at_max:
            summary += " It already has the most memory Lambda offers: process the data in smaller pieces."
            remediation.append("# Stream or chunk the input instead of loading it whole; "
                               "split the work over several invocations")
        else:
            summary += f" Give it at least {size} MB (more memory also brings proportionally more CPU)."
            summary += change_summary(fn.target)
            remediation.extend(_command(fn, size, region))
        remediation.append("# Then watch the REPORT lines' Max Memory Used for a day; a steady climb across "
                           "invocations of one instance is a leak (state kept in globals)")
        return [Finding("LAMBDA_OUT_OF_MEMORY", "error", fn.arn, summary, _evidence(verdict), remediation)]
    if verdict.near_limit:
        summary = (f"{fn.target.label()} used up to {verdict.peak_mb} MB of {verdict.peak_size_mb} MB "
                   f"({verdict.peak_ratio:.0%}) in {verdict.near_limit_count} of "
                   f"{verdict.current_invocations or verdict.invocations} invocations read at that size: one "
                   "larger input away from being killed.")
        if verdict.settled:
            sizes = " and ".join(f"{s} MB" for s in verdict.earlier_sizes) or "a smaller size"
            summary += (f" Before its memory was raised to {fn.memory_size_mb} MB it ran out of memory "
                        f"{len(verdict.earlier_kills)} time(s) at {sizes}: the raise was not enough to leave room.")
        remediation = _command(fn, size, region) if not at_max else [
            "# It already has the most memory Lambda offers: reduce what one invocation holds in memory"]
        summary += change_summary(fn.target)
        return [Finding("LAMBDA_MEMORY_NEAR_LIMIT", "warning", fn.arn, summary, _evidence(verdict),
                        remediation)]
    return []


def describe_verdict(verdict: MemoryVerdict) -> str:
    fn = verdict.function
    if verdict.settled:
        return _settled_sentence(verdict)
    if verdict.peak_mb is None and not verdict.killed:
        return ("No REPORT lines were found in the window (the function did not run, or it logs elsewhere), "
                "so its memory use cannot be judged; read a longer window with hours=.")
    if verdict.peak_mb is None:
        usage = "No REPORT lines were found in the window, so the memory actually used is unknown."
    else:
        usage = (f"Across {verdict.invocations} invocations read, the peak was {verdict.peak_mb} MB of "
                 f"{verdict.peak_size_mb or fn.memory_size_mb} MB ({verdict.peak_ratio:.0%}).")
    cost = ""
    if verdict.mean_billed_ms is not None and verdict.recommended_mb != fn.memory_size_mb:
        cost = " " + cost_sentence(fn.memory_size_mb, verdict.recommended_mb, verdict.mean_billed_ms,
                                   verdict.architecture)
    if verdict.killed:
        return (f"{usage} {len(verdict.kills)} invocation(s) ran out of memory. "
                f"Recommended: {verdict.recommended_mb} MB.{cost}")
    if verdict.near_limit:
        return f"{usage} That is within 10% of the limit. Recommended: {verdict.recommended_mb} MB.{cost}"
    return f"{usage} No out-of-memory errors; the memory size has room to spare."
