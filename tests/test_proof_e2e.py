"""The proof each story points at, end to end on the sandbox: the lines that show a Lambda failure, the series
a throttling or saturation finding rests on, with the values the scenario seeded and the limit it is judged
against; kept by the journal and by `awstriage export --last`."""

from __future__ import annotations

import json
from typing import Any

import pytest

from awstriage.cli import main
from diagnostics.sandbox import load_scenarios
from playbooks.journal import Journal
from playbooks.registry import get_playbook, parse_inputs
from playbooks.runner import run_playbook
from playbooks.workspace import raw_inputs

pytestmark = pytest.mark.sandbox

SCENARIOS = {s.name: s for s in load_scenarios()}


def run(sandbox, name: str, observers=()) -> Any:
    scenario = SCENARIOS[name]
    seeded = sandbox.seed(scenario)
    playbook = get_playbook(scenario.playbook)
    return run_playbook(playbook, parse_inputs(playbook, raw_inputs(seeded.inputs)), sandbox.session(),
                        observers=observers, scenario=name)


def finding(transcript, code: str) -> dict[str, Any]:
    return next(f for f in transcript.findings if f["code"] == code)


def proof(f: dict[str, Any], metric: str | None = None, kind: str = "metric") -> dict[str, Any]:
    return next(p for p in f["proof"] if p["kind"] == kind and (metric is None or p.get("metric") == metric))


def seeded_values(scenario: str, metric: str) -> set[float]:
    """The values a scenario's metric segments hold (constant segments; a ramp's ends)."""
    spec = next(r for r in SCENARIOS[scenario].resources if r.get("type") == "cloudwatch.metric"
                and r.get("metric") == metric)
    out: set[float] = set()
    for segment in spec.get("segments") or [{"value": spec.get("value")}]:
        out |= {float(segment[k]) for k in ("value", "from", "to") if k in segment}
    return out


def test_lambda_timeout_shows_the_timeout_line_the_call_before_it_and_durations_against_the_timeout(
        sandbox, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWSTRIAGE_DATA_DIR", str(tmp_path))
    (tmp_path / "journals").mkdir()
    journal = Journal(tmp_path / "journals" / "20261130T010000000000Z-lambda-oom.jsonl")
    transcript = run(sandbox, "lambda-timeout", observers=[journal])
    journal.close()
    f = finding(transcript, "LAMBDA_TIMEOUT")
    lines = proof(f, kind="log")
    assert lines["log_group"] == "/aws/lambda/partner-sync" and lines["stream"]
    texts = [text for _, text in lines["lines"]]
    assert texts[0].endswith("calling https://api.partner.example.com/v2/orders/sync"), "the line before it"
    assert texts[1].endswith("Task timed out after 3.00 seconds"), texts
    assert texts[2].startswith("REPORT RequestId: ") and "Duration: 3000.00 ms" in texts[2]
    assert texts[2].endswith("Status: timeout")
    assert all(at.endswith("Z") and len(at) == 24 for at, _ in lines["lines"]), "each line with its time"
    durations = proof(f, "Duration")
    values = [v for _, v in durations["points"]]
    assert durations["limit"] == 3000 and durations["limit_label"] == "timeout"
    assert max(values) == 3000.0 and 350 <= min(values) < 900, "the seeded 350-900 ms runs and the timeouts"

    # The journal keeps it, and so does `awstriage export --last`.
    assert main(["export", "--last", "--format", "json"]) == 0
    exported = json.loads(capsys.readouterr().out)
    again = next(x for x in exported["findings"] if x["code"] == "LAMBDA_TIMEOUT")
    assert again["proof"] == f["proof"]
    assert main(["export", "--last", "--format", "text"]) == 0
    assert "Task timed out after 3.00 seconds" in capsys.readouterr().out


def test_lambda_oom_shows_the_kill_line_and_max_memory_used_against_the_memory_size(sandbox) -> None:
    f = finding(run(sandbox, "lambda-oom-killed"), "LAMBDA_OUT_OF_MEMORY")
    *_, kill, report = [text for _, text in proof(f, kind="log")["lines"]]
    assert "Runtime exited with error: signal: killed" in kill
    assert "Memory Size: 256 MB Max Memory Used: 256 MB" in report and "Error Type: Runtime.OutOfMemory" in report
    memory = proof(f, "Max Memory Used")
    assert memory["namespace"] == "REPORT lines" and memory["unit"] == "Megabytes"
    assert memory["limit"] == f["evidence"]["memory_size_mb"] and memory["limit_label"] == "memory size"
    assert max(v for _, v in memory["points"]) == f["evidence"]["peak_memory_used_mb"]


def test_lambda_crash_shows_the_error_and_the_lines_before_it(sandbox) -> None:
    f = finding(run(sandbox, "lambda-crash"), "LAMBDA_CRASH")
    texts = [text for _, text in proof(f, kind="log")["lines"]]
    assert len(texts) == 3 and "KeyError: 'order_id'" in texts[-1]


def test_reserved_concurrency_shows_concurrency_at_the_reservation_and_the_throttles(sandbox) -> None:
    name = "throttling-lambda-reserved"
    f = finding(run(sandbox, name), "LAMBDA_RESERVED_CONCURRENCY")
    concurrency = proof(f, "ConcurrentExecutions")
    assert concurrency["dimensions"] == "FunctionName=thumbnail-resizer" and concurrency["statistic"] == "Maximum"
    assert concurrency["limit"] == 2 and concurrency["limit_label"] == "reserved concurrency"
    assert {v for _, v in concurrency["points"]} == seeded_values(name, "ConcurrentExecutions") == {1.0, 2.0}
    throttles = proof(f, "Throttles")
    assert {v for _, v in throttles["points"]} == seeded_values(name, "Throttles") == {0.0, 14.0}
    assert throttles["period_seconds"] == 60 and throttles["unit"] == "Count"


def test_a_drained_pool_shows_the_account_wide_concurrency_against_the_account_limit(sandbox) -> None:
    f = finding(run(sandbox, "throttling-lambda-pool-drained"), "LAMBDA_ACCOUNT_CONCURRENCY")
    pool = proof(f, "ConcurrentExecutions")
    assert pool["dimensions"] == "" and pool["limit_label"] == "the account's concurrency limit"
    assert pool["limit"] == f["evidence"]["account_concurrency_limit"]
    assert max(v for _, v in pool["points"]) == pool["limit"], "the account-wide series reached the limit"


def test_a_hot_key_shows_the_consumed_capacity_a_second_and_the_throttle_events(sandbox) -> None:
    name = "throttling-dynamodb-hot-key"
    f = finding(run(sandbox, name), "DYNAMODB_HOT_KEY")
    events = proof(f, "WriteThrottleEvents")
    assert {v for _, v in events["points"]} == seeded_values(name, "WriteThrottleEvents")
    consumed = proof(f, "ConsumedWriteCapacityUnits")
    per_minute = seeded_values(name, "ConsumedWriteCapacityUnits")
    assert {v * 60 for _, v in consumed["points"]} == per_minute and consumed["unit"] == "units/s"


def test_t3_credits_show_the_balance_running_out_and_the_cpu_held_at_its_baseline(sandbox) -> None:
    name = "slow-t3-credits-exhausted"
    f = finding(run(sandbox, name), "EC2_CPU_CREDITS_EXHAUSTED")
    credits = proof(f, "CPUCreditBalance")
    values = [v for _, v in credits["points"]]
    assert credits["statistic"] == "Minimum" and credits["limit"] == 0 and values[-1] == 0.0
    assert values[0] == max(seeded_values(name, "CPUCreditBalance")) == 42.0
    cpu = proof(f, "CPUUtilization")
    assert {v for _, v in cpu["points"]} == seeded_values(name, "CPUUtilization") == {65.0, 10.0}
    assert cpu["limit"] == 10 and cpu["limit_label"] == "baseline of t3.micro" and cpu["unit"] == "Percent"


def test_a_function_at_its_timeout_shows_its_duration_against_the_timeout(sandbox) -> None:
    f = finding(run(sandbox, "slow-lambda-timeout"), "LAMBDA_TIMEOUT")
    duration = proof(f, "Duration")
    assert duration["limit"] == 10_000 and duration["limit_label"] == "timeout"
    assert max(v for _, v in duration["points"]) == 10_000


def test_rds_burst_balance_shows_the_balance_and_the_read_latency(sandbox) -> None:
    f = finding(run(sandbox, "slow-rds-burst-balance"), "RDS_BURST_BALANCE_EXHAUSTED")
    assert proof(f, "BurstBalance")["limit"] == 0
    latency = proof(f, "ReadLatency")
    assert latency["limit"] == 0.02 and max(v for _, v in latency["points"]) > 0.02


def test_an_api_offender_shows_its_calls_and_throttles_a_minute_from_cloudtrail(sandbox) -> None:
    f = finding(run(sandbox, "throttling-ec2-poller"), "API_THROTTLING")
    calls, throttled = proof(f, "calls"), proof(f, "throttled calls")
    assert calls["namespace"] == "CloudTrail" and calls["period_seconds"] == 60
    assert "operation=ec2:DescribeInstances" in calls["dimensions"]
    assert sum(v for _, v in calls["points"]) == f["evidence"]["calls_seen"]
    assert sum(v for _, v in throttled["points"]) == f["evidence"]["throttled_calls"]
    assert max(v for _, v in throttled["points"]) == f["evidence"]["peak_throttled_per_minute"]
    assert [at for at, _ in calls["points"]] == [at for at, _ in throttled["points"]], "one minute axis"


# --- a plain moto server (no sandbox code): what a real account without published metrics gives ---------------


def test_on_a_plain_account_the_timeout_proof_comes_from_the_logs_alone(plain_moto) -> None:
    """No AWS/Lambda metric was published: the proof is the REPORT lines and the lines of the last timeout, and no
    CloudWatch series is drawn (none had a datapoint)."""
    from test_lambda_oom_e2e import make_function, put_lines, timeouts
    from test_lambda_oom_e2e import run as run_lambda

    make_function(plain_moto, "slow-sync", memory=512, timeout=3)
    put_lines(plain_moto, "slow-sync", timeouts(3))
    f = finding(run_lambda(plain_moto, "slow-sync"), "LAMBDA_TIMEOUT")
    assert [p["namespace"] for p in f["proof"] if p["kind"] == "metric"] == ["REPORT lines"]
    assert [v for _, v in proof(f, "Duration")["points"]] == [3000.0] * 3
    texts = [text for _, text in proof(f, kind="log")["lines"]]
    assert "calling https://api.partner.example.com/v2" in texts[0] and "Task timed out" in texts[1]
    assert "Status: timeout" in texts[2]


def test_on_a_plain_account_throttles_without_a_concurrency_series_draw_only_the_throttles(plain_moto) -> None:
    from datetime import UTC, datetime, timedelta

    from test_lambda_oom_e2e import make_function

    from playbooks.throttling import PLAYBOOK as THROTTLING

    make_function(plain_moto, "capped")
    plain_moto.client("lambda").put_function_concurrency(FunctionName="capped", ReservedConcurrentExecutions=2)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    plain_moto.client("cloudwatch").put_metric_data(Namespace="AWS/Lambda", MetricData=[
        {"MetricName": "Throttles", "Dimensions": [{"Name": "FunctionName", "Value": "capped"}],
         "Timestamp": now - timedelta(minutes=m), "Value": 9.0, "Unit": "Count"} for m in range(1, 6)])
    transcript = run_playbook(THROTTLING, parse_inputs(THROTTLING, {"function": "capped", "hours": "1"}),
                              plain_moto.session())
    f = next(x for x in transcript.findings if x["code"].startswith("LAMBDA_"))
    assert [p["metric"] for p in f["proof"]] == ["Throttles"], "ConcurrentExecutions had no datapoint: no picture"
    assert [v for _, v in proof(f, "Throttles")["points"]] == [9.0] * 5


def test_cold_starts_show_each_init_duration_from_the_report_lines(sandbox) -> None:
    """CloudWatch has no Init Duration metric: the REPORT lines the finding counted are its proof."""
    transcript = run(sandbox, "slow-lambda-cold-starts")
    init = proof(finding(transcript, "LAMBDA_COLD_STARTS"), "Init Duration")
    cold = finding(transcript, "LAMBDA_COLD_STARTS")["evidence"]["cold_starts"]
    assert init["namespace"] == "REPORT lines" and len(init["points"]) == cold
    assert init["limit"] == 10_000 and init["limit_label"] == "init limit"
