"""API rate quotas (Service Quotas and AWS/Usage CallCount) and retry advice that fits the caller's SDK."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.cloudtrail.events import ApiEvent
from diagnostics.sandbox.gaps import service_quotas as sq_gap
from diagnostics.throttling.api_rates import (
    QuotaUse,
    RateQuota,
    analyse_throttling,
    peak_calls_per_second,
    quota_for,
    throttling_findings,
)
from diagnostics.throttling.retry_advice import retry_advice

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
EXPORTER = "arn:aws:iam::123456789012:role/metrics-exporter"
GO_V1 = "aws-sdk-go/1.44.300 (go1.20.5; linux; amd64)"
USAGE = (("Class", "None"), ("Resource", "GetMetricData"), ("Service", "CloudWatch"), ("Type", "API"))
QUOTAS = [RateQuota("L-0A1B2C3D", "Rate of GetMetricData requests", 50, True, usage=USAGE, applied=True),
          RateQuota("L-0E0F1A2B", "Rate of PutMetricData requests", 500, True,
                    usage=(("Resource", "PutMetricData"), ("Type", "API"))),
          RateQuota("L-11223344", "Rate of DescribeAlarms requests", 9, False)]


def events(n: int, ua: str = GO_V1) -> list[ApiEvent]:
    return [ApiEvent(at=NOW - timedelta(seconds=20 * i), source="monitoring.amazonaws.com", operation="GetMetricData",
                     caller=EXPORTER, session_arn="", user_agent=ua, source_ip="10.0.2.31",
                     error_code="ThrottlingException") for i in range(n)]


def test_quota_matching_by_usage_resource_then_by_name() -> None:
    assert quota_for("GetMetricData", QUOTAS).code == "L-0A1B2C3D"
    assert quota_for("DescribeAlarms", QUOTAS).code == "L-11223344"
    assert quota_for("DescribeAlarmHistory", QUOTAS) is None  # a whole word, not a prefix
    assert peak_calls_per_second([1200, 3300, 600], 60) == 55
    assert peak_calls_per_second([], 60) is None


def test_the_finding_states_the_quota_and_the_measured_rate_and_asks_for_that_quota() -> None:
    report = analyse_throttling(events(40), window_minutes=60)
    use = QuotaUse(quotas_read=True, quota=QUOTAS[0], peak_per_second=55.0)
    [finding] = throttling_findings(report, "us-east-1", {"monitoring:GetMetricData": use})
    assert "'Rate of GetMetricData requests' is 50 a second (L-0A1B2C3D, adjustable)" in finding.summary
    assert "peaked at 55.0 calls a second, 110% of it" in finding.summary
    [ask] = finding.alternatives
    assert ask.commands[-1] == ("aws service-quotas request-service-quota-increase --service-code monitoring "
                                "--quota-code L-0A1B2C3D --desired-value 100 --region us-east-1")
    assert finding.evidence["rate_quota"]["peak_calls_per_second"] == 55.0


@pytest.mark.parametrize("use, said", [
    (QuotaUse(quotas_read=False), "could not be read from Service Quotas"),
    (QuotaUse(quotas_read=True), "lists no rate quota for GetMetricData"),
    (QuotaUse(quotas_read=True, quota=QUOTAS[2]), "not adjustable"),
])
def test_what_is_said_when_the_quota_is_unknown_missing_or_fixed(use: QuotaUse, said: str) -> None:
    [finding] = throttling_findings(analyse_throttling(events(40), 60), "us-east-1", {"monitoring:GetMetricData": use})
    assert said in finding.summary
    if use.quota is not None and not use.quota.adjustable:
        assert "cannot be raised" in finding.remediation[-1]


@pytest.mark.parametrize("ua, has_modes, says", [
    ("Boto3/1.26.10 md/Botocore#1.29.10 ua/2.0 cfg/retry-mode#legacy Botocore/1.29.10", True,
     "export AWS_RETRY_MODE=adaptive AWS_MAX_ATTEMPTS=10"),
    ("Boto3/1.9.253 Python/3.7.3 Linux/4.14 Botocore/1.12.253", False, "predates retry modes (Boto3 1.12"),
    ("aws-cli/1.16.300 Python/3.7.3 Linux/4.14 botocore/1.13.36", False, "predates retry modes (aws-cli 1.18"),
    ("aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#6.1", True, "export AWS_RETRY_MODE=adaptive"),
    (GO_V1, False, "move to aws-sdk-go-v2"),
    ("aws-sdk-go-v2/1.25.0 os/linux lang/go#1.22", True, "retry.NewAdaptiveMode"),
    ("aws-sdk-java/2.20.162 Linux/5.10 OpenJDK_64-Bit_Server_VM/17", True, "ADAPTIVE_V2 from 2.25"),
    ("aws-sdk-java/1.12.600 Linux/5.10 OpenJDK_64-Bit_Server_VM/17", False, "CustomMaxRetries(10)"),
    ("aws-sdk-js/3.478.0 ua/2.0 os/linux#5.10 lang/js md/nodejs#18.19.0", True, "retryMode: 'adaptive'"),
    ("aws-sdk-nodejs/2.1500.0 linux/v18.19.0", False, "JavaScript v2 has no retry modes"),
    ("", True, "exponential backoff and jitter"),
])
def test_retry_advice_fits_the_sdk(ua: str, has_modes: bool, says: str) -> None:
    advice = retry_advice(ua)
    assert advice.has_modes is has_modes
    assert any(says in line for line in advice.lines), advice.lines


def test_the_sandbox_answers_quotas_beyond_vpc() -> None:
    specs = sq_gap.declared([{"service": "monitoring", "code": "L-0A1B2C3D", "name": "Rate of GetMetricData requests",
                              "value": 50, "applied": 80, "usage": dict(USAGE)}], {"concurrent_executions": 20000})
    listed = sq_gap.list_defaults("monitoring", specs)["Quotas"]
    assert [(q["QuotaCode"], q["Value"]) for q in listed] == [("L-0A1B2C3D", 50.0)]
    assert listed[0]["UsageMetric"]["MetricDimensions"]["Resource"] == "GetMetricData"
    assert sq_gap.get_applied("monitoring", "L-0A1B2C3D", specs)["Quota"]["Value"] == 80.0
    assert sq_gap.get_applied("lambda", "L-B99A9384", specs)["Quota"]["Value"] == 20000.0
    assert sq_gap.list_defaults("ec2", specs) == {"Quotas": []}
    assert sq_gap.get_applied("ec2", "L-0", specs) is None


def test_the_account_wide_call_count_and_the_callers_cloudtrail_count_are_reconciled() -> None:
    """breaker_b fault 9: "up to 11 calls a minute" beside "CallCount peaked at 55.0 calls a second": CloudTrail's
    count for one caller is a lower bound, CallCount counts every call of the account."""
    calls = events(110)  # three a minute, all throttled
    use = QuotaUse(quotas_read=True, quota=QUOTAS[0], peak_per_second=55.0)
    [finding] = throttling_findings(analyse_throttling(calls, 60), "us-east-1", {"monitoring:GetMetricData": use})
    assert "far below the 50 a second its quota L-0A1B2C3D allows" in finding.summary
    assert "(AWS/Usage CallCount, below, counts them all)" in finding.summary
    assert "peaked at 55.0 calls a second, 110% of it" in finding.summary
