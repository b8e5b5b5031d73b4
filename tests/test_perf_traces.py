"""X-Ray trace summaries: which segment takes the time (pure), and the sandbox's GetTraceSummaries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from diagnostics.performance.traces import describe_traces, read_summaries
from diagnostics.sandbox.gaps.xray import answer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def summary(n: int, seconds: float, cause: list[str] | None, fault: bool = False) -> dict:
    """A TraceSummary as GetTraceSummaries returns it."""
    out = {"Id": f"1-65e1c2a0-{n:024x}", "ResponseTime": seconds, "Duration": seconds, "HasFault": fault,
           "HasError": False, "ResponseTimeRootCauses": []}
    if cause:
        out["ResponseTimeRootCauses"] = [{"Services": [{"Name": cause[0], "Type": "AWS::Lambda::Function",
                                                        "EntityPath": [{"Name": e} for e in cause]}],
                                          "ClientImpacting": True}]
    return out


def test_the_root_cause_of_the_slowest_traces_is_named_with_examples() -> None:
    traces = [summary(i, 0.1, ["search", "search"]) for i in range(40)]
    traces += [summary(100 + i, 2.0 + i / 10, ["search", "DynamoDB", "Query"], fault=i == 0) for i in range(8)]
    reading = read_summaries(traces)
    assert (reading.count, reading.faults, reading.slow) == (48, 1, 5)
    top = reading.causes[0]
    assert (top.service, top.entity, top.traces, top.share) == ("search", "search > DynamoDB > Query", 5, 1.0)
    assert len(top.examples) == 3 and top.examples[0] == f"1-65e1c2a0-{107:024x}"  # the slowest first
    text = describe_traces(reading)
    assert "X-Ray names search > DynamoDB > Query" in text and "48 traces (1 with faults" in text


def test_no_traces_and_no_root_causes() -> None:
    assert describe_traces(read_summaries([])) == "no traces"
    reading = read_summaries([summary(1, 0.3, None)])
    assert reading.causes == () and "named no root cause" in describe_traces(reading)


def test_sandbox_answers_service_filters_within_the_window() -> None:
    specs = [{"service": "orders-api/prod", "count": 10, "minutes": 50, "response_time": [0.5, 1.0],
              "root_cause": ["orders-history", "DynamoDB"]},
             {"service": "other", "count": 4, "minutes": 50}]
    params = {"StartTime": (NOW - timedelta(hours=1)).timestamp(), "EndTime": NOW.timestamp(),
              "FilterExpression": 'service("orders-api/prod")'}
    found = answer(params, specs, NOW)["TraceSummaries"]
    assert len(found) == 10 and all("_service" not in t for t in found)
    assert found[-1]["ResponseTimeRootCauses"][0]["Services"][0]["EntityPath"][1]["Name"] == "DynamoDB"
    assert len(answer({**params, "FilterExpression": ""}, specs, NOW)["TraceSummaries"]) == 14
    early = {**params, "EndTime": (NOW - timedelta(minutes=55)).timestamp()}
    assert answer(early, specs, NOW)["TraceSummaries"] == []


def test_sandbox_extended_statistics_are_nearest_rank_percentiles_of_the_raw_values() -> None:
    from diagnostics.sandbox.gaps.cloudwatch import extended

    values = [float(v) for v in range(1, 101)]
    assert extended(values, ["p50", "p90", "p99", "p99.9", "tm99", "Average"]) == {
        "p50": 50.0, "p90": 90.0, "p99": 99.0, "p99.9": 100.0}
    assert extended([], ["p50"]) == {}
