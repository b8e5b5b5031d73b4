"""IAM in the sandbox: what moto lacks or drops, filled here and nowhere else.

* ``iam:SimulatePrincipalPolicy`` is missing from moto. The sandbox answers it with awstriage's own
  evaluator over the policies moto stores for the principal (inline, attached, group policies and
  the permissions boundary), the way IAM's simulator does (it leaves out resource-based policies
  unless they are passed in, and session policies). This is a stand-in for AWS's simulator *in the
  sandbox only*: on a real account the playbook compares its decision with AWS's own answer.
  A scenario can make the simulator disagree or refuse, to show how the playbook reports that::

      [gaps.iam_simulator]
      decision = "allowed"          # force this EvalDecision (a disagreement to demonstrate)
      access_denied = true          # or: answer AccessDenied, as for a caller without the permission

* moto drops a *user's* permissions boundary (a role's is kept): ``CreateUser`` ignores
  ``PermissionsBoundary`` and ``GetUser`` never returns one. The filler keeps the boundary given at
  creation (or by ``PutUserPermissionsBoundary``) on moto's user object, and ``GetUser`` answers
  with it as AWS does.

* ``sts:DecodeAuthorizationMessage`` is missing from moto. A scenario lists the messages it knows,
  encoded blob -> the decoded JSON AWS would return::

      [gaps.authorization_messages]
      "abc123" = '{"allowed": false, "explicitDeny": false, "context": {...}}'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote
from xml.sax.saxutils import escape

from diagnostics.sandbox import gaps

BOUNDARY_TYPE = "PermissionsBoundaryPolicy"


def _document(raw: Any) -> dict[str, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    text = str(raw or "")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(unquote(text))


def _managed_document(policy: Any) -> dict[str, Any]:
    for version in getattr(policy, "versions", []):
        if version.version_id == policy.default_version_id:
            return _document(version.document)
    return {"Version": "2012-10-17", "Statement": []}


def _boundary_of(entity: Any) -> str | None:
    kept = getattr(entity, "permissions_boundary", None)
    if isinstance(kept, Mapping):
        return kept.get("PermissionsBoundaryArn")
    return getattr(entity, "permissions_boundary_arn", None) or None


def stored_policies(backend: Any, principal_arn: str) -> tuple[Any, dict[str, str]]:
    """The PolicySet IAM's simulator would use for ``principal_arn`` (a user or role ARN), and its tags.

    Raises LookupError when moto holds no such user or role.
    """
    from diagnostics.iam import Policy, PolicySet
    from diagnostics.iam.principals import identify

    who = identify(principal_arn)
    identity: list[Policy] = []

    def add(holder: str, entity: Any) -> None:
        for name, text in getattr(entity, "policies", {}).items():
            identity.append(Policy(name, "identity", _document(text), attached_to=holder))
        for arn, managed in getattr(entity, "managed_policies", {}).items():
            identity.append(Policy(arn, "identity", _managed_document(managed), arn=arn, attached_to=holder))

    if who.kind == "user" and who.name:
        entity = backend.users.get(who.name)
        if entity is None:
            raise LookupError(f"The user with name {who.name} cannot be found.")
        add(f"user {who.name}", entity)
        for group in backend.get_groups_for_user(who.name):
            add(f"group {group.name}", group)
    elif who.kind in ("role", "assumed-role") and who.name:
        try:
            entity = backend.get_role(who.name)
        except Exception:
            raise LookupError(f"The role with name {who.name} cannot be found.") from None
        add(f"role {who.name}", entity)
    else:
        raise LookupError(f"{principal_arn} is not a user or role ARN.")
    boundary = None
    boundary_arn = _boundary_of(entity)
    if boundary_arn:
        managed = backend.managed_policies.get(boundary_arn)
        if managed is not None:
            boundary = Policy(boundary_arn, "boundary", _managed_document(managed), arn=boundary_arn,
                              attached_to=f"{who.kind} {who.name}")
    try:
        tags = dict(backend.tagger.get_tag_dict_for_resource(entity.arn))
    except Exception:
        tags = {}
    return PolicySet(identity=tuple(identity), boundary=boundary), tags


def _context(entries: list[Mapping[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for entry in entries or []:
        key = entry.get("ContextKeyName")
        values = [str(v) for v in entry.get("ContextKeyValues") or []]
        if not key or not values:
            continue
        list_type = str(entry.get("ContextKeyType", "")).lower().endswith("list")
        out[str(key)] = values if list_type or len(values) > 1 else values[0]
    return out


def access_denied(message: str) -> tuple[str, dict[str, Any]]:
    body = ('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
            f"<Code>AccessDenied</Code><Message>{escape(message)}</Message></Error>"
            "<RequestId>00000000-0000-4000-8000-000000000000</RequestId></ErrorResponse>")
    return body, {"status": 403, "Content-Type": "text/xml"}


def simulate(backend: Any, params: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """SimulatePrincipalPolicy's answer, computed by awstriage's evaluator over moto's stored policies."""
    from diagnostics.iam import Request, evaluate
    from diagnostics.iam.simulator import simulator_view

    source = str(params.get("PolicySourceArn") or "")
    policies, tags = stored_policies(backend, source)
    context = _context(list(params.get("ContextEntries") or []))
    results = []
    for action in params.get("ActionNames") or []:
        for resource in params.get("ResourceArns") or ["*"]:
            evaluation = evaluate(Request(source, str(action), str(resource), context, principal_tags=tags), policies)
            decision = str(override.get("decision") or simulator_view(evaluation))
            result: dict[str, Any] = {
                "EvalActionName": action,
                "EvalResourceName": resource,
                "EvalDecision": decision,
                "MatchedStatements": [
                    {"SourcePolicyId": m.policy_arn or m.policy,
                     "SourcePolicyType": "IAM Policy" if m.policy_type == "identity" else "PermissionsBoundaryPolicy"}
                    for m in evaluation.matched],
                "MissingContextValues": list(evaluation.missing_context_keys),
            }
            if policies.boundary is not None:
                result["PermissionsBoundaryDecisionDetail"] = {
                    "AllowedByPermissionsBoundary": evaluation.per_type.get("boundary") == "allow"}
            results.append(result)
    return {"EvaluationResults": results, "IsTruncated": False}


@gaps.filler
def install() -> None:
    from moto.core.exceptions import ServiceException
    from moto.core.responses import ActionResult
    from moto.iam.responses import IamResponse

    class SandboxError(ServiceException):
        """An AWS error answered by a filler (defined here, so moto serialises it with the caller's model)."""


    original_create_user = IamResponse.create_user

    def keep_boundary(user: Any, arn: str | None) -> None:
        user.permissions_boundary = ({"PermissionsBoundaryType": BOUNDARY_TYPE, "PermissionsBoundaryArn": arn}
                                     if arn else None)

    def create_user(self: Any) -> Any:
        answer = original_create_user(self)
        boundary = self._get_param("PermissionsBoundary")
        if boundary:
            keep_boundary(self.backend.get_user(self._get_param("UserName")), boundary)
        return answer

    def put_user_permissions_boundary(self: Any) -> Any:
        keep_boundary(self.backend.get_user(self._get_param("UserName")), self._get_param("PermissionsBoundary"))
        return ActionResult({})

    def delete_user_permissions_boundary(self: Any) -> Any:
        keep_boundary(self.backend.get_user(self._get_param("UserName")), None)
        return ActionResult({})

    def simulate_principal_policy(self: Any) -> Any:
        override = dict(gaps.get("iam_simulator", {}) or {})
        if override.get("access_denied"):
            # AccessDenied is not among IAM's modelled errors, so moto would warn on serialising it:
            # the answer is written as AWS writes it.
            return access_denied(f"User: arn:aws:iam::{self.current_account}:user/moto is not authorized to "
                                 "perform: iam:SimulatePrincipalPolicy")
        try:
            return ActionResult(simulate(self.backend, self._get_params(), override))
        except LookupError as exc:
            raise SandboxError("NoSuchEntity", str(exc)) from None

    IamResponse.create_user = create_user  # type: ignore[method-assign]
    IamResponse.put_user_permissions_boundary = put_user_permissions_boundary  # type: ignore[attr-defined]
    IamResponse.delete_user_permissions_boundary = delete_user_permissions_boundary  # type: ignore[attr-defined]
    IamResponse.simulate_principal_policy = simulate_principal_policy  # type: ignore[attr-defined]

    from moto.sts.responses import TokenResponse

    def decode_authorization_message(self: Any) -> Any:
        known = dict(gaps.get("authorization_messages", {}) or {})
        decoded = known.get(str(self._get_param("EncodedMessage") or ""))
        if decoded is None:
            raise SandboxError("InvalidAuthorizationMessageException",
                                   "The encoded authorization message is not valid or has expired.")
        text = decoded if isinstance(decoded, str) else json.dumps(decoded)
        return ActionResult({"DecodedMessage": text})

    TokenResponse.decode_authorization_message = decode_authorization_message  # type: ignore[attr-defined]


# * A member account's view of its organization, which moto cannot give (in moto the account that
#   creates an organization is its management account). With::
#
#       [gaps.organizations]
#       member_of = "111111111111"      # the management account
#
#   DescribeOrganization answers as a member account sees it, and the calls that take the
#   management account (ListParents, ListPoliciesForTarget, DescribePolicy) answer AccessDenied, so
#   SCPs and RCPs cannot be read, as from a real member account.


def member_view(management: str) -> dict[str, Any]:
    return {"Organization": {
        "Id": "o-exampleorgid", "Arn": f"arn:aws:organizations::{management}:organization/o-exampleorgid",
        "FeatureSet": "ALL", "MasterAccountId": management,
        "MasterAccountArn": f"arn:aws:organizations::{management}:account/o-exampleorgid/{management}",
        "MasterAccountEmail": "management@example.com",
        "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}]}}


@gaps.filler
def install_member_view() -> None:
    from moto.organizations.exceptions import OrganizationsClientError
    from moto.organizations.responses import OrganizationsResponse

    def member_of() -> str | None:
        return (dict(gaps.get("organizations", {}) or {})).get("member_of")

    original_describe = OrganizationsResponse.describe_organization

    def describe_organization(self: Any) -> str:
        management = member_of()
        return json.dumps(member_view(management)) if management else original_describe(self)

    def refused(name: str) -> Any:
        original = getattr(OrganizationsResponse, name)

        def call(self: Any) -> Any:
            if member_of():
                raise OrganizationsClientError("AccessDeniedException", "You don't have permissions to access "
                                               "this resource.")
            return original(self)

        return call

    OrganizationsResponse.describe_organization = describe_organization  # type: ignore[method-assign]
    for name in ("list_parents", "list_policies_for_target", "describe_policy", "list_roots"):
        setattr(OrganizationsResponse, name, refused(name))
