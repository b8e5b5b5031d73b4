"""Read AWS's AccessDenied messages back into principal, action, resource and policy type.

The forms AWS prints, all accepted with or without the CLI's "An error occurred (AccessDenied) when
calling the X operation: " prefix:

* "User: ARN is not authorized to perform: ACTION on resource: RES because no identity-based
  policy allows the ACTION action" (also permissions boundary, session policy, resource-based
  policy, service control policy, resource control policy);
* "... with an explicit deny in a service control policy: arn:aws:organizations::..." (the policy's
  ARN is appended in newer messages);
* the older form that stops after the resource;
* EC2's "Encoded authorization failure message: ...", which must first go through
  sts:DecodeAuthorizationMessage (``encoded_message`` extracts it; the decoded JSON is read by
  ``parse_decoded_authorization``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from diagnostics.iam.model import ContextValue, PolicyType

_PHRASES: dict[str, PolicyType] = {
    "identity-based policy": "identity",
    "identity-based policies": "identity",
    "resource-based policy": "resource",
    "resource-based policies": "resource",
    "permissions boundary": "boundary",
    "permissions boundaries": "boundary",
    "session policy": "session",
    "session policies": "session",
    "service control policy": "scp",
    "service control policies": "scp",
    "resource control policy": "rcp",
    "resource control policies": "rcp",
}
_PHRASE = "|".join(sorted((re.escape(p) for p in _PHRASES), key=len, reverse=True))

_PREFIX = re.compile(r"^\s*(?:An error occurred \([\w.]+\)(?: when calling the \w+ operation)?:\s*)?", re.I)
_CORE = re.compile(
    r"(?:User|Principal|Role)?:?\s*(?P<principal>\S+?)\s+is not authorized to perform:?\s+"
    r"(?P<action>[\w-]+:[\w*-]+)"
    r"(?:\s+on resource:?\s+(?P<resource>\"[^\"]*\"|\S+?))?"
    r"(?:\s+(?P<tail>(?:because|with an explicit deny).*?))?\s*\.?\s*$",
    re.I | re.S,
)
_EXPLICIT = re.compile(rf"with an explicit deny in (?:an? )?(?P<phrase>{_PHRASE})(?::\s*(?P<arn>arn:\S+?))?\.?$",
                       re.I | re.S)
_IMPLICIT = re.compile(rf"because no (?P<phrase>{_PHRASE}) allows?", re.I)
_ENCODED = re.compile(r"Encoded authorization failure message:\s*(?P<blob>[A-Za-z0-9_\-+/=]+)", re.I)


@dataclass(frozen=True)
class ParsedDenial:
    principal: str            # ARN as printed
    action: str               # service:Action
    resource: str | None
    policy_type: str | None   # "identity", "resource", "boundary", "session", "scp", "rcp" or None
    explicit: bool            # "with an explicit deny"
    policy_arn: str | None    # the ARN AWS appends in newer messages, if any
    # From a decoded authorization message only: the request's condition keys as AWS saw them.
    context: Mapping[str, ContextValue] = field(default_factory=dict)


def encoded_message(text: str) -> str | None:
    """The encoded blob of an EC2-style "Encoded authorization failure message", if ``text`` has one."""
    m = _ENCODED.search(text or "")
    return m.group("blob") if m else None


def parse_denial(text: str) -> ParsedDenial:
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the error message is empty")
    if encoded_message(text):
        raise ValueError("this AccessDenied message is encoded; decode it with "
                         "'aws sts decode-authorization-message --encoded-message ...' and pass the result")
    body = _PREFIX.sub("", text.strip(), count=1)
    m = _CORE.search(body)
    if m is None:
        raise ValueError("this does not look like an AWS AccessDenied message "
                         "('... is not authorized to perform: service:Action ...')")
    resource = m.group("resource")
    if resource is not None:
        resource = resource.strip('"')
    tail = (m.group("tail") or "").strip()
    policy_type: str | None = None
    explicit = False
    policy_arn: str | None = None
    if tail:
        ex = _EXPLICIT.search(tail)
        im = _IMPLICIT.search(tail)
        if ex:
            explicit = True
            policy_type = _PHRASES[ex.group("phrase").lower()]
            policy_arn = ex.group("arn")
        elif im:
            policy_type = _PHRASES[im.group("phrase").lower()]
        elif tail.lower().startswith("with an explicit deny"):
            explicit = True
    return ParsedDenial(m.group("principal"), m.group("action"), resource, policy_type, explicit, policy_arn)


def parse_decoded_authorization(decoded: str | dict) -> ParsedDenial:
    """Read sts:DecodeAuthorizationMessage output: the whole response, or its DecodedMessage."""
    data: Any = decoded
    try:
        if isinstance(data, str):
            data = json.loads(data)
        if isinstance(data, Mapping) and "DecodedMessage" in data:
            data = data["DecodedMessage"]
            if isinstance(data, str):
                data = json.loads(data)
    except json.JSONDecodeError:
        raise ValueError("the decoded authorization message is not valid JSON") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("context"), Mapping):
        raise ValueError("the decoded authorization message has no 'context' with the request")
    ctx = data["context"]
    principal = ctx.get("principal") or {}
    arn = principal.get("arn") if isinstance(principal, Mapping) else None
    action = ctx.get("action")
    if not arn or not action:
        raise ValueError("the decoded authorization message names no principal ARN or action")
    explicit = bool(data.get("explicitDeny"))
    return ParsedDenial(
        principal=str(arn),
        action=str(action),
        resource=str(ctx["resource"]) if ctx.get("resource") else None,
        # The decoded message does not say which kind of policy decided; EC2 evaluates identity
        # policies (and SCPs), so an explicit deny there is most often in an identity policy.
        policy_type=None,
        explicit=explicit,
        policy_arn=None,
        context=_conditions(ctx.get("conditions")),
    )


def _conditions(raw: Any) -> dict[str, ContextValue]:
    """{"items": [{"key": K, "values": {"items": [{"value": V}, ...]}}]} -> {K: V or [V, ...]}."""
    out: dict[str, ContextValue] = {}
    items = raw.get("items", []) if isinstance(raw, Mapping) else []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, Mapping) or "key" not in item:
            continue
        values_block = item.get("values", {})
        values = values_block.get("items", []) if isinstance(values_block, Mapping) else []
        texts = [str(v.get("value")) for v in values if isinstance(v, Mapping) and "value" in v]
        if texts:
            out[str(item["key"])] = texts[0] if len(texts) == 1 else texts
    return out
