"""A fix that fixes: apply the proposed commands to a copy of the policies and evaluate again.

Each proposed change is a command that writes a whole policy document (``aws iam put-user-policy``,
``create-policy-version``, ``s3api put-bucket-policy``, ``ec2 modify-vpc-endpoint``, ...). The
document in the command is the policy as it would be after the change, so applying it here is
exact: the request is evaluated again against the changed copy. The answer says whether the request
now passes and what else the change allows beyond it (a wider grant than needed is said plainly).
Pure: never calls AWS, never runs the commands.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from diagnostics.iam import catalog
from diagnostics.iam.evaluate import compile_document, evaluate, request_context, statement_resource_matches
from diagnostics.iam.model import Policy, PolicySet, Request
from diagnostics.iam.principals import identify

# The flag that carries the whole new document, per command.
DOCUMENT_FLAGS = ("--policy-document", "--policy", "--content", "--attribute-value", "--resource-policy")


@dataclass(frozen=True)
class Verified:
    decision: str           # the decision after every change is applied
    applied: int            # how many changes could be applied
    beyond: tuple[str, ...]  # what the changed statements allow beyond the request
    still_blocking: tuple[str, ...] = ()  # the policy types that still lack an allow afterwards
    unknown_action: bool = False  # the request's action is not one AWS has: nothing can allow it

    @property
    def passes(self) -> bool:
        return self.decision == "allowed"

    def sentence(self, request: Request) -> str:
        if self.unknown_action:
            return (f"{request.action} is not an action AWS has (Service Authorization Reference): no policy change "
                    "can allow it.")
        if not self.applied:
            return "The proposed change could not be applied to a copy of the policies (it is to be made by hand)."
        head = (f"Applied to a copy of the policies, the proposed change{'s' if self.applied > 1 else ''} "
                f"{'make' if self.applied > 1 else 'makes'} the request {self.decision}")
        if not self.passes:
            still = ", ".join(_WORDS.get(k, k) for k in self.still_blocking)
            return head + ": it does not fix it alone" + (f" (still lacking an allow: {still})." if still else ".")
        if self.beyond:
            return head + ". It also allows more than the request: " + "; ".join(self.beyond) + "."
        return head + f", and {'allow' if self.applied > 1 else 'allows'} nothing beyond {request.action} on " \
            f"{request.resource}."


def _document(command: str) -> tuple[str, dict[str, str], Any] | None:
    """(verb, flags, new document) of an aws command that writes a policy, or None."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) < 3 or words[0] != "aws":
        return None
    flags = {words[i]: words[i + 1] for i in range(3, len(words) - 1) if words[i].startswith("--")}
    raw = next((flags[f] for f in DOCUMENT_FLAGS if f in flags), None)
    if raw is None and "--attributes" in flags:  # sqs set-queue-attributes: {"Policy": "<json>"}
        raw = json.loads(flags["--attributes"]).get("Policy")
    if raw is None:
        return None
    try:
        return f"{words[1]} {words[2]}", flags, json.loads(raw)
    except json.JSONDecodeError:
        return None


# A boundary read from a file has no ARN: its command names it by this shell variable, set by the person.
BOUNDARY_ARN_VARIABLE = "BOUNDARY_POLICY_ARN"


def _apply(policies: PolicySet, verb: str, flags: Mapping[str, str], document: Any) -> PolicySet | None:
    if verb in ("iam put-user-policy", "iam put-role-policy", "iam put-group-policy"):
        name = flags.get("--policy-name", "")
        kept = tuple(p for p in policies.identity if not (p.arn is None and p.name == name))
        return replace(policies, identity=(*kept, Policy(name, "identity", document, attached_to="(proposed)")))
    if verb == "iam create-policy-version":
        arn = flags.get("--policy-arn")
        unnamed = "$" + BOUNDARY_ARN_VARIABLE if policies.boundary is not None and not policies.boundary.arn else None
        if policies.boundary is not None and arn in (policies.boundary.arn, policies.boundary.name, unnamed):
            return replace(policies, boundary=replace(policies.boundary, document=document))
        return replace(policies, identity=tuple(replace(p, document=document) if arn in (p.arn, p.name) else p
                                                for p in policies.identity))
    if verb == "organizations update-policy":
        target = flags.get("--policy-id", "")

        def swap(group: tuple[Policy, ...] | None) -> tuple[Policy, ...] | None:
            return None if group is None else tuple(
                replace(p, document=document) if (p.arn or p.name).endswith(target) else p for p in group)

        return replace(policies, scps=swap(policies.scps), rcps=swap(policies.rcps))
    if verb == "ec2 modify-vpc-endpoint" and policies.vpce is not None:
        return replace(policies, vpce=replace(policies.vpce, document=document))
    if verb in ("s3api put-bucket-policy", "s3control put-access-point-policy", "kms put-key-policy",
                "iam update-assume-role-policy", "sqs set-queue-attributes", "sns set-topic-attributes",
                "secretsmanager put-resource-policy"):
        base = policies.resource or Policy("(proposed)", "resource", document)
        return replace(policies, resource=replace(base, document=document))
    return None


def _beyond(statement: Mapping[str, Any] | None, request: Request) -> list[str]:
    """What an Allow statement grants besides the request's action on its resource."""
    if not statement or statement.get("Effect") != "Allow":
        return []
    out = []
    actions = statement.get("Action")
    actions = [actions] if isinstance(actions, str) else list(actions or [])
    others = [a for a in actions if a.lower() != request.action.lower()]
    out += [f"the action {a}, which AWS does not have" for a in actions if catalog.known_action(a) is False]
    if "NotAction" in statement or any("*" in a for a in actions):
        out.append(f"actions {', '.join(actions) or 'all but a list'}")
    elif others:
        out.append(f"also the actions {', '.join(others)}")
    resources = statement.get("Resource")
    resources = [resources] if isinstance(resources, str) else list(resources or [])
    wider = [r for r in resources if r != request.resource and (r == "*" or "*" in r or "?" in r)]
    if wider:
        out.append(f"every resource matching {', '.join(wider)}")
    return out


def _conditions(statement: Mapping[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """{lower-case key: (operator, values)} of a statement's Condition."""
    out: dict[str, tuple[str, list[str]]] = {}
    for operator, block in (statement.get("Condition") or {}).items():
        if isinstance(block, Mapping):
            for key, values in block.items():
                listed = [values] if isinstance(values, str) else [str(v) for v in values or []]
                out[str(key).lower()] = (str(operator), listed)
    return out


def _guard_changes(statement: Mapping[str, Any] | None, policies: PolicySet, request: Request) -> list[str]:
    """What a new Allow drops or widens of the conditions the policies already put on the request's
    action and resource: an allow without the aws:SourceIp condition the existing statement has
    lets every address in, and a value added to it lets one more in."""
    if not statement or statement.get("Effect") != "Allow":
        return []
    lookup = request_context(request, identify(request.principal)).get
    new = _conditions(statement)
    out: list[str] = []
    for policy in (*policies.identity, *(p for p in (policies.boundary, policies.resource) if p is not None)):
        for st in compile_document(policy.document, policy.name).for_action(request.action.lower()):
            if st.effect != "Allow" or not statement_resource_matches(st, request.resource, lookup, []):
                continue
            where = f"statement {st.index} of {policy.arn or policy.name}"
            for key, (operator, values) in _conditions(st.raw).items():
                written = next((k for block in st.raw["Condition"].values() if isinstance(block, Mapping)
                                for k in block if k.lower() == key), key)
                if key not in new:
                    out.append(f"{request.action} without the condition {operator} {written} {', '.join(values)} "
                               f"that {where} puts on it ({written} is no longer checked)")
                elif added := [v for v in new[key][1] if v not in values]:
                    out.append(f"every request with {written} {', '.join(added)}, which {where} did not allow")
    return out


def _new_boundary(command: str, created: Mapping[str, Any], policies: PolicySet) -> PolicySet | None:
    """``aws iam put-user-permissions-boundary`` (or role) naming a policy created by an earlier command."""
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if len(words) < 3 or words[:2] != ["aws", "iam"] or not words[2].endswith("-permissions-boundary"):
        return None
    flags = {words[i]: words[i + 1] for i in range(3, len(words) - 1) if words[i].startswith("--")}
    arn = flags.get("--permissions-boundary", "")
    document = created.get(arn.rsplit("/", 1)[-1])
    if document is None:
        return None
    base = policies.boundary or Policy(arn, "boundary", document, arn=arn)
    return replace(policies, boundary=replace(base, name=arn, arn=arn, document=document))


def verify(request: Request, policies: PolicySet, commands: Iterable[str],
           statements: Iterable[Mapping[str, Any] | None] = ()) -> Verified:
    """Apply every command that writes a policy document, then evaluate ``request`` again. A policy made
    by ``create-policy`` counts once a later command sets it as the principal's permissions boundary."""
    changed, applied = policies, 0
    created: dict[str, Any] = {}
    for command in commands:
        swapped = _new_boundary(command, created, changed)
        if swapped is not None:
            changed, applied = swapped, applied + 1
            continue
        parsed = _document(command)
        if parsed is None:
            continue
        if parsed[0] == "iam create-policy":
            created[parsed[1].get("--policy-name", "")] = parsed[2]
            continue
        after = _apply(changed, *parsed)
        if after is not None:
            changed, applied = after, applied + 1
    statements = list(statements)
    beyond = [b for st in statements for b in _beyond(st, request)]
    beyond += [b for st in statements for b in _guard_changes(st, policies, request)]
    if catalog.known_action(request.action) is False:
        return Verified("implicitDeny", applied, (), unknown_action=True)
    after_all = evaluate(request, changed)
    return Verified(after_all.decision, applied, tuple(dict.fromkeys(beyond)), after_all.blocking_types)


_WORDS = {"identity": "the caller's identity-based policies", "resource": "the resource-based policy",
          "boundary": "the permissions boundary", "session": "the session policy", "scp": "an SCP",
          "rcp": "an RCP", "vpce": "the VPC endpoint policy"}
