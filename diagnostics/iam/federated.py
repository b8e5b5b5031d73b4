"""AssumeRoleWithWebIdentity and AssumeRoleWithSAML: decided by the role's trust policy, not by a caller.

These calls are not signed with AWS credentials (STS API Reference, AssumeRoleWithWebIdentity: "does
not require the use of AWS security credentials"): the caller is an identity provider's token (an
OIDC token from GitHub Actions, EKS, Cognito, Google...; a SAML assertion), so there is no IAM user or
role whose policies to read. What decides is the role's trust policy: a statement that allows the
action for the provider (``"Principal": {"Federated": "arn:aws:iam::ACCOUNT:oidc-provider/HOST"}`` or
``.../saml-provider/NAME``) whose conditions the token's claims meet (``HOST:aud``, ``HOST:sub``,
``SAML:aud``). IAM User Guide, "Create a role for OpenID Connect federation":
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html

The claims the token carried are not in AWS's message; a person can give them as context
(``--param context=token.actions.githubusercontent.com:sub=repo:org/app:ref:refs/heads/main``), and
then each condition is checked against them. Pure: the playbook passes the trust policy it read.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from diagnostics.findings import Finding
from diagnostics.iam.actions import action_matcher
from diagnostics.iam.conditions import ConditionError, compile_conditions, evaluate_clause
from diagnostics.iam.model import ContextValue
from diagnostics.iam.reads import ResourcePolicyRead

FEDERATED_ACTIONS = {"sts:assumerolewithwebidentity": "web identity (OIDC) token",
                     "sts:assumerolewithsaml": "SAML assertion"}
FEDERATED = "federated"  # the principal of a web identity or SAML request: a token, no IAM caller


def is_federated(action: str | None) -> bool:
    return (action or "").lower() in FEDERATED_ACTIONS


@dataclass(frozen=True)
class FederatedGrant:
    """One trust policy statement that allows the action for an identity provider."""

    index: int
    sid: str | None
    providers: tuple[str, ...]
    conditions: tuple[tuple[str, str, tuple[str, ...]], ...]  # (operator, key, values)
    unmet: tuple[str, ...] = ()      # conditions the given claims do not meet, in words
    unknown: tuple[str, ...] = ()    # condition keys whose claim was not given

    def where(self) -> str:
        return f"statement {self.index}" + (f" ({self.sid})" if self.sid else "")

    def wants(self) -> str:
        return "; ".join(f"{key} {op} {' or '.join(values)}" for op, key, values in self.conditions) or \
            "no condition (any token the provider signs)"


def _list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str | Mapping) else list(value or [])


def grants(trust: Mapping[str, Any], action: str, context: Mapping[str, ContextValue]) -> list[FederatedGrant]:
    """The Allow statements of ``trust`` for ``action`` with a Federated principal, each checked against
    the claims given in ``context`` (keys compared case-insensitively)."""
    lookup_table = {k.lower(): v for k, v in context.items()}
    out: list[FederatedGrant] = []
    for index, st in enumerate(_list(trust.get("Statement"))):
        if not isinstance(st, Mapping) or st.get("Effect") != "Allow":
            continue
        if not any(action_matcher(str(a))(action.lower()) for a in _list(st.get("Action"))):
            continue
        principal = st.get("Principal")
        federated = principal.get("Federated") if isinstance(principal, Mapping) else None
        if not federated:
            continue
        conditions: list[tuple[str, str, tuple[str, ...]]] = []
        for operator, block in (st.get("Condition") or {}).items():
            for key, values in (block or {}).items():
                conditions.append((operator, key, tuple(str(v) for v in _list(values))))
        unmet: list[str] = []
        unknown: list[str] = []
        try:
            clauses = compile_conditions(st.get("Condition"), False)
        except ConditionError:
            clauses = ()
        for clause in clauses:
            if clause.key_lower not in lookup_table:
                unknown.append(clause.key)
                continue
            if not evaluate_clause(clause, lookup_table.get).passed:
                unmet.append(f"{clause.key} {clause.operator} {' or '.join(map(str, clause.values))} (given: "
                             f"{lookup_table[clause.key_lower]})")
        out.append(FederatedGrant(index, st.get("Sid"), tuple(str(p) for p in _list(federated)), tuple(conditions),
                                  tuple(unmet), tuple(unknown)))
    return out


def federated_finding(action: str, role: str, read: ResourcePolicyRead,
                      context: Mapping[str, ContextValue], denied: bool) -> tuple[str, Finding | None, str]:
    """(detail, finding or None, undecided) for a web identity or SAML request on ``role``."""
    token = FEDERATED_ACTIONS[action.lower()]
    head = (f"{action} is not signed with AWS credentials: the caller is a {token}, so no IAM caller's policies "
            f"take part. The trust policy of {role} decides: it must allow {action} for the identity provider, "
            "with conditions the token's claims meet.")
    if read.status in ("elsewhere", "unreadable", "unsupported") or (read.policy is None and read.status != "none"):
        return f"{head} {read.detail}", None, "unread" if read.status == "unreadable" else "elsewhere"
    found = grants(read.policy.document, action, context) if read.policy is not None else []
    role_name = role.rsplit("/", 1)[-1]
    show = f"aws iam get-role --role-name {role_name} --query Role.AssumeRolePolicyDocument"
    if not found:
        example = _example(action)
        summary = (f"The trust policy of {role} has no statement allowing {action} for a federated principal (an "
                   f"{'OIDC' if 'web' in token else 'SAML'} identity provider), so no {token} can assume the role.")
        providers = ("aws iam list-open-id-connect-providers" if "web" in token else "aws iam list-saml-providers")
        fix = [f"# Add to the trust policy of {role} a statement for your identity provider (its ARN from "
               f"`{providers}`), with conditions on the token's claims:",
               "# Statement: " + json.dumps(example, separators=(",", ":")), show]
        return (f"{head} {summary}", Finding("IAM_RESOURCE_POLICY_BLOCKS", "error", role, summary,
                                              {"decision": "implicitDeny", "policy_type": "resource",
                                               "federated": True, "grants": []}, fix), "")
    said = "; ".join(f"{g.where()} allows {', '.join(g.providers)} when {g.wants()}" for g in found)
    met = [g for g in found if not g.unmet and not g.unknown]
    unmet = [g for g in found if g.unmet]
    evidence = {"decision": "implicitDeny" if denied else "allowed", "policy_type": "resource", "federated": True,
                "grants": [{"index": g.index, "sid": g.sid, "providers": list(g.providers),
                            "conditions": [[c[0], c[1], list(c[2])] for c in g.conditions],
                            "unmet": list(g.unmet), "unknown": list(g.unknown)} for g in found]}
    if unmet and not met:
        summary = (f"The trust policy of {role} allows {action} only for tokens whose claims meet its conditions, "
                   f"and the claims given do not: " + "; ".join(f"{g.where()}: {', '.join(g.unmet)}" for g in unmet)
                   + ". Issue the token for a subject and audience the trust policy names, or (if this subject "
                   "should be trusted) add it to the condition.")
        return (f"{head} {said}.", Finding("IAM_RESOURCE_POLICY_BLOCKS", "error", role, summary, evidence,
                                          [f"# Compare the token's claims with {unmet[0].where()} of the trust "
                                           "policy", show]), "")
    if met:
        summary = (f"The trust policy of {role} allows {action} for a token with the claims given ({said}). "
                   "What refused it lies in the token itself: expired, issued by another issuer URL than the "
                   "provider's, an audience not in the provider's client ID list, or signed with a key the provider "
                   "no longer publishes.")
        code, condition = "IAM_DENIED_UNEXPLAINED", "if the token carried the claims given here"
        look = ["# Check the provider's audiences and the token's issuer and expiry",
                "aws iam list-open-id-connect-providers"]
    else:
        wants = "; ".join(f"{g.where()}: {g.wants()}" for g in found)
        summary = (f"The trust policy of {role} allows {action} only for these tokens: {wants}. AWS refused the "
                   "token, so its claims most likely do not meet them: decode the token's payload and compare its "
                   "iss, aud and sub (or the SAML assertion's audience) with these conditions, or give the claims "
                   "with --param context=KEY=VALUE to check them here.")
        code = "IAM_RESOURCE_POLICY_BLOCKS"
        condition = "if the token's claims do not meet the trust policy's conditions (they are not in AWS's message)"
        look = ["# Compare the token's claims with the trust policy's conditions", show]
    if not denied:  # nothing refused anything yet: the rest is the token's, not known here
        return f"{head} {summary}", None, "elsewhere"
    return (f"{head} {summary}", Finding(code, "error", role, summary, evidence, look, certainty="conditional",
                                        condition=condition), "")


def _example(action: str) -> dict[str, Any]:
    if action.lower() == "sts:assumerolewithsaml":
        return {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::ACCOUNT:saml-provider/NAME"},
                "Action": "sts:AssumeRoleWithSAML",
                "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}
    return {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::ACCOUNT:oidc-provider/HOST"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {"HOST:aud": "AUDIENCE"}, "StringLike": {"HOST:sub": "SUBJECT"}}}
