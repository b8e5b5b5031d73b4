"""DynamoDB Contributor Insights, which moto lacks: ``DescribeContributorInsights`` and the CloudWatch
``GetInsightRuleReport`` that reads its rules, answered from the scenario::

    [gaps.contributor_insights.orders]       # the table's name
    status = "ENABLED"
    throttled_keys = [ ["customer#42", 1180], ["customer#7", 20] ]

A table the scenario does not name answers DISABLED with no rules, as on AWS by default. The rule for
throttled keys is named as AWS names it: ``DynamoDBContributorInsights-PKT-<table>-<creation time>``.
"""

from __future__ import annotations

from typing import Any

from diagnostics.sandbox import gaps

RULE_PREFIXES = ("PKC", "SKC", "PKT", "SKT")  # most accessed / most throttled partition and sort keys
CREATED = "1767225600000"


def rule_names(table: str) -> list[str]:
    return [f"DynamoDBContributorInsights-{p}-{table}-{CREATED}" for p in RULE_PREFIXES]


def describe(table: str, data: dict[str, Any]) -> dict[str, Any]:
    settings = data.get(table) or {}
    status = str(settings.get("status", "DISABLED"))
    answer: dict[str, Any] = {"TableName": table, "ContributorInsightsStatus": status}
    if status == "ENABLED":
        answer["ContributorInsightsRuleList"] = rule_names(table)
    return answer


def report(rule: str, data: dict[str, Any], top: int) -> dict[str, Any]:
    """Contributors of a ``-PKT-`` rule: the scenario's throttled keys, most first."""
    keys: list[Any] = []
    for table, settings in data.items():
        if rule.startswith(f"DynamoDBContributorInsights-PKT-{table}-") and settings.get("status") == "ENABLED":
            keys = sorted(settings.get("throttled_keys", []), key=lambda kv: -float(kv[1]))
    contributors = [{"Keys": [str(k)], "ApproximateAggregateValue": float(n), "Datapoints": []}
                    for k, n in keys[:top]]
    return {"KeyLabels": ["PartitionKey"], "AggregationStatistic": "Sum", "AggregateValue":
            sum(c["ApproximateAggregateValue"] for c in contributors), "ApproximateUniqueCount": len(contributors),
            "Contributors": contributors, "MetricDatapoints": []}


@gaps.filler
def install() -> None:
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoHandler

    def describe_contributor_insights(self: Any) -> ActionResult:
        return ActionResult(describe(str(self.body["TableName"]), dict(gaps.get("contributor_insights", {}) or {})))

    def get_insight_rule_report(self: Any) -> ActionResult:
        top = int(self._get_param("MaxContributorCount") or 10)
        return ActionResult(report(str(self._get_param("RuleName")), dict(gaps.get("contributor_insights", {}) or {}),
                                   top))

    DynamoHandler.describe_contributor_insights = describe_contributor_insights  # type: ignore[attr-defined]
    CloudWatchResponse.get_insight_rule_report = get_insight_rule_report  # type: ignore[attr-defined]
