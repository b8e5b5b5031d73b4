"""Percentile and baseline arithmetic, REPORT-line statistics and the regression judgement (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from diagnostics.awslambda.memory import Invocation
from diagnostics.cloudwatch.metrics import combine_window
from diagnostics.performance.baseline import Change, baseline_name, baseline_window, compare, own_time, rate
from diagnostics.performance.components import LATENCY, REQUEST_GROWTH_MS, Component, min_growth_ms
from diagnostics.performance.lambda_logs import log_findings, log_stats
from diagnostics.performance.percentiles import (
    CLOUDWATCH_AVERAGES,
    CLOUDWATCH_PERCENTILES,
    Latency,
    best,
    from_cloudwatch,
    from_samples,
    milliseconds,
    min_samples,
    nearest_rank,
)
from diagnostics.performance.regression import (
    Timing,
    judge,
    regression_finding,
    sentence,
    subtract,
    under_floor,
    with_children,
)
from diagnostics.performance.saturation import LambdaProfile

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# --- percentiles -----------------------------------------------------------------------------


def test_nearest_rank_returns_observed_values() -> None:
    values = sorted(float(v) for v in range(1, 101))  # 1..100
    assert nearest_rank(values, 0.5) == 50 and nearest_rank(values, 0.9) == 90 and nearest_rank(values, 0.99) == 99
    assert nearest_rank([7.0], 0.99) == 7.0
    with pytest.raises(ValueError):
        nearest_rank([], 0.5)


def test_min_samples_per_quantile() -> None:
    assert (min_samples(0.5), min_samples(0.9), min_samples(0.99)) == (2, 10, 100)


def test_sparse_samples_withhold_the_tail_instead_of_inventing_it() -> None:
    latency = from_samples([100.0, 300.0, 200.0] + [None] * 5)  # missing entries are not zeros
    assert latency is not None and latency.samples == 3
    assert dict(latency.percentiles) == {"p50": 200.0}
    assert set(latency.withheld) == {"p90", "p99"}
    assert latency.average == pytest.approx(200.0) and latency.maximum == 300.0
    assert "p90 needs at least 10 samples, there are 3" in latency.describe()


def test_no_samples_is_no_latency() -> None:
    assert from_samples([]) is None and from_samples([None, None]) is None
    assert from_samples([float("nan")]) is None


def test_enough_samples_give_every_percentile() -> None:
    latency = from_samples(float(v) for v in range(1000))
    assert latency is not None and set(latency.percentiles) == {"p50", "p90", "p99"}
    assert latency.percentiles["p99"] == 989.0


def test_cloudwatch_latency_in_milliseconds_and_its_source() -> None:
    with_pct = from_cloudwatch({"p50": 0.12, "p90": 0.4, "p99": None}, 0.15, 1.2, 500, scale=1000.0)
    assert with_pct is not None and with_pct.source == CLOUDWATCH_PERCENTILES
    assert dict(with_pct.percentiles) == {"p50": 120.0, "p90": 400.0}  # p99 not answered, not filled in
    averages = from_cloudwatch({}, average=80.0, maximum=300.0, samples=20)
    assert averages is not None and averages.source == CLOUDWATCH_AVERAGES and not averages.percentiles
    assert "no percentiles" in averages.describe()
    assert from_cloudwatch({}) is None
    assert from_cloudwatch({}, average=None, samples=0) is None


def test_best_prefers_percentiles() -> None:
    averages = from_cloudwatch({}, average=80.0)
    samples = from_samples([1.0, 2.0, 3.0])
    assert best(averages, samples) is samples
    assert best(averages, None) is averages
    assert best(None, None) is None


def test_window_datapoints_combine_weighted_and_never_merge_split_percentiles() -> None:
    stats = combine_window([{"Average": 100.0, "SampleCount": 30, "Maximum": 400.0, "Sum": 3000.0},
                            {"Average": 200.0, "SampleCount": 10, "Maximum": 900.0, "Sum": 2000.0}],
                           [{"ExtendedStatistics": {"p90": 300.0}}, {"ExtendedStatistics": {"p90": 800.0}}])
    assert stats.average == pytest.approx(125.0) and stats.maximum == 900.0 and stats.samples == 40
    assert stats.total == 5000.0 and stats.extended == {}
    one = combine_window([{"Average": 100.0, "SampleCount": 4}], [{"ExtendedStatistics": {"p99": 350.0}}])
    assert one.extended == {"p99": 350.0}
    assert combine_window([]).empty


# --- baseline --------------------------------------------------------------------------------


def test_baseline_windows() -> None:
    start, end = NOW - timedelta(hours=1), NOW
    assert baseline_window(start, end) == (start - timedelta(days=7), end - timedelta(days=7))
    assert baseline_window(start, end, "day") == (start - timedelta(days=1), end - timedelta(days=1))
    assert baseline_window(start, end, "previous") == (start - timedelta(hours=1), start)
    assert baseline_name(" Week ") == "week"
    with pytest.raises(ValueError, match="week"):
        baseline_name("month")


def test_change_arithmetic_with_missing_sides() -> None:
    change = Change("p90", 900.0, 300.0)
    assert change.ratio == 3.0 and change.growth_ms == 600.0 and change.slower and change.much_slower
    assert "900 ms now against 300 ms at baseline (3.0x)" in change.sentence()
    assert Change("p90", 900.0, None).ratio is None and not Change("p90", 900.0, None).slower
    assert "no data at baseline" in Change("p90", 900.0, None).sentence()
    assert Change("p90", None, 300.0).growth_ms is None
    assert Change("p90", 5.0, 0.0).ratio is None  # from zero, a ratio means nothing
    assert not Change("p50", 30.0, 10.0).slower  # 3x, but 20 ms is not what anyone is paged for


def test_compare_uses_the_same_statistic_on_both_sides() -> None:
    now = Latency("x", 50, 400.0, 900.0, {"p50": 350.0, "p90": 800.0})
    then_sparse = Latency("x", 5, 150.0, 300.0, {"p50": 140.0})
    change = compare(now, then_sparse)
    assert change == Change("p50", 350.0, 140.0)
    assert compare(now, None) == Change("p90", 800.0, None)
    assert compare(None, None) is None


def test_own_time_and_rates() -> None:
    assert own_time(500.0, 450.0) == 50.0 and own_time(100.0, 150.0) == 0.0
    assert own_time(None, 10.0) is None and own_time(80.0, None) == 80.0
    assert rate(5, 100) == 0.05 and rate(5, 0) is None and rate(None, 10) is None


# --- REPORT lines ----------------------------------------------------------------------------

FN = LambdaProfile("checkout-api", "arn:aws:lambda:us-east-1:123456789012:function:checkout-api", 512, 3)


def runs(durations: list[float], init_every: int = 0, init: float = 1800.0) -> list[Invocation]:
    return [Invocation(f"r{i}", NOW, 512, 200, d, init_ms=init if init_every and i % init_every == 0 else None)
            for i, d in enumerate(durations)]


def test_log_stats_near_timeout_and_cold_starts() -> None:
    stats = log_stats(runs([2650 + 5 * i for i in range(30)], init_every=3), timeout_s=3)
    assert (stats.count, stats.near_timeout, stats.timed_out, stats.cold_starts) == (30, 30, 0, 10)
    assert stats.latency is not None and stats.latency.percentiles["p50"] == 2720.0
    codes = {(f.code, f.severity) for f in log_findings(stats, FN, "us-east-1")}
    assert codes == {("LAMBDA_DURATION_NEAR_TIMEOUT", "error"), ("LAMBDA_COLD_STARTS", "warning")}


def test_a_few_slow_invocations_are_a_warning_and_cheap_cold_starts_no_finding() -> None:
    """A few invocations at 90% of the timeout: a warning, not a problem, as from the Duration metric."""
    stats = log_stats(runs([150.0] * 27 + [2700.0] * 3, init_every=2, init=250.0), timeout_s=3)
    assert stats.near_timeout == 3
    assert [(f.code, f.severity) for f in log_findings(stats, FN, "us-east-1")] == [
        ("LAMBDA_DURATION_NEAR_TIMEOUT", "warning")]
    quick = log_stats(runs([150.0] * 27 + [2500.0] * 3, init_every=2, init=250.0), timeout_s=3)
    assert log_findings(quick, FN, "us-east-1") == []


def test_timed_out_invocations_are_always_a_problem() -> None:
    stats = log_stats(runs([150.0] * 29 + [3000.0]), timeout_s=3)
    [finding] = log_findings(stats, FN, "us-east-1")
    assert finding.severity == "error" and "1 of 30 invocations ran into the 3 s timeout" in finding.summary
    assert finding.alternatives and "--timeout" in finding.alternatives[0].commands[0]
    assert log_findings(log_stats([], 3), FN, "us-east-1") == []


# --- regression ------------------------------------------------------------------------------

API = Component("apigw-rest", "orders-api/prod", "orders-api", "arn:aws:apigateway:us-east-1::/restapis/a1/stages/prod",
                (("ApiName", "orders-api"), ("Stage", "prod")))
FUNC = Component("lambda", "orders", "orders", FN.arn, (("FunctionName", "orders"),), parent=API.key)


def lat(avg: float, p90: float | None = None) -> Latency:
    return Latency("x", 100, avg, None, {"p90": p90} if p90 is not None else {})


def test_the_component_whose_own_time_grew_is_named_not_its_caller() -> None:
    # The API's Latency grew from 300 to 1,300 ms, but its IntegrationLatency grew as much: the function.
    timings = {API.key: Timing(API, lat(1300, 1400), lat(300, 350), lat(1250, 1350), lat(250, 300)),
               FUNC.key: Timing(FUNC, lat(1200, 1340), lat(240, 290))}
    verdicts = judge(with_children(timings, [API, FUNC]).values())
    assert verdicts[0].component == FUNC
    api = next(v for v in verdicts if v.component == API)
    assert api.below_grew
    finding = regression_finding(verdicts, "the same hours one week earlier", "us-east-1")
    assert finding is not None and finding.resource == FN.arn and finding.severity == "error"
    assert "1,340 ms now against 290 ms" in finding.summary and "API Gateway REST API orders-api" in finding.summary
    assert finding.evidence["baseline_ms"] == 290


def test_an_api_that_itself_got_slower_is_named() -> None:
    timings = {API.key: Timing(API, lat(900, 1000), lat(300, 350), lat(200, 240), lat(200, 250))}
    [verdict] = judge(timings.values())
    assert verdict.own is not None and verdict.own.now == 760 and not verdict.below_grew
    finding = regression_finding([verdict], "last week", "us-east-1")
    assert finding is not None and finding.resource == API.arn
    assert any("--extended-statistic p90" in line and "Name=ApiName,Value=orders-api" in line
               for line in finding.remediation)


def test_no_regression_and_no_baseline() -> None:
    steady = {FUNC.key: Timing(FUNC, lat(210, 300), lat(200, 290))}
    assert regression_finding(judge(steady.values()), "last week", "us-east-1") is None
    no_baseline = judge([Timing(FUNC, lat(2000, 2500), None)])
    assert regression_finding(no_baseline, "last week", "us-east-1") is None
    assert judge([Timing(FUNC)]) == []
    assert subtract(None, lat(1)) is None


# --- the growth that counts, per metric (breaker_b fault 3) ---------------------------------

DB = Component("rds", "orders-db", "orders-db", "arn:aws:rds:us-east-1:123456789012:db:orders-db",
               (("DBInstanceIdentifier", "orders-db"),))
TABLE = Component("dynamodb", "orders/GetItem", "orders GetItem",
                  "arn:aws:dynamodb:us-east-1:123456789012:table/orders",
                  (("TableName", "orders"), ("Operation", "GetItem")))
ALB = Component("alb", "shop-web", "shop-web", "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/"
                "shop-web/50dc6c495c0c9188", (("LoadBalancer", "app/shop-web/50dc6c495c0c9188"),))


@pytest.mark.parametrize(("comp", "now", "then"), [(DB, 80.0, 2.0), (TABLE, 45.0, 4.0)])
def test_a_per_io_or_per_call_latency_many_times_its_baseline_is_a_regression(comp, now, then) -> None:
    """RDS ReadLatency 2 ms -> 80 ms per I/O, DynamoDB GetItem 4 ms -> 45 ms: a 100 ms floor meant for a
    request's latency called both "nothing got markedly slower"; the floor fits each metric's scale."""
    [verdict] = judge([Timing(comp, lat(now), lat(then))])
    finding = regression_finding([verdict], "the same hours one week earlier", "us-east-1")
    assert finding is not None and finding.resource == comp.arn and finding.severity == "error"
    assert f"{now:,.0f} ms now against {then:g} ms at baseline" in finding.summary
    assert f"its {LATENCY[comp.kind].name} is" in finding.summary  # per I/O, per call: the metric is named
    assert under_floor([verdict]) == []


def test_the_floor_is_data_per_metric_and_small_growth_stays_noise() -> None:
    assert min_growth_ms("rds") < min_growth_ms("dynamodb") < min_growth_ms("alb") == min_growth_ms("lambda")
    assert min_growth_ms("origin") == REQUEST_GROWTH_MS  # no metric of its own: a request's floor
    # 1 ms -> 2 ms per I/O doubles, but is not what an I/O-bound query notices.
    assert not compare(lat(2.0), lat(1.0), min_growth_ms("rds")).slower  # type: ignore[union-attr]
    # A load balancer 10 ms -> 40 ms is 4x, by 30 ms: below a request's floor, and said so, not hidden.
    [verdict] = judge([Timing(ALB, lat(40.0), lat(10.0))])
    assert regression_finding([verdict], "last week", "us-east-1") is None
    [said] = under_floor([verdict])
    assert "grew 4.0x, but by 30 ms, less than the 100 ms" in said


def test_a_database_regression_outranks_a_smaller_request_one_on_the_floor_scale() -> None:
    verdicts = judge([Timing(ALB, lat(450.0), lat(300.0)), Timing(DB, lat(40.0), lat(2.0))])
    assert verdicts[0].component == DB


def test_small_latencies_keep_their_digits() -> None:
    assert milliseconds(0.35) == "0.35 ms" and milliseconds(4.5) == "4.5 ms" and milliseconds(2.0) == "2 ms"
    assert milliseconds(1250.4) == "1,250 ms" and milliseconds(45.2) == "45 ms"
    assert "p50 0.8 ms" in Latency("x", 10, None, None, {"p50": 0.8}).describe()


def test_a_database_whose_writes_got_slower_is_named_with_the_metric_that_grew() -> None:
    """ReadLatency steady, WriteLatency 1 ms -> 40 ms per I/O: the disk's writes are the regression."""
    verdicts = judge([Timing(DB, lat(2.0), lat(2.1)), Timing(DB, lat(40.0), lat(1.0), metric="WriteLatency")])
    finding = regression_finding(verdicts, "last week", "us-east-1")
    assert finding is not None and finding.resource == DB.arn and finding.evidence["metric"] == "WriteLatency"
    assert "its WriteLatency is average 40 ms now against 1 ms" in finding.summary
    assert any("--metric-name WriteLatency" in line for line in finding.remediation)
    assert [sentence(v).split(":")[0] for v in verdicts] == ["RDS DB instance orders-db WriteLatency",
                                                            "RDS DB instance orders-db ReadLatency"]


def test_the_lookup_command_asks_under_the_recorded_name_and_where_cloudtrail_keeps_it() -> None:
    dist = Component("cloudfront", "E2QWRUHAPOMQZL", "d111111abcdef8.cloudfront.net",
                     "arn:aws:cloudfront::123456789012:distribution/E2QWRUHAPOMQZL",
                     (("DistributionId", "E2QWRUHAPOMQZL"), ("Region", "Global")))
    finding = regression_finding(judge([Timing(dist, lat(900.0), lat(200.0))]), "last week", "eu-west-1")
    assert finding is not None
    assert any("AttributeValue=E2QWRUHAPOMQZL --region us-east-1" in line for line in finding.remediation)
    finding = regression_finding(judge([Timing(TABLE, lat(45.0), lat(4.0))]), "last week", "eu-west-1")
    assert finding is not None and any(
        f"AttributeValue={TABLE.arn} --region eu-west-1" in line for line in finding.remediation)
