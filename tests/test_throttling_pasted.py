"""A pasted throttling error is AWS's word that a throttle happened: the run never clears what it could not see.

Three kinds of fault, each over snapshots and end to end (a plain moto server and the sandbox):

- data events (S3 object calls, Lambda Invoke, DynamoDB items, ...) are never in CloudTrail's event
  history ("Looks up management events or CloudTrail Insights events", LookupEvents API reference), so
  zero events there proves nothing: the run says where the evidence is and ends incomplete;
- a function with Throttles > 0 is a problem, whether or not its limits could be read, and nothing is
  claimed about concurrency that was not read;
- AWS's stated Reason is evidence: when it does not fit the function read, the run says so.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from test_throttling_e2e import make_function, put_series

from diagnostics.cloudtrail.data_events import data_event_service, operation_service
from diagnostics.cloudwatch.metrics import Datapoint, MetricSeries
from diagnostics.throttling.error_message import parse_throttle_message
from diagnostics.throttling.lambda_limits import AccountPool, FunctionLoad, decide_lambda_limit
from playbooks.registry import parse_inputs
from playbooks.runner import run_playbook
from playbooks.throttling import PLAYBOOK, _once

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REGION = "us-east-1"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:metrics-only"
SLOWDOWN = ("An error occurred (SlowDown) when calling the PutObject operation (reached max retries: 4): "
            "Please reduce your request rate.")
INVOKE = ("An error occurred (TooManyRequestsException) when calling the Invoke operation (reached max retries: "
          "4): Rate Exceeded.")
# Java SDK v2 as it prints a Lambda throttle, with the Reason on its own line.
JAVA_RESERVED = ("software.amazon.awssdk.services.lambda.model.TooManyRequestsException: Rate Exceeded. "
                 "(Service: Lambda, Status Code: 429, Request ID: 0f3c9a51-7d1e-4a57-9c1e-2b7b1f0e9d11)\n"
                 "  Reason: ReservedFunctionConcurrentInvocationLimitExceeded")


# --- the data-event table ------------------------------------------------------------------------------


@pytest.mark.parametrize("operation, service, expected", [
    ("PutObject", None, "s3"),
    ("GetObject", "s3", "s3"),
    ("Invoke", None, "lambda"),
    ("Query", "dynamodb", "dynamodb"),
    ("PutRecords", None, "kinesis"),
    ("SendMessage", None, "sqs"),
    ("Publish", None, "sns"),
    ("ListBuckets", "s3", None),  # bucket-level calls are management events, in the history
    ("CreateBucket", None, None),
    ("DescribeInstances", "ec2", None),
    ("GetFunction", "lambda", None),
    ("Query", "ec2", None),  # the table is asked per service when the service is known
    (None, "s3", None),
])
def test_which_calls_are_data_events(operation: str | None, service: str | None, expected: str | None) -> None:
    entry = data_event_service(operation, service)
    assert (entry.service if entry else None) == expected


def test_the_s3_entry_says_where_slowdowns_show() -> None:
    entry = data_event_service("PutObject")
    assert entry is not None
    assert "3,500" in entry.evidence and "5,500" in entry.evidence and "5xxErrors" in entry.evidence
    assert entry.doc.endswith("optimizing-performance.html")
    assert operation_service("PutObject") == "s3" and operation_service("DescribeInstances") == ""


@pytest.mark.parametrize("text, throttled", [
    (SLOWDOWN, True),
    (INVOKE, True),
    (JAVA_RESERVED, True),
    ("An error occurred (ProvisionedThroughputExceededException) when calling the PutItem operation: The level "
     "of configured provisioned throughput for the table was exceeded.", True),
    ("An error occurred (AccessDenied) when calling the GetObject operation: Access Denied", False),
])
def test_a_message_says_whether_aws_throttled(text: str, throttled: bool) -> None:
    assert parse_throttle_message(text).says_throttled is throttled


# Java SDK v1 as it prints S3's throttle: a generic class, the code in the field after the status.
JAVA_V1_SLOWDOWN = ("com.amazonaws.services.s3.model.AmazonS3Exception: Slow Down (Service: Amazon S3; Status Code: "
                    "503; Error Code: 503 Slow Down; Request ID: A4DBBEXAMPLE2C4D; S3 Extended Request ID: "
                    "oGSeRdT4xSKtyZAcUe53LgUf1=)")


@pytest.mark.parametrize("text, code, operation", [
    (SLOWDOWN, "SlowDown", "PutObject"),
    (JAVA_V1_SLOWDOWN, "SlowDown", ""),
])
def test_the_slowdown_messages_are_about_s3(text: str, code: str, operation: str) -> None:
    message = parse_throttle_message(text)
    assert (message.code, message.service, message.operation) == (code, "s3", operation)
    assert message.says_throttled


def test_a_java_v1_field_code_wins_over_the_generic_class() -> None:
    message = parse_throttle_message(
        "com.amazonaws.services.dynamodbv2.model.AmazonDynamoDBException: Rate exceeded (Service: AmazonDynamoDBv2; "
        "Status Code: 400; Error Code: ThrottlingException; Request ID: 7Q2N3V4B5C6D7E8F9G0H1J2K3L4M5N6O)")
    assert (message.code, message.service) == ("ThrottlingException", "dynamodb")


# --- Throttles > 0 is a problem, with or without the limits ---------------------------------------------


def _series(metric: str, values: list[float], stat: str = "Sum") -> MetricSeries:
    n = len(values)
    points = tuple(Datapoint(at=NOW - timedelta(minutes=n - i), **{"total" if stat == "Sum" else "maximum": v})
                   for i, v in enumerate(values))
    return MetricSeries("AWS/Lambda", metric, (("FunctionName", "metrics-only"),), 60, points)


def metrics_only(**settings) -> FunctionLoad:
    """The tester's world: 40 Throttles of 100 Invocations in one minute, no ConcurrentExecutions datapoints."""
    return FunctionLoad(name="metrics-only", arn=ARN, throttles=_series("Throttles", [40]),
                        concurrency=MetricSeries("AWS/Lambda", "ConcurrentExecutions"),
                        invocations=_series("Invocations", [100]), **settings)


def test_throttles_without_limits_are_a_conditional_problem_naming_what_was_not_read() -> None:
    pool = AccountPool(limit=None, concurrency=MetricSeries("AWS/Lambda", "ConcurrentExecutions"))
    decision = decide_lambda_limit(metrics_only(), pool, REGION)
    [finding] = decision.findings
    assert (finding.code, finding.severity, finding.certainty) == ("LAMBDA_THROTTLED", "error", "conditional")
    assert "throttled 40 times" in finding.summary
    assert "the account's concurrency limit" in finding.condition
    assert "the concurrency of metrics-only" in finding.condition
    # no claim about concurrency that was never read
    assert "never rose" not in finding.summary and "below every" not in finding.summary
    assert "no ConcurrentExecutions datapoints" in finding.summary
    assert finding.evidence["not_read"]
    # the fix reads what was not read (read-only commands), beginning with the error's Reason
    assert finding.remediation[0].startswith("# Paste the TooManyRequestsException")
    assert any(c.startswith("aws lambda get-account-settings") for c in finding.remediation)
    assert any("--metric-name ConcurrentExecutions" in c for c in finding.remediation)


def test_throttles_below_every_limit_read_are_still_a_problem() -> None:
    concurrency = _series("ConcurrentExecutions", [60] * 30, "Maximum")
    load = FunctionLoad(name="metrics-only", arn=ARN, throttles=_series("Throttles", [40] * 30),
                        concurrency=concurrency, invocations=_series("Invocations", [600] * 30))
    account = MetricSeries("AWS/Lambda", "ConcurrentExecutions", (), 60, concurrency.points)
    decision = decide_lambda_limit(load, AccountPool(limit=1000, unreserved=1000, concurrency=account), REGION)
    [finding] = decision.findings
    assert decision.cause == "unexplained"
    assert (finding.severity, finding.certainty) == ("error", "certain")
    assert "below every concurrency limit read" in finding.summary


def test_a_reserved_reason_on_a_function_without_a_reservation_is_said_to_contradict() -> None:
    pool = AccountPool(limit=None)
    reason = "ReservedFunctionConcurrentInvocationLimitExceeded"
    decision = decide_lambda_limit(metrics_only(), pool, REGION, reason=reason)
    [finding] = decision.findings
    assert finding.severity == "error" and finding.certainty == "conditional"
    assert f"AWS's stated reason, {reason}" in finding.summary
    assert "has no reserved concurrency now" in finding.summary
    assert "function=NAME" in finding.summary and "What changed recently?" in finding.summary
    assert "below every concurrency limit" not in finding.summary
    assert finding.evidence["error_reason"] == reason
    assert not any(c.startswith("# Paste") for c in finding.remediation)  # it was pasted already
    # a function that has the reservation the Reason names is no contradiction
    reserved = decide_lambda_limit(metrics_only(reserved=40), pool, REGION, reason=reason)
    assert reserved.cause == "reserved" and "has no reserved concurrency" not in reserved.detail


def test_each_sentence_once() -> None:
    unread = "The account's concurrency limit could not be read."
    assert _once([f"a was throttled. {unread}", unread, f"b was throttled. {unread}"]) == (
        f"a was throttled. {unread} b was throttled.")


# --- end to end: a plain moto server -----------------------------------------------------------------------



def _run(moto, **inputs: str):
    return run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, inputs), moto.session())


@pytest.mark.sandbox
def test_s3_slowdown_is_incomplete_and_says_where_to_look(plain_moto) -> None:
    plain_moto.client("s3").create_bucket(Bucket="uploads")
    done = plain_moto.cli("run", "throttling", "--param", f"error={SLOWDOWN}", "--format", "json")
    assert done.returncode == 3, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert data["verdict"] == "incomplete"
    step = {s["id"]: s for s in data["steps"]}["throttled-calls"]
    assert step["status"] == "no_data"
    assert "data event" in step["detail"] and "3,500" in step["detail"] and "5xxErrors" in step["detail"]
    assert "optimizing-performance.html" in step["detail"]


@pytest.mark.sandbox
def test_a_lambda_throttle_nothing_read_shows_is_incomplete(plain_moto) -> None:
    """No function named; the only function with Throttles was never throttled: the run must not pick it,
    clear it and say No problem found."""
    make_function(plain_moto, "orders-api")
    put_series(plain_moto, "Throttles", [0] * 55, "orders-api")
    put_series(plain_moto, "Invocations", [900] * 55, "orders-api")
    t = _run(plain_moto, error=INVOKE)
    assert t.verdict == "incomplete"
    step = t.step("pasted-throttle")
    assert step.status == "no_data", step.detail
    assert "function=NAME" in step.detail and "widen `hours`" in step.detail
    # without the pasted error the same reading stands as healthy: the rule is about AWS's word
    quiet = _run(plain_moto, service="lambda")
    assert quiet.step("lambda-limits").status == "ok" and quiet.step("pasted-throttle").status == "skipped"


@pytest.mark.sandbox
def test_account_wide_throttles_no_function_read_shows_ask_for_the_function(plain_moto) -> None:
    make_function(plain_moto, "orders-api")
    put_series(plain_moto, "Throttles", [0] * 30, "orders-api")
    put_series(plain_moto, "Throttles", [0] * 20 + [25] * 10)  # account-wide, no dimensions
    t = _run(plain_moto, service="lambda")
    step = t.step("lambda-limits")
    assert step.status == "no_data", step.detail
    assert "account-wide AWS/Lambda Throttles metric counts 250" in step.detail and "function=NAME" in step.detail
    assert t.verdict == "incomplete"


def metrics_only_world(moto) -> str:
    """The tester's seed: one minute of Throttles 40 and Invocations 100, twenty minutes ago."""
    arn = make_function(moto, "metrics-only")
    stamp = datetime.now(UTC) - timedelta(minutes=20)
    moto.client("cloudwatch").put_metric_data(Namespace="AWS/Lambda", MetricData=[
        {"MetricName": m, "Dimensions": [{"Name": "FunctionName", "Value": "metrics-only"}], "Timestamp": stamp,
         "Value": v, "Unit": "Count"} for m, v in (("Errors", 5), ("Invocations", 100), ("Throttles", 40))])
    return arn


@pytest.mark.sandbox
def test_throttled_with_its_limits_unread_is_a_problem_through_the_cli(plain_moto) -> None:
    arn = metrics_only_world(plain_moto)
    done = plain_moto.cli("run", "throttling", "--param", "function=metrics-only", "--format", "json")
    assert done.returncode == 1, done.stdout + done.stderr
    data = json.loads(done.stdout)
    assert data["verdict"] == "problem_found"
    [finding] = data["findings"]
    assert (finding["code"], finding["resource"], finding["severity"]) == ("LAMBDA_THROTTLED", arn, "error")
    assert finding["certainty"] == "conditional" and "the account's concurrency limit" in finding["condition"]
    assert "never rose" not in finding["summary"]
    detail = {s["id"]: s for s in data["steps"]}["lambda-limits"]["detail"]
    sentences = [s for s in detail.split(". ") if s]
    assert len(sentences) == len(set(sentences)), detail


@pytest.mark.sandbox
def test_a_reserved_reason_on_the_picked_function_says_the_contradiction(plain_moto) -> None:
    metrics_only_world(plain_moto)
    t = _run(plain_moto, error=JAVA_RESERVED)
    [finding] = t.findings
    assert "has no reserved concurrency now" in finding["summary"]
    assert "below every concurrency limit" not in finding["summary"]
    assert t.verdict == "problem_found"
    assert t.step("pasted-throttle").status == "ok"


# --- end to end: the sandbox ---------------------------------------------------------------------------------


def _scenario_run(sandbox, name: str, **extra: str):
    from diagnostics.sandbox import load_scenarios
    from playbooks.workspace import raw_inputs

    [scenario] = [s for s in load_scenarios() if s.name == name]
    seeded = sandbox.seed(scenario)
    inputs = {**raw_inputs(seeded.inputs), **{k: [v] for k, v in extra.items()}}
    return run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, inputs), sandbox.session())


@pytest.mark.sandbox
def test_sandbox_s3_slowdown_in_a_healthy_world_is_incomplete(sandbox) -> None:
    t = _scenario_run(sandbox, "throttling-healthy", error=SLOWDOWN)
    assert t.verdict == "incomplete"
    assert t.step("throttled-calls").status == "no_data"
    assert "CloudTrail's event history (LookupEvents) holds only management and Insights events" in \
        t.step("throttled-calls").detail


@pytest.mark.sandbox
def test_sandbox_invoke_throttle_on_a_function_never_throttled_is_incomplete(sandbox) -> None:
    t = _scenario_run(sandbox, "throttling-lambda-healthy", error=INVOKE)
    assert t.step("lambda-limits").status == "ok"  # what was read is reported as read
    assert t.step("pasted-throttle").status == "no_data"
    assert t.verdict == "incomplete"


@pytest.mark.sandbox
def test_sandbox_a_found_throttle_accounts_for_the_pasted_error(sandbox) -> None:
    t = _scenario_run(sandbox, "throttling-lambda-reserved", error=INVOKE)
    assert t.verdict == "problem_found"
    step = t.step("pasted-throttle")
    assert step.status == "ok" and "LAMBDA_RESERVED_CONCURRENCY" in step.detail


@pytest.mark.sandbox
def test_sandbox_s3_throttle_without_an_operation_never_clears_s3(sandbox) -> None:
    """service=s3 reads S3's management calls; its object calls are not there, and the step says so. With
    the pasted SlowDown the run is incomplete and says where S3's throttles show."""
    quiet = _scenario_run(sandbox, "throttling-healthy", service="s3")
    step = quiet.step("throttled-calls")
    assert step.status == "ok" and "its data calls (" in step.detail and "5xxErrors" in step.detail
    t = _scenario_run(sandbox, "throttling-healthy", error=JAVA_V1_SLOWDOWN)
    assert t.verdict == "incomplete"
    pasted = t.step("pasted-throttle")
    assert pasted.status == "no_data" and "s3's data calls (PutObject" in pasted.detail, pasted.detail
    assert "3,500" in t.step("throttled-calls").detail


@pytest.mark.sandbox
def test_sandbox_a_management_throttle_the_history_does_not_hold_is_incomplete(sandbox) -> None:
    """EC2's RequestLimitExceeded on a call the event history has no throttle of, in the window read."""
    error = ("An error occurred (RequestLimitExceeded) when calling the DescribeVolumes operation (reached max "
             "retries: 4): Request limit exceeded.")
    t = _scenario_run(sandbox, "throttling-healthy", error=error)
    assert t.step("throttled-calls").status == "ok"  # it read the history, and says what it found there
    pasted = t.step("pasted-throttle")
    assert pasted.status == "no_data" and "CloudTrail's event history" in pasted.detail
    assert t.verdict == "incomplete"


@pytest.mark.sandbox
def test_a_dynamodb_throttle_on_a_table_read_as_unthrottled_is_incomplete(plain_moto) -> None:
    plain_moto.client("dynamodb").create_table(
        TableName="orders", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 100})
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    plain_moto.client("cloudwatch").put_metric_data(Namespace="AWS/DynamoDB", MetricData=[
        {"MetricName": "ConsumedWriteCapacityUnits", "Dimensions": [{"Name": "TableName", "Value": "orders"}],
         "Timestamp": now - timedelta(minutes=m), "Value": 600, "Unit": "Count"} for m in range(1, 31)])
    error = ("An error occurred (ProvisionedThroughputExceededException) when calling the PutItem operation "
             "(reached max retries: 9): The level of configured provisioned throughput for the table was exceeded. "
             "Consider increasing your provisioning level with the UpdateTable API.")
    t = _run(plain_moto, error=error, table="orders")
    assert t.step("dynamodb-limits").status == "ok", t.step("dynamodb-limits").detail
    pasted = t.step("pasted-throttle")
    assert pasted.status == "no_data" and "another table or index than the one read" in pasted.detail
    assert t.verdict == "incomplete"


@pytest.mark.sandbox
def test_sandbox_a_reserved_reason_on_the_drained_pool_is_judged_by_the_numbers_and_said(sandbox) -> None:
    """checkout has no reservation and the pool is drained: the numbers decide (the pool), and AWS's Reason,
    which names a reservation, is said not to fit instead of being quoted as if it confirmed the pool."""
    t = _scenario_run(sandbox, "throttling-lambda-pool-drained", error=JAVA_RESERVED)
    [finding] = t.findings
    assert finding["code"] == "LAMBDA_ACCOUNT_CONCURRENCY" and finding["certainty"] == "conditional"
    assert "has no reserved concurrency now" in finding["summary"]
    assert "says the function reached its reserved concurrency" in finding["summary"]
    assert t.verdict == "problem_found"
