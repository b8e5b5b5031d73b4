"""The findings a decision makes: the component at fault, in words, with a fix checked by evaluating again.

From one evaluation (``diagnostics.iam.evaluate``) of a request against the policies read for it, this
module writes the finding the decision step shows: its code (one per policy type, ``CODES``), the
policy at fault, a summary naming the deciding statement or the layer that lacks an allow, the near
misses, and the smallest change (``diagnostics.iam.explain.fix_for``) applied to a copy of the
policies and evaluated again (``diagnostics.iam.verify``). When more than one layer blocks on its own
(no identity allow *and* a boundary that does not allow), each is a finding with its own fix, and the
changes are verified together: fixing only the first would leave the request denied.

Pure: it judges data the playbook read. :class:`Circumstances` carries what surrounds the decision
(the context assumed, the policy types that could not be read and why, AWS's message).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from diagnostics.findings import Finding
from diagnostics.findings import Fix as FixOption
from diagnostics.iam.aws_words import TYPE_WORDS
from diagnostics.iam.denial_message import ParsedDenial
from diagnostics.iam.evaluate import evaluate
from diagnostics.iam.explain import CONDITION_HINTS, Fix, NearMiss, fix_for, near_misses
from diagnostics.iam.model import Evaluation, MatchedStatement, Policy, PolicySet, Principal, Request
from diagnostics.iam.reads import ResourcePolicyRead, ScpRead, VpceRead
from diagnostics.iam.request import Ask
from diagnostics.iam.resources import account_of
from diagnostics.iam.verify import verify

# The finding's code when a policy type lacks an allow (an explicit deny is IAM_EXPLICIT_DENY).
CODES = {"scp": "IAM_SCP_BLOCKS", "rcp": "IAM_RCP_BLOCKS", "boundary": "IAM_BOUNDARY_BLOCKS",
         "session": "IAM_SESSION_POLICY_BLOCKS", "resource": "IAM_RESOURCE_POLICY_BLOCKS", "identity": "IAM_NO_ALLOW",
         "vpce": "IAM_VPCE_POLICY_BLOCKS"}

# Commands that write a policy document: the ones a copy of the policies can be changed by.
WRITES = ("put-", "create-", "update-", "modify-", "set-")


@dataclass(frozen=True)
class Decision:
    """One request decided: the request as evaluated, the policies, the evaluation, its near misses and
    the smallest fix (not to be confused with ``diagnostics.iam.model.Decision``, the decision's name)."""

    request: Request
    policies: PolicySet
    evaluation: Evaluation
    misses: tuple[NearMiss, ...]
    fix: Fix | None


def request_for(ask: Ask, principal: Principal, assumed: Mapping[str, str] | None = None,
                resource_account: str | None = None) -> Request:
    """The request IAM evaluates for ``ask`` made by ``principal``; the context given wins over ``assumed``.

    ``resource_account``: the account whose resource was read, for ARNs that name none (S3): a
    caller from another account then needs both sides to allow."""
    return Request(principal.arn, str(ask.action), str(ask.resource), {**(assumed or {}), **ask.context},
                   principal_account=principal.account or None, principal_tags=principal.tags,
                   resource_account=account_of(str(ask.resource)) or resource_account)


def decide(request: Request, policies: PolicySet) -> Decision:
    evaluation = evaluate(request, policies)
    return Decision(request, policies, evaluation, tuple(near_misses(request, policies, evaluation)),
                    fix_for(request, policies, evaluation))


def identity_blocks(request: Request, identity: Sequence[Policy], resource: Policy | None) -> bool:
    """No identity-based policy allows ``request``, and the resource's own policy does not grant it in
    their place (within one account, a resource policy naming the principal suffices): the identity
    layer is then one that blocks, whatever the boundary, the session policy or the guardrails say.

    Judged on these two alone, so the step that read the identity policies says what it saw without
    waiting for the rest; the decision step weighs everything (an explicit deny elsewhere wins there)."""
    evaluation = evaluate(request, PolicySet(identity=tuple(identity), resource=resource))
    return "identity" in evaluation.blocking_types


def boundary_blocks(request: Request, identity: Sequence[Policy], boundary: Policy, resource: Policy | None) -> bool:
    """The permissions boundary refuses ``request`` on its own: it lacks an allow that is needed, or it
    denies. Judged with the identity policies and the resource's policy beside it, since a resource
    policy naming the principal grants past a boundary; the decision step weighs the rest."""
    evaluation = evaluate(request, PolicySet(identity=tuple(identity), boundary=boundary, resource=resource))
    return "boundary" in evaluation.blocking_types or any(
        m.policy_type == "boundary" for m in evaluation.deciding if m.effect == "Deny")


@dataclass(frozen=True)
class Circumstances:
    """What surrounds a decision besides the policies.

    ``assumed``: the context keys AWS always sends that the request did not give, with the values
    taken; ``unseen``: the policy types that take part but could not be read, each with why (see
    :func:`unseen`); ``denial``: AWS's message when one was given; ``region``: the session's region;
    ``guardrails``: what reading the organization's policies said ({"scp": ..., "rcp": ...}).
    """

    assumed: Mapping[str, str] = field(default_factory=dict)
    unseen: Mapping[str, str] = field(default_factory=dict)
    denial: ParsedDenial | None = None
    region: str | None = None
    guardrails: Mapping[str, str] = field(default_factory=dict)
    # How reading them ended, per kind: "none" (no organization, or the type not enabled), "management", ...
    guardrail_status: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_checked(self) -> list[str]:
        """The unseen types a finding lists as not checked (identity, boundary and endpoint are said apart)."""
        return [k for k in self.unseen if k not in ("identity", "boundary", "vpce")]


def unseen(principal: Principal, scps: ScpRead, rcps: ScpRead, resource: ResourcePolicyRead,
           identity_unread: Sequence[str], vpce: VpceRead | None) -> dict[str, str]:
    """The policy types that take part but could not be read here, each with the reason.

    ``identity_unread``: the identity policies that could not be read, in words; ``vpce``: None when
    no endpoint was looked for."""
    out: dict[str, str] = {}
    if not principal.readable:
        for kind in ("identity", "boundary", "session"):
            out[kind] = f"the caller is in account {principal.account}, whose IAM cannot be read with these credentials"
    if scps.policies is None:
        out["scp"] = scps.detail
    if rcps.policies is None:
        out["rcp"] = rcps.detail
    if resource.status in ("unreadable", "elsewhere"):
        out["resource"] = resource.detail
    if identity_unread and "identity" not in out:
        out["identity"] = "some identity policies could not be read: " + "; ".join(identity_unread)
    if principal.kind == "assumed-role":
        out.setdefault("session", "no AWS API reads back the session policy passed when a role was assumed")
    if vpce is None or vpce.status in ("unknown", "unreadable"):
        out["vpce"] = vpce.detail if vpce is not None else "VPC endpoint policies were not read for this request"
    return out


def where(m: MatchedStatement) -> str:
    """How a finding points at a statement: "statement 2 (DenyWithoutMfa)"."""
    return f"statement {m.index}" + (f" ({m.sid})" if m.sid else "")


def statement_evidence(m: MatchedStatement) -> dict[str, Any]:
    return {"policy": m.policy_arn or m.policy, "policy_type": m.policy_type, "index": m.index, "sid": m.sid,
            "effect": m.effect, "statement": dict(m.statement)}


def blocking_policy(decision: Decision, principal: Principal, kind: str) -> str:
    """The ID or ARN of the component at fault for an implicit deny."""
    policies, fix = decision.policies, decision.fix
    if kind == "boundary" and policies.boundary is not None:
        return policies.boundary.arn or policies.boundary.name
    if kind in ("scp", "rcp"):
        group = policies.scps if kind == "scp" else policies.rcps
        return (fix.policy if fix and fix.policy else None) or next(
            (p.arn or p.name for p in group or ()), kind)
    if kind == "resource":
        return policies.resource.name if policies.resource else decision.request.resource
    if kind == "vpce" and policies.vpce is not None:
        return policies.vpce.name
    if kind == "session":
        return f"{principal.arn} (session policy)"
    return (fix.policy if fix and fix.policy else None) or principal.entity_arn


def summary(decision: Decision, principal: Principal, kind: str) -> str:
    """One sentence: who cannot do what, and which statement or which layer's missing allow decides."""
    request, evaluation = decision.request, decision.evaluation
    who = f"{request.principal} cannot {request.action} on {request.resource}"
    if evaluation.decision == "explicitDeny":
        m = evaluation.deciding[0]
        return (f"{who}: {where(m)} of the {TYPE_WORDS[m.policy_type]} {m.policy_arn or m.policy} explicitly "
                "denies it, and an explicit deny beats every allow.")
    allowing = [m for m in evaluation.matched if m.effect == "Allow" and m.policy_type == "identity"]
    granted = (f" The allow in {where(allowing[0])} of {allowing[0].policy_arn or allowing[0].policy} has no "
               "effect.") if allowing else ""
    target = blocking_policy(decision, principal, kind)
    if kind == "boundary":
        return (f"{who}: the permissions boundary {target} does not allow it, and a boundary caps what identity "
                f"policies can grant.{granted}")
    if kind in ("scp", "rcp"):
        return (f"{who}: the {TYPE_WORDS[kind]} {target} does not allow it (every level of the organization must "
                f"allow a request).{granted}")
    if kind == "session":
        return f"{who}: the session policy passed when the role was assumed does not allow it.{granted}"
    if kind == "vpce":
        return (f"{who}: the endpoint policy of the VPC endpoint {target}, which the request goes through, does not "
                f"allow it, and every request through an endpoint must be allowed by its policy.{granted}")
    if kind == "resource":
        return (f"{who}: the resource-based policy of {target} does not allow it, and here it must (a KMS key "
                "policy, a role trust policy, or access from another account).")
    near = next((m for m in decision.misses if m.index >= 0), None)
    if near is not None:
        return f"{who}: no identity-based policy allows it. Near miss: {near.summary}"
    return f"{who}: no identity-based policy allows it (nothing mentions the action on this resource)."


def finding(decision: Decision, principal: Principal, seen: Circumstances) -> Finding:
    """The finding that carries the decision: allowed (by which statements), the explicit deny, or the
    first layer that lacks an allow; with the fix, verified by evaluating again."""
    evaluation, fix, request = decision.evaluation, decision.fix, decision.request
    evidence: dict[str, Any] = {
        "decision": evaluation.decision,
        "principal": request.principal,
        "action": request.action,
        "resource": request.resource,
        "context": dict(request.context),
        "deciding": [statement_evidence(m) for m in evaluation.deciding],
        "per_type": dict(evaluation.per_type),
        "blocking_types": list(evaluation.blocking_types),
        "missing_context_keys": list(evaluation.missing_context_keys),
        "assumed_context": dict(seen.assumed),
        "near_misses": [{"kind": m.kind, "policy": m.policy, "sid": m.sid, "index": m.index, "summary": m.summary}
                        for m in decision.misses],
        "policies": [{"name": p.name, "type": p.type, "arn": p.arn, "attached_to": p.attached_to}
                     for p in all_policies(decision.policies)],
        "not_checked": seen.not_checked,
    }
    if seen.denial is not None:
        evidence["aws_message"] = {"policy_type": seen.denial.policy_type, "explicit": seen.denial.explicit,
                                   "policy_arn": seen.denial.policy_arn}
    if evaluation.decision == "allowed":
        # The principal's own grant first: it is what the principal carries wherever the resource goes.
        allows = sorted((m for m in evaluation.matched if m.effect == "Allow" and m.policy_type in
                         ("identity", "resource")), key=lambda m: m.policy_type != "identity")
        deciding = tuple(allows) or evaluation.deciding
        by = "; ".join(f"{where(m)} of the {TYPE_WORDS[m.policy_type]} {m.policy_arn or m.policy}"
                       for m in deciding[:3]) or "the policies read"
        words = f"{request.principal} may {request.action} on {request.resource}: allowed by {by}."
        if seen.denial is not None:
            unchecked = ", ".join(TYPE_WORDS[t] for t in evidence["not_checked"]) or "none"
            words += (" Yet AWS denied it: what decided is something awstriage did not see (policy types not "
                      f"checked: {unchecked}; also VPC endpoint policies, or a policy changed since).")
        evidence["statement"] = statement_evidence(deciding[0]) if deciding else None
        return Finding("IAM_ALLOWED", "info", deciding[0].policy_arn or deciding[0].policy if deciding
                       else principal.entity_arn, words, evidence)
    if evaluation.decision == "explicitDeny":
        deny = evaluation.deciding[0]
        code = {"scp": "IAM_SCP_BLOCKS", "rcp": "IAM_SCP_BLOCKS", "vpce": "IAM_VPCE_POLICY_BLOCKS"}.get(
            deny.policy_type, "IAM_EXPLICIT_DENY")
        resource = deny.policy_arn or deny.policy
        kind = deny.policy_type
        evidence["statement"] = statement_evidence(deny)
    else:
        kind = evaluation.blocking_types[0] if evaluation.blocking_types else "identity"
        code = CODES.get(kind, "IAM_NO_ALLOW")
        resource = blocking_policy(decision, principal, kind)
        near = next((m for m in decision.misses if m.index >= 0), None)
        evidence["statement"] = ({"policy": near.policy, "sid": near.sid, "index": near.index, "near_miss": near.kind}
                                 if near else None)
    evidence["policy_type"] = kind
    remediation: list[str] = []
    alternatives: list[FixOption] = []
    if fix is not None:
        evidence["fix"] = {"summary": fix.summary, "policy": fix.policy, "statement": fix.statement}
        guards = guard_keys(evidence["statement"]) if evaluation.decision == "explicitDeny" else []
        if (guards or fix.disrupts) and fix.commands:
            # Meeting the guard (or reading a deliberate deny and asking its owner) is the fix; exempting
            # the principal or widening the condition weakens the guard, so it is never the first or only
            # command: it is an alternative that says what it disrupts.
            remediation.append(f"# {fix.summary}")
            remediation += list(fix.first)
            alternatives.append(FixOption(tuple(fix.commands), fix.alternative or f"Exempt {request.principal} from "
                                          "the deny with an ArnNotEquals condition on aws:PrincipalArn",
                                          fix.disrupts or f"exempts {request.principal} from the guard on "
                                          f"{', '.join(guards)}"))
        else:
            remediation.append(f"# {fix.summary}")
            remediation += list(fix.first)
            if fix.statement:
                remediation.append("# Statement: " + json.dumps(fix.statement, separators=(",", ":")))
            remediation += list(fix.commands)
        alternatives += [FixOption(tuple(commands), words, disrupts) for commands, words, disrupts in fix.others]
        verified = verify(request, decision.policies, fix.commands, [fix.statement])
        if fix.commands and not guards and not fix.disrupts:
            evidence["verified"] = {"decision": verified.decision, "passes": verified.passes,
                                    "beyond": list(verified.beyond), "sentence": verified.sentence(request)}
        elif fix.commands:  # the alternative that weakens a guard: checked too, and what else it allows said
            evidence["verified_alternative"] = {"decision": verified.decision, "passes": verified.passes,
                                                "beyond": list(verified.beyond),
                                                "sentence": verified.sentence(request)}
    return Finding(code, "error", resource, summary(decision, principal, kind), evidence, remediation,
                   alternatives=alternatives)


def guard_keys(statement: dict[str, Any] | None) -> list[str]:
    """The guard keys (MFA, source IP, VPC endpoint, ...) a deny's condition tests."""
    condition = ((statement or {}).get("statement") or {}).get("Condition") or {}
    keys = [key for block in condition.values() if isinstance(block, dict) for key in block]
    return [k for k in keys if k.lower() in CONDITION_HINTS]


def all_policies(policies: PolicySet) -> list[Policy]:
    singles = [p for p in (policies.boundary, policies.session, policies.resource) if p is not None]
    return [*policies.identity, *singles, *(policies.scps or ()), *(policies.rcps or ())]


def layer_findings(decision: Decision, principal: Principal, local: Finding, seen: Circumstances) -> list[Finding]:
    """Every policy type that blocks on its own, as its own finding with its own fix (the first one
    carries the decision): fixing only the first would leave the request denied."""
    evaluation = decision.evaluation
    if evaluation.decision != "implicitDeny" or len(evaluation.blocking_types) < 2:
        return [local]
    out = [local]
    # Within one account a resource policy that does not allow is no layer of its own: an identity
    # allow suffices. Only the layers that would still refuse count.
    later = [k for k in evaluation.blocking_types[1:]
             if not (k == "resource" and evaluation.blocking_types[0] == "identity")]
    if not later:
        return [local]
    for kind in later:
        single = replace(evaluation, blocking_types=(kind,))
        layer = finding(replace(decision, evaluation=single, fix=fix_for(
            decision.request, decision.policies, single)), principal, seen)
        evidence = {k: v for k, v in layer.evidence.items() if k != "decision"}
        evidence["layer_decision"] = evaluation.decision
        out.append(replace(layer, evidence=evidence))
    # The first finding's fix was written for every layer at once; give it its own layer's.
    first_only = replace(evaluation, blocking_types=evaluation.blocking_types[:1])
    first = finding(replace(decision, evaluation=first_only, fix=fix_for(
        decision.request, decision.policies, first_only)), principal, seen)
    first.evidence["blocking_types"] = list(evaluation.blocking_types)
    out[0] = replace(first, certainty=local.certainty, condition=local.condition)  # keep what holds it
    return out


def verify_all(decision: Decision, findings: list[Finding]) -> str:
    """Apply every finding's proposed change to a copy of the policies and evaluate again; each finding
    records the result in ``evidence.verified_together``. "" when there is nothing to apply."""
    commands = [c for f in findings for c in f.remediation if c.startswith("aws ") and c.split()[2].startswith(WRITES)]
    if not commands or decision.evaluation.decision == "allowed":
        return ""
    statements = [f.evidence.get("fix", {}).get("statement") for f in findings]
    verified = verify(decision.request, decision.policies, commands, statements)
    for f in findings:
        f.evidence["verified_together"] = {"decision": verified.decision, "passes": verified.passes,
                                           "beyond": list(verified.beyond)}
    return verified.sentence(decision.request)
