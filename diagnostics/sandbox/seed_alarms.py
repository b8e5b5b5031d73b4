"""Seeder for CloudWatch alarms, in the state the scenario says (moto never evaluates alarms)::

    [[resources]]
    type = "cloudwatch.alarm"
    name = "invoice-renderer-errors"
    namespace = "AWS/Lambda"
    metric = "Errors"
    dimensions = { FunctionName = "${function.renderer}" }
    statistic = "Sum"          # default Sum
    threshold = 1              # default 1
    comparison = "GreaterThanOrEqualToThreshold"
    period = 300               # default 300
    evaluation_periods = 1     # default 1
    state = "ALARM"            # OK | ALARM | INSUFFICIENT_DATA (default ALARM)
    reason = "Threshold Crossed: 1 out of the last 1 datapoints [7.0 (29/11/26 21:05:00)] was greater ..."
"""

from __future__ import annotations

from typing import Any

from diagnostics.sandbox.seeders import ClientFactory, seeder


@seeder("cloudwatch.alarm")
def seed_alarm(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    cloudwatch = clients("cloudwatch")
    name = str(spec["name"])
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        AlarmDescription=str(spec.get("description", "")),
        Namespace=str(spec["namespace"]),
        MetricName=str(spec["metric"]),
        Dimensions=[{"Name": k, "Value": str(v)} for k, v in (spec.get("dimensions") or {}).items()],
        Statistic=str(spec.get("statistic", "Sum")),
        Threshold=float(spec.get("threshold", 1)),
        ComparisonOperator=str(spec.get("comparison", "GreaterThanOrEqualToThreshold")),
        Period=int(spec.get("period", 300)),
        EvaluationPeriods=int(spec.get("evaluation_periods", 1)),
    )
    state = str(spec.get("state", "ALARM"))
    if state != "INSUFFICIENT_DATA":  # the state a new alarm starts in
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state,
                                   StateReason=str(spec.get("reason", f"Sandbox: set to {state}.")))
    arn = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["AlarmArn"]
    return {"id": name, "arn": arn}
