"""Why does a Lambda function fail? Every failed invocation classified from its own log lines.

A pure analysis over log lines (text or JSON log format, mixed): each line is classified once
(:func:`classify_line`), the lines are tied to their request IDs (:func:`classify_invocations`), and
each failed invocation gets one class:

- ``out_of_memory``: Lambda's kill at the limit (``Runtime.OutOfMemory``, ``signal: killed``, REPORT
  ``Error Type: Runtime.OutOfMemory``, or an error whose REPORT shows Max Memory Used at Memory
  Size), or a language runtime's own heap (Node.js, Java, .NET, Python, Go).
- ``init_failure``: the init phase failed (``INIT_REPORT ... Status: error|timeout``, the JSON
  ``platform.initReport``; ``Runtime.ImportModuleError``, ``Runtime.HandlerNotFound``,
  ``Runtime.UserCodeSyntaxError``); init has 10 s before Lambda gives up on it.
- ``timeout``: ``Task timed out after 3.00 seconds``, REPORT ``Status: timeout``, JSON
  ``platform.runtimeDone``/``platform.report`` with ``"status": "timeout"``.
- ``crash``: ``Runtime.ExitError`` without a memory cause, or an unhandled exception in the runtime's
  own error format (Python ``[ERROR] Type: message`` + traceback, Node.js ``Invoke Error``, the
  ``errorType``/``errorMessage`` error document of every runtime, a Go ``panic:``).

Throttled requests never run, so they leave no log line: only the ``Throttles`` metric counts them.

Formats: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html (text
and JSON log formats), https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html
(``platform.*`` records), and each runtime's "function errors" page (python-exceptions,
nodejs-exceptions, java-exceptions, csharp-exceptions, golang-exceptions, ruby-exceptions).

An asynchronous invocation that failed is retried with the same request ID, so one request may log
several attempts: it is counted once, with its attempts, and whether a later attempt succeeded.
"""

from __future__ import annotations

import json
import re
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from diagnostics.awslambda.memory import (
    ANY_RUNTIME,
    OOM_MARKERS,
    Invocation,
    LogLine,
    oom_kind,
    parse_report,
    runtime_family,
)
from diagnostics.text import shorten

OUT_OF_MEMORY = "out_of_memory"
INIT_FAILURE = "init_failure"
TIMEOUT = "timeout"
CRASH = "crash"
THROTTLED = "throttled"
CLASSES = (OUT_OF_MEMORY, INIT_FAILURE, TIMEOUT, CRASH)
VERBS = {OUT_OF_MEMORY: "ran out of memory", INIT_FAILURE: "failed to initialise", TIMEOUT: "timed out",
         CRASH: "crashed", THROTTLED: "were throttled"}

# Error types that name the class on their own, whatever line they appear in.
INIT_TYPES = frozenset({"Runtime.ImportModuleError", "Runtime.HandlerNotFound", "Runtime.UserCodeSyntaxError",
                        "Runtime.MalformedHandlerName", "Runtime.InvalidEntrypoint", "Runtime.BadFunctionCode"})
# Error types that are an out-of-memory failure, with the runtime family that raises them ("" for
# Lambda's own): a Python function's error document never carries Java's error as its own.
OOM_TYPES: dict[str, str] = {"Runtime.OutOfMemory": "", "java.lang.OutOfMemoryError": "java",
                             "System.OutOfMemoryException": "dotnet", "OutOfMemoryException": "dotnet",
                             "MemoryError": "python", "NoMemoryError": "ruby"}
TIMEOUT_TYPES = frozenset({"Sandbox.Timedout"})
FAILED_STATUSES = frozenset({"error", "failure", "timeout"})
INIT_LIMIT_MS = 10_000  # the init phase's own limit

TAIL = 5           # lines kept before each failure, per log stream
# Lines that never explain a failure: the platform's init notice and the runtime's generic warning.
NOISE = ("INIT_START", "LAMBDA_WARNING", "EXTENSION")
LINE_CHARS = 240   # a kept line is cut to this many characters

REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
STATUS = re.compile(r"Status: (\w+)")
ERROR_TYPE_TEXT = re.compile(r"Error Type: ([\w.]+)")
ERROR_TYPE_JSON = re.compile(r'"errorType"\s*:\s*"([^"]+)"')
# The runtimes' own formats for an unhandled error (an application's logged error is not a failure):
# Python "[ERROR] Type: message" with one space (its logger writes a tab) and a traceback; Java
# "message: java.lang.Type" over a stack trace; .NET "fail" with the exception and its "   at" frames.
PYTHON_ERROR = re.compile(r"^\[ERROR\] ([\w.]+): ")
# An application's own record below ERROR level, in each runtime's Lambda format: Python
# "[WARNING]\t...", Node.js/.NET/Java "<time>\t<request id>\tWARN\t..." (.NET writes "warn", "info",
# "dbug", "trce"), log4j "<time> <request id> WARN ...". Whatever it quotes, it never records a failure.
BELOW_ERROR = re.compile(r"^\[(?:WARNING|WARN|INFO|DEBUG|NOTICE)\]"
                         r"|^\S+\t\S+\t(?:WARN|INFO|DEBUG|TRACE|warn|info|dbug|trce)\t"
                         r"|^\d{4}-\d\d-\d\d[ T][\d:.,]+Z?\s+\S+\s+(?:WARN|INFO|DEBUG|TRACE)\s")
JSON_LEVELS_BELOW_ERROR = frozenset({"WARN", "WARNING", "INFO", "DEBUG", "TRACE", "NOTICE"})
# Node.js's runtime wraps an unhandled error in its console format with one of these messages.
NODE_UNHANDLED = re.compile(r"\tERROR\t(?:Invoke Error|Uncaught Exception|Unhandled Promise Rejection) ?\t")
# Ruby's runtime (aws_lambda_ric) writes one of these messages, then its error document pretty-printed, whose
# errorType wraps the exception's class in the phase it failed in: Function<TypeError>, Init<LoadError>,
# Runtime<...> (https://docs.aws.amazon.com/lambda/latest/dg/ruby-exceptions.html). The two arrive as one
# event or as one event per line, so each is a record of the failure on its own.
RUBY_UNHANDLED = re.compile(r"^(?:Error raised from handler method|Critical exception from handler"
                            r"|(Init) error when loading handler)")
RUBY_TYPE = re.compile(r"^(Function|Init|Runtime)<([\w:]+)>$")
RUBY_TYPE_LINE = re.compile(r'^\s*"errorType"\s*:\s*"((?:Function|Init|Runtime)<[\w:]+>)",?\s*$')
RUBY_GENERIC = "Ruby unhandled error"
JAVA_UNHANDLED = re.compile(r"^[^\n]*?:? ?((?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error))\s*\n\S")
DOTNET_FAIL = re.compile(r"\tfail\t(?:Unhandled exception\. )?((?:\w+\.)*\w*Exception)\b[^\n]*\n\s+at ")
# Lambda's own lines, as the platform writes them: "RequestId: <id> Error: Runtime exited with error: ..."
# and "<time> <id> Task timed out after 3.00 seconds" (a message quoting the words is not Lambda's).
EXIT_ERROR = re.compile(r"^(?:RequestId: \S+\s+)?(?:Error: )?Runtime exited with error: ([^\n]+)")
TIMED_OUT = re.compile(r"^(?:\d{4}-\d\d-\d\dT[\d:.]+Z?\s+)?(?:RequestId: )?(?:[0-9a-fA-F-]{36}\s+)?(?:Error: )?"
                       r"Task timed out after ([\d.]+) seconds")
PLATFORM_TYPE = re.compile(r'"type"\s*:\s*"platform\.(\w+)"')
SUCCESS = re.compile(r'"status"\s*:\s*"success"')
# The cheap gate: a line with none of these is an ordinary application line (most lines are).
# Lines starting with these may be Lambda's own (START, REPORT, END, INIT_*, JSON records).
HEADS = frozenset("SREI{")


def _suspect(text: str) -> bool:
    """Every failure marker contains one of these ("Invoke Error", "heap out of memory" included)."""
    return ("rror" in text or "RROR" in text or "xception" in text or "timed out" in text or "signal:" in text
            or "emory" in text or "panic:" in text)


@dataclass(frozen=True, slots=True)
class Signal:
    """What one line says. ``kind``: start, report, oom, init, timeout or crash."""

    kind: str
    request_id: str = ""
    detail: str = ""


START = "start"
REPORT = "report"


def _rid(text: str) -> str:
    found = REQUEST_ID.search(text)
    return found.group(0) if found else ""


def shown_type(error_type: str) -> str:
    """An error type as a person reads it: Ruby's Function<TypeError> is a TypeError."""
    ruby = RUBY_TYPE.match(error_type)
    return ruby.group(2) if ruby else error_type


def _class_of_type(error_type: str, family: str = ANY_RUNTIME) -> str:
    ruby = RUBY_TYPE.match(error_type)
    if ruby is not None:
        if ruby.group(1) == "Init":
            return "init"  # raised while loading the handler: the init phase failed
        error_type = ruby.group(2)
    owner = OOM_TYPES.get(error_type)
    if owner is not None and (not owner or not family or owner == family):
        return "oom"
    if error_type in INIT_TYPES:
        return "init"
    if error_type in TIMEOUT_TYPES:
        return "timeout"
    return "crash"


def _platform_json(data: dict) -> Signal | None:
    kind = data.get("type")
    record = data.get("record") if isinstance(data.get("record"), dict) else {}
    rid = str(record.get("requestId") or "")
    status = str(record.get("status") or "")
    error_type = str(record.get("errorType") or "")
    if kind == "platform.start":
        return Signal(START, rid)
    if kind == "platform.report":
        return Signal(REPORT, rid)
    if kind == "platform.initReport":
        if status in FAILED_STATUSES:
            return Signal("init", "", f"init {status}" + (f" ({error_type})" if error_type else ""))
        return None
    if kind == "platform.runtimeDone" and status in FAILED_STATUSES:
        if status == "timeout":
            return Signal("timeout", rid, "status timeout")
        return Signal(_class_of_type(error_type), rid, error_type or f"status {status}")
    return None


def _json_line(text: str, family: str = ANY_RUNTIME) -> Signal | None:
    platform = PLATFORM_TYPE.search(text, 0, 200) if '"platform.' in text else None
    if platform is not None:
        kind = platform.group(1)
        # The records of every invocation are recognised without parsing them: START's request ID is
        # the one ID in it, REPORT is parsed once by its reader, a successful runtimeDone says nothing.
        if kind == "start":
            return Signal(START, _rid(text))
        if kind == "report":
            return Signal(REPORT)
        if kind in ("runtimeDone", "initReport") and not SUCCESS.search(text):
            try:
                data = json.loads(text)
            except ValueError:
                return None
            return _platform_json(data) if isinstance(data, dict) else None
        return None
    if '"errorType"' in text:  # the error document every runtime logs for an unhandled error
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            level = str(data.get("level") or data.get("log_level") or data.get("levelname") or "").upper()
            if level in JSON_LEVELS_BELOW_ERROR:
                return None  # an application record below ERROR: whatever it names, nothing failed
            inner = data.get("message") if isinstance(data.get("message"), dict) else data
            error_type = str(inner.get("errorType") or data.get("errorType") or "")
            rid = str(data.get("requestId") or data.get("AWSRequestId") or inner.get("requestId") or "")
            if error_type:
                return Signal(_class_of_type(error_type, family), rid or _rid(text), shown_type(error_type))
    return _markers(text, family) if _suspect(text) else None


def _writes(family: str, owner: str) -> bool:
    """Whether a function of runtime ``family`` writes ``owner``'s error records (any, when unknown)."""
    return not family or family == owner


def _markers(text: str, family: str = ANY_RUNTIME) -> Signal | None:
    """Failure markers in a line that is not a platform record (the slow path, for suspect lines).

    Each marker counts only in the record that writes it when an invocation fails: Lambda's own
    lines, or the function's runtime's error format (``family``, "" when unknown)."""
    if BELOW_ERROR.match(text):
        return None
    kind = oom_kind(text.lstrip(), family)
    if kind is not None:
        return Signal("oom", _rid(text), kind)
    if (timed := TIMED_OUT.search(text)) is not None:
        return Signal("timeout", _rid(text), f"Task timed out after {timed.group(1)} seconds")
    if (exited := EXIT_ERROR.search(text)) is not None:
        return Signal("crash", _rid(text), f"Runtime.ExitError ({exited.group(1).strip()})")
    if _writes(family, "ruby") and (ruby := _ruby(text, family)) is not None:
        return ruby
    if _writes(family, "node") and NODE_UNHANDLED.search(text) and (found := ERROR_TYPE_JSON.search(text)):
        return Signal(_class_of_type(found.group(1), family), _rid(text), found.group(1))
    if _writes(family, "python") and text.startswith("[ERROR] ") and (py := PYTHON_ERROR.match(text)) and (
            "Traceback (most recent call last)" in text or py.group(1) in INIT_TYPES):
        return Signal(_class_of_type(py.group(1), family), _rid(text), py.group(1))
    for error_type in INIT_TYPES:
        if error_type in text:
            return Signal("init", _rid(text), error_type)
    if _writes(family, "dotnet") and "\tfail\t" in text and (net := DOTNET_FAIL.search(text)) is not None:
        return Signal("crash", _rid(text), net.group(1))
    if _writes(family, "java") and "\tat " in text and (java := JAVA_UNHANDLED.match(text)) is not None:
        return Signal(_class_of_type(java.group(1), family), _rid(text), java.group(1))
    if _writes(family, "custom") and text.startswith("panic: "):
        return Signal("crash", _rid(text), "Go panic: " + text[7:].split("\n", 1)[0][:80])
    return None


def _ruby(text: str, family: str) -> Signal | None:
    """Ruby's runtime records of an unhandled error: its message (with the error document when both came as
    one event), or the document's errorType line when each line came as its own event."""
    if (message := RUBY_UNHANDLED.match(text)) is not None:
        found = ERROR_TYPE_JSON.search(text)
        if found is not None:
            return Signal(_class_of_type(found.group(1), family), _rid(text), shown_type(found.group(1)))
        return Signal("init" if message.group(1) else "crash", _rid(text), RUBY_GENERIC)
    if '"errorType"' in text and (line := RUBY_TYPE_LINE.match(text)) is not None:
        return Signal(_class_of_type(line.group(1), family), "", shown_type(line.group(1)))
    return None


def classify_line(text: str, runtime: str = ANY_RUNTIME) -> Signal | None:
    """What one log line says about its invocation, or None for an ordinary line (``runtime``: the
    function's Runtime setting, whose error formats count; every runtime's when unknown)."""
    return _classify(text, runtime_family(runtime))


def _classify(text: str, family: str) -> Signal | None:
    first = text[:1]
    if first == "S" and text.startswith("START RequestId: "):
        return Signal(START, text[17:].split(None, 1)[0] if len(text) > 17 else "")
    if first == "R" and text.startswith("REPORT RequestId: "):
        return Signal(REPORT, text[18:].split(None, 1)[0] if len(text) > 18 else "")
    if first == "E" and text.startswith("END RequestId: "):
        return None
    if first == "I" and text.startswith("INIT_"):
        if text.startswith("INIT_REPORT") and (status := STATUS.search(text)) and status.group(1) in FAILED_STATUSES:
            error = ERROR_TYPE_TEXT.search(text)
            return Signal("init", "", f"init {status.group(1)}" + (f" ({error.group(1)})" if error else ""))
        return None
    if first == "{":
        return _json_line(text, family)
    return _markers(text, family) if _suspect(text) else None


# --- per request -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FailedRequest:
    """One request that failed, counted once however many times it was retried."""

    request_id: str
    cls: str
    detail: str
    at: datetime
    stream: str
    line: str
    before: tuple[str, ...] = ()
    before_at: tuple[datetime, ...] = ()  # when each line of ``before`` was written
    report_line: str = ""  # the attempt's REPORT line, when ``line`` is another one (Max Memory Used, Status)
    report_at: datetime | None = None
    attempts: int = 1
    failed_attempts: int = 1
    recovered: bool = False
    duration_ms: float | None = None
    max_memory_used_mb: int | None = None
    memory_size_mb: int | None = None


@dataclass
class _Attempt:
    signals: list[tuple[Signal, LogLine]] = field(default_factory=list)
    before: tuple[LogLine, ...] = ()


@dataclass
class _Request:
    request_id: str
    stream: str
    skipped: int = 0  # successful attempts counted before the request got a record
    # (class, detail, the line that shows it, the lines before, the REPORT read, the REPORT line)
    outcomes: list[tuple[str | None, str, LogLine | None, tuple[LogLine, ...], Invocation | None,
                         LogLine | None]] = field(
        default_factory=list)
    open: _Attempt = field(default_factory=_Attempt)


def cut_line(text: str, most: int = LINE_CHARS) -> str:
    """A log line on one line, at most ``most`` characters, ended at a word boundary when it is longer."""
    return shorten(text, most)


def _decide(signals: list[tuple[Signal, LogLine]], report: Invocation | None) -> tuple[str | None, str, LogLine | None]:
    """The class of one attempt, the detail that decided it and the line that shows it."""
    by_kind: dict[str, tuple[Signal, LogLine]] = {}
    for signal, line in signals:
        known = by_kind.get(signal.kind)
        if known is None:
            by_kind[signal.kind] = (signal, line)
        elif known[0].detail == RUBY_GENERIC:
            # Ruby's message came first and its error document's type after it: the type, on the message's line.
            by_kind[signal.kind] = (signal, known[1])
    status = report.status if report else ""
    error_type = report.error_type if report else ""
    if status == "success":
        return None, "", None  # Lambda's own record of the attempt says it succeeded, whatever was logged
    at_limit = report is not None and report.memory_size_mb and report.max_memory_used_mb >= report.memory_size_mb
    if "oom" in by_kind:
        return OUT_OF_MEMORY, by_kind["oom"][0].detail, by_kind["oom"][1]
    if error_type == "Runtime.OutOfMemory" or (status in ("error", "failure") and at_limit):
        return OUT_OF_MEMORY, "memory limit reached" + (f" ({error_type})" if error_type else ""), None
    if "init" in by_kind:
        return INIT_FAILURE, by_kind["init"][0].detail, by_kind["init"][1]
    if error_type in INIT_TYPES:
        return INIT_FAILURE, error_type, None
    if report is not None and (report.init_ms or 0) >= INIT_LIMIT_MS and status in FAILED_STATUSES:
        return INIT_FAILURE, f"init over {INIT_LIMIT_MS // 1000} s ({report.init_ms:.0f} ms)", None
    if "timeout" in by_kind:
        return TIMEOUT, by_kind["timeout"][0].detail, by_kind["timeout"][1]
    if status == "timeout" or error_type in TIMEOUT_TYPES:
        return TIMEOUT, "status timeout", None
    if "crash" in by_kind:
        return CRASH, by_kind["crash"][0].detail, by_kind["crash"][1]
    if status in ("error", "failure"):
        return CRASH, error_type or f"status {status}", None
    return None, "", None


@dataclass(frozen=True)
class FailureReport:
    """Every failed request of the lines read, and how many requests and attempts there were."""

    failed: tuple[FailedRequest, ...]
    requests: int
    attempts: int
    environment_failures: tuple[FailedRequest, ...] = ()  # init failures no request was tied to

    def by_class(self) -> dict[str, list[FailedRequest]]:
        out: dict[str, list[FailedRequest]] = {}
        for request in self.failed:
            out.setdefault(request.cls, []).append(request)
        return out

    def counts(self) -> dict[str, int]:
        counted = Counter(r.cls for r in self.failed)
        return {cls: counted[cls] for cls in CLASSES if counted[cls]}

    @property
    def dominant(self) -> str | None:
        counts = self.counts()
        if not counts:
            return None
        # Most failures first; on a tie, the order of CLASSES (memory before the rest).
        return max(counts, key=lambda c: (counts[c], -CLASSES.index(c)))

    @property
    def retried(self) -> tuple[FailedRequest, ...]:
        return tuple(r for r in self.failed if r.attempts > 1)


def classify_invocations(lines: Iterable[LogLine], runtime: str = ANY_RUNTIME) -> FailureReport:
    """Tie each line to its request and classify every attempt; lines in time order per stream.

    ``runtime`` (the function's Runtime setting) says whose error formats count: a language's
    out-of-memory error is the function's own only in a function of that language.

    A line without a request ID belongs to the request running on its log stream (one execution
    environment runs one request at a time); before a request starts (the init phase, or a read that
    left out the START lines) it waits for the next request on that stream.

    Most lines are ordinary and most invocations succeed: an ordinary line costs a look at its first
    character and a few substring tests, and a successful REPORT line is counted without parsing it.
    A request gets a record only once something says it failed.
    """
    requests: dict[str, _Request] = {}
    reported: dict[str, int] = {}  # REPORT lines per request ID (an async retry repeats the ID)
    current: dict[str, str] = {}
    pending: dict[str, list[tuple[Signal, LogLine, tuple[LogLine, ...]]]] = {}
    tails: dict[str, deque[LogLine]] = {}
    attempts = 0
    heads = HEADS
    suspect = _suspect
    family = runtime_family(runtime)

    def request_of(rid: str, stream: str) -> _Request:
        request = requests.get(rid)
        if request is None:
            request = requests[rid] = _Request(rid, stream, skipped=reported.get(rid, 0))
        waiting = pending.pop(stream, None)
        if waiting:
            for signal, line, before in waiting:
                if not request.open.signals:
                    request.open.before = before
                request.open.signals.append((signal, line))
        return request

    for line in lines:
        text = line.message
        stream = line.stream
        signal = _classify(text, family) if text[:1] in heads or suspect(text) else None
        if signal is None:
            tail = tails.get(stream)
            if tail is None:
                tail = tails[stream] = deque(maxlen=TAIL)
            tail.append(line)
            continue
        kind = signal.kind
        if kind == START:
            if signal.request_id:
                current[stream] = signal.request_id
                # A request's own lines start here: what the stream wrote before is another request's.
                tails.pop(stream, None)
                if stream in pending:
                    request_of(signal.request_id, stream)
            continue
        if kind == REPORT:
            attempts += 1
            rid = signal.request_id or _rid(text)
            if not rid:
                continue
            request = requests.get(rid)
            if request is None and stream not in pending and not _reports_failure(text):
                reported[rid] = reported.get(rid, 0) + 1  # a success: counted, not parsed
            else:
                request = request_of(rid, stream)
                report = parse_report(line)
                cls, detail, shown = _decide(request.open.signals, report)
                request.outcomes.append((cls, detail, shown or line, request.open.before, report, line))
                request.open = _Attempt()
            if current.get(stream) == rid:
                del current[stream]
            tails.pop(stream, None)
            continue
        tail = tails.get(stream)
        before = tuple(tail) if tail else ()
        rid = signal.request_id or current.get(stream, "")
        if rid:
            request = request_of(rid, stream)
            if not request.open.signals:
                request.open.before = before
            request.open.signals.append((signal, line))
        else:
            pending.setdefault(stream, []).append((signal, line, before))

    for request in requests.values():  # attempts whose REPORT line was not read
        if request.open.signals:
            cls, detail, shown = _decide(request.open.signals, None)
            request.outcomes.append((cls, detail, shown, request.open.before, None, None))
            attempts += 1

    failed = [f for request in requests.values() if (f := _failed(request)) is not None]
    environment = [FailedRequest("", INIT_FAILURE, signal.detail, line.at, stream, cut_line(line.message),
                                 tuple(cut_line(b.message) for b in before), tuple(b.at for b in before))
                   for stream, waiting in pending.items() for signal, line, before in waiting
                   if signal.kind == "init"]
    failed.sort(key=lambda f: (f.at, f.request_id))
    counted = len(reported.keys() | {rid for rid, r in requests.items() if r.outcomes})
    return FailureReport(tuple(failed), counted, attempts, tuple(environment))


OWNER_SPAN = 80  # the runtimes write a line's request ID after its time, well within this many characters


def _own_line(text: str, request_id: str) -> bool:
    """Whether a line may be shown as one of ``request_id``'s own: one whose head names another request ID
    (``<time> <id> ...``, ``RequestId: <id> ...``) is that request's, however close in time."""
    found = REQUEST_ID.search(text, 0, OWNER_SPAN)
    return found is None or not request_id or found.group(0).lower() == request_id.lower()


def _reports_failure(text: str) -> bool:
    """A REPORT line (text or JSON) that records a failure by itself: its status or error type."""
    if text[:1] == "{":
        return SUCCESS.search(text) is None
    return "Status: " in text or "Error Type: " in text


def _failed(request: _Request) -> FailedRequest | None:
    failures = [o for o in request.outcomes if o[0] is not None]
    if not failures:
        return None
    # The class most of its attempts failed with; the last such attempt is the example.
    cls = Counter(o[0] for o in failures).most_common(1)[0][0]
    last = [o for o in failures if o[0] == cls][-1]
    _, detail, shown, before, report, report_line = last
    # Its REPORT line too when it records the failure (Status, Error Type): the one line that shows the limit.
    separate = (report_line is not None and shown is not None and report_line is not shown
                and _reports_failure(report_line.message))
    at = shown.at if shown else (report.at if report else datetime.min)
    kept = [b for b in before if not b.message.startswith(NOISE) and _own_line(b.message, request.request_id)]
    return FailedRequest(
        request_id=request.request_id, cls=str(cls), detail=detail, at=at, stream=request.stream,
        line=cut_line(shown.message) if shown else "",
        before=tuple(cut_line(b.message) for b in kept), before_at=tuple(b.at for b in kept),
        report_line=cut_line(report_line.message) if separate and report_line else "",
        report_at=report_line.at if separate and report_line else None,
        attempts=request.skipped + len(request.outcomes), failed_attempts=len(failures),
        recovered=request.outcomes[-1][0] is None,
        duration_ms=report.duration_ms if report else None,
        max_memory_used_mb=report.max_memory_used_mb if report else None,
        memory_size_mb=report.memory_size_mb if report else None,
    )


def _phase(text: str) -> int:
    """Where a line falls among lines of the same millisecond: START, the function's lines, END, REPORT."""
    head = text[:80]
    if head.startswith(("START RequestId", "INIT_START")) or '"platform.start"' in head or '"platform.init' in head:
        return 0
    if head.startswith("END RequestId") or '"platform.runtimeDone"' in head:
        return 2
    if head.startswith("REPORT RequestId") or '"platform.report"' in head:
        return 3
    return 1


def merge_lines(*reads: Iterable[LogLine]) -> list[LogLine]:
    """Lines of several reads of one group, each once, in time order. Lines of one millisecond keep
    the order Lambda writes them in (an error line before its END and REPORT), whichever read they
    came from."""
    seen: dict[tuple[datetime, str, str], LogLine] = {}
    for read in reads:
        for line in read:
            seen.setdefault((line.at, line.stream, line.message), line)
    return sorted(seen.values(), key=lambda line: (line.at, _phase(line.message)))


# The FilterLogEvents pattern that finds every failure marker above (terms with ? are ORed).
FAILURE_TERMS = (
    "Task timed out", "Runtime.", "INIT_REPORT", "[ERROR]", "Invoke Error", "Uncaught Exception",
    "Unhandled Promise Rejection", "errorType", "Status: error", "Status: timeout", "panic:", "fatal error",
    "Exception", "platform.initReport", "\tfail\t", "Error raised from handler", "Critical exception from handler",
    "Init error when loading handler",
    *(marker for marker, _ in OOM_MARKERS if marker not in ("Runtime.OutOfMemory", "Reached heap limit")),
)
FAILURE_FILTER = " ".join(f'?"{term}"' for term in FAILURE_TERMS if "\t" not in term)


def _insights_escape(term: str) -> str:
    return re.sub(r"([.\[\](){}|*+?^$\\/])", r"\\\1", term)


# The Logs Insights query for the same markers, with the JSON records' failed statuses, oldest first.
FAILURE_QUERY = (
    "fields @timestamp, @message, @logStream\n"
    "| filter @message like /" + "|".join(_insights_escape(t) for t in FAILURE_TERMS if "\t" not in t)
    + '|"status": ?"(error|failure|timeout)"/\n'
    "| sort @timestamp asc\n"
    "| limit 10000"
)
