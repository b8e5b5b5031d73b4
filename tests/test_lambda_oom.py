"""The Lambda memory analysis: REPORT lines, out-of-memory markers, the verdict and the recommended size."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.awslambda.failures import FAILURE_FILTER
from diagnostics.awslambda.memory import (
    FunctionMemory,
    Invocation,
    LogLine,
    analyse_memory,
    find_oom,
    function_memory,
    memory_findings,
    oom_kills,
    parse_report,
    recommend_memory,
)
from diagnostics.awslambda.names import function_name_of
from diagnostics.cloudwatch.logs import filter_lines
from playbooks.lambda_oom import lookback_hours

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RID = "8f5c2d1e-1234-4abc-9def-0123456789ab"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:render"
FN = FunctionMemory(name="render", arn=ARN, memory_size_mb=256, timeout_s=30, runtime="python3.12")


def line(message: str, minutes_ago: float = 1) -> LogLine:
    return LogLine(NOW - timedelta(minutes=minutes_ago), message)


def report(used: int, size: int = 256, rid: str = RID, minutes_ago: float = 1, extra: str = "") -> LogLine:
    return line(f"REPORT RequestId: {rid}\tDuration: 1520.35 ms\tBilled Duration: 1521 ms\tMemory Size: "
                f"{size} MB\tMax Memory Used: {used} MB\t{extra}", minutes_ago)


def invocations(*used: int, size: int = 256) -> list[Invocation]:
    return [parse_report(report(u, size, rid=f"{i:08d}-0000-4000-8000-000000000000"))
            for i, u in enumerate(used)]


# --- parsing ---------------------------------------------------------------------------------


def test_parse_text_report() -> None:
    parsed = parse_report(report(180, extra="Init Duration: 412.77 ms\t"))
    assert parsed is not None
    assert (parsed.request_id, parsed.memory_size_mb, parsed.max_memory_used_mb) == (RID, 256, 180)
    assert parsed.duration_ms == pytest.approx(1520.35) and parsed.init_ms == pytest.approx(412.77)
    assert parsed.ratio == pytest.approx(180 / 256)


def test_parse_report_of_a_killed_invocation() -> None:
    parsed = parse_report(report(256, extra="Status: error\tError Type: Runtime.OutOfMemory"))
    assert (parsed.status, parsed.error_type) == ("error", "Runtime.OutOfMemory")


def test_parse_json_platform_report() -> None:
    record = {"time": "2026-03-01T11:59:00Z", "type": "platform.report",
              "record": {"requestId": RID, "status": "success",
                         "metrics": {"durationMs": 12.5, "billedDurationMs": 13, "memorySizeMB": 512,
                                     "maxMemoryUsedMB": 77}}}
    parsed = parse_report(line(json.dumps(record)))
    assert parsed is not None and (parsed.memory_size_mb, parsed.max_memory_used_mb) == (512, 77)


@pytest.mark.parametrize("message", [
    f"START RequestId: {RID} Version: $LATEST",
    f"END RequestId: {RID}",
    "2026-03-01T11:59:00Z\tsome application log line mentioning REPORT",
    json.dumps({"type": "platform.start", "record": {"requestId": RID}}),
    "{not json",
])
def test_other_lines_are_not_reports(message: str) -> None:
    assert parse_report(line(message)) is None


@pytest.mark.parametrize("message, kind", [
    (f"RequestId: {RID} Error: Runtime exited with error: signal: killed\nRuntime.ExitError",
     "signal: killed"),
    (f"2026-03-01T11:59:00.000Z\t{RID}\tERROR\tFATAL ERROR: Reached heap limit Allocation failed - "
     "JavaScript heap out of memory", "Node.js"),
    (f"[ERROR] MemoryError\nTraceback (most recent call last):\nRequestId: {RID}", "Python"),
    (f"Java heap space: java.lang.OutOfMemoryError\njava.lang.OutOfMemoryError: Java heap space\n\tat "
     f"example.Handler.handleRequest(Handler.java:42)\nRequestId: {RID}", "Java"),
    (f"REPORT RequestId: {RID}\tMemory Size: 128 MB\tMax Memory Used: 128 MB\tStatus: error\t"
     "Error Type: Runtime.OutOfMemory", "Runtime.OutOfMemory"),
])
def test_out_of_memory_markers(message: str, kind: str) -> None:
    kill = find_oom(line(message))
    assert kill is not None and kind in kill.kind and kill.request_id == RID


@pytest.mark.parametrize("message", [
    "configured the NoMemoryErrorHandler",
    f"REPORT RequestId: {RID}\tMemory Size: 128 MB\tMax Memory Used: 60 MB",
    "Task timed out after 3.00 seconds",
])
def test_lines_that_are_not_out_of_memory(message: str) -> None:
    assert find_oom(line(message)) is None


def test_one_kill_per_invocation() -> None:
    lines = [line(f"RequestId: {RID} Error: Runtime exited with error: signal: killed", 2),
             report(256, extra="Status: error\tError Type: Runtime.OutOfMemory", minutes_ago=2),
             line("RequestId: 11111111-2222-4333-8444-555555555555 Error: Runtime exited with error: signal: "
                  "killed",
                  1)]
    kills = oom_kills(lines)
    assert [k.request_id for k in kills] == [RID, "11111111-2222-4333-8444-555555555555"]
    assert "Runtime.OutOfMemory" in kills[0].kind  # the most specific marker wins


def test_filter_pattern_ors_every_marker() -> None:
    terms = FAILURE_FILTER.split('" ?"')
    assert FAILURE_FILTER.startswith('?"') and len(terms) >= 10
    for marker in ("Runtime.", "signal: killed", "Task timed out", "INIT_REPORT", "MemoryError", "Invoke Error"):
        assert f'"{marker}"' in FAILURE_FILTER


# --- sizing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("peak, configured, killed, want", [
    (200, 256, False, 320),      # 260 -> next 64 MB step
    (256, 256, True, 384),       # killed: above the configured size
    (60, 1024, False, 128),      # never below Lambda's minimum
    (9000, 10240, True, 10240),  # never above its maximum
    (512, 512, False, 704),
])
def test_recommend_memory(peak: int, configured: int, killed: bool, want: int) -> None:
    assert recommend_memory(peak, configured, killed) == want
    assert want % 64 == 0


# --- verdicts --------------------------------------------------------------------------------


def test_kills_are_an_error_with_the_command() -> None:
    kills = oom_kills([line(f"RequestId: {RID} Error: Runtime exited with error: signal: killed", 30)])
    verdict = analyse_memory(FN, invocations(120, 150, 256), kills)
    [finding] = memory_findings(verdict, "eu-west-1")
    assert (finding.code, finding.severity, finding.resource) == ("LAMBDA_OUT_OF_MEMORY", "error", ARN)
    assert finding.remediation[0] == ("aws lambda update-function-configuration --function-name render "
                                      "--memory-size 384 --region eu-west-1")
    assert finding.evidence["out_of_memory_kills"] == 1 and finding.evidence["request_ids"] == [RID]
    assert finding.evidence["peak_percent_of_memory"] == 100.0


def test_a_report_with_out_of_memory_error_type_counts_without_its_error_line() -> None:
    lines = [report(256, extra="Status: error\tError Type: Runtime.OutOfMemory")]
    verdict = analyse_memory(FN, [parse_report(lines[0])], kills=[])
    assert verdict.killed
    assert [f.code for f in memory_findings(verdict, "us-east-1")] == ["LAMBDA_OUT_OF_MEMORY"]


def test_heap_errors_below_the_limit_mention_the_heap_setting() -> None:
    kills = oom_kills([line(f"Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space\n\tat "
                            f"java.base/java.util.Arrays.copyOf(Arrays.java:3537) {RID}")], runtime="java17")
    verdict = analyse_memory(FN, invocations(140, 150), kills)
    assert verdict.heap_only
    assert "-Xmx" in memory_findings(verdict, "us-east-1")[0].summary


def test_near_the_limit_is_a_warning() -> None:
    verdict = analyse_memory(FN, invocations(100, 120, 240), kills=[])
    [finding] = memory_findings(verdict, "us-east-1")
    assert (finding.code, finding.severity) == ("LAMBDA_MEMORY_NEAR_LIMIT", "warning")
    assert "--memory-size 320" in finding.remediation[0]


def test_plenty_of_room_is_fine() -> None:
    verdict = analyse_memory(FN, invocations(90, 110, 180), kills=[])
    assert not verdict.killed and not verdict.near_limit
    assert memory_findings(verdict, "us-east-1") == []


def test_no_reports_and_no_kills_judges_nothing() -> None:
    verdict = analyse_memory(FN, [], kills=[])
    assert verdict.peak_mb is None and memory_findings(verdict, "us-east-1") == []


def test_at_the_maximum_size_the_fix_is_in_the_code() -> None:
    big = FunctionMemory("etl", ARN, 10240)
    kills = oom_kills([line(f"RequestId: {RID} Error: Runtime exited with error: signal: killed")])
    [finding] = memory_findings(analyse_memory(big, invocations(10240, size=10240), kills), "us-east-1")
    assert not any("update-function-configuration" in line for line in finding.remediation)


def test_configuration_never_keeps_environment_values() -> None:
    config = {"FunctionName": "render", "FunctionArn": ARN, "MemorySize": 256, "Timeout": 30,
              "Runtime": "python3.12", "Environment": {"Variables": {"DB_PASSWORD": "hunter2"}},
              "LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/custom/render"}}
    fn = function_memory(config)
    assert (fn.log_group, fn.log_format) == ("/custom/render", "JSON")
    assert "hunter2" not in repr(fn)
    verdict = analyse_memory(fn, invocations(250), kills=[])
    assert "hunter2" not in json.dumps([f.to_dict() for f in memory_findings(verdict, "us-east-1")])
    assert function_memory({"FunctionName": "x"}).log_group == "/aws/lambda/x"


def test_function_names_from_arns() -> None:
    assert function_name_of(ARN) == "render"
    assert function_name_of(ARN + ":live") == "render"
    assert function_name_of("render") == "render"


def test_lookback_validator() -> None:
    assert lookback_hours("48") == 48
    with pytest.raises(ValueError):
        lookback_hours("10000")



class NoGroup(Exception):
    pass


class FakePages:
    def __init__(self, pages: list[dict] | None) -> None:
        self.pages = pages
        self.resume_token = None

    def __iter__(self):
        if self.pages is None:
            raise NoGroup("no such log group")
        yield from self.pages


class FakeLogs:
    """A CloudWatch Logs client whose FilterLogEvents answers the given pages (None: no such group)."""

    class exceptions:  # shaped like a boto3 client's ``exceptions`` attribute
        ResourceNotFoundException = NoGroup

    def __init__(self, pages: list[dict] | None) -> None:
        self.pages = pages

    def get_paginator(self, name: str):
        assert name == "filter_log_events"
        return self

    def paginate(self, **kwargs) -> FakePages:
        return FakePages(self.pages)


def test_log_reading_is_bounded_and_a_missing_group_is_said() -> None:
    start, end = NOW - timedelta(hours=1), NOW
    empty_pages = [{"events": [], "nextToken": "more"}] * 5
    cut = filter_lines(FakeLogs(empty_pages), "/aws/lambda/x", "REPORT", start, end, limit=100, max_pages=3)
    assert cut.truncated and cut.log_group_exists
    page = {"events": [{"timestamp": NOW.timestamp() * 1000, "message": "REPORT RequestId: x"}]}
    whole = filter_lines(FakeLogs([page]), "/aws/lambda/x", "REPORT", start, end, limit=100)
    assert not whole.truncated and [ln.message for ln in whole.lines] == ["REPORT RequestId: x"]
    missing = filter_lines(FakeLogs(None), "/aws/lambda/x", "REPORT", start, end, limit=100)
    assert not missing.log_group_exists and missing.lines == ()


# --- cost and Compute Optimizer ----------------------------------------------------------------


def test_cost_per_million_by_architecture() -> None:
    from diagnostics.awslambda.cost import cost_per_million

    x86 = cost_per_million(512, 200, "x86_64")
    arm = cost_per_million(512, 200, "arm64")
    # 1e6 x 0.5 GB x 0.2 s x $0.0000166667 + $0.20 of requests
    assert x86.dollars == pytest.approx(0.2 + 1.66667, abs=1e-3)
    assert arm.dollars == pytest.approx(0.2 + 1.33334, abs=1e-3)
    assert "per million invocations at 512 MB" in x86.words()


def test_the_recommendation_carries_its_cost_before_and_after() -> None:
    verdict = analyse_memory(FN, invocations(100, 120, 240), kills=[])
    [finding] = memory_findings(verdict, "us-east-1")
    cost = finding.evidence["cost"]
    assert cost["cost_per_million_after_usd"] > cost["cost_per_million_before_usd"]
    assert "us-east-1" in cost["prices"] and cost["architecture"] == "x86_64"
    assert cost["mean_billed_duration_ms"] == 1521.0


@pytest.mark.parametrize("memory, invocations_read, hours, words", [
    (512, 200, 24, "can also recommend"),
    (4096, 200, 24, "does not analyse functions above"),
    (512, 1, 24 * 14, "too few"),
])
def test_compute_optimizer_note(memory: int, invocations_read: int, hours: int, words: str) -> None:
    from diagnostics.awslambda.cost import compute_optimizer_note

    assert words in compute_optimizer_note(memory, invocations_read, hours)
