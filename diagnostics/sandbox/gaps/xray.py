"""X-Ray ``GetTraceSummaries`` with a filter expression and response-time root causes, which moto
lacks (it refuses any FilterExpression and never names a root cause), answered from the scenario::

    [[gaps.xray_traces]]
    service = "orders-history"          # what service("...") in the filter expression matches
    count = 40                          # that many traces, spread over the last `minutes`
    minutes = 50
    response_time = [0.85, 1.6]         # seconds, low to high
    root_cause = ["orders-history", "DynamoDB", "Query"]   # the entity path X-Ray blames
    root_cause_service = "orders-history"
    faults = 0

Only ``service("NAME")`` filters are understood; any other expression answers every trace. Times are
relative to the moment of the request, and the answer keeps the real API's shape
(https://docs.aws.amazon.com/xray/latest/api/API_GetTraceSummaries.html).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnostics.sandbox import gaps

SERVICE_FILTER = re.compile(r'^\s*service\(\s*"([^"]+)"\s*\)\s*$')
NAMESPACE = uuid.UUID("3c8b1f7e-6a2d-4d59-8f4e-0b9e2a7c5d11")


def expand(specs: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    traces = []
    for spec in specs:
        count, minutes = int(spec.get("count", 20)), float(spec.get("minutes", 50))
        low, high = (float(x) for x in spec.get("response_time", [0.1, 0.2]))
        path = [{"Name": str(name)} for name in spec.get("root_cause", [])]
        faults = int(spec.get("faults", 0))
        for n in range(count):
            at = now - timedelta(minutes=minutes * (count - n) / count)
            seconds = low + (high - low) * n / max(1, count - 1)
            key = f"{spec.get('service')}/{n}"
            trace_id = f"1-{int(at.timestamp()):08x}-{uuid.uuid5(NAMESPACE, key).hex[:24]}"
            summary: dict[str, Any] = {
                "Id": trace_id, "StartTime": at.timestamp(), "Duration": seconds, "ResponseTime": seconds,
                "HasFault": n < faults, "HasError": False, "HasThrottle": False, "IsPartial": False,
                "ServiceIds": [{"Name": str(spec.get("service", "")), "Type": "AWS::Lambda::Function"}],
                "ResponseTimeRootCauses": [], "_service": str(spec.get("service", "")),
            }
            if path:
                summary["ResponseTimeRootCauses"] = [{"Services": [{
                    "Name": str(spec.get("root_cause_service") or path[0]["Name"]), "Inferred": False,
                    "EntityPath": [{**e, "Coverage": 1.0} for e in path]}], "ClientImpacting": True}]
            traces.append(summary)
    return traces


def answer(params: dict[str, Any], specs: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    start = datetime.fromtimestamp(float(params["StartTime"]), UTC)
    end = datetime.fromtimestamp(float(params["EndTime"]), UTC)
    match = SERVICE_FILTER.match(str(params.get("FilterExpression") or ""))
    found = [t for t in expand(specs, now) if start.timestamp() <= t["StartTime"] <= end.timestamp()
             and (match is None or t["_service"] == match.group(1))]
    for trace in found:
        del trace["_service"]
    return {"TraceSummaries": found, "ApproximateTime": now.timestamp(), "TracesProcessedCount": len(found)}


@gaps.filler
def install() -> None:
    from moto.xray.responses import XRayResponse

    def trace_summaries(self: Any) -> str:
        return json.dumps(answer(self.request_params, list(gaps.get("xray_traces", [])), datetime.now(UTC)))

    XRayResponse.trace_summaries = trace_summaries  # type: ignore[method-assign]
