"""The saturation analysis for EC2, Lambda and RDS, the metric series it reads, and resource naming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.cloudwatch.metrics import Datapoint, MetricSeries, parse_datapoints, period_for
from diagnostics.performance.collect import ResourceRef, classify_resource, metric_plan
from diagnostics.performance.saturation import (
    Ec2Profile,
    LambdaProfile,
    RdsProfile,
    assess,
    baseline_percent,
    next_size,
    rds_memory_gib,
)
from playbooks.slow_performance import performance_resource

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REGION = "eu-west-1"
IID = "i-0123456789abcdef0"


def series(name: str, values: list[float], stat: str = "Average", every: int = 5,
           **other: list[float]) -> MetricSeries:
    """A series of ``values`` (oldest first) one every ``every`` minutes, ending now."""
    keys = {"Average": "average", "Maximum": "maximum", "Minimum": "minimum", "Sum": "total"}
    points = []
    for i, value in enumerate(values):
        fields = {keys[stat]: value}
        for other_stat, others in other.items():
            fields[keys[other_stat]] = others[i]
        points.append(Datapoint(at=NOW - timedelta(minutes=every * (len(values) - 1 - i)), **fields))
    return MetricSeries("AWS/Test", name, (), 60, tuple(points))


def codes(profile, metrics) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in assess(profile, metrics, REGION).findings]


# --- metric series ---------------------------------------------------------------------------


def test_longest_run_counts_consecutive_minutes() -> None:
    s = series("CPUUtilization", [50, 95, 96, 97, 40, 99, 99])
    assert s.longest_run("Average", above=90) == pytest.approx(11)  # three points 5 min apart, plus a period
    assert s.longest_run("Average", below=10) == 0
    gap = MetricSeries("n", "x", (), 60, (Datapoint(NOW - timedelta(hours=2), average=99),
                                          Datapoint(NOW, average=99)))
    assert gap.longest_run("Average", above=90) == pytest.approx(1)  # a hole ends a run


def test_series_statistics_and_summary() -> None:
    s = series("Duration", [100, 300], Maximum=[150, 900])
    assert (s.mean(), s.peak(), s.latest()) == (200, 900, 300)
    assert s.summary()["maximum"] == 900
    assert MetricSeries("n", "empty").summary() == {"datapoints": 0, "period_seconds": 60}


def test_period_keeps_under_the_datapoint_limit() -> None:
    assert period_for(NOW - timedelta(hours=3), NOW) == 60
    assert period_for(NOW - timedelta(days=14), NOW) == 840
    assert period_for(NOW - timedelta(days=14), NOW) * 1440 >= 14 * 86400


def test_parse_datapoints_sorts_and_makes_times_utc() -> None:
    raw = [{"Timestamp": NOW, "Average": 2.0, "Unit": "Percent"},
           {"Timestamp": (NOW - timedelta(minutes=5)).replace(tzinfo=None), "Average": 1.0}]
    points, unit = parse_datapoints(raw)
    assert [p.average for p in points] == [1.0, 2.0] and unit == "Percent"
    assert all(p.at.tzinfo is not None for p in points)


# --- naming the resource ---------------------------------------------------------------------


@pytest.mark.parametrize("text, ref", [
    (IID, ResourceRef("ec2", IID)),
    (f"arn:aws:ec2:eu-west-1:123456789012:instance/{IID}", ResourceRef("ec2", IID)),
    # Every form Lambda's FunctionName takes; $LATEST is the unqualified function (the ARN's region
    # steers the run's session, so the name is what is asked for).
    ("arn:aws:lambda:eu-west-1:123456789012:function:search-api", ResourceRef("lambda", "search-api")),
    ("arn:aws:lambda:eu-west-1:123456789012:function:search-api:$LATEST", ResourceRef("lambda", "search-api")),
    ("arn:aws:lambda:eu-west-1:123456789012:function:search-api:prod", ResourceRef("lambda", "search-api:prod")),
    ("123456789012:function:search-api", ResourceRef("lambda", "search-api")),
    ("search-api:$LATEST", ResourceRef("lambda", "search-api")),
    ("search-api:7", ResourceRef("lambda", "search-api:7")),
    ("lambda:search-api:prod", ResourceRef("lambda", "search-api:prod")),
    ("arn:aws:rds:eu-west-1:123456789012:db:orders-db", ResourceRef("rds", "orders-db")),
    ("orders-db", ResourceRef("lambda-or-rds", "orders-db")),
    ("search_api", ResourceRef("lambda", "search_api")),
    ("rds:orders-db", ResourceRef("rds", "orders-db")),
    ("lambda:orders-db", ResourceRef("lambda", "orders-db")),
])
def test_classify_resource(text: str, ref: ResourceRef) -> None:
    assert classify_resource(text) == ref


@pytest.mark.parametrize("text", ["i_0123!", "not a name!", "rds:bad_name", "ec2:orders", "a" * 70, ""])
def test_classify_rejects_what_names_nothing(text: str) -> None:
    with pytest.raises(ValueError):
        performance_resource(text)


def test_sizes_and_baselines() -> None:
    assert next_size("t3.micro") == "t3.small"
    assert next_size("db.m5.large") == "db.m5.xlarge"
    assert next_size("m5.48xlarge") is None and next_size("weird") is None
    assert baseline_percent("t3.micro") == 10 and baseline_percent("m5.large") is None
    assert rds_memory_gib("db.t3.micro") == 1 and rds_memory_gib("db.r5.2xlarge") == 64
    assert rds_memory_gib("db.x9.whatever") is None


def test_burstable_resources_also_read_their_credits() -> None:
    assert "CPUCreditBalance" in metric_plan(Ec2Profile(IID, "t3.micro", "running", "standard"))[1]
    assert "CPUCreditBalance" not in metric_plan(Ec2Profile(IID, "m5.large", "running"))[1]


# --- EC2 -------------------------------------------------------------------------------------

T3 = Ec2Profile(IID, "t3.micro", "running", credit_mode="standard")


def test_burstable_instance_out_of_credits() -> None:
    metrics = {"CPUUtilization": series("CPUUtilization", [65] * 12 + [10] * 24),
               "CPUCreditBalance": series("CPUCreditBalance", [40 - 3.5 * i for i in range(12)] + [0] * 24,
                                          stat="Minimum")}
    [finding] = assess(T3, metrics, REGION).findings
    assert (finding.code, finding.severity, finding.resource) == ("EC2_CPU_CREDITS_EXHAUSTED", "error", IID)
    assert "10%" in finding.summary  # the flat baseline that looks idle
    assert any("CpuCredits=unlimited" in line for line in finding.remediation)
    # Resizing stops the instance: it is an alternative that says so, never pasted after the primary.
    assert not any("stop-instances" in line for line in finding.remediation)
    [resize] = finding.alternatives
    assert any("--instance-type Value=t3.small" in line for line in resize.commands)
    assert "stops the instance" in resize.disrupts


def test_unlimited_mode_is_not_held_back() -> None:
    unlimited = Ec2Profile(IID, "t3.micro", "running", credit_mode="unlimited")
    metrics = {"CPUUtilization": series("CPUUtilization", [60] * 12),
               "CPUCreditBalance": series("CPUCreditBalance", [0] * 12, stat="Minimum")}
    assert codes(unlimited, metrics) == []


def test_sustained_cpu_is_saturation_a_spike_is_not() -> None:
    m5 = Ec2Profile(IID, "m5.large", "running")
    pinned = {"CPUUtilization": series("CPUUtilization", [40] * 6 + [97] * 6)}
    spike = {"CPUUtilization": series("CPUUtilization", [40, 99, 40, 98, 40, 40])}
    assert codes(m5, pinned) == [("EC2_CPU_SATURATED", "error")]
    finding = assess(m5, pinned, REGION).findings[0]
    assert any("modify-instance-attribute" in line and "m5.xlarge" in line for line in finding.remediation)
    assert any("stop-instances" in line for line in finding.remediation)
    assert codes(m5, spike) == []


def test_status_check_and_ebs_burst() -> None:
    m5 = Ec2Profile(IID, "m5.large", "running")
    metrics = {"CPUUtilization": series("CPUUtilization", [20] * 6),
               "StatusCheckFailed": series("StatusCheckFailed", [0, 0, 1, 0], stat="Maximum"),
               "EBSIOBalance%": series("EBSIOBalance%", [80, 40, 3], stat="Minimum")}
    assert codes(m5, metrics) == [("EC2_STATUS_CHECK_FAILED", "error"),
                                  ("EBS_BURST_BALANCE_EXHAUSTED", "warning")]


def test_healthy_instance() -> None:
    metrics = {"CPUUtilization": series("CPUUtilization", [12, 30, 41, 25] * 9),
               "CPUCreditBalance": series("CPUCreditBalance", [288] * 36, stat="Minimum")}
    result = assess(T3, metrics, REGION)
    assert result.findings == () and result.has_data
    assert not assess(T3, {}, REGION).has_data


# --- Lambda ----------------------------------------------------------------------------------

FN = LambdaProfile("search-api", "arn:aws:lambda:eu-west-1:123456789012:function:search-api", 128, 10)


def duration(maxima: list[float]) -> dict[str, MetricSeries]:
    return {"Duration": series("Duration", [m * 0.6 for m in maxima], Maximum=maxima),
            "Invocations": series("Invocations", [40] * len(maxima), stat="Sum")}


def test_function_hitting_its_timeout() -> None:
    [finding] = assess(FN, duration([6000, 9000, 10000]), REGION).findings
    assert (finding.code, finding.severity, finding.resource) == ("LAMBDA_TIMEOUT", "error", FN.arn)
    assert finding.remediation[-1] == ("aws lambda update-function-configuration --function-name search-api "
                                       "--memory-size 512 --timeout 15 --region eu-west-1")


def test_function_near_its_timeout_is_a_warning() -> None:
    assert codes(FN, duration([6000, 9400])) == [("LAMBDA_DURATION_NEAR_TIMEOUT", "warning")]


def test_fast_function_is_fine_and_throttles_are_named() -> None:
    assert codes(FN, duration([300, 800])) == []
    metrics = {**duration([300]), "Throttles": series("Throttles", [0, 5, 2], stat="Sum")}
    assert codes(FN, metrics) == [("LAMBDA_THROTTLED", "warning")]


# --- RDS -------------------------------------------------------------------------------------

DB = RdsProfile("orders-db", "arn:aws:rds:eu-west-1:123456789012:db:orders-db", "db.m5.large", "postgres",
                "gp2", 100)


def test_gp2_burst_balance_exhausted() -> None:
    metrics = {"CPUUtilization": series("CPUUtilization", [35] * 24),
               "BurstBalance": series("BurstBalance", [100 - 10 * i for i in range(11)] + [0] * 13,
                                      stat="Minimum"),
               "ReadLatency": series("ReadLatency", [0.002] * 10 + [0.045] * 14)}
    [finding] = assess(DB, metrics, REGION).findings  # the latency is the symptom, not a second finding
    assert (finding.code, finding.severity) == ("RDS_BURST_BALANCE_EXHAUSTED", "error")
    assert finding.resource == DB.arn
    assert finding.evidence["baseline_iops"] == 300
    assert any("--storage-type gp3" in line for line in finding.remediation)
    assert not any("--allocated-storage" in line for line in finding.remediation)
    gp3_400, grow = finding.alternatives
    assert "--storage-type gp3 --allocated-storage 400" in gp3_400.commands[0]
    assert "--allocated-storage 200" in grow.commands[0] and "shrunk" in grow.disrupts


def test_slow_storage_without_burst_data_is_latency() -> None:
    metrics = {"CPUUtilization": series("CPUUtilization", [35] * 12),
               "WriteLatency": series("WriteLatency", [0.03] * 12)}
    assert codes(DB, metrics) == [("RDS_HIGH_IO_LATENCY", "warning")]


def test_database_cpu_memory_and_storage() -> None:
    metrics = {"CPUUtilization": series("CPUUtilization", [95] * 12),
               "FreeableMemory": series("FreeableMemory", [300 * 1024**2] * 12, stat="Minimum"),
               "FreeStorageSpace": series("FreeStorageSpace", [2 * 1024**3] * 12, stat="Minimum")}
    assert codes(DB, metrics) == [("RDS_CPU_SATURATED", "error"), ("RDS_LOW_MEMORY", "warning"),
                                  ("RDS_STORAGE_NEARLY_FULL", "warning")]
    finding = assess(DB, metrics, REGION).findings[0]
    assert "--db-instance-class db.m5.xlarge" in finding.remediation[-1]


def test_burstable_database_out_of_credits() -> None:
    t3 = RdsProfile("small-db", "arn:aws:rds:eu-west-1:123456789012:db:small-db", "db.t3.medium", "mysql",
                    "gp3", 50)
    metrics = {"CPUUtilization": series("CPUUtilization", [20] * 12),
               "CPUCreditBalance": series("CPUCreditBalance", [0] * 12, stat="Minimum")}
    assert codes(t3, metrics) == [("RDS_CPU_CREDITS_EXHAUSTED", "error")]


def test_healthy_database() -> None:
    metrics = {"CPUUtilization": series("CPUUtilization", [30, 45, 38] * 8),
               "FreeableMemory": series("FreeableMemory", [3 * 1024**3] * 24, stat="Minimum"),
               "BurstBalance": series("BurstBalance", [100] * 24, stat="Minimum"),
               "ReadLatency": series("ReadLatency", [0.001] * 24)}
    assert codes(DB, metrics) == []


def test_one_unreadable_metric_leaves_the_others_and_is_named() -> None:
    from diagnostics.performance.collect import read_metrics

    class Cloudwatch:
        def get_metric_statistics(self, **kw):
            if kw["MetricName"] == "FreeableMemory":
                raise RuntimeError("AccessDenied")
            return {"Datapoints": [{"Timestamp": NOW, "Average": 40.0, "Maximum": 60.0, "Minimum": 1.0}]}

    missing: list[str] = []

    def read(fact, fetch, default):
        try:
            return fetch()
        except RuntimeError:
            missing.append(fact)
            return default

    metrics = read_metrics(Cloudwatch(), DB, NOW - timedelta(hours=1), NOW, read)
    assert "FreeableMemory" not in metrics and metrics["CPUUtilization"].peak() == 60.0
    assert missing == ["AWS/RDS FreeableMemory of orders-db"]


# --- one near-timeout rule, whichever source gave the durations ---------------------------------

NEAR = LambdaProfile("metrics-only", "arn:aws:lambda:us-east-1:123456789012:function:metrics-only", 128, 3)


def judged_both_ways(durations: list[float]) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The same invocations judged from the Duration metric (one datapoint per invocation: Average and
    Maximum its duration, Invocations 1) and from their REPORT lines."""
    from diagnostics.awslambda.memory import Invocation
    from diagnostics.performance.lambda_logs import log_findings, log_stats

    metrics = {"Duration": series("Duration", durations, Maximum=durations),
               "Invocations": series("Invocations", [1.0] * len(durations), stat="Sum")}
    from_metrics = {(f.code, f.severity) for f in assess(NEAR, metrics, REGION).findings}
    runs = [Invocation(f"r{i}", datetime(2026, 11, 30, tzinfo=UTC), 128, 60, d) for i, d in enumerate(durations)]
    from_logs = {(f.code, f.severity) for f in log_findings(log_stats(runs, 3), NEAR, REGION)}
    return from_metrics, from_logs


@pytest.mark.parametrize(("durations", "want"), [
    ([2500.0] * 4, {("LAMBDA_DURATION_NEAR_TIMEOUT", "error")}),          # the breaker's metrics-only: 83%
    ([150.0] * 27 + [2700.0] * 3, {("LAMBDA_DURATION_NEAR_TIMEOUT", "warning")}),  # a few at 90%
    ([150.0] * 27 + [2500.0] * 3, set()),                                 # a few at 83%: room
    ([400.0] * 10, set()),
])
def test_near_timeout_is_one_rule_for_metrics_and_report_lines(durations: list[float], want: set) -> None:
    from_metrics, from_logs = judged_both_ways(durations)
    assert from_metrics == want
    assert from_logs == want


def test_the_breakers_metrics_only_function_is_a_problem_and_its_throttles_name_it() -> None:
    """AWS/Lambda Duration 2,500 ms (average and maximum) against a 3 s timeout, Throttles 40 of 100."""
    metrics = {"Duration": series("Duration", [2500.0], Maximum=[2500.0]),
               "Invocations": series("Invocations", [100.0], stat="Sum"),
               "Throttles": series("Throttles", [40.0], stat="Sum")}
    findings = {f.code: f for f in assess(NEAR, metrics, REGION).findings}
    near = findings["LAMBDA_DURATION_NEAR_TIMEOUT"]
    assert near.severity == "error" and "Duration metric" in near.summary
    hint = findings["LAMBDA_THROTTLED"].remediation[-1]
    assert "--param function=metrics-only" in hint and "service=lambda" not in hint


def test_a_qualified_function_gets_its_fix_through_a_new_version() -> None:
    prod = LambdaProfile("search-api", "arn:aws:lambda:eu-west-1:123456789012:function:search-api:prod", 128, 10,
                         qualifier="prod", version="3")
    [finding] = assess(prod, duration([6000, 9000, 10000]), REGION).findings
    commands = [c for c in finding.remediation if not c.startswith("#")]
    assert commands[0].startswith("aws lambda update-function-configuration --function-name search-api ")
    assert "publish-version --function-name search-api" in commands[2]
    assert commands[-1].startswith("aws lambda update-alias --function-name search-api --name prod ")
