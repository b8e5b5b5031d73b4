"""AWS's Access Troubleshooter (iam-toolbox, in preview), which moto lacks, answered from the scenario.

The service signs as ``iam``, so moto's server hands its requests to the IAM app; this filler adds
the two REST paths to that app (before the app is first built). A scenario lists, per authorization
ID, the answer of GetRequestAuthorizationDetails in the API's own field names, and the policy
documents GetRequestAuthorizationPolicy returns, by URI::

    [gaps.access_troubleshooter.abc123]
    requestContext = { "aws:SourceIp" = "198.51.100.7" }
    [[gaps.access_troubleshooter.abc123.evaluations]]
    action = "s3:GetObject"
    resource = "arn:aws:s3:::bucket/key"
    evaluatedEffect = "EXPLICIT_DENY"
    checks = [ { checkType = "SERVICE_CONTROL_POLICY", evaluatedEffect = "EXPLICIT_DENY", ... } ]

    [[gaps.access_troubleshooter_policies]]
    uri = "policy-uri"
    document = { Version = "2012-10-17", Statement = [...] }

An ID the scenario does not list answers ResourceNotFoundException, as AWS does after 24 hours.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

from diagnostics.sandbox import gaps

DETAILS = r"{0}/authorization-details/(?P<authorization_id>[A-Za-z0-9]+)$"
POLICY = r"{0}/authorization-details/(?P<authorization_id>[A-Za-z0-9]+)/policy$"


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/json", "x-amzn-ErrorType": code}, json.dumps({"message": message})


def respond(path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], str]:
    parts = path.rstrip("/").split("/")
    wants_policy = parts[-1] == "policy"
    auth_id = parts[-2] if wants_policy else parts[-1]
    known = dict(gaps.get("access_troubleshooter", {}) or {})
    if auth_id not in known:
        return _error(404, "ResourceNotFoundException", f"No authorization details found for {auth_id}.")
    if wants_policy:
        uri = (query.get("policyUri") or [""])[0]
        documents = {str(p.get("uri")): p.get("document") for p in gaps.get("access_troubleshooter_policies", []) or []}
        if uri not in documents:
            return _error(404, "ResourceNotFoundException", f"No policy {uri} was evaluated for {auth_id}.")
        return 200, {"Content-Type": "application/json"}, json.dumps({"policyDocument": documents[uri]})
    details = known[auth_id]
    return 200, {"Content-Type": "application/json"}, json.dumps({
        "requestContext": details.get("requestContext", {}), "evaluations": details.get("evaluations", []),
        "policies": details.get("policies", [])})


def handle(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:
    url = urlparse(full_url)
    return respond(url.path, parse_qs(url.query))


@gaps.filler
def install() -> None:
    from moto.iam import urls

    urls.url_paths.setdefault(DETAILS, handle)
    urls.url_paths.setdefault(POLICY, handle)
