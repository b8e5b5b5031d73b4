"""The throttling playbook end to end against a plain moto server no sandbox code touched.

moto lacks Lambda GetAccountSettings (and CloudTrail LookupEvents), as a real account whose
credentials lack lambda:GetAccountSettings would: the Lambda step must keep what it can read.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from playbooks.registry import parse_inputs
from playbooks.runner import run_playbook
from playbooks.throttling import PLAYBOOK

pytestmark = pytest.mark.sandbox


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return 1\n")
    return buffer.getvalue()


def make_function(moto, name: str, reserved: int | None = None) -> str:
    iam = moto.client("iam")
    try:
        role = iam.get_role(RoleName="fn-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    lam = moto.client("lambda")
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role, Handler="handler.handler",
                              Code={"ZipFile": _code()})["FunctionArn"]
    if reserved is not None:
        lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=reserved)
    return arn


def put_series(moto, metric: str, values: list[float], function: str | None = None) -> None:
    """One value a minute, oldest first, the newest a minute ago (without ``function``: account-wide)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    dims = [{"Name": "FunctionName", "Value": function}] if function else []
    data = [{"MetricName": metric, "Dimensions": dims, "Timestamp": now - timedelta(minutes=len(values) - i),
             "Value": v, "Unit": "Count"} for i, v in enumerate(values)]
    cw = moto.client("cloudwatch")
    for start in range(0, len(data), 500):
        cw.put_metric_data(Namespace="AWS/Lambda", MetricData=data[start:start + 500])


def run(moto, **inputs: str):
    return run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, inputs), moto.session())


def reserved_five_world(moto) -> str:
    arn = make_function(moto, "thumbnail-resizer", reserved=5)
    # 40-60 throttles per five minutes, at the reservation all along
    put_series(moto, "Throttles", [8, 12, 10, 9, 11] * 11, "thumbnail-resizer")
    put_series(moto, "ConcurrentExecutions", [5] * 55, "thumbnail-resizer")
    put_series(moto, "Invocations", [30] * 55, "thumbnail-resizer")
    return arn


def test_service_lambda_keeps_reserved_concurrency_when_get_account_settings_fails(plain_moto) -> None:
    arn = reserved_five_world(plain_moto)
    t = run(plain_moto, service="lambda")
    step = t.step("lambda-limits")
    assert step.status == "problem", step.detail
    assert t.verdict == "problem_found"
    [finding] = [f for f in t.findings if f["code"] == "LAMBDA_RESERVED_CONCURRENCY"]
    assert finding["resource"] == arn and "reserved concurrency of 5" in finding["summary"]
    missing = {m["fact"]: m["action"] for m in step.missing}
    assert missing["the account's Lambda concurrency limit"] == "lambda:GetAccountSettings"
    assert "The account's concurrency limit could not be read." in step.detail


def test_function_parameter_through_the_cli_names_the_reservation(plain_moto) -> None:
    reserved_five_world(plain_moto)
    done = plain_moto.cli("run", "throttling", "--param", "function=thumbnail-resizer", "--format", "json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["verdict"] == "problem_found"
    [finding] = data["findings"]
    assert "thumbnail-resizer" in finding["summary"] and "reserved" in finding["summary"]
    # Invocations are data events: the event history is not asked (moto lacks it; so may a real trail).
    assert {s["id"]: s["status"] for s in data["steps"]}["throttled-calls"] == "skipped"


def test_the_drained_pool_names_the_function_holding_it(plain_moto) -> None:
    make_function(plain_moto, "checkout")
    make_function(plain_moto, "batch-etl")
    quiet, busy = 40, 20
    put_series(plain_moto, "Throttles", [0] * quiet + [120] * busy, "checkout")
    put_series(plain_moto, "ConcurrentExecutions", [150] * quiet + [300] * busy, "checkout")
    put_series(plain_moto, "Invocations", [600] * (quiet + busy), "checkout")
    put_series(plain_moto, "ConcurrentExecutions", [8000] * quiet + [19700] * busy, "batch-etl")
    put_series(plain_moto, "ConcurrentExecutions", [8150] * quiet + [20000] * busy)
    put_series(plain_moto, "UnreservedConcurrentExecutions", [8150] * quiet + [20000] * busy)
    done = plain_moto.cli("run", "throttling", "--param", "function=checkout", "--format", "json")
    assert done.returncode == 1, done.stderr
    data = json.loads(done.stdout)
    assert data["verdict"] == "problem_found"
    [finding] = data["findings"]
    assert finding["code"] == "LAMBDA_ACCOUNT_CONCURRENCY"
    assert "batch-etl held 19,700" in finding["summary"] and "20,000" in finding["summary"]
    assert "scaling" not in finding["summary"].lower()
    # GetAccountSettings is missing here: the plateau stands in for the limit, and says so
    assert finding["certainty"] == "conditional"
    assert finding["remediation"][0].startswith("aws lambda put-function-concurrency --function-name checkout")


def test_a_world_without_throttles_is_no_problem(plain_moto) -> None:
    make_function(plain_moto, "checkout")
    put_series(plain_moto, "Throttles", [0] * 60, "checkout")
    put_series(plain_moto, "ConcurrentExecutions", [40] * 60, "checkout")
    put_series(plain_moto, "Invocations", [300] * 60, "checkout")
    t = run(plain_moto, function="checkout")
    assert t.step("lambda-limits").status == "ok", t.step("lambda-limits").detail
    assert t.verdict == "no_problem_found" and not t.findings


def test_a_function_without_metrics_is_no_data_not_health(plain_moto) -> None:
    make_function(plain_moto, "checkout")
    t = run(plain_moto, function="checkout")
    step = t.step("lambda-limits")
    assert step.status == "no_data" and "no AWS/Lambda Throttles or Invocations datapoints for checkout" in step.detail
    assert t.verdict == "incomplete"


def test_reserved_zero_without_any_metric(plain_moto) -> None:
    arn = make_function(plain_moto, "checkout", reserved=0)
    t = run(plain_moto, function=arn)
    assert t.verdict == "problem_found"
    assert [(f["code"], f["resource"]) for f in t.findings] == [("LAMBDA_RESERVED_CONCURRENCY", arn)]


def test_a_pasted_error_fills_the_service_and_the_reason(plain_moto) -> None:
    reserved_five_world(plain_moto)
    error = ("TooManyRequestsException: Rate Exceeded.\n  Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded'")
    t = run(plain_moto, error=error, function="thumbnail-resizer")
    [finding] = t.findings
    assert "ReservedFunctionConcurrentInvocationLimitExceeded" in finding["summary"]
    assert t.inputs["error"] == error


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: object):
        yield self.body


def test_a_refused_get_account_settings_still_names_the_reservation(plain_moto) -> None:
    """Refused (403 AccessDeniedException), not missing: the missing fact names the action and the denial."""
    from botocore.awsrequest import AWSResponse

    arn = reserved_five_world(plain_moto)
    session = plain_moto.session()
    message = ("User: arn:aws:iam::123456789012:user/oncall is not authorized to perform: lambda:GetAccountSettings "
               "on resource: * because no identity-based policy allows the lambda:GetAccountSettings action")

    def refuse(request, **_: object) -> AWSResponse:
        body = json.dumps({"Type": "User", "message": message}).encode()
        return AWSResponse(request.url, 403, {"x-amzn-ErrorType": "AccessDeniedException",
                                              "Content-Type": "application/json"}, _Raw(body))

    session.boto._session.register("before-send.lambda.GetAccountSettings", refuse)
    t = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {"function": "thumbnail-resizer"}), session)
    step = t.step("lambda-limits")
    assert step.status == "problem" and t.verdict == "problem_found"
    assert [(f["code"], f["resource"]) for f in t.findings] == [("LAMBDA_RESERVED_CONCURRENCY", arn)]
    [refused] = [m for m in step.missing if m["fact"] == "the account's Lambda concurrency limit"]
    assert refused["action"] == "lambda:GetAccountSettings"
    assert refused["reason"].startswith("the credentials lack lambda:GetAccountSettings")


def test_an_account_without_any_throttle_metric_is_no_data(plain_moto) -> None:
    make_function(plain_moto, "checkout")
    t = run(plain_moto, service="lambda")
    step = t.step("lambda-limits")
    assert step.status == "no_data", step.detail
    assert "CloudWatch lists no AWS/Lambda Throttles metric for any function" in step.detail
    assert "function=NAME" in step.detail
    assert t.verdict == "incomplete"


def test_an_sqs_source_allowed_more_than_the_reservation(plain_moto) -> None:
    make_function(plain_moto, "order-worker", reserved=10)
    queue = plain_moto.client("sqs").create_queue(QueueName="orders")["QueueUrl"]
    queue_arn = plain_moto.client("sqs").get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    mapping = plain_moto.client("lambda").create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName="order-worker", BatchSize=10, ScalingConfig={"MaximumConcurrency": 50})
    put_series(plain_moto, "Throttles", [25] * 30, "order-worker")
    put_series(plain_moto, "ConcurrentExecutions", [10] * 30, "order-worker")
    put_series(plain_moto, "Invocations", [200] * 30, "order-worker")
    t = run(plain_moto, function="order-worker")
    [finding] = t.findings
    assert finding["code"] == "LAMBDA_EVENT_SOURCE_CONCURRENCY" and queue_arn in finding["summary"]
    assert finding["remediation"][0].startswith(f"aws lambda update-event-source-mapping --uuid {mapping['UUID']} ")


def test_service_quotas_stands_in_for_a_refused_get_account_settings(sandbox) -> None:
    """In the sandbox Service Quotas knows the pool's limit: with GetAccountSettings refused, the drained
    pool is still certain, from the second source."""
    from botocore.awsrequest import AWSResponse

    from diagnostics.sandbox import load_scenarios
    from playbooks.workspace import raw_inputs

    [scenario] = [s for s in load_scenarios() if s.name == "throttling-lambda-pool-drained"]
    seeded = sandbox.seed(scenario)
    session = sandbox.session()

    def refuse(request, **_: object) -> AWSResponse:
        body = json.dumps({"Type": "User", "message": "User: arn:aws:iam::123456789012:user/oncall is not "
                           "authorized to perform: lambda:GetAccountSettings"}).encode()
        return AWSResponse(request.url, 403, {"x-amzn-ErrorType": "AccessDeniedException",
                                              "Content-Type": "application/json"}, _Raw(body))

    session.boto._session.register("before-send.lambda.GetAccountSettings", refuse)
    t = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, raw_inputs(seeded.inputs)), session)
    [finding] = t.findings
    assert finding["code"] == "LAMBDA_ACCOUNT_CONCURRENCY" and finding["certainty"] == "certain"
    assert "of its limit of 20,000" in finding["summary"] and "batch-etl held 19,700" in finding["summary"]
    assert [m["action"] for m in t.step("lambda-limits").missing] == ["lambda:GetAccountSettings"]


def test_without_parameters_an_unread_cloudtrail_is_never_no_throttled_call(plain_moto, monkeypatch) -> None:
    """Plain moto has no LookupEvents: the skipped limits steps must not claim that no throttled call was
    seen in a history that was never read."""
    from moto.cloudtrail.responses import CloudTrailResponse

    if hasattr(CloudTrailResponse, "lookup_events"):  # the sandbox's filler, patched process-wide
        monkeypatch.delattr(CloudTrailResponse, "lookup_events")
    t = run(plain_moto)
    assert t.step("throttled-calls").status == "error"
    for step_id, what in (("lambda-limits", "Lambda"), ("dynamodb-limits", "DynamoDB")):
        step = t.step(step_id)
        assert step.status == "skipped", step.detail
        assert "was seen" not in step.detail and "no throttled" not in step.detail
        assert f"was not read (see 'Were API calls throttled?'), so it could not show a throttled {what} call" \
            in step.detail


def test_a_function_or_table_that_does_not_exist_is_said_never_not_invoked(plain_moto) -> None:
    """breaker_b fault 8: function=nope-fn and table=nope-table said "not invoked in the window ... widen
    hours"; a missing alias was judged as the whole function. Lambda's and DynamoDB's own answer
    (ResourceNotFoundException) is the finding, with the account and region searched, as lambda-oom says."""
    t = run(plain_moto, function="nope-fn")
    step = t.step("lambda-limits")
    assert step.status == "error" and step.detail.startswith(
        "There is no Lambda function nope-fn in account 123456789012, region us-east-1"), step.detail
    assert "not invoked" not in step.detail and t.verdict == "incomplete"

    t = run(plain_moto, table="nope-table")
    step = t.step("dynamodb-limits")
    assert step.status == "error" and "There is no DynamoDB table nope-table" in step.detail, step.detail
    assert "account 123456789012, region us-east-1" in step.detail and t.verdict == "incomplete"

    arn = make_function(plain_moto, "orders-api")
    plain_moto.client("lambda").create_alias(FunctionName="orders-api", Name="live", FunctionVersion="$LATEST")
    t = run(plain_moto, function=f"{arn}:prod")
    step = t.step("lambda-limits")
    assert step.status == "error" and "Function orders-api has no alias or version prod" in step.detail, step.detail
    assert "Its aliases: live." in step.detail


def test_a_function_that_exists_is_still_judged_from_its_metrics(plain_moto) -> None:
    make_function(plain_moto, "checkout")
    plain_moto.client("lambda").create_alias(FunctionName="checkout", Name="live", FunctionVersion="$LATEST")
    put_series(plain_moto, "Throttles", [0] * 60, "checkout")
    put_series(plain_moto, "Invocations", [300] * 60, "checkout")
    t = run(plain_moto, function="checkout:live")
    assert t.step("lambda-limits").status == "ok", t.step("lambda-limits").detail


def _table_with_index(moto) -> None:
    key = {"AttributeName": "pk", "KeyType": "HASH"}
    moto.client("dynamodb").create_table(
        TableName="orders", KeySchema=[key],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "customer", "AttributeType": "S"}],
        ProvisionedThroughput={"ReadCapacityUnits": 50, "WriteCapacityUnits": 50},
        GlobalSecondaryIndexes=[{"IndexName": "by-customer", "KeySchema": [{"AttributeName": "customer",
                                                                            "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"},
                                 "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}}])


def _put_table_metric(moto, metric: str, values: list[float], index: str | None = None) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    dims = [{"Name": "TableName", "Value": "orders"}]
    if index:
        dims.append({"Name": "GlobalSecondaryIndexName", "Value": index})
    moto.client("cloudwatch").put_metric_data(Namespace="AWS/DynamoDB", MetricData=[
        {"MetricName": metric, "Dimensions": dims, "Timestamp": now - timedelta(minutes=5 * (len(values) - i)),
         "Value": v, "Unit": "Count"} for i, v in enumerate(values)])


def test_an_index_arn_judges_the_index_not_its_table(plain_moto) -> None:
    """breaker_c N5: .../table/orders/index/by-customer was judged, and 'fixed', as the table orders."""
    _table_with_index(plain_moto)
    _put_table_metric(plain_moto, "ReadThrottleEvents", [40] * 6, "by-customer")
    _put_table_metric(plain_moto, "ConsumedReadCapacityUnits", [1500] * 6, "by-customer")
    t = run(plain_moto, table="arn:aws:dynamodb:us-east-1:123456789012:table/orders/index/by-customer")
    step = t.step("dynamodb-limits")
    assert step.status == "problem" and "by-customer" in step.detail, step.detail
    # moto's GetMetricStatistics also matches the index's datapoints for the table's dimensions alone, so
    # the table may be judged throttled too; the index must be, with its own fix.
    findings = [f for f in t.findings if f["code"].startswith("DYNAMODB_")]
    assert findings[0]["resource"].endswith("table/orders/index/by-customer"), findings
    finding = findings[0]
    assert "--global-secondary-index-updates" in "\n".join(finding["remediation"])


def test_an_index_the_table_does_not_have_is_said(plain_moto) -> None:
    _table_with_index(plain_moto)
    t = run(plain_moto, table="orders/index/by-day")
    step = t.step("dynamodb-limits")
    assert step.status == "error", step.detail
    assert "Table orders has no global secondary index by-day: its indexes are by-customer." in step.detail
