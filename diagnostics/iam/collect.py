"""Read, for one principal and one resource, every policy that takes part in an IAM decision.

Only reads, and only what the question needs: the principal's own user or role (never a listing of
the account), its inline, attached and group policies, its permissions boundary, the one resource's
resource-based policy, and the SCPs on the path from the principal's account up to the root of its
organization. Lists are read with paginators. Policy documents come back from boto3 as dicts (or as
URL-encoded JSON from some services): both are accepted.

What cannot be read is said in a sentence (``status``/``detail``), never hidden: the playbook shows
it, and the evaluation records the policy type as not checked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal
from urllib.parse import unquote

from botocore.exceptions import BotoCoreError, ClientError

from diagnostics.errors import ErrorKind, describe_error, error_code
from diagnostics.iam.model import ContextValue, Policy, PolicyHolder, Principal
from diagnostics.iam.principals import identify
from diagnostics.iam.reads import ResourcePolicyRead, ScpRead, VpceRead, trust_elsewhere
from diagnostics.iam.resources import access_point, parse_arn
from diagnostics.iam.simulator import Simulation

ClientFactory = Callable[[str], Any]

NOT_FOUND = {"NoSuchEntity", "NoSuchEntityException", "NotFoundException", "ResourceNotFoundException",
             "NoSuchBucket", "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFound"}


class PrincipalError(ValueError):
    """The principal cannot be read: one sentence saying why and what to do."""


def document(raw: Any) -> dict[str, Any]:
    """A policy document from what an API returned: a dict, JSON text, or URL-encoded JSON text."""
    if isinstance(raw, Mapping):
        return dict(raw)
    text = str(raw or "")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = json.loads(unquote(text))
    if not isinstance(value, dict):
        raise ValueError("the policy document is not a JSON object")
    return value


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key) or []


def _sentence(exc: BaseException, service: str, operation: str) -> str:
    return describe_error(exc, service=service, operation=operation).sentence


# ---------------------------------------------------------------------------------------------
# The principal


def foreign_principal(arn: str, caller_account: str | None) -> Principal | None:
    """The principal, unread, when it lives in another account than the credentials'; else None."""
    who = identify(arn)
    if not (caller_account and who.account and who.account != caller_account):
        return None
    if who.kind not in ("user", "role", "assumed-role") or not who.name:
        return None
    kind: Literal["user", "role", "assumed-role"] = who.kind  # type: ignore[assignment]
    entity = arn if kind != "assumed-role" else (who.role_arn or arn)
    return Principal(arn, kind, who.name, who.account or "", entity, readable=False)


def policy_holder(arn: str, caller_account: str | None = None) -> PolicyHolder | None:
    """Whose identity policies :func:`resolve_principal` would lead to, known without a call: None for an
    ARN whose policies are not read here (the root user, not an IAM user or role, another account)."""
    who = identify(arn)
    if who.kind not in ("user", "role", "assumed-role") or not who.name:
        return None
    if caller_account and who.account and who.account != caller_account:
        return None
    kind: Literal["user", "role", "assumed-role"] = who.kind  # type: ignore[assignment]
    return PolicyHolder(kind, who.name)


def resolve_principal(iam: Any, arn: str, caller_account: str | None = None) -> Principal:
    """Read the user or role behind ``arn`` (GetUser or GetRole: its ARN, boundary and tags)."""
    who = identify(arn)
    if who.kind == "root":
        raise PrincipalError(f"{arn} is the account's root user: IAM policies do not limit it (only SCPs "
                             "and resource policies can), so there are no identity policies to read.")
    if who.kind not in ("user", "role", "assumed-role") or not who.name:
        raise PrincipalError(f"{arn} is not an IAM user, role or assumed-role session ARN; awstriage reads the "
                             "policies of those.")
    if caller_account and who.account and who.account != caller_account:
        raise PrincipalError(f"{arn} is in account {who.account}, but the credentials belong to account "
                             f"{caller_account}: IAM policies can only be read in the principal's own account. "
                             f"Run awstriage with credentials for {who.account}.")
    try:
        if who.kind == "user":
            entity = iam.get_user(UserName=who.name)["User"]
            kind: Literal["user", "role", "assumed-role"] = "user"
            evaluated = entity["Arn"]
            trust = None
        else:
            entity = iam.get_role(RoleName=who.name)["Role"]
            kind = "role" if who.kind == "role" else "assumed-role"
            evaluated = entity["Arn"] if who.kind == "role" else arn
            trust = document(entity["AssumeRolePolicyDocument"]) if entity.get("AssumeRolePolicyDocument") else None
    except ClientError as exc:
        if error_code(exc) in NOT_FOUND:
            what = "user" if who.kind == "user" else "role"
            raise PrincipalError(f"There is no IAM {what} named {who.name} in account {who.account}: check the "
                                 "ARN (a deleted and recreated principal also has a new identity).") from None
        raise
    boundary = (entity.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
    tags = {t["Key"]: t["Value"] for t in entity.get("Tags") or []}
    return Principal(evaluated, kind, who.name, who.account or "", entity["Arn"], tags, boundary, trust)


# ---------------------------------------------------------------------------------------------
# Identity policies and the boundary


class ManagedPolicyReader:
    """Reads customer or AWS managed policies, each once per run (a user and its group may share one)."""

    def __init__(self, iam: Any) -> None:
        self.iam = iam
        self._documents: dict[str, dict[str, Any]] = {}
        # Reads run concurrently (the identity policies and the boundary): one lock per ARN keeps "once".
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def document(self, arn: str) -> dict[str, Any]:
        with self._lock:
            lock = self._locks.setdefault(arn, threading.Lock())
        with lock:
            if arn not in self._documents:
                meta = self.iam.get_policy(PolicyArn=arn)["Policy"]
                version = self.iam.get_policy_version(PolicyArn=arn, VersionId=meta["DefaultVersionId"])
                self._documents[arn] = document(version["PolicyVersion"]["Document"])
            return self._documents[arn]

    def policy(self, arn: str, type_: Literal["identity", "boundary"], attached_to: str) -> Policy:
        return Policy(arn, type_, self.document(arn), arn=arn, attached_to=attached_to)


# ``read(fact, fetch, default)``: a step's ctx.read, which keeps a failed call as a missing fact
# and returns ``default``. Without one, a failed call raises.
Reader_ = Callable[[str, Callable[[], Any], Any], Any]


def _direct(fact: str, fetch: Callable[[], Any], default: Any) -> Any:
    return fetch()


# ``read_all([(fact, fetch, default), ...])``: a step's ctx.read_all, the same for several independent
# reads asked for together. Without one, they are read one after another through ``read``.
ReadAll_ = Callable[[list[tuple[str, Callable[[], Any], Any]]], list[Any]]


def _one_by_one(read: Reader_) -> ReadAll_:
    return lambda reads: [read(*item) for item in reads]


def _holder_policies(iam: Any, managed: ManagedPolicyReader, kind: str, name: str,
                     read: Reader_ = _direct, read_all: ReadAll_ | None = None) -> list[Policy]:
    """The inline and attached policies of one user, group or role; what cannot be read is skipped
    through ``read`` (which records it), so the rest is kept. The two lists are asked for together, and
    the policies each names as soon as that list is in (``read_all``), in the order they are listed."""
    read_all = read_all or _one_by_one(read)
    title = kind.capitalize()
    arg = {f"{title}Name": name}
    holder = f"{kind} {name}"

    def inline() -> list[Policy]:
        names = read(f"the inline policies of {holder}",
                     lambda: list(_pages(iam, f"list_{kind}_policies", "PolicyNames", **arg)), [])
        answers = read_all([(f"the inline policy {policy_name} of {holder}",
                             lambda policy_name=policy_name: getattr(iam, f"get_{kind}_policy")(
                                 PolicyName=policy_name, **arg), None) for policy_name in names])
        return [Policy(policy_name, "identity", document(answer["PolicyDocument"]), attached_to=holder)
                for policy_name, answer in zip(names, answers, strict=True) if answer is not None]

    def attached() -> list[Policy]:
        items = read(f"the managed policies attached to {holder}",
                     lambda: list(_pages(iam, f"list_attached_{kind}_policies", "AttachedPolicies", **arg)), [])
        answers = read_all([(f"the managed policy {item['PolicyArn']}",
                             lambda item=item: managed.policy(item["PolicyArn"], "identity", holder), None)
                            for item in items])
        return [p for p in answers if p is not None]

    # Each part records its own failures through ``read``: these two items never fail, they only run together.
    own, managed_policies = read_all([(f"the inline policies of {holder}", inline, []),
                                      (f"the managed policies of {holder}", attached, [])])
    return own + managed_policies


def identity_policies(iam: Any, principal: Principal | PolicyHolder, managed: ManagedPolicyReader | None = None,
                      read: Reader_ = _direct, read_all: ReadAll_ | None = None) -> list[Policy]:
    """A user's inline, attached and group policies; a role's inline and attached policies. With
    ``read_all``, what does not depend on another read is asked for together. Only the holder's kind and
    name are used: the principal itself need not have been read yet (see :func:`policy_holder`)."""
    managed = managed or ManagedPolicyReader(iam)
    read_all = read_all or _one_by_one(read)
    if principal.kind == "user":
        policies, groups = read_all([
            # _holder_policies records its own failures: this item never fails, it only runs beside the next.
            (f"the policies of user {principal.name}",
             lambda: _holder_policies(iam, managed, "user", principal.name, read, read_all), []),
            (f"the groups of user {principal.name}",
             lambda: list(_pages(iam, "list_groups_for_user", "Groups", UserName=principal.name)), []),
        ])
        for more in read_all([(f"the policies of group {group['GroupName']}",
                               lambda group=group: _holder_policies(iam, managed, "group", group["GroupName"], read,
                                                                    read_all), [])
                              for group in groups]):
            policies += more
        return policies
    return _holder_policies(iam, managed, "role", principal.name, read, read_all)


def boundary_policy(iam: Any, principal: Principal, managed: ManagedPolicyReader | None = None) -> Policy | None:
    if not principal.boundary_arn:
        return None
    return (managed or ManagedPolicyReader(iam)).policy(principal.boundary_arn, "boundary", principal.holder)


# ---------------------------------------------------------------------------------------------
# The resource-based policy

SERVICE_KINDS = {"s3": "bucket policy", "kms": "key policy", "sqs": "queue policy", "sns": "topic policy",
                 "lambda": "function policy", "secretsmanager": "secret policy"}


def resource_policy(client: ClientFactory, resource: str, action: str, region: str | None = None,
                    caller_account: str | None = None) -> ResourcePolicyRead:
    """Read the resource-based policy of ``resource`` where its service has one. ``caller_account``: the
    credentials' account; a role of another account is not read (see :func:`trust_elsewhere`)."""
    if resource == "*":
        return ResourcePolicyRead("unsupported", "", "", "The request names no single resource (*), so no "
                                  "resource-based policy takes part.")
    arn = parse_arn(resource)
    if arn is None:
        return ResourcePolicyRead("unsupported", "", "", f"{resource} is not an ARN, so no resource-based "
                                  "policy can be looked up.")
    service = arn.service
    trust = service == "iam" and arn.resource.startswith("role/") and action.lower().startswith("sts:")
    if service not in SERVICE_KINDS and not trust:
        return ResourcePolicyRead("unsupported", "", "", f"{service} resources have no resource-based policy "
                                  "here: only identity-based policies and the guardrails decide.")
    if access_point(resource):
        return _access_point_policy(client, resource)
    kind = "trust policy" if trust else SERVICE_KINDS[service]
    elsewhere = trust_elsewhere(resource, caller_account) if trust else None
    if elsewhere is not None:
        return elsewhere
    if arn.region and region and arn.region != region and service != "s3":
        return ResourcePolicyRead("unreadable", kind, resource, f"The resource is in {arn.region} but the session "
                                  f"is in {region}: its {kind} was not read. Run again with --region {arn.region}.")
    reader = _READERS["iam-trust" if trust else service]
    try:
        holder, holder_arn, raw = reader(client, arn, resource)
    except ClientError as exc:
        info = describe_error(exc)
        code = error_code(exc) or ""
        if code in NOT_FOUND or info.kind is ErrorKind.NOT_FOUND:
            return ResourcePolicyRead("missing", kind, resource, f"{resource} does not exist (AWS answered {code}). "
                                      "AWS often answers AccessDenied for a resource that does not exist: check "
                                      "the name, the account and the region.")
        return ResourcePolicyRead("unreadable", kind, resource, f"Could not read the {kind} of {resource}: "
                                  f"{info.sentence}. The decision leaves it out.")
    if raw is None:
        return ResourcePolicyRead("none", kind, holder, f"The {holder} has no {kind}.", holder_arn=holder_arn)
    # Named by the ARN of what holds it (the bucket, not the object), so a finding points at it.
    policy = Policy(holder_arn, "resource", document(raw), attached_to=holder)
    return ResourcePolicyRead("read", kind, holder, f"Read the {kind} of the {holder}.", policy, holder_arn)


Reader = Callable[[ClientFactory, Any, str], tuple[str, str, Any]]  # -> (holder, holder ARN, raw policy)


def _access_point_policy(client: ClientFactory, resource: str) -> ResourcePolicyRead:
    """An S3 access point's own policy (s3control GetAccessPointPolicy), never looked up as a bucket. The
    bucket behind it has its own policy too, which must allow the request or delegate to access points."""
    region, account, name, _ = access_point(resource) or ("", "", "", None)
    holder_arn = f"arn:aws:s3:{region}:{account}:accesspoint/{name}"
    holder = f"access point {name}"
    read = (f"aws s3control get-access-point-policy --account-id {account} --name {name} --region {region}")
    behind = (" The bucket behind it (aws s3control get-access-point ... shows which) has its own bucket policy, "
              "which must also allow the request or delegate access control to access points.")
    try:
        raw = client("s3control").get_access_point_policy(AccountId=account, Name=name).get("Policy")
    except ClientError as exc:
        code = error_code(exc) or ""
        if code == "NoSuchAccessPoint":
            return ResourcePolicyRead("missing", "access point policy", holder,
                                      f"The access point {name} does not exist in account {account}, region {region} "
                                      f"(AWS answered {code}).", holder_arn=holder_arn)
        if code == "NoSuchAccessPointPolicy":
            return ResourcePolicyRead("none", "access point policy", holder, f"The {holder} has no access point "
                                      "policy." + behind, holder_arn=holder_arn)
        why = describe_error(exc, service="s3control", operation="GetAccessPointPolicy").sentence
        return ResourcePolicyRead("unreadable", "access point policy", holder, f"{resource} is an S3 access point, "
                                  f"not a bucket; its policy could not be read ({why}). Read it with: {read}." + behind,
                                  holder_arn=holder_arn)
    except BotoCoreError as exc:  # s3control's host names carry the account ID; some endpoints cannot serve them
        return ResourcePolicyRead("unreadable", "access point policy", holder, f"{resource} is an S3 access point, "
                                  f"not a bucket; its policy could not be read ({describe_error(exc).sentence}). Read "
                                  f"it with: {read}." + behind, holder_arn=holder_arn)
    if not raw:
        return ResourcePolicyRead("none", "access point policy", holder, f"The {holder} has no access point policy."
                                  + behind, holder_arn=holder_arn)
    policy = Policy(holder_arn, "resource", document(raw), attached_to=holder)
    return ResourcePolicyRead("read", "access point policy", holder, f"Read the access point policy of the {holder}."
                              + behind, policy, holder_arn)


def _s3(client: ClientFactory, arn: Any, resource: str) -> tuple[str, str, Any]:
    bucket = arn.resource.split("/", 1)[0]
    try:
        raw = client("s3").get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as exc:
        if error_code(exc) == "NoSuchBucketPolicy":
            return f"bucket {bucket}", f"arn:{arn.partition}:s3:::{bucket}", None
        raise
    return f"bucket {bucket}", f"arn:{arn.partition}:s3:::{bucket}", raw


def _kms(client: ClientFactory, arn: Any, resource: str) -> tuple[str, str, Any]:
    kms = client("kms")
    key = resource
    if arn.resource.startswith("alias/"):
        key = kms.describe_key(KeyId=resource)["KeyMetadata"]["Arn"]
    return f"key {key.rsplit('/', 1)[-1]}", key, kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]


def _sqs(client: ClientFactory, arn: Any, resource: str) -> tuple[str, str, Any]:
    sqs = client("sqs")
    url = sqs.get_queue_url(QueueName=arn.resource, QueueOwnerAWSAccountId=arn.account)["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes") or {}
    return f"queue {arn.resource}", resource, attributes.get("Policy")


def _sns(client: ClientFactory, arn: Any, resource: str) -> tuple[str, str, Any]:
    topic = ":".join(resource.split(":")[:6])
    attributes = client("sns").get_topic_attributes(TopicArn=topic).get("Attributes") or {}
    return f"topic {topic.rsplit(':', 1)[-1]}", topic, attributes.get("Policy")


def _lambda(client: ClientFactory, arn: Any, resource: str) -> tuple[str, str, Any]:
    parts = arn.resource.split(":")  # function:NAME[:QUALIFIER]
    name = parts[1] if len(parts) > 1 else arn.resource
    kwargs: dict[str, Any] = {"FunctionName": name}
    if len(parts) > 2:
        kwargs["Qualifier"] = parts[2]
    try:
        raw = client("lambda").get_policy(**kwargs)["Policy"]
    except ClientError as exc:
        # Lambda answers ResourceNotFoundException both for a missing function and for one without
        # a policy; the function's existence is checked so the two are told apart.
        if error_code(exc) != "ResourceNotFoundException":
            raise
        function = client("lambda").get_function_configuration(FunctionName=name)
        return f"function {name}", function.get("FunctionArn", resource), None
    return f"function {name}", resource, raw


def _secret(client: ClientFactory, arn: Any, resource: str) -> tuple[str, str, Any]:
    answer = client("secretsmanager").get_resource_policy(SecretId=resource)
    return f"secret {answer.get('Name') or arn.resource}", answer.get("ARN") or resource, answer.get("ResourcePolicy")


def _trust(client: ClientFactory, arn: Any, resource: str) -> tuple[str, str, Any]:
    name = arn.resource.rsplit("/", 1)[-1]
    role = client("iam").get_role(RoleName=name)["Role"]
    return f"role {name}", role["Arn"], role.get("AssumeRolePolicyDocument")


_READERS: dict[str, Reader] = {
    "s3": _s3, "kms": _kms, "sqs": _sqs, "sns": _sns, "lambda": _lambda, "secretsmanager": _secret,
    "iam-trust": _trust,
}


# ---------------------------------------------------------------------------------------------
# Organization policies: service control policies (SCPs) and resource control policies (RCPs)

OrgPolicyKind = Literal["scp", "rcp"]

# Per kind: the Organizations policy type, its short name, and who it restricts in the management account.
_ORG_KINDS: dict[str, tuple[str, str, str]] = {
    "scp": ("SERVICE_CONTROL_POLICY", "SCP", "its principals"),
    "rcp": ("RESOURCE_CONTROL_POLICY", "RCP", "its resources"),
}

# The services whose resources RCPs restrict (AWS Organizations, "List of AWS services that support RCPs").
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager"})


def organization_scps(org: Any, account: str, caller_account: str | None = None) -> ScpRead:
    """The SCPs on the path from ``account`` (the principal's) up to its organization's root."""
    return organization_policies(org, account, "scp", caller_account)


def organization_rcps(org: Any, account: str, caller_account: str | None = None) -> ScpRead:
    """The RCPs on the path from ``account`` (the resource's) up to its organization's root."""
    return organization_policies(org, account, "rcp", caller_account)


def organization_policies(org: Any, account: str, kind: OrgPolicyKind, caller_account: str | None = None) -> ScpRead:
    """``caller_account``: the account of the credentials, the only one DescribeOrganization speaks for."""
    policy_type, short, restricted = _ORG_KINDS[kind]
    try:
        organization = org.describe_organization()["Organization"]
    except ClientError as exc:
        if error_code(exc) == "AWSOrganizationsNotInUseException" and caller_account and account != caller_account:
            # Only the credentials' account is known to be outside any organization; another
            # account may well be in one of its own.
            return ScpRead("unreadable", f"Account {account}'s {short}s cannot be read here: the credentials' "
                           f"account {caller_account} is in no AWS Organization, so account {account}'s "
                           f"organization, if it has one, is another. An {short} deny there would not show in "
                           "this diagnosis.", None)
        if error_code(exc) == "AWSOrganizationsNotInUseException":
            return ScpRead("none", f"Account {account} is not in an AWS Organization, so no {short}s apply.", ())
        return ScpRead("unreadable", f"{short}s were not checked: "
                       + _sentence(exc, "organizations", "DescribeOrganization")
                       + f". An {short} deny would not show in this diagnosis.", None)
    if organization.get("MasterAccountId") == account:
        return ScpRead("management", f"Account {account} is the organization's management account: {short}s never "
                       f"restrict {restricted}.", ())
    try:
        targets = [("account", account)]
        child = account
        for _ in range(7):  # an organization has at most five levels of OUs under the root
            parents = list(_pages(org, "list_parents", "Parents", ChildId=child))
            if not parents:
                break
            parent = parents[0]
            level = "root" if parent["Type"] == "ROOT" else "ou"
            targets.append((level, parent["Id"]))
            if level == "root":
                break
            child = parent["Id"]
        policies: list[Policy] = []
        contents: dict[str, dict[str, Any]] = {}
        for level, target in targets:
            for summary in _pages(org, "list_policies_for_target", "Policies", TargetId=target,
                                  Filter=policy_type):
                if summary["Id"] not in contents:
                    content = org.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
                    contents[summary["Id"]] = document(content)
                policies.append(Policy(summary.get("Name") or summary["Id"], kind, contents[summary["Id"]],
                                       arn=summary.get("Arn"), attached_to=f"{level} {target}"))
    except ClientError as exc:
        if error_code(exc) == "PolicyTypeNotEnabledException":
            return ScpRead("none", f"{short}s are not enabled in the organization, so none apply.", ())
        why = _sentence(exc, "organizations", "ListPoliciesForTarget")
        return ScpRead("unreadable", f"{short}s were not checked: {why} (reading {short}s takes the management "
                       f"account or a delegated administrator). An {short} deny would not show in this diagnosis.",
                       None)
    levels = tuple(f"{level} {target}" for level, target in targets)
    names = ", ".join(f"{p.name} on {p.attached_to}" for p in policies) or "none"
    return ScpRead("read", f"Read {len(policies)} {short}(s) on {len(levels)} level(s) ({names}).",
                   tuple(policies), levels)


# ---------------------------------------------------------------------------------------------
# AWS's own simulator


def _context_type(value: ContextValue) -> tuple[str, list[str]]:
    values = [value] if isinstance(value, str) else list(value)
    many = not isinstance(value, str)
    sample = values[0] if values else ""
    if sample.lower() in ("true", "false"):
        kind = "boolean"
    elif sample.replace(".", "", 1).lstrip("-").isdigit():
        kind = "numeric"
    else:
        import ipaddress

        try:
            ipaddress.ip_network(sample, strict=False)
            kind = "ip"
        except ValueError:
            kind = "string"
    return (kind + "List" if many else kind), values


def simulate_principal(iam: Any, source_arn: str, action: str, resource: str,
                       context: Mapping[str, ContextValue]) -> Simulation:
    """Ask iam:SimulatePrincipalPolicy about one action on one resource."""
    entries = []
    for key, value in context.items():
        kind, values = _context_type(value)
        entries.append({"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": kind})
    results = list(_pages(iam, "simulate_principal_policy", "EvaluationResults", PolicySourceArn=source_arn,
                          ActionNames=[action], ResourceArns=[resource], ContextEntries=entries))
    if not results:
        raise ValueError("the policy simulator returned no result")
    first = results[0]
    boundary = (first.get("PermissionsBoundaryDecisionDetail") or {}).get("AllowedByPermissionsBoundary")
    org = (first.get("OrganizationsDecisionDetail") or {}).get("AllowedByOrganizations")
    return Simulation(str(first.get("EvalDecision")),
                      tuple(str(m.get("SourcePolicyId")) for m in first.get("MatchedStatements") or []),
                      tuple(first.get("MissingContextValues") or []), boundary, org)


# ---------------------------------------------------------------------------------------------
# Encoded authorization messages


def decode_authorization_message(sts: Any, encoded: str) -> str:
    """sts:DecodeAuthorizationMessage: the JSON behind EC2's "Encoded authorization failure message"."""
    return str(sts.decode_authorization_message(EncodedMessage=encoded)["DecodedMessage"])


# ---------------------------------------------------------------------------------------------
# VPC endpoint policies

# IAM prefixes whose endpoint service name differs ("com.amazonaws.REGION.monitoring").
ENDPOINT_SERVICE_NAMES = {"cloudwatch": "monitoring", "execute-api": "execute-api"}

def endpoint_service_name(action: str, region: str) -> str:
    prefix = action.split(":", 1)[0].lower()
    return f"com.amazonaws.{region}.{ENDPOINT_SERVICE_NAMES.get(prefix, prefix)}"


def _endpoint_policy(endpoint: Mapping[str, Any]) -> Policy:
    endpoint_id = str(endpoint.get("VpcEndpointId"))
    raw = endpoint.get("PolicyDocument")
    # An endpoint without a custom policy has AWS's default, full access (VPC User Guide,
    # "Control access to VPC endpoints using endpoint policies").
    doc = document(raw) if raw else {"Version": "2008-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    return Policy(endpoint_id, "vpce", doc, attached_to=f"VPC endpoint {endpoint_id} ({endpoint.get('ServiceName')}, "
                                                       f"{endpoint.get('VpcId')})")


def vpc_endpoint(ec2: Any, endpoint_id: str) -> VpceRead:
    """The endpoint named by aws:SourceVpce, with its policy."""
    try:
        found = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id]).get("VpcEndpoints") or []
    except ClientError as exc:
        if "NotFound" in (error_code(exc) or ""):
            return VpceRead("unreadable", f"The VPC endpoint {endpoint_id} is not in this account and region: its "
                            "policy can only be read by the account that owns the endpoint's VPC.",
                            endpoint_id=endpoint_id)
        raise
    if not found:
        return VpceRead("unreadable", f"The VPC endpoint {endpoint_id} was not found in this account and region.",
                        endpoint_id=endpoint_id)
    policy = _endpoint_policy(found[0])
    return VpceRead("read", f"Read the endpoint policy of {policy.attached_to}.", policy, endpoint_id)


def vpc_endpoints_for(ec2: Any, vpc_id: str, service_name: str) -> list[Mapping[str, Any]]:
    """The endpoints of one VPC for one service (gateway or interface)."""
    return list(_pages(ec2, "describe_vpc_endpoints", "VpcEndpoints",
                       Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                {"Name": "service-name", "Values": [service_name]}]))


def endpoint_in_vpc(endpoints: list[Mapping[str, Any]], vpc_id: str, how: str, service_name: str) -> VpceRead:
    if not endpoints:
        return VpceRead("none", f"The caller runs in {vpc_id} ({how}), which has no VPC endpoint for {service_name}: "
                        "its requests do not pass an endpoint policy.")
    first = _endpoint_policy(endpoints[0])
    more = f" ({len(endpoints)} endpoints; the first is judged)" if len(endpoints) > 1 else ""
    return VpceRead("read", f"The caller runs in {vpc_id} ({how}); its requests to {service_name} go through "
                    f"{first.attached_to}{more}. Read its endpoint policy.", first, first.name)


def trusted_services(trust_policy: Mapping[str, Any] | None) -> set[str]:
    """The AWS services a role's trust policy lets assume it ("ec2.amazonaws.com", ...)."""
    out: set[str] = set()
    statements = (trust_policy or {}).get("Statement") or []
    for st in [statements] if isinstance(statements, Mapping) else statements:
        principal = st.get("Principal") if isinstance(st, Mapping) else None
        services = principal.get("Service") if isinstance(principal, Mapping) else None
        out.update([services] if isinstance(services, str) else list(services or []))
    return out


def instance_vpc(ec2: Any, instance_id: str) -> str | None:
    for reservation in ec2.describe_instances(InstanceIds=[instance_id]).get("Reservations") or []:
        for instance in reservation.get("Instances") or []:
            return instance.get("VpcId")
    return None


def function_vpc(lambda_client: Any, name: str) -> str | None:
    config = lambda_client.get_function_configuration(FunctionName=name)
    return (config.get("VpcConfig") or {}).get("VpcId") or None


# ---------------------------------------------------------------------------------------------
# AWS's Access Troubleshooter


def authorization_details(toolbox: Any, authorization_id: str) -> dict[str, Any]:
    """iam-toolbox GetRequestAuthorizationDetails, every page of evaluations joined."""
    answer: dict[str, Any] = {"evaluations": [], "policies": []}
    token: str | None = None
    for _ in range(20):  # pages of evaluations; a denial has a handful
        page = toolbox.get_request_authorization_details(
            authorizationId=authorization_id, **({"nextToken": token} if token else {}))
        answer["requestContext"] = page.get("requestContext") or answer.get("requestContext") or {}
        answer["evaluations"] += page.get("evaluations") or []
        answer["policies"] += page.get("policies") or []
        token = page.get("nextToken")
        if not token:
            break
    return answer


def authorization_policy(toolbox: Any, authorization_id: str, uri: str) -> dict[str, Any]:
    """The policy as it was when the request was denied (GetRequestAuthorizationPolicy)."""
    return document(toolbox.get_request_authorization_policy(authorizationId=authorization_id,
                                                             policyUri=uri).get("policyDocument") or {})


def named_resource_arn(client: Any, arn: str) -> str | None:
    """The real ARN of a resource AWS named without one (its IAM path, a secret's suffix), read with
    iam:GetRole/GetUser/GetGroup or secretsmanager:DescribeSecret; None for other kinds.

    ``client`` makes a boto3 client by service name. Raises ClientError when the read is refused."""
    parts = arn.split(":", 5)
    service, rest = parts[2], parts[5]
    if service == "iam":
        kind, _, name = rest.partition("/")
        name = name.rsplit("/", 1)[-1]
        call = {"role": ("get_role", "RoleName", "Role"), "user": ("get_user", "UserName", "User"),
                "group": ("get_group", "GroupName", "Group")}.get(kind)
        if call is None:
            return None
        answer = getattr(client("iam"), call[0])(**{call[1]: name})
        return str(answer[call[2]]["Arn"])
    if service == "secretsmanager" and rest.startswith("secret:"):
        return str(client("secretsmanager").describe_secret(SecretId=rest.removeprefix("secret:"))["ARN"])
    return None


# ---------------------------------------------------------------------------------------------
# S3 objects


ObjectState = Literal["exists", "missing", "unknown"]


def s3_object_state(s3: Any, bucket: str, key: str) -> tuple[ObjectState, str]:
    """Whether ``key`` is in ``bucket`` (s3:HeadObject with these credentials), and the reason when
    unknown. Only a 404 says "missing": without s3:ListBucket S3 answers a missing key with 403, the
    same as a refused one (GetObject, "Permissions"), so a 403 here decides nothing."""
    try:
        s3.head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if error_code(exc) in ("404", "NoSuchKey", "NotFound"):
            return "missing", ""
        return "unknown", describe_error(exc, service="s3", operation="HeadObject").sentence
    return "exists", ""
