"""Logs Insights reads: polling bounded in time and bytes, Insights' time format, the sandbox's filler,
and the FilterLogEvents fallback when Insights is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from diagnostics.awslambda.failures import FAILURE_QUERY
from diagnostics.cloudwatch.logs import InsightsFailed, insights_lines
from diagnostics.sandbox.gaps.logs_insights import apply, filters_of

NOW = datetime(2026, 11, 29, 21, 0, tzinfo=UTC)


class NoGroup(Exception):
    pass


class FakeInsights:
    """Answers ``statuses`` one poll at a time, then the rows."""

    class exceptions:
        ResourceNotFoundException = NoGroup

    def __init__(self, statuses: list[str], rows: list[list[dict]] | None = None, scanned: float = 0.0) -> None:
        self.statuses = statuses
        self.rows = rows or []
        self.scanned = scanned
        self.stopped = False
        self.started: dict = {}

    def start_query(self, **kwargs) -> dict:
        self.started = kwargs
        return {"queryId": "q-1"}

    def get_query_results(self, queryId: str) -> dict:
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {"status": "Cancelled" if self.stopped else status, "results": self.rows,
                "statistics": {"bytesScanned": self.scanned}}

    def stop_query(self, queryId: str) -> dict:
        self.stopped = True
        return {"success": True}


def row(at: str, message: str, stream: str = "s-1") -> list[dict]:
    return [{"field": "@timestamp", "value": at}, {"field": "@message", "value": message},
            {"field": "@logStream", "value": stream}, {"field": "@ptr", "value": "x"}]


def test_a_query_is_polled_until_complete_and_its_rows_become_lines() -> None:
    logs = FakeInsights(["Scheduled", "Running", "Complete"],
                        [row("2026-11-29 20:59:00.250", "Task timed out after 3.00 seconds"),
                         row("1795990586963", "REPORT RequestId: x")])
    slept: list[float] = []
    read = insights_lines(logs, "/aws/lambda/x", FAILURE_QUERY, NOW - timedelta(hours=1), NOW, sleep=slept.append)
    assert len(slept) == 2 and not read.truncated and read.log_group_exists
    assert read.lines[0].at.year == 2026 and read.lines[0].stream == "s-1"
    assert {line.message for line in read.lines} == {"Task timed out after 3.00 seconds", "REPORT RequestId: x"}
    assert logs.started["startTime"] == int((NOW - timedelta(hours=1)).timestamp())


def test_a_query_past_its_bounds_is_stopped_and_says_why() -> None:
    ticks = iter(range(0, 1000, 30))
    logs = FakeInsights(["Running"])
    read = insights_lines(logs, "/aws/lambda/x", "fields @message", NOW - timedelta(hours=1), NOW,
                          sleep=lambda _: None, clock=lambda: next(ticks), max_wait_s=60)
    assert logs.stopped and read.truncated and "longer than 60 s" in read.stopped
    big = FakeInsights(["Running"], scanned=20 * 1024**3)
    read = insights_lines(big, "/aws/lambda/x", "fields @message", NOW - timedelta(hours=1), NOW,
                          sleep=lambda _: None)
    assert big.stopped and "scanned 20.0 GB" in read.stopped


def test_a_failed_query_raises_one_sentence() -> None:
    with pytest.raises(InsightsFailed, match="ended with status Failed"):
        insights_lines(FakeInsights(["Failed"]), "/aws/lambda/x", "fields @message", NOW, NOW, sleep=lambda _: None)


def test_the_sandbox_filler_applies_the_filter_and_insights_time() -> None:
    [pattern] = filters_of(FAILURE_QUERY)
    assert pattern.search("2026-11-29T21:00:03.021Z abc Task timed out after 3.00 seconds")
    assert pattern.search('{"type":"platform.report","record":{"status":"timeout"}}')
    assert not pattern.search("START RequestId: abc Version: $LATEST")
    rows = [{"@timestamp": 1795990586963, "@message": "START RequestId: a"},
            {"@timestamp": 1795990587963, "@message": "RequestId: a Error: Runtime exited with error: signal: killed"}]
    [kept] = apply(rows, FAILURE_QUERY)
    assert kept["@timestamp"] == "2026-11-29 22:16:27.963" and "signal: killed" in kept["@message"]


@pytest.mark.sandbox
def test_refused_insights_falls_back_to_filter_log_events(plain_moto) -> None:
    from test_lambda_oom_e2e import invocation, make_function, put_lines

    from playbooks.lambda_oom import PLAYBOOK
    from playbooks.registry import parse_inputs
    from playbooks.runner import run_playbook

    make_function(plain_moto, "fallback", timeout=3)
    put_lines(plain_moto, "fallback", invocation(1, 10, used=90, duration=3000.0, report_tail="Status: timeout",
                                                 middle=("2026-11-29T21:00:03.000Z {rid} Task timed out after "
                                                         "3.00 seconds",)))
    session = plain_moto.session()

    def refuse(params, **_):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "User: arn:aws:iam::123456789012:"
                                     "user/oncall is not authorized to perform: logs:StartQuery"}}, "StartQuery")

    session.client("logs").meta.events.register("provide-client-params.logs.StartQuery", refuse)
    transcript = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {"function": "fallback", "hours": "1"}), session)
    logs_step = next(s for s in transcript.steps if s.id == "logs")
    assert "Logs Insights was not available" in logs_step.detail and "FilterLogEvents" in logs_step.detail
    assert not logs_step.missing  # the fallback read the same lines: nothing is missing
    assert transcript.verdict == "problem_found"
    assert [f["code"] for f in transcript.findings] == ["LAMBDA_TIMEOUT"]


def test_a_cancelled_run_stops_its_query() -> None:
    logs = FakeInsights(["Running"])
    read = insights_lines(logs, "/aws/lambda/x", "fields @message", NOW - timedelta(hours=1), NOW,
                          sleep=lambda _: None, cancelled=lambda: True)
    assert logs.stopped and read.stopped == "the run was cancelled" and read.truncated


def test_a_cancel_during_a_wait_between_polls_is_seen_within_a_slice() -> None:
    """The waits between polls grow to five seconds; a cancel that comes during one ends it at once."""
    logs = FakeInsights(["Running"])
    slept: list[float] = []
    read = insights_lines(logs, "/aws/lambda/x", "fields @message", NOW - timedelta(hours=1), NOW,
                          sleep=slept.append, cancelled=lambda: sum(slept) >= 0.1)
    assert logs.stopped and read.stopped == "the run was cancelled"
    assert sum(slept) == pytest.approx(0.1)  # not the half second of the first wait
