"""Performance Insights: DB load against vCPUs and the statement behind it (pure), and the sandbox's pi."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from diagnostics.performance.insights import describe_insights, insights_findings, read_insights, vcpus
from diagnostics.performance.saturation import RdsProfile
from diagnostics.sandbox.gaps.pi import answer

DB = RdsProfile("orders-db", "arn:aws:rds:us-east-1:123456789012:db:orders-db", "db.m5.large", "postgres", "gp3",
                100, resource_id="db-ABCDEFGHIJKLMNOPQRSTUVWXY0")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def load(values: list[float]) -> dict:
    """A GetResourceMetrics answer for db.load.avg."""
    return {"MetricList": [{"Key": {"Metric": "db.load.avg"},
                            "DataPoints": [{"Timestamp": NOW, "Value": v} for v in values]}]}


def keys(group: str, items: list[tuple[str, float]]) -> dict:
    """A DescribeDimensionKeys answer grouped by ``group``."""
    name = "db.sql_tokenized.statement" if group == "sql" else "db.wait_event.name"
    return {"Keys": [{"Dimensions": {name: n}, "Total": t} for n, t in items]}


SQL = "SELECT o.* FROM orders o WHERE o.customer_email = $1"


def test_one_statement_over_the_vcpus_is_named() -> None:
    reading = read_insights(load([6.0, 7.0]), keys("sql", [("UPDATE carts ...", 0.5), (SQL, 5.5)]),
                            keys("wait", [("CPU", 5.4), ("IO:DataFileRead", 0.6)]), DB.instance_class)
    assert reading.load_avg == 6.5 and reading.vcpus == 2 and reading.sql[0].name == SQL
    assert round(reading.sql[0].share, 2) == 0.92
    [finding] = insights_findings(reading, DB, DB.resource_id, "us-east-1")
    assert (finding.code, finding.severity, finding.resource) == ("RDS_TOP_SQL", "error", DB.arn)
    assert SQL in finding.summary and "6.5 active sessions" in finding.summary
    assert any("aws pi describe-dimension-keys" in line and DB.resource_id in line for line in finding.remediation)
    assert "db.m5.xlarge" in finding.alternatives[0].commands[0]
    assert "against 2 vCPUs" in describe_insights(reading) and "CPU (90%)" in describe_insights(reading)


def test_load_within_the_vcpus_or_spread_over_statements_is_no_finding() -> None:
    light = read_insights(load([1.0, 1.2]), keys("sql", [(SQL, 1.0)]), None, "db.m5.large")
    assert insights_findings(light, DB, DB.resource_id, "us-east-1") == []
    spread = read_insights(load([6.0]), keys("sql", [(f"q{i}", 1.0) for i in range(6)]), None, "db.m5.large")
    assert insights_findings(spread, DB, DB.resource_id, "us-east-1") == []
    nothing = read_insights(None, None, None, "db.m5.large")
    assert nothing.empty and "no load" in describe_insights(nothing)
    assert vcpus("db.r6g.2xlarge") == 8 and vcpus("db.weird") is None


def test_sandbox_pi_answers_like_the_api_or_refuses_without_data() -> None:
    params = {"StartTime": (NOW - timedelta(hours=1)).timestamp(), "EndTime": NOW.timestamp(),
              "PeriodInSeconds": 60, "Identifier": "db-X"}
    status, body = answer("GetResourceMetrics", params, {})
    assert status == 400 and body["__type"] == "InvalidArgumentException"
    data = {"load": [2.0, 4.0], "sql": [{"statement": "a", "load": 1.0}, {"statement": "b", "load": 3.0}]}
    status, body = answer("GetResourceMetrics", params, data)
    values = [p["Value"] for p in body["MetricList"][0]["DataPoints"]]
    assert status == 200 and len(values) == 60 and values[0] == 2.0 and values[-1] == 4.0
    _, body = answer("DescribeDimensionKeys", {**params, "GroupBy": {"Group": "db.sql_tokenized", "Limit": 1}},
                     data)
    assert [k["Dimensions"]["db.sql_tokenized.statement"] for k in body["Keys"]] == ["b"]
