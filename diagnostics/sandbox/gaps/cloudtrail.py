"""CloudTrail ``LookupEvents``, which moto lacks, answered from the scenario's event list.

A scenario lists the calls CloudTrail would have recorded, with CloudTrail's own field names, plus
``minutes_ago`` (when the newest copy happened), ``count`` and ``spread_minutes`` (that many copies,
evenly spread over the minutes before), so a burst of 200 throttled calls is one table::

    [[gaps.cloudtrail_events]]
    eventName = "DescribeInstances"
    eventSource = "ec2.amazonaws.com"
    errorCode = "Client.RequestLimitExceeded"     # leave out for a call that succeeded
    arn = "arn:aws:sts::123456789012:assumed-role/inventory-poller/i-0abc"   # userIdentity.arn
    userAgent = "Boto3/1.26.10 ... cfg/retry-mode#legacy"
    sourceIPAddress = "10.0.1.25"
    requestParameters = { instancesSet = {} }
    minutes_ago = 2
    count = 120
    spread_minutes = 40

Changes (write calls) for the "What changed recently?" step go in ``[[gaps.changes]]``, the same
fields with ``readOnly = false`` implied, plus ``resources``: the resources CloudTrail lists for the
event, which ``LookupEvents`` by ``ResourceName`` matches::

    [[gaps.changes]]
    eventName = "DeleteNetworkAclEntry"
    eventSource = "ec2.amazonaws.com"
    arn = "arn:aws:sts::123456789012:assumed-role/platform-admin/dana"
    requestParameters = { networkAclId = "${nacl.web}", ruleNumber = 120, egress = true }
    resources = [{ type = "AWS::EC2::NetworkAcl", name = "${nacl.web}" }]
    minutes_ago = 540

The answer has the real API's shape: newest event first, the record as a JSON string in
``CloudTrailEvent``, one lookup attribute at most, ``StartTime``/``EndTime``, and ``MaxResults``
(at most 50) with ``NextToken`` paging. Times are relative to the moment of the request.
"""

from __future__ import annotations

import json
import re
import uuid
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

from diagnostics.sandbox import gaps
from diagnostics.timestamps import utc

ASSUMED_ROLE = re.compile(r"^arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/(.+)$")
IAM_USER = re.compile(r"^arn:([^:]+):iam::(\d{12}):user/(?:.*/)?([^/]+)$")
ROOT = re.compile(r"^arn:[^:]+:iam::(\d{12}):root$")
ACCOUNT = "123456789012"
NAMESPACE = uuid.UUID("6f1d7f40-0d6c-4d38-9b77-5c1f0e0c7a11")
LOOKUP_KEYS = {"EventId", "EventName", "ReadOnly", "Username", "ResourceType", "ResourceName", "EventSource",
               "AccessKeyId"}


def _identity(spec: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """A CloudTrail userIdentity for the caller's ARN, and the name LookupEvents calls its Username."""
    arn = str(spec.get("arn") or "")
    if spec.get("invokedBy"):
        return {"type": "AWSService", "invokedBy": spec["invokedBy"]}, str(spec["invokedBy"])
    if match := ASSUMED_ROLE.match(arn):
        partition, account, role, session = match.groups()
        principal = f"AROA{zlib.crc32(role.encode()):016d}"
        return {
            "type": "AssumedRole", "principalId": f"{principal}:{session}", "arn": arn, "accountId": account,
            "accessKeyId": "ASIAEXAMPLEEXAMPLE00",
            "sessionContext": {
                "sessionIssuer": {"type": "Role", "principalId": principal,
                                  "arn": f"arn:{partition}:iam::{account}:role/{role}", "accountId": account,
                                  "userName": role},
                "attributes": {"creationDate": "2026-01-01T00:00:00Z", "mfaAuthenticated": "false"},
            },
        }, session
    if match := IAM_USER.match(arn):
        _, account, user = match.groups()
        return {"type": "IAMUser", "principalId": "AIDAEXAMPLEEXAMPLE00", "arn": arn, "accountId": account,
                "accessKeyId": "AKIAEXAMPLEEXAMPLE00", "userName": user}, user
    if match := ROOT.match(arn):
        account = match.group(1)
        return {"type": "Root", "principalId": account, "arn": arn, "accountId": account}, "root"
    return {"type": "Unknown", "arn": arn}, arn


def _resources(params: dict[str, Any]) -> list[dict[str, str]]:
    kinds = {"functionName": "AWS::Lambda::Function", "tableName": "AWS::DynamoDB::Table",
             "bucketName": "AWS::S3::Bucket", "instanceId": "AWS::EC2::Instance"}
    return [{"ResourceType": kind, "ResourceName": str(params[key])} for key, kind in kinds.items()
            if isinstance(params.get(key), str)]


def _listed(spec: dict[str, Any]) -> list[dict[str, str]]:
    return [{"ResourceType": str(r.get("type", "")), "ResourceName": str(r["name"])}
            for r in spec.get("resources") or [] if r.get("name")]


def all_specs() -> list[dict[str, Any]]:
    """The scenario's recorded calls and its changes (write calls, so ``readOnly`` false by default)."""
    changes = [{"readOnly": False, **spec} for spec in gaps.get("changes", []) or []]
    return [*(gaps.get("cloudtrail_events", []) or []), *changes]


def expand(specs: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Every copy of every listed event as a LookupEvents entry, newest first."""
    entries = []
    for index, spec in enumerate(specs):
        copies = max(1, int(spec.get("count", 1)))
        newest = float(spec.get("minutes_ago", 0))
        spread = float(spec.get("spread_minutes", 0))
        identity, username = _identity(spec)
        params = spec.get("requestParameters") or {}
        for copy in range(copies):
            offset = newest + (spread * copy / copies if copies > 1 else 0.0)
            at = (now - timedelta(minutes=offset)).replace(microsecond=0)
            event_id = str(uuid.uuid5(NAMESPACE, f"{index}/{copy}"))
            record = {
                "eventVersion": "1.09",
                "userIdentity": identity,
                "eventTime": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "eventSource": spec.get("eventSource", ""),
                "eventName": spec.get("eventName", ""),
                "awsRegion": spec.get("awsRegion", "us-east-1"),
                "sourceIPAddress": spec.get("sourceIPAddress", "198.51.100.7"),
                "userAgent": spec.get("userAgent", "aws-cli/2.15.0"),
                "requestParameters": params or None,
                "responseElements": None,
                "requestID": str(uuid.uuid5(NAMESPACE, f"request/{index}/{copy}")),
                "eventID": event_id,
                "readOnly": bool(spec.get("readOnly", True)),
                "eventType": "AwsApiCall",
                "managementEvent": True,
                "recipientAccountId": identity.get("accountId", ACCOUNT),
                "eventCategory": "Management",
            }
            if spec.get("resources"):  # [{ARN = "...", accountId = "...", type = "AWS::S3::Object"}]
                record["resources"] = spec["resources"]
            if spec.get("errorCode"):
                record["errorCode"] = spec["errorCode"]
                record["errorMessage"] = spec.get("errorMessage", "Rate exceeded")
            entries.append({
                "EventId": event_id,
                "EventName": record["eventName"],
                "ReadOnly": "true" if record["readOnly"] else "false",
                "AccessKeyId": identity.get("accessKeyId", ""),
                "EventTime": at.timestamp(),
                "EventSource": record["eventSource"],
                "Username": username,
                "Resources": _resources(params) + _listed(spec),
                "CloudTrailEvent": json.dumps(record),
            })
    entries.sort(key=lambda e: (-e["EventTime"], e["EventId"]))
    return entries


def _matches(entry: dict[str, Any], attribute: dict[str, str]) -> bool:
    key, value = attribute.get("AttributeKey", ""), attribute.get("AttributeValue", "")
    if key in ("ResourceType", "ResourceName"):
        return any(r.get(key) == value for r in entry["Resources"])
    return str(entry.get(key, "")) == value


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    return utc(value)


def answer(params: dict[str, Any], specs: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """LookupEvents as AWS answers it. Raises ValueError((code, message)) for what AWS rejects."""
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise ValueError("InvalidLookupAttributesException", "You cannot specify more than one lookup "
                                                             "attribute.")
    for attribute in attributes:
        if attribute.get("AttributeKey") not in LOOKUP_KEYS:
            raise ValueError("InvalidLookupAttributesException",
                             f"Invalid attribute key: {attribute.get('AttributeKey')}")
    max_results = int(params.get("MaxResults") or 50)
    if not 1 <= max_results <= 50:
        raise ValueError("InvalidMaxResultsException", "MaxResults must be between 1 and 50.")
    start, end = _time(params.get("StartTime")), _time(params.get("EndTime"))
    if start and end and start > end:
        raise ValueError("InvalidTimeRangeException", "StartTime must be before EndTime.")
    entries = [e for e in expand(specs, now)
               if (start is None or e["EventTime"] >= start.timestamp())
               and (end is None or e["EventTime"] <= end.timestamp())
               and all(_matches(e, a) for a in attributes)]
    token = params.get("NextToken")
    offset = 0
    if token:
        try:
            offset = int(str(token).removeprefix("page-"))
        except ValueError:
            raise ValueError("InvalidNextTokenException", "The NextToken is not valid.") from None
    page = entries[offset:offset + max_results]
    result: dict[str, Any] = {"Events": page}
    if offset + max_results < len(entries):
        result["NextToken"] = f"page-{offset + max_results}"
    return result


@gaps.filler
def install() -> None:
    from moto.cloudtrail.responses import CloudTrailResponse
    from moto.core.exceptions import JsonRESTError

    def lookup_events(self: Any) -> str:
        params = json.loads(self.body or "{}")
        try:
            result = answer(params, all_specs(), datetime.now(UTC))
        except ValueError as exc:
            code, message = exc.args
            raise JsonRESTError(code, message) from None
        return json.dumps(result)

    CloudTrailResponse.lookup_events = lookup_events  # type: ignore[attr-defined]
