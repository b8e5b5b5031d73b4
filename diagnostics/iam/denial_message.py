"""Read AWS's denial messages back into principal, action, resource, policy type and authorization ID.

People paste what their SDK, the CLI or a log printed, so the SDKs' wrappers are taken off first:

* Python/CLI: ``An error occurred (AccessDenied) when calling the GetObject operation: ...``;
* Java v1 ``... (Service: Amazon S3; Status Code: 403; Error Code: AccessDenied; Request ID: ...)``,
  Java v2 ``software.amazon.awssdk.services.sns.model.AuthorizationErrorException: ... (Service: Sns,
  Status Code: 403, Request ID: ...)``;
* Go v2 ``operation error S3: GetObject, https response error StatusCode: 403, RequestID: ..., api
  error AccessDenied: Access Denied``, Go v1 ``AccessDenied: Access Denied\\n\\tstatus code: 403, ...``;
* JavaScript ``AccessDeniedException: ...`` followed by a stack (``at ...`` lines).

Before anything, the paste is put back together (:func:`normalise_paste`): typographic quotes
(“ ” ‘ ’, from chat clients and word processors) become plain ones, a message copied out of a JSON
log line loses its escapes (``\\"``), and a line a terminal or chat client broke *inside* a token
(``user/b⏎ob``, ``s3:Get⏎Object``, ``examp⏎le-bucket``) is joined again: the line ends inside an ARN
or an action, and the next line cannot start a new word of the message.

Then the message itself, tolerant of line wrapping and repeated spaces (all whitespace is one space):

* "User: ARN is not authorized to perform: ACTION on resource: RES because no <type> allows the ACTION
  action", or "... with an explicit deny in a <type>[: POLICY-ARN]", where <type> is identity-based
  policy, resource-based policy, permissions boundary, session policy, service control policy,
  resource control policy or VPC endpoint policy (IAM User Guide, "Troubleshoot access denied error
  messages"); the resource may be quoted; the older form stops after the resource;
* the Access Troubleshooter's tail, "... call the GetRequestAuthorizationDetails API with the following
  authorization id: ID" (IAM User Guide, "Troubleshoot access denied error messages with authorization
  ID");
* forms without those details: STS's "Not authorized to perform sts:AssumeRoleWithWebIdentity", S3's
  bare "Access Denied", KMS's "The ciphertext refers to a customer master key that does not exist ..."
  and "... on this resource because the resource does not exist in this Region, no resource-based
  policies allow access, or a resource-based policy explicitly denies access", EC2's "You are not
  authorized to perform this operation." with or without an encoded message (decoded with
  sts:DecodeAuthorizationMessage and read by ``parse_decoded_authorization``), API Gateway's
  ``{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke ..."}``.

When the message names an operation but no action, the action comes from botocore's service model
(``diagnostics.iam.operations``). What the message does not say stays None: the caller fills it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from diagnostics.iam import catalog
from diagnostics.iam.model import ContextValue
from diagnostics.iam.operations import action_for_operation, operations_of
from diagnostics.iam.principals import identify

_PHRASES: dict[str, str] = {
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
    "vpc endpoint policy": "vpce",
    "vpc endpoint policies": "vpce",
}
_PHRASE = "|".join(sorted((re.escape(p) for p in _PHRASES), key=len, reverse=True))

# --- SDK wrappers ---------------------------------------------------------------------------------
_PYTHON = re.compile(r"An error occurred \((?P<code>[\w.]+)\)(?: when calling the (?P<op>\w+) operation)?"
                     r"(?: \(reached max retries: \d+\))?:\s*", re.I)
_JAVA_V1 = re.compile(r"\s*\(Service: (?P<svc>[^;)]+); Status Code: (?P<status>\d+); Error Code: (?P<code>[\w.]+);"
                      r"[^)]*\)")
_JAVA_V2 = re.compile(r"\s*\(Service: (?P<svc>[^,)]+), Status Code: (?P<status>\d+), Request ID: [^)]*\)")
_JAVA_PACKAGE = re.compile(r"(?:com\.amazonaws|software\.amazon\.awssdk)\.services\.(?P<svc>\w+)\.model\."
                           r"(?P<exc>\w+):\s*")
_GO_V2 = re.compile(r"operation error (?P<svc>[\w .-]+?): (?P<op>\w+), (?:exceeded maximum number of attempts, "
                    r"\d+, )?https response error StatusCode: (?P<status>\d+), RequestID: [^,]*,"
                    r"(?: HostID: [^,]*,)? api error (?P<code>[\w.]+):\s*", re.I)
_GO_V1_TAIL = re.compile(r"\s+status code: \d+, request id: \S*(?:, host id: \S*)?\s*$", re.I)
_EXCEPTION = re.compile(r"^(?:\[?ERROR\]?\s*)?(?:[\w.]+\.)?(?P<exc>[A-Z][\w.]*(?:Exception|Error|Denied|Operation|"
                        r"Forbidden)):\s*")
_STACK_LINE = re.compile(r"^\s*(?:at\s+\S+.*|File \".*|Traceback .*|\^+)$")

# --- the message ----------------------------------------------------------------------------------
_ARN = r"arn:[\w-]+:[\w-]*:[\w-]*:[\w-]*:[^\s\"',;]*"
_NOT_AUTHORIZED = re.compile(
    r"(?:(?:User|Principal|Role)\s*:\s*)?(?P<principal>\"?" + _ARN + r"\"?|anonymous|[\w@.+-]+)?\s*"
    r"is not authorized to perform:?\s+(?P<action>[\w-]+:[\w*-]+)"
    r"(?:\s+on (?:resource:?\s+(?P<resource>\"[^\"]*\"|'[^']*'|[^\s\"']+)|(?P<this>this resource)))?",
    re.I,
)
_MASKED_ARN = re.compile(r"arn:[\w-]+:[\w-]*:[\w-]*:[*\d]*\*[*\d]*:.*")
_NOT_AUTHORIZED_SHORT = re.compile(r"\bNot authorized to perform:?\s+(?P<action>[\w-]+:[\w*-]+)", re.I)
_EXPLICIT = re.compile(rf"with an explicit deny in (?:an? |the )?(?P<phrase>{_PHRASE})"
                       rf"(?::\s*(?P<arn>{_ARN}))?", re.I)
_EXPLICIT_BARE = re.compile(r"with an explicit deny\b", re.I)
_IMPLICIT = re.compile(rf"because no (?P<phrase>{_PHRASE}) allows?", re.I)
_TAIL_ACTION = re.compile(r"\ballows? the (?P<action>[\w-]+:[\w*-]+) action", re.I)
_KMS_THIS_RESOURCE = re.compile(r"because the resource does not exist in this Region, no resource-based policies "
                                r"allow access, or a resource-based policy explicitly denies access", re.I)
_KMS_UNKNOWN_KEY = re.compile(r"refers to a customer master key that does not exist|key that does not exist,? "
                              r"does not exist in this region", re.I)
_AUTHORIZATION_ID = re.compile(r"authorization id:\s*(?P<id>[A-Za-z0-9]+)|"
                               r"#/authorization-details/(?P<id2>[A-Za-z0-9]+)", re.I)
_ENCODED = re.compile(r"Encoded authorization failure message:\s*(?P<blob>[A-Za-z0-9_\-+/=]+)", re.I)
_DENIAL_CODES = re.compile(r"\b(?:AccessDenied(?:Exception)?|UnauthorizedOperation|Client\.UnauthorizedOperation|"
                           r"AuthorizationError(?:Exception)?|UnauthorizedException|Forbidden(?:Exception)?|"
                           r"AccessDeniedError|NotAuthorized|403)\b")
_DENIAL_WORDS = re.compile(r"access denied|not authorized|not allowed to access|unauthorized operation|forbidden",
                           re.I)

# Service names as the SDKs print them ("Amazon S3", "AWSKMS", "Sns", "DynamoDb") -> botocore's.
_SERVICE_ALIASES = {"securitytokenservice": "sts", "dynamodbv2": "dynamodb", "simplesystemsmanagement": "ssm",
                    "cloudwatchlogs": "logs", "elasticloadbalancingv2": "elbv2", "sqs": "sqs", "kms": "kms",
                    "secretsmanager": "secretsmanager", "apigateway": "apigateway", "iam": "iam",
                    "identitymanagement": "iam", "simplenotificationservice": "sns", "lambda": "lambda"}
_CODE_SERVICES = {"unauthorizedoperation": "ec2", "client.unauthorizedoperation": "ec2", "authorizationerror": "sns",
                  "authorizationerrorexception": "sns"}


# --- putting a paste back together ----------------------------------------------------------------
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"',
                         "\u00bb": '"', "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'"})
# Terraform draws its errors in a box: "│ Error: ...". The rule is no part of the message.
_BOX = re.compile(r"^[ \t]*[\u2502\u2503\u2575\u2577][ \t]?", re.M)
# The words of a denial message and of the SDKs' wrappers around it: a line that starts with one of
# them starts a new word, whatever the line before ended with.
_MESSAGE_WORDS = frozenset((
    "user:", "principal:", "role:", "is", "not", "authorized", "to", "perform", "perform:", "on", "resource",
    "resource:", "this", "because", "no", "with", "an", "a", "the", "explicit", "deny", "in", "allows", "allow",
    "action", "action.", "when", "calling", "operation", "go", "or", "call", "for", "and", "status", "request",
    "error:", "at", "service:", "identity-based", "resource-based", "permissions", "session", "service", "vpc"))
# A character that can continue an ARN or an action cut by a line break.
_CONTINUES = re.compile(r"[\w/:*.\-+=,@$]")
_ACTION_PART = re.compile(r"[\w-]+:[\w*-]*")


def normalise_paste(text: str) -> str:
    """The message as AWS printed it, from a paste that a chat client, a terminal or a JSON log changed:
    typographic quotes made plain, JSON escapes undone, the rule of Terraform's box dropped, and lines
    broken inside an ARN or an action joined (see :func:`_broken_inside`)."""
    text = _unescape(text.translate(_QUOTES))
    lines = _BOX.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        if _broken_inside(out[-1], line):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out)


def _unescape(text: str) -> str:
    """A message copied out of a JSON string ("... on resource: \\"arn:aws:s3:::b/k\\" ..."): unescaped."""
    if '\\"' not in text and not ("\\n" in text and "\n" not in text):
        return text
    try:
        value = json.loads(f'"{text}"', strict=False)
    except json.JSONDecodeError:  # not all of it is one JSON string: undo the escapes that matter
        return (text.replace('\\"', '"').replace("\\'", "'").replace("\\n", "\n").replace("\\t", " ")
                .replace("\\/", "/"))
    return value if isinstance(value, str) else text


def _broken_inside(before: str, after: str) -> bool:
    """Whether a line break between ``before`` and ``after`` cut one token in two: no space on either
    side, ``before`` ends inside an ARN or an action, and ``after`` cannot start a new word of the
    message (a message word, a new ARN, a bracket). An action is joined only into one the catalog
    knows, or from a piece it does not know."""
    if not before or not after or before[-1].isspace() or after[0].isspace() or not _CONTINUES.match(after[0]):
        return False
    last, first = before.split()[-1], after.split()[0]
    if last.lower() in _MESSAGE_WORDS or first.lower() in _MESSAGE_WORDS:
        return False
    if first.lstrip("\"'").startswith("arn:"):
        return False
    bare = last.lstrip("\"'")
    if bare.startswith("arn:"):
        return True
    if _ACTION_PART.fullmatch(bare.rstrip("\"'")):
        joined = bare + first.split()[0].rstrip(".,;\"'")
        return catalog.known_action(joined) is True or catalog.known_action(bare) is False
    return False


@dataclass(frozen=True)
class ParsedDenial:
    """What a denial message says. Every field the message does not carry is None (or False, empty).

    ``policy_type``: identity, resource, boundary, session, scp, rcp or vpce, as AWS named it.
    ``explicit``: "with an explicit deny". ``error_code``/``operation``/``service``: from the SDK's
    wrapper. ``key_may_not_exist``: KMS's answer that does not tell a missing key from a refused
    one. ``notes``: plain sentences on what was inferred (the action from the operation, ...).
    """

    principal: str | None
    action: str | None
    resource: str | None
    policy_type: str | None
    explicit: bool
    policy_arn: str | None
    # From a decoded authorization message only: the request's condition keys as AWS saw them.
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    authorization_id: str | None = None
    error_code: str | None = None
    operation: str | None = None
    service: str | None = None
    encoded: str | None = None
    key_may_not_exist: bool = False
    notes: tuple[str, ...] = ()
    # The caller AWS named "anonymous": an unsigned request, never the one running awstriage.
    anonymous: bool = False
    # The resource as AWS named it when that is no ARN: "role app-role", "prod/db" (resolved by the caller).
    resource_name: str | None = None
    # The resource ARN AWS printed with its account masked ("********9012"): never used as an account ID.
    masked_resource: str | None = None
    # The caller as AWS named it when that is no whole principal ARN ("ob", "arn:aws:iam::123456789012:user/"):
    # a paste cut inside it. Never replaced by the caller running awstriage.
    unclean_principal: str | None = None

    @property
    def names_request(self) -> bool:
        """The message names the principal, the action and the resource."""
        return bool(self.principal and self.action and self.resource)


def encoded_message(text: str) -> str | None:
    """The encoded blob of an EC2-style "Encoded authorization failure message", if ``text`` has one."""
    m = _ENCODED.search(text or "")
    return m.group("blob") if m else None


def _service_name(printed: str | None) -> str | None:
    """botocore's name for a service as an SDK printed it, or None."""
    if not printed:
        return None
    low = re.sub(r"[^a-z0-9]", "", printed.lower())
    for prefix in ("amazon", "aws"):
        if low.startswith(prefix) and len(low) > len(prefix):
            low = low[len(prefix):]
    low = _SERVICE_ALIASES.get(low, low)
    if low.endswith("v2") and not operations_of(low):
        low = low[:-2]
    return low if operations_of(low) else None


@dataclass
class _Unwrapped:
    body: str
    code: str | None = None
    operation: str | None = None
    service: str | None = None


def _unwrap(text: str) -> _Unwrapped:
    """Take the SDKs' prefixes, suffixes and stack traces off; keep what they said."""
    lines = [ln for ln in text.replace("\r", "").split("\n") if not _STACK_LINE.match(ln)]
    body = " ".join(" ".join(lines).split())  # wrapped lines and repeated spaces become one space
    out = _Unwrapped(body)
    m = _JAVA_PACKAGE.search(body)
    if m:
        out.service = _service_name(m.group("svc"))
        out.code = out.code or m.group("exc")
        body = body[:m.start()] + body[m.end():]
    for suffix in (_JAVA_V1, _JAVA_V2):
        m = suffix.search(body)
        if m:
            out.service = out.service or _service_name(m.group("svc"))
            if "code" in m.groupdict():
                out.code = m.group("code")
            body = body[:m.start()] + body[m.end():]
    m = _GO_V2.search(body)
    if m:
        out.service = out.service or _service_name(m.group("svc"))
        out.operation, out.code = m.group("op"), m.group("code")
        body = body[:m.start()] + body[m.end():]
    m = _PYTHON.search(body)
    if m:
        out.code, out.operation = m.group("code"), m.group("op") or out.operation
        body = body[:m.start()] + body[m.end():]
    body = _GO_V1_TAIL.sub("", body)
    m = _EXCEPTION.match(body.strip())
    if m:
        out.code = out.code or m.group("exc")
        body = body.strip()[m.end():]
    body = body.strip()
    if body.startswith("{"):  # API Gateway: {"Message":"..."} or {"message":"..."}
        try:
            data = json.loads(body)
            if isinstance(data, Mapping):
                body = str(data.get("Message") or data.get("message") or body)
        except json.JSONDecodeError:
            pass
    out.body = body.strip()
    return out


def _principal(raw: str | None) -> tuple[str | None, str | None]:
    """(ARN, note): an ARN as printed, or None with a note for "anonymous" or a bare name."""
    if not raw:
        return None, None
    raw = raw.strip('"')
    if raw.lower() == "anonymous":
        return None, "AWS names the caller 'anonymous': the request was not signed (no credentials reached AWS)."
    if whole_principal(raw):
        return raw, None
    return None, f"AWS names the caller '{raw}', which is not a whole principal ARN."


_NAME = r"[\w+=,.@-]+"
_PRINCIPAL_FORMS = (re.compile(rf"arn:[\w-]+:iam::\d{{12}}:(?:root|(?:user|role)/(?:{_NAME}/)*{_NAME})"),
                    re.compile(rf"arn:[\w-]+:sts::\d{{12}}:(?:assumed-role/{_NAME}/{_NAME}|federated-user/{_NAME})"))


def whole_principal(arn: str) -> bool:
    """Whether ``arn`` is a whole IAM principal ARN (a user, role, session, federated user or root), the
    forms AWS names a caller by: a piece cut off by a line break is not."""
    return any(form.fullmatch(arn) for form in _PRINCIPAL_FORMS) and identify(arn).kind != "other"


def _action(raw: str) -> str:
    """service:Action with the service prefix lowercased, as IAM writes it (SNS prints 'SNS:Publish')."""
    service, _, name = raw.partition(":")
    return f"{service.lower()}:{name}"


def parse_denial(text: str) -> ParsedDenial:
    """Read a pasted denial. Raises ValueError (one sentence) only for text that is no denial at all."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the error message is empty")
    text = normalise_paste(text)
    wrapped = _unwrap(text)
    body = wrapped.body
    notes: list[str] = []
    principal = action = resource = policy_type = policy_arn = resource_name = masked_resource = None
    explicit = anonymous = False
    m = _NOT_AUTHORIZED.search(body)
    short = None if m else _NOT_AUTHORIZED_SHORT.search(body)
    unclean_principal = None
    if m:
        principal, note = _principal(m.group("principal"))
        anonymous = (m.group("principal") or "").strip('"').lower() == "anonymous"
        if note:
            notes.append(note)
        if note and not anonymous:
            unclean_principal = m.group("principal").strip('"')
        action = _action(m.group("action"))
        tail = _TAIL_ACTION.search(body, m.end())
        if tail and _action(tail.group("action")).lower() != action.lower() and \
                catalog.known_action(action) is False and catalog.known_action(_action(tail.group("action"))):
            # "s3:Get" (cut) at the head, "allows the s3:GetObject action" at the tail: AWS names it twice.
            notes.append(f"The message names the action {action} and, at its end, {_action(tail.group('action'))}: "
                         "the second, an action AWS has, is taken.")
            action = _action(tail.group("action"))
        raw_resource = m.group("resource")
        if raw_resource:
            raw_resource = raw_resource.strip("\"'").rstrip(".,")
            # IAM names its own resources by kind and name: "on resource: role app-role".
            kind = re.match(r"(role|user|group|policy|instance-profile)\s+(\S+)", body[m.start("resource"):])
            if kind and not raw_resource.startswith("arn:"):
                resource_name = f"{kind.group(1)} {kind.group(2).strip(chr(34) + chr(39)).rstrip('.,')}"
            elif _MASKED_ARN.fullmatch(raw_resource):
                masked_resource = raw_resource
                notes.append(f"AWS printed the resource {raw_resource} with its account masked: the account is "
                             "not taken from it.")
            elif raw_resource.startswith("arn:") or raw_resource == "*":
                resource = raw_resource
            else:
                resource_name = raw_resource
    elif short:
        action = _action(short.group("action"))
    if not m and not short and not (_DENIAL_CODES.search(text) or _DENIAL_WORDS.search(body)
                                    or _ENCODED.search(text)):
        raise ValueError("this does not look like an AWS denial message (no 'is not authorized to perform', "
                         "'Access Denied', 'AccessDenied' or 'UnauthorizedOperation' in it)")
    ex = _EXPLICIT.search(body)
    im = _IMPLICIT.search(body)
    key_may_not_exist = bool(_KMS_UNKNOWN_KEY.search(body))
    if ex:
        explicit, policy_type = True, _PHRASES[ex.group("phrase").lower()]
        policy_arn = (ex.group("arn") or "").rstrip(".") or None
    elif im:
        policy_type = _PHRASES[im.group("phrase").lower()]
    elif _KMS_THIS_RESOURCE.search(body):
        policy_type, key_may_not_exist = "resource", True
    elif _EXPLICIT_BARE.search(body):
        explicit = True
    service = wrapped.service or _CODE_SERVICES.get((wrapped.code or "").lower())
    if key_may_not_exist:
        service = service or "kms"
    if action is None and wrapped.operation:
        action = action_for_operation(wrapped.operation, service)
        if action:
            notes.append(f"The message names the {wrapped.operation} operation but no action: it needs {action} "
                         "(from botocore's service model).")
    if action and not service:
        service = action.split(":", 1)[0]
    found_id = _AUTHORIZATION_ID.search(body)
    authorization_id = (found_id.group("id") or found_id.group("id2")) if found_id else None
    return ParsedDenial(principal, action, resource, policy_type, explicit, policy_arn,
                        authorization_id=authorization_id, error_code=wrapped.code, operation=wrapped.operation,
                        service=service, encoded=encoded_message(text), key_may_not_exist=key_may_not_exist,
                        notes=tuple(notes), anonymous=anonymous, resource_name=resource_name,
                        masked_resource=masked_resource, unclean_principal=unclean_principal)


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
        service=str(action).split(":", 1)[0],
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
