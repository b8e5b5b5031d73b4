"""Service Quotas beyond ``vpc``, which is all moto knows: the quotas a scenario declares, and Lambda's
concurrency quota (L-B99A9384) from ``[gaps.lambda_account]``::

    [[gaps.service_quotas]]
    service = "monitoring"                 # the Service Quotas service code
    code = "L-0A1B2C3D"
    name = "Rate of GetMetricData requests"
    value = 50                             # AWS's default
    applied = 50                           # the account's value (GetServiceQuota); default: value
    adjustable = true
    usage = { Service = "CloudWatch", Type = "API", Resource = "GetMetricData", Class = "None" }

A service the scenario does not name lists no quotas (an empty answer, as for a service whose quotas are
not in Service Quotas); ``vpc`` keeps moto's own answers.
"""

from __future__ import annotations

import json
from typing import Any

from diagnostics.sandbox import gaps
from diagnostics.sandbox.gaps.lambda_ import DEFAULT_CONCURRENCY

LAMBDA_QUOTA = "L-B99A9384"


def _quota(spec: dict[str, Any], applied: bool) -> dict[str, Any]:
    value = float(spec.get("applied", spec["value"]) if applied else spec["value"])
    quota: dict[str, Any] = {
        "ServiceCode": spec["service"], "ServiceName": spec.get("service_name", spec["service"]),
        "QuotaArn": f"arn:aws:servicequotas:us-east-1::{spec['service']}/{spec['code']}",
        "QuotaCode": spec["code"], "QuotaName": spec["name"], "Value": value, "Unit": "None",
        "Adjustable": bool(spec.get("adjustable", True)), "GlobalQuota": False,
    }
    if int(spec.get("period_seconds", 1)) > 0:  # rate quotas have a period, counts do not
        quota["Period"] = {"PeriodValue": int(spec.get("period_seconds", 1)), "PeriodUnit": "SECOND"}
    if spec.get("usage"):
        quota["UsageMetric"] = {"MetricNamespace": "AWS/Usage", "MetricName": "CallCount",
                                "MetricDimensions": dict(spec["usage"]), "MetricStatisticRecommendation": "Sum"}
    return quota


def declared(quotas: list[dict[str, Any]], lambda_account: dict[str, Any]) -> list[dict[str, Any]]:
    """The scenario's quotas, with Lambda's concurrency quota added from the account's settings."""
    limit = int(lambda_account.get("concurrent_executions", DEFAULT_CONCURRENCY))
    concurrency = {"service": "lambda", "code": LAMBDA_QUOTA, "name": "Concurrent executions", "value": 1000,
                   "applied": limit, "adjustable": True, "period_seconds": 0}
    return [*quotas, concurrency]


def list_defaults(service: str, specs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"Quotas": [_quota(s, applied=False) for s in specs if s["service"] == service]}


def get_applied(service: str, code: str, specs: list[dict[str, Any]]) -> dict[str, Any] | None:
    spec = next((s for s in specs if s["service"] == service and s["code"] == code), None)
    return None if spec is None else {"Quota": _quota(spec, applied=True)}


@gaps.filler
def install() -> None:
    from moto.servicequotas.exceptions import NoSuchResource
    from moto.servicequotas.responses import ServiceQuotasResponse

    original_list = ServiceQuotasResponse.list_aws_default_service_quotas
    original_get = ServiceQuotasResponse.get_service_quota

    def specs() -> list[dict[str, Any]]:
        return declared(list(gaps.get("service_quotas", []) or []), dict(gaps.get("lambda_account", {}) or {}))

    def list_aws_default_service_quotas(self: Any) -> str:
        service = str(json.loads(self.body).get("ServiceCode"))
        if service == "vpc":
            return original_list(self)
        return json.dumps(list_defaults(service, specs()))

    def get_service_quota(self: Any) -> str:
        params = json.loads(self.body)
        service, code = str(params.get("ServiceCode")), str(params.get("QuotaCode"))
        if service == "vpc":
            return original_get(self)
        answer = get_applied(service, code, specs())
        if answer is None:
            raise NoSuchResource
        return json.dumps(answer)

    ServiceQuotasResponse.list_aws_default_service_quotas = list_aws_default_service_quotas  # type: ignore[method-assign]
    ServiceQuotasResponse.get_service_quota = get_service_quota  # type: ignore[method-assign]
