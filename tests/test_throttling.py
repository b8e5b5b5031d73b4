"""The throttling analysis: parsing CloudTrail events, naming the offender, Lambda and DynamoDB limits,
and the sandbox's LookupEvents stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.cloudtrail.events import (
    ApiEvent,
    EventQuery,
    caller_of,
    event_source,
    is_throttle,
    lookup_events,
    parse_lookup_event,
    role_of_session,
)
from diagnostics.sandbox.gaps import cloudtrail as ct_gap
from diagnostics.sandbox.gaps import lambda_ as lambda_gap
from diagnostics.throttling.api_rates import QuotaUse, analyse_throttling, retry_mode, sdk_of, throttling_findings
from playbooks.throttling import lookback_hours, operation_name, service_name

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLLER = "arn:aws:iam::123456789012:role/poller"
LEGACY_UA = "Boto3/1.26.10 md/Botocore#1.29.10 ua/2.0 cfg/retry-mode#legacy Botocore/1.29.10"


def event(minutes_ago: float, caller: str = POLLER, operation: str = "DescribeInstances",
          source: str = "ec2.amazonaws.com", code: str = "", ua: str = LEGACY_UA, **request: str) -> ApiEvent:
    return ApiEvent(at=NOW - timedelta(minutes=minutes_ago), source=source, operation=operation,
                    caller=caller, session_arn="", user_agent=ua, source_ip="10.0.0.1", error_code=code,
                    request=tuple(request.items()))


def burst(n: int, every: float = 0.5, **kwargs) -> list[ApiEvent]:
    return [event(i * every, **kwargs) for i in range(n)]


# --- parsing ---------------------------------------------------------------------------------


def test_parse_lookup_event_groups_sessions_under_their_role_and_normalises_ec2_codes() -> None:
    record = {
        "eventTime": "2026-03-01T11:59:00Z", "eventSource": "ec2.amazonaws.com",
        "eventName": "DescribeInstances",
        "errorCode": "Client.RequestLimitExceeded", "userAgent": LEGACY_UA, "sourceIPAddress": "10.0.1.5",
        "userIdentity": {"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/poller/i-1",
                         "sessionContext": {"sessionIssuer": {"arn": POLLER}}},
        "requestParameters": {"functionName": "f", "secret": {"nested": "x"}},
    }
    parsed = parse_lookup_event({"EventId": "1", "CloudTrailEvent": json.dumps(record)})
    assert parsed.caller == POLLER
    assert parsed.session_arn.endswith("assumed-role/poller/i-1")
    assert parsed.error_code == "RequestLimitExceeded" and parsed.throttled
    assert parsed.action == "ec2:DescribeInstances"
    assert parsed.at == datetime(2026, 3, 1, 11, 59, tzinfo=UTC)
    assert parsed.request == (("functionName", "f"),)


@pytest.mark.parametrize("identity, caller", [
    ({"type": "IAMUser", "arn": "arn:aws:iam::1:user/alice"}, "arn:aws:iam::1:user/alice"),
    ({"type": "AWSService", "invokedBy": "autoscaling.amazonaws.com"}, "autoscaling.amazonaws.com"),
    ({"type": "AssumedRole", "arn": "arn:aws:sts::123456789012:assumed-role/app/s"},
     "arn:aws:iam::123456789012:role/app"),
    ({}, "unknown"),
])
def test_caller_of(identity: dict, caller: str) -> None:
    assert caller_of(identity)[0] == caller


@pytest.mark.parametrize("code, source, throttled", [
    ("ThrottlingException", "logs.amazonaws.com", True),
    ("Client.RequestLimitExceeded", "ec2.amazonaws.com", True),
    ("TooManyRequestsException", "lambda.amazonaws.com", True),
    ("SlowDown", "s3.amazonaws.com", True),
    ("ProvisionedThroughputExceededException", "dynamodb.amazonaws.com", True),
    ("LimitExceededException", "dynamodb.amazonaws.com", True),
    ("LimitExceededException", "iam.amazonaws.com", False),  # too many roles, not too many requests
    ("AccessDenied", "s3.amazonaws.com", False),
    ("", "ec2.amazonaws.com", False),
])
def test_is_throttle(code: str, source: str, throttled: bool) -> None:
    assert is_throttle(code, source) is throttled


def test_event_sources_and_roles() -> None:
    assert event_source("ec2") == "ec2.amazonaws.com"
    assert event_source("cloudwatch") == "monitoring.amazonaws.com"
    assert event_source("s3.amazonaws.com") == "s3.amazonaws.com"
    assert role_of_session("arn:aws:sts::123456789012:assumed-role/r/x") == "arn:aws:iam::123456789012:role/r"


def test_lookup_attribute_prefers_the_most_selective() -> None:
    base = {"start": NOW - timedelta(hours=1), "end": NOW}
    assert EventQuery(**base, source="ec2.amazonaws.com", operation="RunInstances").lookup_attribute() == {
        "AttributeKey": "EventName", "AttributeValue": "RunInstances"}
    assert EventQuery(**base, principal="arn:aws:iam::123456789012:user/ops/alice").lookup_attribute() == {
        "AttributeKey": "Username", "AttributeValue": "alice"}
    assert EventQuery(**base, source="s3.amazonaws.com").lookup_attribute()["AttributeKey"] == "EventSource"
    assert EventQuery(**base).lookup_attribute() is None


def test_query_matches_principal_as_role_session_or_user() -> None:
    session = "arn:aws:sts::123456789012:assumed-role/poller/x"
    query = EventQuery(NOW - timedelta(hours=1), NOW, principal=session)
    assert query.matches(event(5))  # any session of the role
    assert not query.matches(event(5, caller="arn:aws:iam::123456789012:role/other"))
    assert not EventQuery(NOW - timedelta(minutes=10), NOW).matches(event(30))


# --- analysis and findings -------------------------------------------------------------------


def test_sustained_offender_is_named_with_its_rate_and_retry_mode() -> None:
    events = burst(40, code="Client.RequestLimitExceeded") + burst(100, every=0.4) \
        + burst(3, caller="arn:aws:iam::123456789012:user/ci", code="RequestLimitExceeded",
                ua="aws-cli/2.15.0")
    report = analyse_throttling(events, window_minutes=60)
    assert report.throttled == 43
    assert report.top is not None and report.top.caller == POLLER
    assert report.top.calls == 140 and report.top.throttled == 40
    assert report.top.retry_modes == ("legacy",)
    findings = throttling_findings(report, "eu-west-1")
    assert [(f.code, f.severity, f.resource) for f in findings] == [("API_THROTTLING", "error", POLLER)]
    finding = findings[0]
    assert "ec2:DescribeInstances" in finding.summary and "legacy retry mode" in finding.summary
    assert finding.evidence["peak_calls_per_minute"] >= finding.evidence["peak_throttled_per_minute"] > 0
    assert "export AWS_RETRY_MODE=adaptive AWS_MAX_ATTEMPTS=10" in finding.remediation
    assert any("AWS Support" in line for line in finding.remediation)  # EC2 rates are not in Service Quotas
    assert finding.evidence["other_throttled_callers"] == ["arn:aws:iam::123456789012:user/ci (3)"]


def test_a_few_throttles_are_a_warning_not_an_error() -> None:
    report = analyse_throttling(burst(2, every=0.1, code="ThrottlingException", source="logs.amazonaws.com",
                                      operation="DescribeLogStreams") + burst(50), window_minutes=60)
    findings = throttling_findings(report, "us-east-1")
    assert [f.severity for f in findings] == ["warning"]


def test_no_throttles_no_findings() -> None:
    report = analyse_throttling(burst(300), window_minutes=60)
    assert report.throttled == 0 and report.top is None
    assert throttling_findings(report, "us-east-1") == []


def test_a_second_big_offender_gets_its_own_finding_a_small_one_does_not() -> None:
    other = "arn:aws:iam::123456789012:role/batch"
    events = burst(30, code="ThrottlingException") + burst(20, caller=other, code="ThrottlingException") \
        + burst(2, caller="arn:aws:iam::123456789012:user/bob", code="ThrottlingException")
    resources = [f.resource for f in throttling_findings(analyse_throttling(events, 60), "us-east-1")]
    assert resources == [POLLER, other]


def test_lambda_throttles_point_at_the_concurrency_quota() -> None:
    events = burst(20, source="lambda.amazonaws.com", operation="Invoke", code="TooManyRequestsException",
                   functionName="resize")
    finding = throttling_findings(analyse_throttling(events, 60), "us-east-1")[0]
    # Asking for more concurrency is a choice of its own, never pasted after the retry advice.
    assert not any("request-service-quota-increase" in line for line in finding.remediation)
    assert any("--quota-code L-B99A9384" in line for line in finding.alternatives[0].commands)
    assert finding.evidence["request_parameters"] == ["functionName=resize"]


def test_user_agent_helpers() -> None:
    assert retry_mode(LEGACY_UA) == "legacy"
    assert retry_mode("aws-cli/1.18.0 Python/3.8") is None
    assert sdk_of(LEGACY_UA) == "Boto3/1.26.10"
    assert sdk_of("") == "unknown"


# --- the sandbox's LookupEvents ----------------------------------------------------------------


SPECS = [
    {"eventName": "DescribeInstances", "eventSource": "ec2.amazonaws.com",
     "errorCode": "Client.RequestLimitExceeded", "arn": "arn:aws:sts::123456789012:assumed-role/poller/i-1",
     "minutes_ago": 1, "count": 120, "spread_minutes": 30},
    {"eventName": "ListBuckets", "eventSource": "s3.amazonaws.com",
     "arn": "arn:aws:iam::123456789012:user/alice", "minutes_ago": 90},
]


def test_gap_answers_newest_first_with_paging() -> None:
    first = ct_gap.answer({"MaxResults": 50}, SPECS, NOW)
    assert len(first["Events"]) == 50 and first["NextToken"]
    times = [e["EventTime"] for e in first["Events"]]
    assert times == sorted(times, reverse=True)
    seen = len(first["Events"])
    token = first["NextToken"]
    while token:
        page = ct_gap.answer({"MaxResults": 50, "NextToken": token}, SPECS, NOW)
        seen += len(page["Events"])
        token = page.get("NextToken")
    assert seen == 121
    record = json.loads(first["Events"][0]["CloudTrailEvent"])
    issuer = record["userIdentity"]["sessionContext"]["sessionIssuer"]
    assert issuer["arn"] == "arn:aws:iam::123456789012:role/poller"
    assert first["Events"][0]["Username"] == "i-1"


def test_gap_honours_attributes_and_time() -> None:
    only_s3 = ct_gap.answer({"LookupAttributes": [{"AttributeKey": "EventSource",
                                                    "AttributeValue": "s3.amazonaws.com"}]}, SPECS, NOW)
    assert [e["EventName"] for e in only_s3["Events"]] == ["ListBuckets"]
    recent = ct_gap.answer({"StartTime": (NOW - timedelta(hours=1)).timestamp(), "EndTime": NOW.timestamp()},
                           SPECS, NOW)
    assert len(recent["Events"]) == 50
    assert all(e["EventName"] == "DescribeInstances" for e in recent["Events"])
    by_user = ct_gap.answer({"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "alice"}]},
                            SPECS, NOW)
    assert len(by_user["Events"]) == 1


@pytest.mark.parametrize("params, code", [
    ({"LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": "a"},
                           {"AttributeKey": "EventSource", "AttributeValue": "b"}]},
     "InvalidLookupAttributesException"),
    ({"MaxResults": 51}, "InvalidMaxResultsException"),
    ({"StartTime": NOW.timestamp(), "EndTime": (NOW - timedelta(hours=1)).timestamp()},
     "InvalidTimeRangeException"),
])
def test_gap_rejects_what_aws_rejects(params: dict, code: str) -> None:
    with pytest.raises(ValueError) as raised:
        ct_gap.answer(params, SPECS, NOW)
    assert raised.value.args[0] == code


class FakePages:
    """What a botocore paginator returns, over the gap's answers (MaxItems honoured)."""

    def __init__(self, kwargs: dict) -> None:
        self.kwargs = kwargs
        self.resume_token = None

    def __iter__(self):
        config = self.kwargs.pop("PaginationConfig")
        params = {**self.kwargs, "MaxResults": config["PageSize"],
                  "StartTime": self.kwargs["StartTime"].timestamp(),
                  "EndTime": self.kwargs["EndTime"].timestamp()}
        given = 0
        while True:
            page = ct_gap.answer(params, SPECS, NOW)
            given += len(page["Events"])
            yield page
            if not page.get("NextToken"):
                return
            if given >= config["MaxItems"]:
                self.resume_token = page["NextToken"]
                return
            params["NextToken"] = page["NextToken"]


class FakeCloudTrail:
    def get_paginator(self, name: str):
        assert name == "lookup_events"
        return self

    def paginate(self, **kwargs):
        return FakePages(kwargs)


def test_collector_reads_all_pages_and_says_when_it_stopped() -> None:
    query = EventQuery(NOW - timedelta(hours=2), NOW, source="ec2.amazonaws.com")
    whole = lookup_events(FakeCloudTrail(), query)
    assert (whole.read, len(whole.throttled()), whole.truncated) == (120, 120, False)
    cut = lookup_events(FakeCloudTrail(), query, max_pages=1)
    assert cut.truncated and cut.read == 50
    assert cut.covered_minutes < 30 < whole.covered_minutes


class FakeFunction:
    def __init__(self, reserved: int | None) -> None:
        self.reserved_concurrency = reserved
        self.code_size = 100


def test_account_settings_gap_subtracts_reservations() -> None:
    answer = lambda_gap.answer({"concurrent_executions": 50}, [FakeFunction(10), FakeFunction(None)])
    assert answer["AccountLimit"]["ConcurrentExecutions"] == 50
    assert answer["AccountLimit"]["UnreservedConcurrentExecutions"] == 40
    assert answer["AccountUsage"]["FunctionCount"] == 2


# --- parameters ------------------------------------------------------------------------------


def test_parameter_validators() -> None:
    assert service_name(" EC2 ") == "ec2"
    assert service_name("dynamodb.amazonaws.com") == "dynamodb"
    assert operation_name("ec2:DescribeInstances") == "ec2:DescribeInstances"
    assert lookback_hours("24") == 24
    for bad, check in (("not a service!", service_name), ("describeInstances", operation_name),
                       ("0", lookback_hours), ("2161", lookback_hours)):
        with pytest.raises(ValueError):
            check(bad)


# --- CloudTrail's count is not the caller's rate (breaker_b fault 9) ---------------------------------


def _throttled_poller(per_minute: int, minutes: int = 5) -> list:
    """``per_minute`` DescribeInstances calls a minute, a third of them throttled."""
    out = []
    for m in range(minutes):
        for i in range(per_minute):
            code = "RequestLimitExceeded" if i % 3 == 0 else ""
            out.append(event(m + i / (per_minute + 1), code=code))
    return out


def test_a_rate_far_below_the_documented_limit_is_said_as_a_lower_bound() -> None:
    """11 DescribeInstances events a minute cannot be the rate EC2 throttled (its Describe* bucket refills at 20
    a second): the finding says the count is a lower bound, never that the caller calls faster than allowed."""
    report = analyse_throttling(_throttled_poller(11), 60)
    uses = {"ec2:DescribeInstances": QuotaUse(quotas_read=True)}  # Service Quotas has no EC2 API rate
    [finding] = throttling_findings(report, "us-east-1", uses)
    assert finding.severity == "error"
    assert "CloudTrail recorded 55 of its calls, at most 11 in one minute" in finding.summary
    assert "That count is a lower bound, not its rate" in finding.summary
    assert "far below the 20 a second at which EC2 refills its Describe* token bucket" in finding.summary
    assert "calling faster than the API's rate limit allows" not in finding.summary
    assert finding.evidence["rate_limit_per_second"] == 20.0
    assert "AWS documents it (a bucket of 100 calls refilled at 20 a second" in finding.summary


def test_a_rate_near_the_limit_is_the_callers_rate() -> None:
    report = analyse_throttling(_throttled_poller(1500, minutes=2), 60)
    [finding] = throttling_findings(report, "us-east-1")
    assert "lower bound" not in finding.summary
    assert "calling faster than the API's rate limit allows" in finding.summary


def test_without_a_known_limit_the_count_is_not_judged_against_one() -> None:
    calls = [event(m / 2, operation="SendMessage", source="sqs.amazonaws.com",
                   code="ThrottlingException" if m % 2 else "") for m in range(40)]
    [finding] = throttling_findings(analyse_throttling(calls, 60), "us-east-1")
    assert "lower bound" not in finding.summary and "rate_limit_per_second" not in finding.evidence
