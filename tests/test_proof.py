"""A finding's proof: the typed shape, its round trip through a transcript, the sparkline over snapshots (empty,
one point, constant, gaps), redaction of the log lines, and every export drawing it. No AWS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from diagnostics.cloudwatch.metrics import Datapoint, MetricSeries
from diagnostics.findings import Finding
from diagnostics.performance.saturation import Ec2Profile, assess, proof_of
from diagnostics.proof import (
    BLOCKS,
    GAP,
    LogProof,
    MetricProof,
    cells,
    log_proof,
    metric_proof,
    proofs_from,
    segments,
    sparkline,
    stats_words,
)
from diagnostics.session import sandbox_session
from diagnostics.throttling.lambda_limits import FunctionLoad, decide_lambda_limit
from playbooks.exporters import to_html, to_json, to_markdown, to_text
from playbooks.journal import Journal, read_journal
from playbooks.model import Playbook, Step, StepOutcome
from playbooks.runner import run_playbook
from playbooks.transcript import Transcript, transcript_from_events

T0 = datetime(2026, 11, 29, 13, 0, tzinfo=UTC)
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def series(values: list[float | None], stat: str = "Sum", period: int = 60, name: str = "Throttles",
           every: int = 1, unit: str = "Count") -> MetricSeries:
    """A series with one datapoint every ``every`` periods; None leaves that period out (a gap)."""
    key = {"Sum": "total", "Maximum": "maximum", "Minimum": "minimum", "Average": "average"}[stat]
    points = tuple(Datapoint(at=T0 + timedelta(seconds=i * period * every), **{key: v})
                   for i, v in enumerate(values) if v is not None)
    return MetricSeries("AWS/Lambda", name, (("FunctionName", "f"),), period, points, unit)


# --- the shape and its round trip ----------------------------------------------------------------------


def test_an_empty_series_gives_no_proof_never_a_line_of_zeros() -> None:
    assert metric_proof(MetricSeries("AWS/Lambda", "Throttles"), "Sum") is None
    assert metric_proof(None, "Sum") is None
    # Datapoints without the statistic asked for are no data either.
    assert metric_proof(series([3.0, 4.0], stat="Maximum"), "Sum") is None


def test_a_series_keeps_its_points_unit_period_and_limit() -> None:
    proof = metric_proof(series([1.0, 2.0, 2.0], stat="Maximum", name="ConcurrentExecutions"), "Maximum", 2,
                         "reserved concurrency")
    assert proof is not None
    assert proof.points == (("2026-11-29T13:00:00Z", 1.0), ("2026-11-29T13:01:00Z", 2.0),
                            ("2026-11-29T13:02:00Z", 2.0))
    assert (proof.namespace, proof.metric, proof.dimensions, proof.statistic, proof.unit, proof.period) == (
        "AWS/Lambda", "ConcurrentExecutions", "FunctionName=f", "Maximum", "Count", 60)
    assert (proof.limit, proof.limit_label) == (2, "reserved concurrency")


def test_the_proof_survives_the_transcripts_json_both_ways() -> None:
    finding = Finding("X", "error", "r", "s", proof=[
        MetricProof("AWS/EC2", "CPUCreditBalance", "InstanceId=i-1", "Minimum", "Count", 300,
                    (("2026-11-29T13:00:00Z", 4.0), ("2026-11-29T13:05:00Z", 0.0)), 0.0, "no credits left"),
        LogProof("/aws/lambda/f", "2026/11/29/[$LATEST]abc", (("2026-11-29T13:00:01.250Z", "Task timed out"),))])
    data = json.loads(json.dumps(finding.to_dict()))
    assert data["proof"][0]["kind"] == "metric" and data["proof"][1]["kind"] == "log"
    assert Finding.from_dict(data) == finding
    assert proofs_from([{"kind": "chart-of-the-future"}, *data["proof"]]) == finding.proof


# --- the sparkline over snapshots ------------------------------------------------------------------------


def test_one_point_is_one_cell() -> None:
    proof = metric_proof(series([7.0]), "Sum")
    assert proof is not None
    assert sparkline(proof) == BLOCKS[-1]
    assert segments(proof) == [[(0.5, 7.0)]]


def test_a_constant_series_is_flat_and_its_height_says_how_much() -> None:
    busy = metric_proof(series([14.0] * 5), "Sum")
    idle = metric_proof(series([0.0] * 5), "Sum")
    assert busy is not None and idle is not None
    assert sparkline(busy) == BLOCKS[-1] * 5, "14 a minute every minute: full bars from 0"
    assert sparkline(idle) == BLOCKS[0] * 5, "real zeros (datapoints that say 0) are drawn low"
    under = metric_proof(series([1.0] * 4, stat="Maximum", name="ConcurrentExecutions"), "Maximum", 2, "reserved")
    assert under is not None and sparkline(under) == BLOCKS[4] * 4, "half way to its limit"


def test_a_gap_in_the_data_stays_a_gap() -> None:
    proof = metric_proof(series([1.0, 2.0, None, None, 8.0]), "Sum")
    assert proof is not None
    line = sparkline(proof)
    assert len(line) == 5 and line[2:4] == GAP * 2 and line[-1] == BLOCKS[-1]
    assert [len(s) for s in segments(proof)] == [2, 1], "the chart's line breaks at the gap"


def test_basic_monitoring_every_5_minutes_is_not_a_gap() -> None:
    proof = metric_proof(series([10.0, 65.0, 65.0], stat="Average", name="CPUUtilization", every=5), "Average")
    assert proof is not None
    assert GAP not in sparkline(proof) and len(sparkline(proof)) == 3
    assert "a datapoint every 5 min" in stats_words(proof)


def test_a_long_series_is_folded_to_the_width_keeping_the_worst_value() -> None:
    peaks = metric_proof(series([0.0] * 99 + [50.0]), "Sum")
    balance = metric_proof(series([40.0] * 99 + [0.0], stat="Minimum", name="CPUCreditBalance"), "Minimum")
    assert peaks is not None and balance is not None
    assert len(sparkline(peaks, 20)) == 20 and sparkline(peaks, 20)[-1] == BLOCKS[-1], "a peak is kept"
    assert cells(balance, 20)[-1] == 0.0, "a balance that ran out is kept at its lowest"


def test_the_words_name_min_max_last_unit_period_and_limit() -> None:
    proof = metric_proof(series([0.0, 1000.0, 3000.0], stat="Maximum", name="Duration", unit="Milliseconds"),
                         "Maximum", 3000, "timeout")
    assert proof is not None
    assert stats_words(proof) == ("min 0 ms, max 3,000 ms, last 3,000 ms; 1 min periods; limit 3,000 ms (timeout)")


# --- analysers attach it only where data was read ----------------------------------------------------------


def test_a_throttled_function_whose_concurrency_series_is_empty_shows_only_its_throttles() -> None:
    fn = FunctionLoad("f", "arn:aws:lambda:us-east-1:123456789012:function:f", throttles=series([0.0, 14.0, 14.0]),
                      concurrency=MetricSeries("AWS/Lambda", "ConcurrentExecutions"), reserved=2)
    decision = decide_lambda_limit(fn, None, "us-east-1")
    [finding] = decision.findings
    assert [p.metric for p in finding.proof] == ["Throttles"], "no empty ConcurrentExecutions drawn as zeros"


def test_saturation_proof_leaves_out_a_series_that_was_not_read() -> None:
    profile = Ec2Profile("i-0abc", "t3.micro", "running", credit_mode="standard")
    credits = series([42.0, 20.0, 0.0, 0.0], stat="Minimum", name="CPUCreditBalance")
    found = assess(profile, {"CPUCreditBalance": credits}, "us-east-1")
    finding = next(f for f in found.findings if f.code == "EC2_CPU_CREDITS_EXHAUSTED")
    assert [(p.metric, p.limit, p.limit_label) for p in finding.proof] == [
        ("CPUCreditBalance", 0.0, "no credits left")], "CPUUtilization was not read: no picture of it"
    assert proof_of("EC2_CPU_CREDITS_EXHAUSTED", profile, {"CPUCreditBalance": MetricSeries("AWS/EC2", "x")}) == []


# --- secrets ------------------------------------------------------------------------------------------------


def test_log_lines_are_redacted_where_they_are_kept() -> None:
    proof = log_proof("/aws/lambda/f", "s", [
        (T0, "starting"),
        (T0, "connecting with aws_secret_access_key=" + SECRET_KEY),
        (T0 + timedelta(seconds=1), "key AKIAIOSFODNN7EXAMPLE in use"),
        (T0 + timedelta(seconds=2), "Task timed out after 3.00 seconds")])
    assert proof is not None
    text = json.dumps(proof.to_dict())
    assert SECRET_KEY not in text and "AKIAIOSFODNN7EXAMPLE" not in text
    assert len(proof.lines) == 3 and proof.lines[-1] == ("2026-11-29T13:00:02.000Z",
                                                         "Task timed out after 3.00 seconds")


def test_the_runner_redacts_proof_that_was_built_unredacted(tmp_path: Path) -> None:
    """The redaction every finding goes through covers the new field: a playbook that put a raw secret in a
    log line (not through log_proof) still journals and exports none."""
    raw = LogProof("/aws/lambda/f", "s", (("", f"password={SECRET_KEY}"),
                                          ("", "token IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ")))

    def run(_ctx) -> StepOutcome:
        return StepOutcome("problem", "found", [Finding("X", "error", "r", "s", proof=[raw])])

    journal = Journal(tmp_path / "run.jsonl")
    playbook = Playbook(name="proof-test", title="t", purpose="p", params=(), steps=(Step("s", "S", "why", run),))
    # Nothing listens at the endpoint: the step never calls AWS.
    transcript = run_playbook(playbook, {}, sandbox_session("http://127.0.0.1:9"), observers=[journal])
    journal.close()
    replayed = transcript_from_events(read_journal(journal.path))
    for t in (transcript, replayed):
        text = json.dumps(t.findings) + to_text(t) + to_markdown(t) + to_html(t) + to_json(t)
        assert SECRET_KEY not in text and "IQoJb3JpZ2luX2VjEJr" not in text
        assert "[REDACTED]" in json.dumps(t.findings[0]["proof"])



# --- exports -----------------------------------------------------------------------------------------------


def _transcript_with_proof() -> Transcript:
    durations = metric_proof(series([400.0, 600.0, None, 3000.0], stat="Maximum", name="Duration",
                                    unit="Milliseconds"), "Maximum", 3000, "timeout")
    lines = log_proof("/aws/lambda/partner-sync", "2026/11/29/[$LATEST]abc", [
        (T0, "calling https://api.partner.example.com/v2/orders/sync"),
        (T0 + timedelta(seconds=3), "Task timed out after 3.00 seconds ```")])
    finding = Finding("LAMBDA_TIMEOUT", "error", "arn:aws:lambda:us-east-1:123456789012:function:partner-sync",
                      "partner-sync timed out.", proof=[p for p in (durations, lines) if p is not None])
    plain = Finding("OTHER", "warning", "r", "nothing to draw")
    return Transcript(playbook="lambda-oom", findings=[finding.to_dict(), plain.to_dict()], truncated=False)


def test_text_and_markdown_draw_the_sparkline_and_quote_the_lines() -> None:
    t = _transcript_with_proof()
    text = to_text(t)
    assert ("\n          ▂▂ █\n"
            "          min 400 ms, max 3,000 ms, last 3,000 ms; 1 min periods; limit 3,000 ms (timeout)\n") in text
    assert "13:00:03.000  Task timed out after 3.00 seconds" in text
    assert text.count("Proof:") == 1, "the finding without proof gets no heading"
    markdown = to_markdown(t)
    assert "`▂▂ █` min 400 ms" in markdown
    assert "  ````text" in markdown, "a line holding ``` cannot close the block"
    assert r"Log lines from /aws/lambda/partner-sync, stream 2026/11/29/\[$LATEST\]abc, 2026-11-29 (UTC)" in markdown


def test_html_draws_a_chart_with_the_limit_dashed_and_axes_labelled() -> None:
    page = to_html(_transcript_with_proof())
    assert page.count('<figure class="proof-chart">') == 1
    chart = page[page.index('<figure class="proof-chart">'):page.index("</figure>")]
    assert chart.count("<polyline") == 1 and chart.count("<circle") == 1, "the gap splits the line"
    assert 'class="limit"' in chart and 'stroke-dasharray' in chart and "limit 3,000 ms (timeout)" in chart
    assert ">3,000 ms</text>" in chart and ">0 ms</text>" in chart and ">13:00 UTC</text>" in chart
    assert '<pre class="log-lines">' in page and "Task timed out after 3.00 seconds" in page


def test_json_keeps_the_data_and_a_journal_replay_keeps_it_too(tmp_path: Path) -> None:
    t = _transcript_with_proof()
    data = json.loads(to_json(t))
    metric, log = data["findings"][0]["proof"]
    assert metric["points"][-1] == ["2026-11-29T13:03:00Z", 3000.0] and metric["limit"] == 3000
    assert log["lines"][0] == ["2026-11-29T13:00:00.000Z", "calling https://api.partner.example.com/v2/orders/sync"]
    assert data["findings"][1]["proof"] == []
