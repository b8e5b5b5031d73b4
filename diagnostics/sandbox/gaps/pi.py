"""Performance Insights (the ``pi`` API), which moto lacks entirely, answered from the scenario::

    [gaps.performance_insights]
    load = [5.8, 7.4]            # db.load.avg per minute over the window, low to high
    sql = [ { statement = "SELECT * FROM orders WHERE customer_email = ?", load = 5.1, id = "A1B2C3" },
            { statement = "UPDATE carts SET ...", load = 0.4 } ]
    waits = [ { name = "CPU", type = "CPU", load = 5.3 }, { name = "IO:DataFileRead", type = "IO", load = 0.9 } ]

moto's server has no ``pi`` service to route to, so the filler wraps the server's request dispatcher:
requests signed for ``pi`` are answered here (GetResourceMetrics, DescribeDimensionKeys, in the real
API's JSON shape); every other request goes to moto as before. Without scenario data the answer is
the one AWS gives for an instance without Performance Insights: an error.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from diagnostics.sandbox import gaps
from diagnostics.timestamps import utc

TARGET = "PerformanceInsightsv20180227."


def _time(value: Any) -> datetime:
    return utc(value)


def answer(operation: str, params: dict[str, Any], data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    if not data:
        return 400, {"__type": "InvalidArgumentException",
                     "Message": "Performance Insights is not enabled for this DB instance."}
    start, end = _time(params["StartTime"]), _time(params["EndTime"])
    if operation == "GetResourceMetrics":
        low, high = (float(x) for x in data.get("load", [0, 0]))
        period = int(params.get("PeriodInSeconds", 60))
        n = max(1, int((end - start).total_seconds() // period))
        points = [{"Timestamp": (start + timedelta(seconds=period * i)).timestamp(),
                   "Value": low + (high - low) * i / max(1, n - 1)} for i in range(n)]
        return 200, {"AlignedStartTime": start.timestamp(), "AlignedEndTime": end.timestamp(),
                     "Identifier": params.get("Identifier", ""),
                     "MetricList": [{"Key": {"Metric": "db.load.avg"}, "DataPoints": points}]}
    if operation == "DescribeDimensionKeys":
        group = str((params.get("GroupBy") or {}).get("Group", ""))
        limit = int((params.get("GroupBy") or {}).get("Limit", 10))
        if group == "db.sql_tokenized":
            keys = [{"Dimensions": {"db.sql_tokenized.statement": s["statement"],
                                    "db.sql_tokenized.id": s.get("id", f"SQL{i}")}, "Total": float(s["load"])}
                    for i, s in enumerate(data.get("sql", []))]
        elif group == "db.wait_event":
            keys = [{"Dimensions": {"db.wait_event.name": w["name"], "db.wait_event.type": w.get("type", "")},
                     "Total": float(w["load"])} for w in data.get("waits", [])]
        else:
            keys = []
        keys.sort(key=lambda k: -k["Total"])
        return 200, {"AlignedStartTime": start.timestamp(), "AlignedEndTime": end.timestamp(), "Keys": keys[:limit]}
    return 400, {"__type": "InvalidArgumentException", "Message": f"{operation} is not answered by the sandbox"}


@gaps.filler
def install() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.__call__

    def dispatch(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if not target.startswith(TARGET):
            return original(self, environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        params = json.loads(environ["wsgi.input"].read(length) or b"{}")
        status, body = answer(target[len(TARGET):], params, dict(gaps.get("performance_insights", {}) or {}))
        start_response(f"{status} {'OK' if status == 200 else 'Bad Request'}",
                       [("Content-Type", "application/x-amz-json-1.1")])
        return [json.dumps(body).encode()]

    DomainDispatcherApplication.__call__ = dispatch  # type: ignore[method-assign]
