"""AWS Health ``DescribeEvents``, which moto lacks entirely, answered from the scenario's Health events.

moto has no Health backend at all, so no response class to add a method to: the filler answers
requests whose ``X-Amz-Target`` is Health's (``AWSHealth_20160804.*``, JSON 1.1) before moto's
dispatcher looks for a backend. A scenario lists its events with Health's field names, times relative
to the request::

    [[gaps.health_events]]
    service = "EC2"
    eventTypeCode = "AWS_EC2_OPERATIONAL_ISSUE"
    eventTypeCategory = "issue"
    region = "us-east-1"
    statusCode = "open"
    minutes_ago = 35

(a scenario without any Health table leaves Health unimplemented, as moto has it), and can make the API
refuse, as it does for accounts without a Business, Enterprise On-Ramp or
Enterprise Support plan::

    [gaps.health]
    subscription_required = true
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnostics.sandbox import gaps

TARGET_PREFIX = "AWSHealth_20160804."
ACCOUNT = "123456789012"


def _event(spec: dict[str, Any], now: datetime) -> dict[str, Any]:
    start = now - timedelta(minutes=float(spec.get("minutes_ago", 30)))
    service = str(spec.get("service", "EC2"))
    code = str(spec.get("eventTypeCode", f"AWS_{service}_OPERATIONAL_ISSUE"))
    region = str(spec.get("region", "us-east-1"))
    suffix = f"{zlib.crc32(f'{code}/{region}'.encode()):08X}"
    status = str(spec.get("statusCode", "open"))
    event = {
        "arn": spec.get("arn") or f"arn:aws:health:{region}::event/{service}/{code}/{code}_{suffix}",
        "service": service,
        "eventTypeCode": code,
        "eventTypeCategory": str(spec.get("eventTypeCategory", "issue")),
        "region": region,
        "startTime": start.timestamp(),
        "lastUpdatedTime": (now - timedelta(minutes=float(spec.get("updated_minutes_ago", 5)))).timestamp(),
        "statusCode": status,
        "eventScopeCode": str(spec.get("eventScopeCode", "PUBLIC")),
    }
    if status == "closed":
        event["endTime"] = now.timestamp()
    return event


def describe_events(params: dict[str, Any], specs: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    wanted = params.get("filter") or {}
    events = [_event(s, now) for s in specs]
    for key, field in (("eventStatusCodes", "statusCode"), ("regions", "region"), ("services", "service"),
                       ("eventTypeCategories", "eventTypeCategory"), ("eventTypeCodes", "eventTypeCode")):
        if wanted.get(key):
            events = [e for e in events if e[field] in wanted[key]]
    events.sort(key=lambda e: -e["lastUpdatedTime"])
    size = int(params.get("maxResults") or 10)
    offset = int(str(params.get("nextToken") or "0"))
    result: dict[str, Any] = {"events": events[offset:offset + size]}
    if offset + size < len(events):
        result["nextToken"] = str(offset + size)
    return result


def answer(operation: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    settings = dict(gaps.get("health", {}) or {})
    if settings.get("subscription_required"):
        return 400, {"__type": "SubscriptionRequiredException",
                     "message": "The AWS Health API is available only to accounts with a Business, Enterprise "
                                "On-Ramp or Enterprise Support plan."}
    if operation != "DescribeEvents":
        return 400, {"__type": "UnknownOperationException", "message": f"The sandbox does not answer {operation}."}
    return 200, describe_events(params, list(gaps.get("health_events", []) or []), datetime.now(UTC))


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        params = json.loads(raw or b"{}")
    except ValueError:
        params = {}
    operation = str(environ.get("HTTP_X_AMZ_TARGET", "")).removeprefix(TARGET_PREFIX)
    status, payload = answer(operation, params)
    body = json.dumps(payload).encode()
    start_response("200 OK" if status == 200 else "400 Bad Request",
                   [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(body)))])
    return [body]


@gaps.filler
def install() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.get_application

    def get_application(self: Any, environ: dict[str, Any]) -> Any:
        # Only a scenario that declares Health data gets answers; otherwise moto's own behaviour stays (an
        # API it lacks), also for any other moto server in this process.
        declared = gaps.get("health_events") is not None or gaps.get("health") is not None
        if declared and str(environ.get("HTTP_X_AMZ_TARGET", "")).startswith(TARGET_PREFIX):
            return _app
        return original(self, environ)

    get_application.__wrapped__ = original  # type: ignore[attr-defined]
    DomainDispatcherApplication.get_application = get_application  # type: ignore[method-assign]
