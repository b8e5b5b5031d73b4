"""The failure classifier over real-format log lines of every runtime, in the text and JSON log formats.

Formats as Lambda and the runtimes write them (anonymised): the platform lines and records from
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html and
https://docs.aws.amazon.com/lambda/latest/dg/telemetry-schema-reference.html; the error documents
and frames from each runtime's "function errors" page (python-exceptions, nodejs-exceptions,
java-exceptions, csharp-exceptions, golang-exceptions).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.awslambda.failure_findings import describe_failures, downstream_host, failure_findings
from diagnostics.awslambda.failures import (
    CRASH,
    INIT_FAILURE,
    OUT_OF_MEMORY,
    TIMEOUT,
    classify_invocations,
    classify_line,
    merge_lines,
)
from diagnostics.awslambda.memory import FunctionMemory, LogLine, parse_report

RID = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
OTHER = "0f9e8d7c-6b5a-4c3d-9e1f-a0b1c2d3e4f5"
T0 = datetime(2026, 11, 29, 21, 0, tzinfo=UTC)
STREAM = "2026/11/29/[$LATEST]0123456789abcdef0123456789abcdef"
FN = FunctionMemory("orders", "arn:aws:lambda:us-east-1:123456789012:function:orders", 512, timeout_s=3,
                    runtime="python3.12")


def text_report(used: int = 80, size: int = 512, duration: float = 412.3, tail: str = "", rid: str = RID) -> str:
    return (f"REPORT RequestId: {rid}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
            f"Memory Size: {size} MB\tMax Memory Used: {used} MB\t{tail}")


def json_record(kind: str, record: dict) -> str:
    return json.dumps({"time": "2026-11-29T21:00:01.000Z", "type": kind, "record": record})


def json_report(status: str = "success", error_type: str = "", used: int = 80, size: int = 512,
                duration: float = 412.3) -> str:
    record = {"requestId": RID, "metrics": {"durationMs": duration, "billedDurationMs": int(duration) + 1,
                                            "memorySizeMB": size, "maxMemoryUsedMB": used}, "status": status}
    if error_type:
        record["errorType"] = error_type
    return json_record("platform.report", record)


TEXT_START = f"START RequestId: {RID} Version: $LATEST"
TEXT_END = f"END RequestId: {RID}"
JSON_START = json_record("platform.start", {"requestId": RID, "version": "$LATEST"})


def text(*middle: str, tail: str = "", used: int = 80, size: int = 512) -> list[str]:
    return [TEXT_START, *middle, TEXT_END, text_report(used, size, tail=tail)]


def as_json(*middle: str, status: str = "success", error_type: str = "", used: int = 80) -> list[str]:
    return [JSON_START, *middle, json_report(status, error_type, used)]


def node_frame(kind: str, error_type: str, message: str, rid: str = RID) -> str:
    document = json.dumps({"errorType": error_type, "errorMessage": message,
                           "stack": [f"{error_type}: {message}", "    at Runtime.handler (file:///var/task/index.mjs:3:25)"]},
                          separators=(",", ":"))
    return f"2026-11-29T21:00:00.123Z\t{rid}\tERROR\t{kind} \t{document}"


# https://docs.aws.amazon.com/lambda/latest/dg/ruby-exceptions.html, as JSON.pretty_unparse writes it.
RUBY_DOCUMENT = json.dumps({"errorMessage": "no implicit conversion of String into Integer",
                            "errorType": "Function<TypeError>",
                            "stackTrace": ["/var/task/function.rb:3:in `first'",
                                           "/var/task/function.rb:3:in `handler'"]},
                           indent=2)

CASES = [
    # --- Python, text ---
    ("python text: killed at the limit", text(
        f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
        tail="Status: error\tError Type: Runtime.OutOfMemory", used=512), OUT_OF_MEMORY, "signal: killed"),
    ("python text: MemoryError", text(
        "[ERROR] MemoryError\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 9, in handler\n"
        "    data = bytearray(10**10)"), OUT_OF_MEMORY, "MemoryError"),
    ("python text: timeout", text(
        f"2026-11-29T21:00:03.021Z {RID} Task timed out after 3.00 seconds", tail="Status: timeout"),
     TIMEOUT, "Task timed out after 3.00 seconds"),
    ("python text: missing module", [
        "INIT_START Runtime Version: python:3.12.v38\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:0abc",
        "[ERROR] Runtime.ImportModuleError: Unable to import module 'lambda_function': No module named 'requests'\n"
        "Traceback (most recent call last):",
        "INIT_REPORT Init Duration: 251.52 ms\tPhase: init\tStatus: error\tError Type: Runtime.ImportModuleError",
        TEXT_START,
        "INIT_REPORT Init Duration: 1187.04 ms\tPhase: invoke\tStatus: error\tError Type: Runtime.ImportModuleError",
        TEXT_END, text_report(tail="Status: error\tError Type: Runtime.ImportModuleError")],
     INIT_FAILURE, "Runtime.ImportModuleError"),
    ("python text: handler not found", text(
        "[ERROR] Runtime.HandlerNotFound: Handler 'handler' missing on module 'app'\nTraceback (most recent call "
        "last):"), INIT_FAILURE, "Runtime.HandlerNotFound"),
    ("python text: unhandled KeyError", text(
        "LAMBDA_WARNING: Unhandled exception. The most likely cause is an issue in the function code.",
        "[ERROR] KeyError: 'order_id'\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 12, "
        "in handler\n    order = event['order_id']"), CRASH, "KeyError"),
    ("python text: a logged error is not a failure", text(
        f"[ERROR]\t2026-11-29T21:00:00.100Z\t{RID}\tDatabase: connection refused, retrying"), None, ""),
    # --- Python, JSON ---
    ("python json: unhandled KeyError", as_json(json.dumps(
        {"timestamp": "2026-11-29T21:00:00Z", "level": "ERROR", "errorMessage": "'order_id'", "errorType": "KeyError",
         "requestId": RID, "stackTrace": ["  File \"/var/task/app.py\", line 12, in handler\n"]}),
        status="error", error_type="KeyError"), CRASH, "KeyError"),
    ("python json: timeout", as_json(
        json_record("platform.runtimeDone", {"requestId": RID, "status": "timeout"}), status="timeout"),
     TIMEOUT, "timeout"),
    ("python json: init error", [
        json_record("platform.initStart", {"initializationType": "on-demand", "phase": "init"}),
        json_record("platform.initReport", {"initializationType": "on-demand", "phase": "init", "status": "error",
                                            "errorType": "Runtime.ImportModuleError",
                                            "metrics": {"durationMs": 251.5}}),
        JSON_START, json_report("error", "Runtime.ImportModuleError")], INIT_FAILURE, "Runtime.ImportModuleError"),
    ("python json: out of memory", as_json(status="error", error_type="Runtime.OutOfMemory", used=512),
     OUT_OF_MEMORY, "Runtime.OutOfMemory"),
    ("python json: healthy", as_json(json.dumps({"timestamp": "2026-11-29T21:00:00Z", "level": "INFO",
                                                 "message": "order 42 stored", "requestId": RID})), None, ""),
    # --- Node.js, text ---
    ("node text: TypeError", text(node_frame("Invoke Error", "TypeError",
                                             "Cannot read properties of undefined (reading 'id')")),
     CRASH, "TypeError"),
    ("node text: heap exhausted", text(
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        f"RequestId: {RID} Error: Runtime exited with error: signal: aborted (core dumped)\nRuntime.ExitError",
        tail="Status: error\tError Type: Runtime.ExitError"), OUT_OF_MEMORY, "Node.js heap"),
    ("node text: missing module at init", [
        node_frame("Uncaught Exception", "Runtime.ImportModuleError", "Error: Cannot find module 'axios'",
                   rid="undefined"),
        "INIT_REPORT Init Duration: 180.20 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError",
        *text(tail="Status: error\tError Type: Runtime.ExitError")], INIT_FAILURE, "Runtime.ImportModuleError"),
    ("node text: unhandled rejection", text(node_frame("Unhandled Promise Rejection",
                                                       "Runtime.UnhandledPromiseRejection", "Error: socket hang up")),
     CRASH, "Runtime.UnhandledPromiseRejection"),
    ("node text: console.error is not a failure", text(
        f"2026-11-29T21:00:00.123Z\t{RID}\tERROR\tpayment declined for order 42"), None, ""),
    # --- Node.js, JSON ---
    ("node json: Invoke Error", as_json(json.dumps(
        {"timestamp": "2026-11-29T21:00:00.123Z", "level": "ERROR", "requestId": RID, "message": "Invoke Error",
         "errorType": "TypeError", "errorMessage": "x is not a function", "stackTrace": ["TypeError: x"]}),
        status="error", error_type="TypeError"), CRASH, "TypeError"),
    # --- Java ---
    ("java text: heap", text(
        "Java heap space: java.lang.OutOfMemoryError\njava.lang.OutOfMemoryError: Java heap space\n\tat "
        "java.base/java.util.Arrays.copyOf(Arrays.java:3537)"), OUT_OF_MEMORY, "Java heap"),
    ("java text: unhandled exception", text(
        "Order 42 has no customer: java.lang.IllegalStateException\njava.lang.IllegalStateException: Order 42 has "
        "no customer\n\tat example.Handler.handleRequest(Handler.java:21)"), CRASH, "java.lang.IllegalStateException"),
    ("java text: timeout", text(f"2026-11-29T21:00:15.021Z {RID} Task timed out after 15.02 seconds"),
     TIMEOUT, "15.02 seconds"),
    ("java json: unhandled exception", as_json(json.dumps(
        {"timestamp": "2026-11-29T21:00:00.123Z", "level": "ERROR", "AWSRequestId": RID,
         "message": {"errorMessage": "Order 42 has no customer", "errorType": "java.lang.IllegalStateException",
                     "stackTrace": ["example.Handler.handleRequest(Handler.java:21)"]}}),
        status="error", error_type="java.lang.IllegalStateException"), CRASH, "java.lang.IllegalStateException"),
    # --- .NET ---
    ("dotnet text: unhandled exception", text(
        f"2026-11-29T21:00:00.456Z\t{RID}\tfail\tSystem.InvalidOperationException: Sequence contains no elements\n"
        "   at System.Linq.ThrowHelper.ThrowNoElementsException()\n   at Orders.Function.FunctionHandler(Order "
        "input, ILambdaContext context) in /src/Function.cs:line 27"), CRASH, "System.InvalidOperationException"),
    ("dotnet text: out of memory", text(
        f"2026-11-29T21:00:00.456Z\t{RID}\tfail\tSystem.OutOfMemoryException: Exception of type "
        "'System.OutOfMemoryException' was thrown.\n   at Orders.Function.FunctionHandler()"),
     OUT_OF_MEMORY, ".NET out of memory"),
    ("dotnet json: unhandled exception", as_json(json.dumps(
        {"timestamp": "2026-11-29T21:00:00.456Z", "level": "Error", "requestId": RID,
         "message": "Sequence contains no elements", "errorType": "System.InvalidOperationException",
         "errorMessage": "Sequence contains no elements"}), status="error",
        error_type="System.InvalidOperationException"), CRASH, "System.InvalidOperationException"),
    # --- Go / custom runtime (provided.al2023) ---
    ("go text: panic", text(
        "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation "
        "violation code=0x1 addr=0x0 pc=0x6b5c2a]\n\ngoroutine 1 [running]:",
        f"RequestId: {RID} Error: Runtime exited with error: exit status 2\nRuntime.ExitError",
        tail="Status: error\tError Type: Runtime.ExitError"), CRASH, "Go panic"),
    ("go text: error document", text(json.dumps({"errorMessage": "order 42 not found", "errorType": "errorString"})),
     CRASH, "errorString"),
    ("go text: runtime out of memory", text(
        "fatal error: runtime: out of memory\n\nruntime stack:",
        f"RequestId: {RID} Error: Runtime exited with error: exit status 2\nRuntime.ExitError"),
     OUT_OF_MEMORY, "Go runtime"),
    ("custom text: init timeout", [
        "INIT_REPORT Init Duration: 10000.12 ms\tPhase: init\tStatus: timeout", *text()], INIT_FAILURE, "init timeout"),
    ("custom text: init over 10 s", text(tail="Init Duration: 10012.40 ms\tStatus: timeout"),
     INIT_FAILURE, "init over 10 s"),
    ("custom text: exit at the memory limit", text(
        f"RequestId: {RID} Error: Runtime exited with error: exit status 137\nRuntime.ExitError",
        tail="Status: error\tError Type: Runtime.ExitError", used=512), OUT_OF_MEMORY, "memory limit"),
    # --- Ruby (aws_lambda_ric): its message, then the error document pretty-printed, as one event or one per line
    ("ruby text: unhandled TypeError, one event", text(
        "Processing event...",
        "Error raised from handler method\n" + RUBY_DOCUMENT), CRASH, "TypeError"),
    ("ruby text: unhandled TypeError, one event per line", text(
        "Processing event...", "Error raised from handler method", *RUBY_DOCUMENT.split("\n")), CRASH, "TypeError"),
    ("ruby text: the error document alone", text(RUBY_DOCUMENT), CRASH, "TypeError"),
    ("ruby text: critical exception", text(
        "Critical exception from handler\n" + RUBY_DOCUMENT.replace("TypeError", "SystemStackError")),
     CRASH, "SystemStackError"),
    ("ruby text: out of memory", text(
        "Error raised from handler method\n" + RUBY_DOCUMENT.replace("TypeError", "NoMemoryError")),
     OUT_OF_MEMORY, "NoMemoryError"),
    ("ruby text: load error at init", [
        "Init error when loading handler function.handler\n" + RUBY_DOCUMENT.replace("Function<TypeError>",
                                                                                   "Init<LoadError>"),
        "INIT_REPORT Init Duration: 402.10 ms\tPhase: init\tStatus: error\tError Type: Runtime.ExitError",
        *text(tail="Status: error\tError Type: Runtime.ExitError")], INIT_FAILURE, "LoadError"),
    ("ruby text: a logged error is not a failure", text(
        f"E, [2026-11-29T21:00:00.123456 #8] ERROR {RID} -- : payment declined for order 42 (NoMethodError)"),
     None, ""),
    ("ruby json: a handled exception logged by Logger is not a failure", as_json(json.dumps(
        {"timestamp": "2026-11-29T21:00:00.123456Z", "level": "ERROR", "message": "undefined method `id' for nil",
         "requestId": RID, "errorType": "NoMethodError", "errorMessage": "undefined method `id' for nil",
         "stackTrace": ["/var/task/function.rb:5:in `handler'"]})), None, ""),
    ("custom text: exit below the limit", text(
        f"RequestId: {RID} Error: Runtime exited with error: exit status 1\nRuntime.ExitError",
        tail="Status: error\tError Type: Runtime.ExitError", used=100), CRASH, "exit status 1"),
]


def test_every_runtime_family_has_its_unhandled_error_in_the_table() -> None:
    """Each runtime Lambda runs (memory.RUNTIME_FAMILIES) has a case of its own unhandled-error format that is
    counted as a crash: a runtime added without one fails here."""
    from diagnostics.awslambda.memory import RUNTIME_FAMILIES

    prefixes = {"python": ("python",), "node": ("node",), "java": ("java",), "dotnet": ("dotnet",),
                "custom": ("go", "custom"), "ruby": ("ruby",)}
    crashes = {name.split()[0] for name, _, cls, _ in CASES if cls == CRASH}
    for _, family in RUNTIME_FAMILIES:
        assert crashes & set(prefixes[family]), family


@pytest.mark.parametrize(("runtime", "counted"), [("ruby3.3", True), ("", True), ("python3.12", False)])
def test_rubys_records_count_only_in_a_ruby_function(runtime: str, counted: bool) -> None:
    report = classify_invocations(lines_of(text("Error raised from handler method", *RUBY_DOCUMENT.split("\n"))),
                                  runtime=runtime)
    assert [(f.cls, f.detail) for f in report.failed] == ([(CRASH, "TypeError")] if counted else [])


def lines_of(messages: list[str], stream: str = STREAM, start: datetime = T0) -> list[LogLine]:
    return [LogLine(start + timedelta(milliseconds=i), m, stream) for i, m in enumerate(messages)]


@pytest.mark.parametrize(("name", "messages", "cls", "detail"), CASES, ids=[c[0] for c in CASES])
def test_classifier_table(name: str, messages: list[str], cls: str | None, detail: str) -> None:
    report = classify_invocations(lines_of(messages))
    assert report.requests == 1
    if cls is None:
        assert report.failed == () and report.environment_failures == ()
        return
    [failed] = report.failed
    assert failed.request_id == RID
    assert failed.cls == cls, failed
    assert detail in failed.detail, failed


@pytest.mark.parametrize("message", [
    "2026-11-29T21:00:00.100Z\tsome application line",
    f"END RequestId: {RID}",
    "INIT_START Runtime Version: nodejs:20.v30",
    "INIT_REPORT Init Duration: 180.20 ms\tPhase: init\tStatus: success",
    json.dumps({"time": "2026-11-29T21:00:00Z", "type": "platform.runtimeDone",
                "record": {"requestId": RID, "status": "success"}}),
    '{"level":"INFO","message":"heap at 40 MB"}',
])
def test_ordinary_lines_say_nothing(message: str) -> None:
    assert classify_line(message) is None


def test_a_retried_request_is_counted_once_and_its_recovery_said() -> None:
    first = text(f"2026-11-29T21:00:03.021Z {RID} Task timed out after 3.00 seconds", tail="Status: timeout")
    report = classify_invocations(lines_of([*first, *text()]))
    [failed] = report.failed
    assert (failed.cls, failed.attempts, failed.failed_attempts, failed.recovered) == (TIMEOUT, 2, 1, True)
    assert report.requests == 1 and report.attempts == 2
    both = classify_invocations(lines_of(first * 3))
    assert [(f.attempts, f.failed_attempts, f.recovered) for f in both.failed] == [(3, 3, False)]
    assert "retried" in describe_failures(both)


def test_lines_without_a_request_id_belong_to_the_request_of_their_stream() -> None:
    other_stream = STREAM.replace("0123", "9999")
    a = lines_of(text("[ERROR] KeyError: 'x'\nTraceback (most recent call last):"), STREAM)
    b = lines_of([m.replace(RID, OTHER) for m in text("2026-11-29T21:00:00Z working fine")], other_stream)
    interleaved = sorted([*a, *b], key=lambda line: line.at)
    report = classify_invocations(interleaved)
    assert [(f.request_id, f.cls) for f in report.failed] == [(RID, CRASH)]
    assert report.requests == 2


def test_a_filtered_read_without_start_lines_ties_errors_to_the_next_report() -> None:
    """FilterLogEvents with the failure pattern returns error lines and REPORT lines, no START."""
    error = LogLine(T0, "[ERROR] ValueError: bad total\nTraceback (most recent call last):", STREAM)
    report_line = LogLine(T0 + timedelta(milliseconds=2), text_report(), STREAM)
    report = classify_invocations(merge_lines([report_line], [error]))
    assert [(f.request_id, f.detail) for f in report.failed] == [(RID, "ValueError")]


def test_merge_keeps_error_lines_before_the_report_of_the_same_millisecond() -> None:
    kill = LogLine(T0, f"RequestId: {RID} Error: Runtime exited with error: signal: killed", STREAM)
    end = LogLine(T0, TEXT_END, STREAM)
    rep = LogLine(T0, text_report(used=512, tail="Status: error\tError Type: Runtime.OutOfMemory"), STREAM)
    merged = merge_lines([rep], [kill, end, rep])
    assert [line.message[:6] for line in merged] == ["Reques", "END Re", "REPORT"]
    assert classify_invocations(merged).attempts == 1


def test_the_last_lines_before_a_failure_are_kept() -> None:
    messages = text("[INFO]\t2026-11-29T21:00:00.000Z\t" + RID + "\tloading order 42",
                    "[INFO]\t2026-11-29T21:00:00.100Z\t" + RID + "\tcalling https://payments.example.com/charge",
                    f"2026-11-29T21:00:03.021Z {RID} Task timed out after 3.00 seconds", tail="Status: timeout")
    report = classify_invocations(lines_of(messages))
    [failed] = report.failed
    assert len(failed.before) == 2 and "payments.example.com" in failed.before[-1]
    assert downstream_host(report.failed) == "payments.example.com"


def test_init_failures_without_a_request_are_kept() -> None:
    report = classify_invocations(lines_of(["INIT_REPORT Init Duration: 10000.12 ms\tPhase: init\tStatus: timeout"]))
    assert report.failed == () and [f.detail for f in report.environment_failures] == ["init timeout"]
    [finding] = failure_findings(FN, report, [], "us-east-1")
    assert finding.code == "LAMBDA_INIT_FAILURE" and "10 s" in finding.summary


def test_the_dominant_class_comes_first_with_counts_and_examples() -> None:
    messages: list[str] = []
    ids = [f"{i:08d}-0000-4000-8000-000000000000" for i in range(5)]
    for n, rid in enumerate(ids):
        if n < 3:
            body = text(f"2026-11-29T21:00:03.021Z {RID} Task timed out after 3.00 seconds", tail="Status: timeout")
        else:
            body = text("[ERROR] KeyError: 'x'\nTraceback (most recent call last):")
        messages += [m.replace(RID, rid) for m in body]
    lines = lines_of(messages)
    report = classify_invocations(lines)
    assert report.counts() == {TIMEOUT: 3, CRASH: 2} and report.dominant == TIMEOUT
    invocations = [i for line in lines if (i := parse_report(line)) is not None]
    findings = failure_findings(FN, report, invocations, "us-east-1")
    assert [f.code for f in findings] == ["LAMBDA_TIMEOUT", "LAMBDA_CRASH"]
    timeout = findings[0]
    assert timeout.evidence["failures_by_class"] == {TIMEOUT: 3, CRASH: 2}
    assert [e["request_id"] for e in timeout.evidence["examples"]] == ids[:3]
    assert "--timeout" in timeout.remediation[0]
    detail = describe_failures(report, throttles=7)
    assert detail.startswith("5 of 5 requests read failed: 3 timed out, 2 crashed.")
    assert "7 throttled" in detail
    # The lead speaks of the failed requests: never "All of them" after "N of M requests read failed".
    assert "Most failed requests (3) timed out" in detail


def test_one_failure_class_is_said_of_the_failures_not_of_every_request() -> None:
    timed_out = text(f"2026-11-29T21:00:03.021Z {RID} Task timed out after 3.00 seconds", tail="Status: timeout")
    detail = describe_failures(classify_invocations(lines_of([*timed_out, *text()])))
    assert "Every failed request timed out" in detail and "All of them" not in detail


@pytest.mark.parametrize(("ok_ms", "before", "primary"), [
    (2900.0, "", "--timeout"),                         # the work needs about the whole timeout: more time
    (600.0, "calling https://api.partner.example.com/v2", "api.partner.example.com"),  # fast runs, one hangs
    (600.0, "", "--timeout"),                          # hangs, but on nothing the logs name
])
def test_the_primary_timeout_fix_follows_the_data(ok_ms: float, before: str, primary: str) -> None:
    messages = [m.replace(RID, OTHER) for m in
                [TEXT_START, TEXT_END, text_report(duration=ok_ms)]]
    middle = ([f"[INFO]\t2026-11-29T21:00:00.000Z\t{RID}\t{before}"] if before else [])
    middle.append(f"2026-11-29T21:00:03.021Z {RID} Task timed out after 3.00 seconds")
    messages += text(*middle, tail="Status: timeout")
    lines = lines_of(messages)
    report = classify_invocations(lines)
    invocations = [i for line in lines if (i := parse_report(line)) is not None]
    [finding] = failure_findings(FN, report, invocations, "us-east-1")
    assert primary in finding.remediation[0]
    assert finding.alternatives and all(f.disrupts for f in finding.alternatives)


def test_a_log_format_switch_inside_the_window_is_read_both_ways() -> None:
    """LoggingConfig changed from Text to JSON mid-window: one stream holds both formats."""
    old = [m.replace(RID, OTHER) for m in text(f"2026-11-29T21:00:03.021Z {RID} Task timed out after 3.00 seconds",
                                               tail="Status: timeout")]
    new = as_json(json_record("platform.runtimeDone", {"requestId": RID, "status": "timeout"}), status="timeout")
    lines = lines_of([*old, *new])
    report = classify_invocations(lines)
    assert sorted(f.request_id for f in report.failed) == sorted([RID, OTHER])
    assert {f.cls for f in report.failed} == {TIMEOUT}
    assert len([line for line in lines if parse_report(line)]) == 2


def test_a_long_log_line_is_cut_at_a_word_boundary() -> None:
    from diagnostics.awslambda.failures import cut_line

    line = "[ERROR] ConnectionError: could not reach orders-db.cluster-abc.us-east-1.rds.amazonaws.com " * 5
    cut = cut_line(line, 160)
    assert len(cut) <= 160 and cut.endswith("…")
    assert line.startswith(cut[:-1]) and line[len(cut) - 1] == " "  # the cut falls between two words
    assert cut_line("short  line\n") == "short line"


# --- a request fails only on evidence that IT failed -------------------------------------------
# Each runtime's own records next to lines that merely quote the same words: an application line below
# ERROR, another language's exception in a message, a logged (handled) error, and Lambda's success
# record. (runtime, lines, the class it must get: None when nothing failed)
TS = "2026-11-29T21:00:00.100Z"
JAVA_UNCAUGHT_OOM = ("Java heap space: java.lang.OutOfMemoryError\njava.lang.OutOfMemoryError: Java heap space\n"
                     "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)\n"
                     "\tat example.Handler.handleRequest(Handler.java:42)")
EVIDENCE_CASES = [
    # Python: the breaker's healthy function (a [WARNING] quoting Java's error, an [INFO] quoting a timeout).
    ("python: WARNING quoting java.lang.OutOfMemoryError", "python3.12", text(
        f"[WARNING]\t{TS}\t{RID}\tdownstream worker reported java.lang.OutOfMemoryError: Java heap space; "
        "retrying on another node",
        f"[INFO]\t{TS}\t{RID}\tpartner said: Task timed out after 3.00 seconds (their side); we used the cached "
        "quote", used=90), None),
    ("python: logger.error quoting MemoryError (tab format, handled)", "python3.12", text(
        f"[ERROR]\t{TS}\t{RID}\tworker 7 raised MemoryError, resubmitted"), None),
    ("python: logger.exception of a handled MemoryError", "python3.12", text(
        f"[ERROR]\t{TS}\t{RID}\tbatch too large\nTraceback (most recent call last):\n  File \"/var/task/app.py\", "
        "line 9, in load\nMemoryError"), None),
    ("python: a Java stack trace in a Python function's log", "python3.12", text(JAVA_UNCAUGHT_OOM), None),
    ("python: its own unhandled MemoryError", "python3.12", text(
        "[ERROR] MemoryError\nTraceback (most recent call last):\n  File \"/var/task/app.py\", line 9, in handler"),
     OUT_OF_MEMORY),
    ("python json: WARNING record with an errorType", "python3.12", as_json(json.dumps(
        {"timestamp": TS, "level": "WARNING", "message": "retrying", "errorType": "MemoryError",
         "requestId": RID})), None),
    ("python json: Lambda's report says success", "python3.12", as_json(json.dumps(
        {"timestamp": TS, "log_level": "ERROR", "errorMessage": "handled", "errorType": "ValueError",
         "requestId": RID, "stackTrace": []})), None),
    # Node.js
    ("node: WARN quoting the V8 heap message", "nodejs20.x", text(
        f"{TS}\t{RID}\tWARN\tworker said FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of "
        "memory"), None),
    ("node: console.error with an errorType document (handled)", "nodejs20.x", text(
        f'{TS}\t{RID}\tERROR\tretrying after {{"errorType":"TypeError","errorMessage":"x"}}'), None),
    ("node: its own heap exhausted", "nodejs20.x", text(
        "FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory",
        f"RequestId: {RID} Error: Runtime exited with error: signal: aborted (core dumped)\nRuntime.ExitError"),
     OUT_OF_MEMORY),
    ("node: a Python MemoryError traceback in a Node.js function", "nodejs20.x", text(
        "[ERROR] MemoryError\nTraceback (most recent call last):"), None),
    # Java
    ("java: log4j WARN quoting OutOfMemoryError", "java17", text(
        f"2026-11-29 21:00:00.100 {RID} WARN  Handler - cache node reported java.lang.OutOfMemoryError"), None),
    ("java: an ERROR line naming it, without the uncaught stack", "java17", text(
        f"{RID} ERROR java.lang.OutOfMemoryError: Java heap space (from the partner's report)"), None),
    ("java: its own uncaught OutOfMemoryError", "java17", text(JAVA_UNCAUGHT_OOM), OUT_OF_MEMORY),
    ("java: the JVM's uncaught error in thread main", "java21", text(
        "Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space\n"
        "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3537)"), OUT_OF_MEMORY),
    # .NET
    (".NET: warn record quoting OutOfMemoryException", "dotnet8", text(
        f"{TS}\t{RID}\twarn\tSystem.OutOfMemoryException seen on node 3, retried"), None),
    (".NET: its own out of memory", "dotnet8", text(
        f"{TS}\t{RID}\tfail\tSystem.OutOfMemoryException: Exception of type 'System.OutOfMemoryException' was "
        "thrown.\n   at Orders.Function.FunctionHandler()"), OUT_OF_MEMORY),
    # Go / custom runtime
    ("go: a log line quoting the runtime's words", "provided.al2023", text(
        f"{TS} worker said: fatal error: runtime: out of memory"), None),
    ("go: its own runtime out of memory", "provided.al2023", text(
        "fatal error: runtime: out of memory\n\nruntime stack:",
        f"RequestId: {RID} Error: Runtime exited with error: exit status 2\nRuntime.ExitError"), OUT_OF_MEMORY),
    # Lambda's own evidence counts whatever the runtime and whatever was logged.
    ("any: REPORT Error Type Runtime.OutOfMemory", "python3.12", text(
        tail="Status: error\tError Type: Runtime.OutOfMemory", used=512), OUT_OF_MEMORY),
    ("any: killed by signal", "java17", text(
        f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError", used=512),
     OUT_OF_MEMORY),
    ("any: an INFO line quoting a kill", "python3.12", text(
        f"[INFO]\t{TS}\t{RID}\tsidecar: Runtime exited with error: signal: killed"), None),
]


@pytest.mark.parametrize(("name", "runtime", "messages", "cls"), EVIDENCE_CASES, ids=[c[0] for c in EVIDENCE_CASES])
def test_a_request_fails_only_on_its_own_evidence(name: str, runtime: str, messages: list[str],
                                                  cls: str | None) -> None:
    report = classify_invocations(lines_of(messages), runtime=runtime)
    assert report.requests == 1
    assert [f.cls for f in report.failed] == ([cls] if cls else []), report.failed


def test_the_healthy_function_of_the_report_has_no_failure_and_no_memory_advice() -> None:
    """Twelve requests of a python3.12 function at 90 MB of 512 MB, each logging the WARNING and INFO lines
    of the breaker's seed (seed_fp.py): none failed, so neither a failure nor a memory finding."""
    messages: list[str] = []
    for n in range(12):
        rid = f"{n:08d}-1111-4222-8333-444455556666"
        messages += [m.replace(RID, rid) for m in EVIDENCE_CASES[0][2]]
    lines = lines_of(messages)
    report = classify_invocations(lines, runtime="python3.12")
    assert report.requests == 12 and report.failed == ()
    assert describe_failures(report).startswith("None of the 12 requests read failed")
    invocations = [i for line in lines if (i := parse_report(line)) is not None]
    assert failure_findings(FN, report, invocations, "us-east-1") == []


def test_errors_lambda_counts_in_a_json_function_that_drops_error_records_fix_the_log_levels() -> None:
    """ApplicationLogLevel FATAL drops the runtime's ERROR record of an unhandled exception
    (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html): the failures Lambda
    counts are then in no log line, and the finding says why and lets them through."""
    from dataclasses import replace

    from diagnostics.awslambda.failure_findings import unexplained_errors_finding

    fn = replace(FN, log_format="JSON", application_log_level="FATAL", system_log_level="INFO")
    finding = unexplained_errors_finding(fn, 12, 0, 24, "us-east-1", invocations=40)
    assert finding.severity == "error" and finding.code == "LAMBDA_ERRORS_NOT_IN_LOGS"
    assert "keeps application records at FATAL only" in finding.summary
    assert finding.remediation == ["aws lambda update-function-configuration --function-name orders --logging-config "
                                   "LogFormat=JSON,ApplicationLogLevel=ERROR,SystemLogLevel=INFO --region us-east-1"]
    assert any("describe-log-streams" in c for c in finding.alternatives[0].commands)
    explained = unexplained_errors_finding(FN, 12, 4, 24, "us-east-1")
    assert explained.severity == "warning" and explained.summary.startswith("8 failures counted by Lambda")


def _crash_with_a_late_line(rid: str, previous: str | None) -> list[str]:
    """A Go crash as the breaker's go-crash logged it: the previous request's 'Runtime exited' line arrives
    after that request's REPORT, before this request's START."""
    late = ([f"2026-11-29T21:00:00.020Z {previous} Error: Runtime exited with error: exit status 2"]
            if previous else [])
    return [*late, f"START RequestId: {rid} Version: $LATEST",
            "panic: runtime error: invalid memory address or nil pointer dereference",
            f"END RequestId: {rid}", text_report(tail="Status: error\tError Type: Runtime.ExitError", rid=rid)]


@pytest.mark.parametrize("json_format", [False, True])
def test_the_lines_before_a_failure_stop_at_its_own_start(json_format: bool) -> None:
    messages = [*_crash_with_a_late_line(OTHER, None), *_crash_with_a_late_line(RID, OTHER)]
    if json_format:
        messages = [json_record("platform.start", {"requestId": m.split()[2], "version": "$LATEST"})
                    if m.startswith("START") else m for m in messages]
    report = classify_invocations(lines_of(messages))
    last = next(f for f in report.failed if f.request_id == RID)
    assert last.before == () and "Before the last one" not in describe_failures(report)


def test_a_line_naming_another_request_is_never_shown_as_this_ones() -> None:
    """Within a request's own lines, one whose head names another request ID (an extension's, a late write) is
    that request's, not context of this failure."""
    messages = text(f"2026-11-29T21:00:00.010Z\t{OTHER}\tINFO\tflushing the other request's batch",
                    f"2026-11-29T21:00:00.011Z\t{RID}\tINFO\tcalling https://payments.example.com/charge",
                    "[INFO]\tno request id on this line",
                    f"2026-11-29T21:00:03.021Z {RID} Task timed out after 3.00 seconds", tail="Status: timeout")
    [failed] = classify_invocations(lines_of(messages)).failed
    assert all(OTHER not in line for line in failed.before) and len(failed.before) == 2
