"""Which DynamoDB limit throttles a table or an index: the decision over metric series, and end to end
against a plain moto server (which lacks Contributor Insights, as an account without it enabled would
answer nothing useful either)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.cloudwatch.metrics import Datapoint, MetricSeries
from diagnostics.throttling.dynamodb_limits import Capacity, TableConfig, TableLoad, decide_dynamodb, decide_index
from playbooks.registry import parse_inputs
from playbooks.runner import run_playbook
from playbooks.throttling import PLAYBOOK

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
REGION = "us-east-1"
ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"


def sums(metric: str, values: list[float]) -> MetricSeries:
    n = len(values)
    return MetricSeries("AWS/DynamoDB", metric, (), 60,
                        tuple(Datapoint(at=NOW - timedelta(minutes=n - i), total=v) for i, v in enumerate(values)))


def config(mode: str = "PROVISIONED", rcu: int | None = 100, wcu: int | None = 50, **extra) -> TableConfig:
    indexes = tuple(Capacity(i, 10, 5) for i in extra.pop("indexes", ()))
    return TableConfig("orders", ARN, mode, Capacity(None, rcu, wcu, **extra), indexes)


def load(cfg: TableConfig | None, **series: list[float]) -> TableLoad:
    data = {}
    for key, values in series.items():
        metric, _, index = key.partition("__")
        data[(metric, index or None)] = sums(metric, values)
    return TableLoad("orders", cfg, data, by_operation=(("PutItem", 400.0),))


def test_provisioned_capacity_reached() -> None:
    # 50 WCU, 3,000 units a minute consumed = 50 a second, throttled
    [decision] = decide_dynamodb(load(config(), WriteThrottleEvents=[0] * 30 + [20] * 30,
                                      ConsumedWriteCapacityUnits=[1500] * 30 + [3000] * 30), REGION)
    assert decision.cause == "provisioned"
    finding = decision.findings[0]
    assert (finding.code, finding.resource, finding.severity) == ("DYNAMODB_PROVISIONED_CAPACITY", ARN, "error")
    assert "WriteCapacityUnits=100" in finding.remediation[0] and "ReadCapacityUnits=100" in finding.remediation[0]
    assert "PutItem (400)" in finding.summary
    assert "--billing-mode PAY_PER_REQUEST" in finding.alternatives[0].commands[0]


def test_a_gsi_short_of_write_capacity_is_named_with_its_own_fix() -> None:
    cfg = config(indexes=("by-customer",))
    [decision] = decide_dynamodb(load(cfg, **{
        "WriteThrottleEvents__by-customer": [15] * 20, "ConsumedWriteCapacityUnits__by-customer": [300] * 20,
        "ConsumedWriteCapacityUnits": [600] * 20}), REGION)
    assert decision.target == "orders/index/by-customer" and decision.cause == "provisioned"
    finding = decision.findings[0]
    assert finding.resource == ARN + "/index/by-customer"
    assert "--global-secondary-index-updates" in finding.remediation[0] and '"IndexName":"by-customer"' in \
        finding.remediation[0]
    assert "throttles writes to the table itself" in finding.summary


def test_the_index_asked_about_is_judged_on_its_own_metrics() -> None:
    cfg = config(indexes=("by-customer", "by-day"))
    throttled = load(cfg, **{"ReadThrottleEvents__by-customer": [15] * 20,
                             "ConsumedReadCapacityUnits__by-customer": [600] * 20,
                             "ConsumedReadCapacityUnits__by-day": [60] * 20})
    [decision] = decide_index(throttled, "by-customer", REGION)
    assert decision.target == "orders/index/by-customer" and decision.findings[0].resource == ARN + "/index/by-customer"
    [quiet] = decide_index(throttled, "by-day", REGION)  # the other index's throttles are not its answer
    assert quiet.cause == "none" and "Index by-day of orders" in quiet.detail and not quiet.findings
    idle, table = decide_index(load(cfg), "by-day", REGION)  # the table was throttled (PutItem 400): said too
    assert table.target == "orders" and table.findings
    assert idle.cause == "no_data" and "GlobalSecondaryIndexName" in idle.detail


def test_a_hot_key_on_demand_without_contributor_insights() -> None:
    [decision] = decide_dynamodb(load(config("PAY_PER_REQUEST", None, None), WriteThrottleEvents=[30] * 60,
                                      ConsumedWriteCapacityUnits=[50000] * 60), REGION)
    assert decision.cause == "key_range"
    finding = decision.findings[0]
    assert finding.code == "DYNAMODB_HOT_KEY" and finding.certainty == "conditional"
    assert "could not be read" in finding.summary and "update-contributor-insights" in finding.summary


def test_the_key_range_metric_and_contributor_insights_name_the_hot_key() -> None:
    base = load(config("PAY_PER_REQUEST", None, None), WriteKeyRangeThroughputThrottleEvents=[40] * 30,
                ConsumedWriteCapacityUnits=[50000] * 30)
    hot = TableLoad(base.name, base.config, base.series, insights_status="ENABLED",
                    hot_keys=(("customer#42", 1180.0), ("customer#7", 20.0)))
    [decision] = decide_dynamodb(hot, REGION)
    finding = decision.findings[0]
    assert decision.cause == "key_range" and finding.certainty == "certain"
    assert "customer#42 (1,180)" in finding.summary and finding.evidence["throttled_keys"]["customer#42"] == 1180


def test_on_demand_traffic_more_than_doubling_its_previous_peak() -> None:
    [decision] = decide_dynamodb(load(config("PAY_PER_REQUEST", None, None),
                                      WriteThrottleEvents=[0] * 40 + [90] * 20,
                                      ConsumedWriteCapacityUnits=[6000] * 40 + [30000] * 20), REGION)
    assert decision.cause == "previous_peak"
    finding = decision.findings[0]
    assert "from a peak of 100 to 500 units a second" in finding.summary
    assert "--warm-throughput WriteUnitsPerSecond=750" in finding.remediation[0]


def test_the_configured_on_demand_maximum() -> None:
    cfg = config("PAY_PER_REQUEST", None, None, max_write=100)
    [decision] = decide_dynamodb(load(cfg, WriteThrottleEvents=[25] * 10, ConsumedWriteCapacityUnits=[6000] * 10),
                                 REGION)
    assert decision.cause == "max_on_demand"
    assert "--on-demand-throughput MaxWriteRequestUnits=200" in decision.findings[0].remediation[0]


def test_a_pasted_throttling_reason_decides() -> None:
    [decision] = decide_dynamodb(load(config(), ReadThrottleEvents=[12] * 10, ConsumedReadCapacityUnits=[60] * 10),
                                 REGION, reason="TableReadKeyRangeThroughputExceeded")
    assert decision.cause == "key_range" and decision.findings[0].certainty == "certain"


def test_no_throttles_and_no_data() -> None:
    quiet = TableLoad("orders", config(), {("ConsumedReadCapacityUnits", None): sums("x", [30] * 10)})
    assert [d.cause for d in decide_dynamodb(quiet, REGION)] == ["none"]
    empty = TableLoad("orders", config(), {("ConsumedReadCapacityUnits", None): sums("x", [])})
    [decision] = decide_dynamodb(empty, REGION)
    assert decision.cause == "no_data" and "no consumed-capacity or throttle datapoints" in decision.detail
    [unread] = decide_dynamodb(TableLoad("orders", None, {}, unread=4), REGION)
    assert unread.cause == "unknown" and "could be read" in unread.detail


# --- end to end ------------------------------------------------------------------------------------


def put_table_series(moto, metric: str, values: list[float], **dims: str) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    data = [{"MetricName": metric, "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
             "Timestamp": now - timedelta(minutes=len(values) - i), "Value": v, "Unit": "Count"}
            for i, v in enumerate(values)]
    moto.client("cloudwatch").put_metric_data(Namespace="AWS/DynamoDB", MetricData=data)


@pytest.mark.sandbox
def test_a_provisioned_table_end_to_end(plain_moto) -> None:
    plain_moto.client("dynamodb").create_table(
        TableName="orders", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        ProvisionedThroughput={"ReadCapacityUnits": 100, "WriteCapacityUnits": 50})
    put_table_series(plain_moto, "WriteThrottleEvents", [0] * 30 + [20] * 30, TableName="orders")
    put_table_series(plain_moto, "ThrottledRequests", [0] * 30 + [18] * 30, TableName="orders", Operation="PutItem")
    put_table_series(plain_moto, "ConsumedWriteCapacityUnits", [1500] * 30 + [3000] * 30, TableName="orders")
    t = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {"table": "orders"}), plain_moto.session())
    step = t.step("dynamodb-limits")
    assert step.status == "problem", step.detail
    [finding] = t.findings
    assert finding["code"] == "DYNAMODB_PROVISIONED_CAPACITY" and finding["resource"].endswith(":table/orders")
    assert "PutItem (540)" in finding["summary"]
    assert t.verdict == "problem_found"


@pytest.mark.sandbox
def test_a_quiet_table_is_no_problem_and_an_idle_one_no_data(plain_moto) -> None:
    ddb = plain_moto.client("dynamodb")
    for name in ("orders", "archive"):
        ddb.create_table(TableName=name, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST")
    put_table_series(plain_moto, "ConsumedReadCapacityUnits", [300] * 30, TableName="orders")
    quiet = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {"table": "orders"}), plain_moto.session())
    assert quiet.step("dynamodb-limits").status == "ok" and quiet.verdict == "no_problem_found"
    idle = run_playbook(PLAYBOOK, parse_inputs(PLAYBOOK, {"table": "archive"}), plain_moto.session())
    assert idle.step("dynamodb-limits").status == "no_data" and idle.verdict == "incomplete"
