"""Which Lambda limit throttles a function: the decision over metric series, and pasted error messages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.cloudwatch.metrics import Datapoint, MetricSeries
from diagnostics.throttling.error_message import parse_throttle_message
from diagnostics.throttling.lambda_limits import (
    AccountPool,
    Consumer,
    FunctionLoad,
    SqsSource,
    decide_lambda_limit,
)
from playbooks.throttling import table_name

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ARN = "arn:aws:lambda:us-east-1:123456789012:function:checkout"
REGION = "us-east-1"


def series(metric: str, values: list[float], stat: str = "Sum", dims: tuple = (("FunctionName", "checkout"),)
           ) -> MetricSeries:
    """One datapoint a minute, oldest first, the newest a minute before NOW."""
    n = len(values)
    points = tuple(Datapoint(at=NOW - timedelta(minutes=n - i), **{"total" if stat == "Sum" else "maximum": v})
                   for i, v in enumerate(values))
    return MetricSeries("AWS/Lambda", metric, dims, 60, points)


def checkout(throttles: list[float], concurrency: list[float] | None, invocations: float = 600, **settings
             ) -> FunctionLoad:
    n = len(throttles)
    return FunctionLoad(name="checkout", arn=ARN, throttles=series("Throttles", throttles),
                        concurrency=None if concurrency is None else series("ConcurrentExecutions", concurrency,
                                                                            "Maximum"),
                        invocations=series("Invocations", [invocations] * n), **settings)


def account(values: list[float], metric: str = "ConcurrentExecutions") -> MetricSeries:
    return series(metric, values, "Maximum", dims=())


# The world: batch-etl holds 19,700 of the account's 20,000; checkout peaks at 300 and is
# throttled 120 times a minute for the last 20 minutes.
QUIET, BUSY = 40, 20
DRAINED_FN = dict(throttles=[0] * QUIET + [120] * BUSY, concurrency=[150] * QUIET + [300] * BUSY)
DRAINED_ACCOUNT = account([9000] * QUIET + [20000] * BUSY)
CONSUMERS = (Consumer("batch-etl", 19700), Consumer("checkout", 300), Consumer("thumbnails", 12))


def test_the_drained_pool_names_the_function_holding_it_and_never_the_scaling_rate() -> None:
    pool = AccountPool(limit=20000, unreserved=20000, concurrency=DRAINED_ACCOUNT, consumers=CONSUMERS)
    decision = decide_lambda_limit(checkout(**DRAINED_FN), pool, REGION)
    assert decision.cause == "account_pool"
    [finding] = decision.findings
    assert (finding.code, finding.severity, finding.certainty) == ("LAMBDA_ACCOUNT_CONCURRENCY", "error", "certain")
    assert "batch-etl held 19,700" in finding.summary and "20,000 of its limit of 20,000" in finding.summary
    assert "scaling" not in finding.summary.lower()
    # primary: a reservation for the throttled function; alternatives: cap the noisy one, ask for more
    assert finding.remediation[0].startswith("aws lambda put-function-concurrency --function-name checkout ")
    cap, quota = finding.alternatives
    assert "--function-name batch-etl" in cap.commands[0] and "batch-etl is throttled above" in cap.disrupts
    assert "--quota-code L-B99A9384" in quota.commands[0]
    assert finding.evidence["top_consumers"]["batch-etl"] == 19700


def test_the_drained_pool_without_the_account_limit_is_conditional_on_the_plateau() -> None:
    pool = AccountPool(limit=None, concurrency=DRAINED_ACCOUNT, consumers=CONSUMERS)
    decision = decide_lambda_limit(checkout(**DRAINED_FN), pool, REGION)
    [finding] = decision.findings
    assert decision.cause == "account_pool" and finding.severity == "error"
    assert finding.certainty == "conditional" and "20,000" in finding.condition
    assert "batch-etl" in finding.summary


def test_a_bounded_read_of_the_consumers_says_so() -> None:
    pool = AccountPool(limit=20000, unreserved=20000, concurrency=DRAINED_ACCOUNT, consumers=CONSUMERS,
                       functions_listed=120)
    [finding] = decide_lambda_limit(checkout(**DRAINED_FN), pool, REGION).findings
    assert "(of the 3 functions read out of 120 listed)" in finding.summary


def test_the_error_reason_confirms_the_pool_when_the_limit_cannot_be_read() -> None:
    pool = AccountPool(limit=None, concurrency=DRAINED_ACCOUNT, consumers=CONSUMERS)
    decision = decide_lambda_limit(checkout(**DRAINED_FN), pool, REGION, reason="ConcurrentInvocationLimitExceeded")
    assert decision.findings[0].certainty == "certain"
    assert "ConcurrentInvocationLimitExceeded" in decision.findings[0].summary


def test_a_pool_with_room_is_not_blamed() -> None:
    pool = AccountPool(limit=20000, unreserved=20000, concurrency=account([4000] * 60), consumers=CONSUMERS)
    decision = decide_lambda_limit(checkout(**DRAINED_FN), pool, REGION)
    assert decision.cause == "unexplained"
    # throttled invocations were observed: a problem, whichever limit it was
    assert decision.findings[0].severity == "error" and decision.findings[0].certainty == "certain"
    assert "scaling rate cannot explain it" in decision.detail


def test_an_unread_reservation_is_never_called_none() -> None:
    pool = AccountPool(limit=20000, unreserved=20000, concurrency=account([4000] * 60))
    decision = decide_lambda_limit(checkout(**DRAINED_FN, reserved_known=False), pool, REGION)
    assert decision.cause == "unexplained"
    assert "reserved concurrency not read" in decision.detail and "reserved none" not in decision.detail
    [finding] = decision.findings
    assert finding.certainty == "conditional" and "the reserved concurrency of checkout" in finding.condition


def test_the_function_draining_the_pool_itself_needs_a_larger_pool() -> None:
    pool = AccountPool(limit=1000, unreserved=1000, concurrency=account([1000] * 60),
                       consumers=(Consumer("checkout", 990),))
    load = checkout([30] * 60, [990] * 60)
    [finding] = decide_lambda_limit(load, pool, REGION).findings
    assert "checkout itself held 990" in finding.summary
    assert "request-service-quota-increase" in finding.remediation[0]


@pytest.mark.parametrize("limit", [1000, None])  # None: GetAccountSettings was refused
def test_reserved_five_is_the_cap(limit: int | None) -> None:
    # Throttles of 40-60 per five minutes, at the reservation all along.
    load = checkout([8, 12, 10, 9, 11] * 12, [5] * 60, invocations=30, reserved=5)
    pool = AccountPool(limit=limit, unreserved=995 if limit else None)
    decision = decide_lambda_limit(load, pool, REGION)
    [finding] = decision.findings
    assert decision.cause == "reserved"
    assert (finding.code, finding.resource, finding.certainty) == ("LAMBDA_RESERVED_CONCURRENCY", ARN, "certain")
    assert "reserved concurrency of 5" in finding.summary
    wanted = int(finding.remediation[0].split("--reserved-concurrent-executions ")[1].split()[0])
    assert wanted > 5
    assert "delete-function-concurrency" in finding.alternatives[0].commands[0]
    assert finding.alternatives[0].disrupts


def test_a_reservation_without_concurrency_data_is_conditional() -> None:
    decision = decide_lambda_limit(checkout([10] * 30, None, reserved=5), None, REGION)
    assert decision.cause == "reserved"
    assert decision.findings[0].certainty == "conditional"
    assert "ConcurrentExecutions" in decision.findings[0].condition


def test_reserved_zero_throttles_everything_even_without_metrics() -> None:
    load = FunctionLoad("checkout", ARN, throttles=MetricSeries("AWS/Lambda", "Throttles"), reserved=0)
    decision = decide_lambda_limit(load, None, REGION)
    [finding] = decision.findings
    assert decision.cause == "reserved_zero" and finding.severity == "error"
    assert finding.remediation == [f"aws lambda delete-function-concurrency --function-name checkout --region {REGION}"]
    assert "put-function-concurrency" in finding.alternatives[0].commands[0]


def test_provisioned_spillover_without_room_above_it() -> None:
    load = checkout([20] * 30, [50] * 30, reserved=50, provisioned=50,
                    spillover=series("ProvisionedConcurrencySpilloverInvocations", [15] * 30))
    decision = decide_lambda_limit(load, AccountPool(limit=1000, unreserved=950), REGION)
    assert decision.cause == "provisioned_spillover"
    finding = decision.findings[0]
    assert finding.code == "LAMBDA_PROVISIONED_SPILLOVER"
    assert "put-function-concurrency" in finding.remediation[0]
    assert "put-provisioned-concurrency-config" in finding.alternatives[0].commands[0]


def test_sqs_maximum_concurrency_above_the_reservation() -> None:
    queue = "arn:aws:sqs:us-east-1:123456789012:orders"
    load = checkout([25] * 30, [10] * 30, reserved=10,
                    sqs_sources=(SqsSource(queue, 50, "6d9f2a1c-0b1e-4c7a-9f3e-2a5b8c7d1e00"),))
    decision = decide_lambda_limit(load, AccountPool(limit=1000, unreserved=990), REGION)
    assert decision.cause == "event_source"
    finding = decision.findings[0]
    assert finding.remediation[0] == ("aws lambda update-event-source-mapping --uuid "
                                      "6d9f2a1c-0b1e-4c7a-9f3e-2a5b8c7d1e00 --scaling-config MaximumConcurrency=10 "
                                      "--region us-east-1")
    assert queue in finding.summary
    assert "--reserved-concurrent-executions" in finding.alternatives[0].commands[0]


def test_the_scaling_rate_only_where_the_jump_could_outrun_it() -> None:
    load = checkout([0] * 30 + [400] + [0] * 29, [100] * 30 + [2600] + [2600] * 29)
    pool = AccountPool(limit=10000, unreserved=10000, concurrency=account([3000] * 60))
    decision = decide_lambda_limit(load, pool, REGION)
    assert decision.cause == "scaling_rate"
    finding = decision.findings[0]
    assert finding.severity == "error" and finding.certainty == "conditional"  # 400 invocations were throttled
    assert "1,000 new execution environments every 10 seconds" in finding.summary
    assert "scaling-behavior.html" in finding.summary


def test_the_request_rate_limit_is_named_only_by_the_error_reason() -> None:
    load = checkout([40] * 30, [60] * 30)
    pool = AccountPool(limit=1000, unreserved=1000, concurrency=account([300] * 30))
    assert decide_lambda_limit(load, pool, REGION).cause == "unexplained"
    decision = decide_lambda_limit(load, pool, REGION, reason="FunctionInvocationRateLimitExceeded")
    assert decision.cause == "invocation_rate"
    assert "10 requests a second per unit of concurrency" in decision.findings[0].summary
    assert "--quota-code L-B99A9384" in decision.findings[0].alternatives[0].commands[0]


def test_no_throttles_no_data_and_unread() -> None:
    assert decide_lambda_limit(checkout([0] * 60, [40] * 60), None, REGION).cause == "none"
    empty = FunctionLoad("checkout", ARN, throttles=MetricSeries("AWS/Lambda", "Throttles"))
    no_data = decide_lambda_limit(empty, None, REGION)
    assert no_data.cause == "no_data" and "no AWS/Lambda Throttles or Invocations datapoints" in no_data.detail
    assert not no_data.findings
    invoked = FunctionLoad("checkout", ARN, throttles=MetricSeries("AWS/Lambda", "Throttles"),
                           invocations=series("Invocations", [30] * 10))
    assert decide_lambda_limit(invoked, None, REGION).cause == "none"
    assert decide_lambda_limit(FunctionLoad("checkout", ARN, throttles=None), None, REGION).cause == "unknown"


# --- pasted messages -------------------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("An error occurred (TooManyRequestsException) when calling the Invoke operation (reached max retries: 4): "
     "Rate Exceeded.", dict(code="TooManyRequestsException", service="lambda", operation="Invoke")),
    ("operation error Lambda: Invoke, exceeded maximum number of attempts, 3, https response error StatusCode: 429, "
     "RequestID: 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0, TooManyRequestsException: Rate Exceeded.",
     dict(code="TooManyRequestsException", service="lambda", operation="Invoke")),
    ("software.amazon.awssdk.services.lambda.model.TooManyRequestsException: Rate Exceeded. (Service: Lambda, "
     "Status Code: 429, Request ID: 0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0)",
     dict(code="TooManyRequestsException", service="lambda")),
    ("com.amazonaws.services.lambda.model.TooManyRequestsException: Rate Exceeded. (Service: AWSLambda; Status Code: "
     "429; Error Code: TooManyRequestsException; Request ID: 0b1c2d3e)",
     dict(code="TooManyRequestsException", service="lambda")),
    ("TooManyRequestsException: Rate Exceeded.\n    at de_TooManyRequestsExceptionRes (...) {\n"
     "  '$fault': 'client',\n  Type: 'User',\n  Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',\n"
     "  retryAfterSeconds: undefined\n}",
     dict(code="TooManyRequestsException", service="lambda",
          reason="ReservedFunctionConcurrentInvocationLimitExceeded")),
    ('{"Reason":"ConcurrentInvocationLimitExceeded","Type":"User","message":"Rate Exceeded."}',
     dict(service="lambda", reason="ConcurrentInvocationLimitExceeded")),
    ("An error occurred (ProvisionedThroughputExceededException) when calling the PutItem operation (reached max "
     "retries: 9): The level of configured provisioned throughput for the table was exceeded. Consider increasing "
     "your provisioning level with the UpdateTable API.",
     dict(code="ProvisionedThroughputExceededException", service="dynamodb", operation="PutItem")),
    ("ThrottlingException: Throughput exceeds the current capacity of your table or index. ThrottlingReasons: "
     "[{reason: TableWriteKeyRangeThroughputExceeded, resource: arn:aws:dynamodb:us-east-1:123456789012:table/orders}]",
     dict(service="dynamodb", reason="TableWriteKeyRangeThroughputExceeded", table="orders")),
    ("ThrottlingException: Throughput exceeds the current capacity of your table or index. DynamoDB is "
     "automatically scaling your table or index so please try again shortly.",
     dict(code="ThrottlingException", service="dynamodb")),
    ("An error occurred (RequestLimitExceeded) when calling the DescribeInstances operation (reached max retries: 4): "
     "Request limit exceeded.", dict(code="RequestLimitExceeded", service="ec2", operation="DescribeInstances")),
])
def test_pasted_messages(text: str, expected: dict) -> None:
    message = parse_throttle_message(text)
    for key, value in expected.items():
        assert getattr(message, key) == value, (key, message)
    assert str(message) == text.strip()


def test_a_message_naming_the_function_by_arn() -> None:
    message = parse_throttle_message("Lambda.TooManyRequestsException: Rate Exceeded. Function "
                                     "arn:aws:lambda:us-east-1:123456789012:function:checkout:live")
    assert (message.service, message.function) == ("lambda", "checkout")


def test_text_that_is_no_error_message_is_refused() -> None:
    with pytest.raises(ValueError, match="does not look like an AWS error message"):
        parse_throttle_message("it is slow again")


def test_table_names_and_arns() -> None:
    # An index has its own capacity and metrics: it is kept, never silently dropped (breaker_c N5).
    assert table_name("arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-day") == "orders/index/by-day"
    assert table_name("orders/index/by-day") == "orders/index/by-day"
    with pytest.raises(ValueError):
        table_name("orders/by-day")
    assert table_name(" orders ") == "orders"
    with pytest.raises(ValueError):
        table_name("a")
