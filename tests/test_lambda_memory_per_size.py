"""Each request is judged against the memory size it ran with: the ``Memory Size`` of its own REPORT line
(text format) or ``memorySizeMB`` of its ``platform.report`` record (JSON format), never the current
configuration. Formats: https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-advanced.html

The breaker's case (N1): three kills at 128 MB, then memory raised to 1024 MB and four healthy requests
peaking at 140 MB. The tool recommended 1344 MB from "140 MB of 1024 MB (100%)".
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from diagnostics.awslambda.memory import (
    FunctionMemory,
    LogLine,
    analyse_memory,
    describe_verdict,
    memory_findings,
    oom_kills,
    parse_report,
)

NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
ARN = "arn:aws:lambda:us-east-1:123456789012:function:raised"


def fn(memory: int) -> FunctionMemory:
    return FunctionMemory(name="raised", arn=ARN, memory_size_mb=memory, timeout_s=3, runtime="python3.12",
                          last_modified="2026-11-30T03:10:00.000+0000")


def rid(n: int) -> str:
    return f"89babf02-aaaa-4bbb-8ccc-{n:012d}"


def text_report(n: int, size: int, used: int, minutes_ago: float, oom: bool = False) -> LogLine:
    tail = "\tStatus: error\tError Type: Runtime.OutOfMemory" if oom else ""
    return LogLine(NOW - timedelta(minutes=minutes_ago),
                   f"REPORT RequestId: {rid(n)}\tDuration: 500.00 ms\tBilled Duration: 501 ms\t"
                   f"Memory Size: {size} MB\tMax Memory Used: {used} MB{tail}")


def json_report(n: int, size: int, used: int, minutes_ago: float, oom: bool = False) -> LogLine:
    record = {"requestId": rid(n), "metrics": {"durationMs": 500.0, "billedDurationMs": 501,
                                               "memorySizeMB": size, "maxMemoryUsedMB": used}}
    record["status"] = "error" if oom else "success"
    if oom:
        record["errorType"] = "Runtime.OutOfMemory"
    at = NOW - timedelta(minutes=minutes_ago)
    return LogLine(at, json.dumps({"time": at.isoformat(), "type": "platform.report", "record": record}))


def breaker_case(make) -> list[LogLine]:
    old = [make(n, 128, 128, 300 - 7 * n, oom=True) for n in range(3)]
    new = [make(10 + n, 1024, 120 + 5 * n, 60 - 7 * n) for n in range(4)]
    return old + new


def verdict_of(lines: list[LogLine], memory: int):
    invocations = [parse_report(line) for line in lines]
    return analyse_memory(fn(memory), [i for i in invocations if i], oom_kills(lines, "python3.12"))


def test_kills_before_a_raise_are_history_and_no_memory_fix_text_and_json() -> None:
    for make in (text_report, json_report):
        verdict = verdict_of(breaker_case(make), 1024)
        assert verdict.settled and not verdict.killed, make.__name__
        assert (verdict.peak_mb, verdict.peak_size_mb, round(verdict.peak_ratio * 100)) == (135, 1024, 13)
        assert verdict.current_invocations == 4 and verdict.earlier_sizes == (128,)
        said = describe_verdict(verdict)
        assert "at 128 MB" in said and "raised to 1024 MB" in said and "4 request(s)" in said
        assert "peak 135 MB of 1024 MB (13%)" in said and "Recommended" not in said
        [finding] = memory_findings(verdict, "us-east-1")
        assert (finding.code, finding.severity) == ("LAMBDA_OOM_BEFORE_MEMORY_RAISED", "warning")
        assert not any("--memory-size" in step for step in finding.remediation)
        assert "recommended_memory_mb" not in finding.evidence and "cost" not in finding.evidence


def test_raised_with_no_request_since_is_unconfirmed_not_a_new_size() -> None:
    lines = [text_report(n, 128, 128, 120 - 7 * n, oom=True) for n in range(3)]
    verdict = verdict_of(lines, 2048)
    assert verdict.settled and verdict.peak_mb is None
    said = describe_verdict(verdict)
    assert "No request has run at 2048 MB" in said and "2688" not in said
    [finding] = memory_findings(verdict, "us-east-1")
    assert finding.severity == "warning" and "--memory-size" not in " ".join(finding.remediation)


def test_a_kill_at_the_current_size_recommends_from_the_peak_at_that_size() -> None:
    lines = [*breaker_case(text_report), text_report(20, 1024, 1024, 5, oom=True)]
    verdict = verdict_of(lines, 1024)
    assert verdict.killed and not verdict.settled
    # Every kill counts, but the size comes from the 1024 MB requests: after a kill, above 1024 MB.
    assert verdict.recommended_mb == 1344 and verdict.peak_size_mb == 1024
    [finding] = memory_findings(verdict, "us-east-1")
    assert finding.code == "LAMBDA_OUT_OF_MEMORY" and "--memory-size 1344" in finding.remediation[0]
    assert "1024 MB of 1024 MB (100%)" in finding.summary


def test_near_the_limit_at_the_current_size_is_judged_at_that_size_only() -> None:
    # Old requests at 128 MB used 120 MB (94% of 128); at 512 MB the same 120 MB is 23%: no warning.
    lines = [text_report(n, 128, 120, 200 - n) for n in range(3)] + [text_report(9, 512, 120, 10)]
    verdict = verdict_of(lines, 512)
    assert not verdict.near_limit and not verdict.settled and memory_findings(verdict, "us-east-1") == []
    assert "120 MB of 512 MB (23%)" in describe_verdict(verdict)


def test_percentages_never_mix_sizes_when_no_request_ran_at_the_current_size() -> None:
    # REPORT lines say 128 MB, the configuration says 256 MB (breaker_b's ruby-crash2): 18 of 128 is 14%.
    lines = [text_report(n, 128, 18, 30 - n) for n in range(3)]
    verdict = verdict_of(lines, 256)
    assert (verdict.peak_mb, verdict.peak_size_mb) == (18, 128)
    assert "18 MB of 128 MB (14%)" in describe_verdict(verdict)


def test_a_kill_whose_report_was_not_read_counts_at_the_current_size() -> None:
    kill = LogLine(NOW - timedelta(minutes=3), f"RequestId: {rid(99)} Error: Runtime exited with error: signal: killed")
    lines = [*breaker_case(text_report), kill]
    verdict = verdict_of(lines, 1024)
    assert verdict.killed and not verdict.settled and len(verdict.kills) == 4


def test_a_raise_that_leaves_the_new_size_near_its_limit_is_sized_from_the_new_size() -> None:
    # Killed at 128 MB, raised to 256 MB, and now 240 of 256 MB (94%): size from 240 MB, keep the history.
    lines = [text_report(n, 128, 128, 200 - n, oom=True) for n in range(2)]
    lines += [text_report(10 + n, 256, 200 + 20 * n, 30 - n) for n in range(3)]
    verdict = verdict_of(lines, 256)
    assert verdict.settled and verdict.near_limit and verdict.recommended_mb == 320
    [finding] = memory_findings(verdict, "us-east-1")
    assert (finding.code, finding.severity) == ("LAMBDA_MEMORY_NEAR_LIMIT", "warning")
    assert "240 MB of 256 MB (94%) in 1 of 3 invocations read at that size" in finding.summary
    assert "2 time(s) at 128 MB" in finding.summary and "--memory-size 320" in finding.remediation[0]
