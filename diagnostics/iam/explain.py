"""Why a request was denied in words a newcomer follows, and the smallest change that fixes it.

``near_misses`` looks at the Allow statements that *almost* matched (right action, but the bucket
ARN lacks "/*"; right resource but another letter case; a condition key the request lacks...) and
at the guardrails that lacked an allow (boundary, session policy, SCP). ``fix_for`` turns the
decision into one change: the statement to add, or the deny narrowed so it spares this principal,
with ready ``aws`` commands. awstriage never runs them: the user reviews and runs them.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from diagnostics.iam import catalog
from diagnostics.iam.conditions import evaluate_clause
from diagnostics.iam.context_defaults import not_given
from diagnostics.iam.evaluate import (
    CompiledStatement,
    compile_document,
    evaluate,
    request_context,
    statement_resource_matches,
)
from diagnostics.iam.model import Evaluation, MatchedStatement, Policy, PolicySet, PolicyType, Request
from diagnostics.iam.principals import Identity, identify, principal_match
from diagnostics.iam.resources import access_point, account_of, is_kms_key, parse_arn, s3_object_of_bucket
from diagnostics.iam.variables import Part, parts_regex
from diagnostics.iam.verify import BOUNDARY_ARN_VARIABLE


@dataclass(frozen=True)
class NearMiss:
    kind: str        # "resource-missing-object-suffix" | "case-mismatch" | "condition-key-missing" |
                     # "condition-value-mismatch" | "boundary-lacks-action" | "not-action-excludes" | ...
    policy: str
    sid: str | None
    index: int       # the statement's index, or -1 when the whole policy lacks an allow
    summary: str     # one plain sentence a newcomer understands


@dataclass(frozen=True)
class Fix:
    summary: str
    policy: str | None          # the policy to change (ARN or inline name), or None for "add a new statement"
    statement: dict | None      # the smallest statement to add, or the narrowed deny
    commands: tuple[str, ...]   # ready `aws ...` commands quoting JSON safely
    # Non-empty when ``commands`` weaken a guard (exempt a principal from a deny, widen a condition):
    # what they disrupt. Such commands are an alternative, never the first or only fix (issue 10).
    disrupts: str = ""
    first: tuple[str, ...] = ()  # then the primary: meet the condition, or read the policy and ask its owner
    alternative: str = ""       # then ``commands`` in one line, as an alternative's summary
    # Wider changes offered beside a primary that does not weaken a guard: (commands, summary, disrupts).
    others: tuple[tuple[tuple[str, ...], str, str], ...] = ()


_GUARDRAIL_WORDS: dict[PolicyType, str] = {
    "boundary": "permissions boundary", "session": "session policy", "scp": "service control policy",
    "rcp": "resource control policy", "resource": "resource-based policy", "identity": "identity-based policy",
    "vpce": "VPC endpoint policy",
}


def _policies(policies: PolicySet) -> list[Policy]:
    out = list(policies.identity)
    out += [p for p in (policies.boundary, policies.session, policies.resource, policies.vpce) if p is not None]
    out += list(policies.scps or ()) + list(policies.rcps or ())
    return out


# ---------------------------------------------------------------------------------------------
# Near misses


def near_misses(request: Request, policies: PolicySet, evaluation: Evaluation) -> list[NearMiss]:
    if evaluation.decision != "implicitDeny":
        return []
    who = identify(request.principal)
    lookup = request_context(request, who).get
    action_lower = request.action.lower()
    blocking = set(evaluation.blocking_types)
    if "identity" in blocking:
        blocking.add("resource")  # a resource policy could have granted as well
    found: list[NearMiss] = []
    for policy in _policies(policies):
        if policy.type not in blocking:
            continue
        for st in compile_document(policy.document, policy.name).statements:
            if st.effect == "Allow":
                miss = _statement_near_miss(st, policy, request, action_lower, who, lookup)
                if miss is not None:
                    found.append(miss)
    for kind in ("boundary", "session", "scp", "rcp", "vpce"):
        if kind in evaluation.blocking_types:
            name = _guardrail_name(policies, kind)  # type: ignore[arg-type]
            found.append(NearMiss(f"{kind}-lacks-action", name, None, -1,
                                  f"The {_GUARDRAIL_WORDS[kind]} {name} does not allow {request.action} on "  # type: ignore[index]
                                  f"{request.resource}, so no other policy can grant it."))
    if "resource" in evaluation.blocking_types and not any(m.policy == _name(policies.resource) for m in found):
        found.append(NearMiss("resource-policy-lacks-allow", _name(policies.resource) or "(none)", None, -1,
                              _resource_sentence(request, policies)))
    return found


def _name(policy: Policy | None) -> str | None:
    return policy.name if policy is not None else None


def _guardrail_name(policies: PolicySet, kind: PolicyType) -> str:
    if kind == "boundary" and policies.boundary:
        return policies.boundary.arn or policies.boundary.name
    if kind == "session" and policies.session:
        return policies.session.name
    if kind == "vpce" and policies.vpce:
        return policies.vpce.name
    group = policies.scps if kind == "scp" else policies.rcps
    return ", ".join(p.arn or p.name for p in group or ()) or kind


def _resource_sentence(request: Request, policies: PolicySet) -> str:
    if policies.resource is None:
        return (f"{request.resource} has no resource-based policy, and this request needs one "
                "(a KMS key policy, a role trust policy, or any cross-account access).")
    return f"The resource-based policy {policies.resource.name} has no statement allowing {request.principal}."


def _statement_near_miss(st: CompiledStatement, policy: Policy, request: Request, action_lower: str,
                         who: Identity, lookup: Any) -> NearMiss | None:
    where = f"statement {st.index}" + (f" ({st.sid})" if st.sid else "") + f" of {policy.name}"

    def miss(kind: str, summary: str) -> NearMiss:
        return NearMiss(kind, policy.arn or policy.name, st.sid, st.index, summary)

    resource_ok = statement_resource_matches(st, request.resource, lookup, [])
    if not st.action_matches(action_lower):
        typo = _misspelt_action(st, request.action)
        if typo is not None and st.effect == "Allow":
            return miss("unknown-action", f"{where} names {typo}, which is not an IAM action (the Service "
                                          f"Authorization Reference has none by that name): did you mean "
                                          f"{request.action}?")
        if st.not_action and resource_ok:
            return miss("not-action-excludes", f"{where} allows everything except a list of actions "
                                               f"(NotAction) that includes {request.action}.")
        return None
    if not resource_ok:
        return _resource_near_miss(st, request, where, lookup, miss)
    if policy.type in ("resource", "rcp") and st.principal is not None and not st.not_principal \
            and principal_match(st.principal, who) is None:
        return miss("principal-mismatch", f"{where} allows {request.action} on this resource but its "
                                          f"Principal does not name {who.principal_arn} or its account.")
    for clause in st.conditions:
        result = evaluate_clause(clause, lookup)
        if result.passed:
            continue
        if result.missing_key:
            if _never_sent(result.missing_key, request.action):
                return miss("condition-key-never-sent",
                            f"{where} would allow this, but its condition {clause.operator} tests "
                            f"{result.missing_key}, a key {request.action} never sends (the action supports "
                            "other condition keys): the condition can never hold for this action.")
            unknown = not_given(result.missing_key)
            if unknown:
                return miss("condition-key-missing",
                            f"{where} would allow this only when its condition {clause.operator} "
                            f"{result.missing_key} {_values(clause.values)} holds, and {unknown}.")
            return miss("condition-key-missing",
                        f"{where} would allow this, but its condition {clause.operator} needs the context "
                        f"key {result.missing_key}, which the request does not carry.")
        actual = lookup(clause.key_lower)
        return miss("condition-value-mismatch",
                    f"{where} would allow this, but its condition {clause.operator} wants {clause.key} to be "
                    f"{_values(clause.values)} and the request has {_values(actual)}.")
    return None


def _resource_near_miss(st: CompiledStatement, request: Request, where: str, lookup: Any, miss: Any) -> Any:
    if st.not_resource:
        return miss("not-resource-excludes", f"{where} allows {request.action} on everything except a list "
                                             f"of resources (NotResource) that includes {request.resource}.")
    for template in st.resources or ():
        if not template.is_constant:
            continue
        pattern = template.pieces[0].text  # type: ignore[union-attr]
        if s3_object_of_bucket(pattern, request.resource):
            return miss("resource-missing-object-suffix",
                        f"{where} allows {request.action} on the bucket {pattern} but not on the objects in "
                        f"it: object actions need the resource {pattern}/*.")
        if parts_regex((Part(pattern, False),), "resource", ignore_case=True).fullmatch(request.resource):
            return miss("case-mismatch",
                        f"{where} names {pattern}, which differs from {request.resource} only in letter case; "
                        "ARNs are case-sensitive.")
    for template in st.resources or ():
        if not template.is_constant:
            continue
        pattern = template.pieces[0].text  # type: ignore[union-attr]
        if catalog.fits(request.action, pattern) is False and catalog.fits(request.action, request.resource):
            types = ", ".join(name for name, _ in catalog.resource_types(request.action))
            objects = pattern.endswith("/*") and pattern[:-2] == request.resource
            what = (f"the objects of the bucket {request.resource}, but {request.action} acts on the bucket "
                    "itself" if objects else f"a resource {request.action} does not act on (it takes: {types})")
            return miss("resource-type-mismatch", f"{where} grants {request.action} on {pattern}, {what}: add "
                                                  f"{request.resource} to its Resource.")
    return None


def _never_sent(key: str, action: str) -> bool:
    """A service-specific key (s3:prefix) that the catalog says ``action`` does not support."""
    prefix = key.split(":", 1)[0].lower()
    if prefix == "aws" or prefix != action.split(":", 1)[0].lower():
        return False
    supported = catalog.condition_keys(action)
    if supported is None:
        return False
    low = key.lower()
    return not any(low == k or (k.endswith("<key>") and low.startswith(k[:-5])) or
                   ("${" in k and low.startswith(k.split("${", 1)[0])) for k in supported)


def _misspelt_action(st: CompiledStatement, action: str) -> str | None:
    """An action the statement names that does not exist and whose nearest real action is ``action``."""
    if st.not_action:
        return None
    for name in st.actions:
        if catalog.known_action(name) is False and (catalog.closest_action(name) or "").lower() == action.lower():
            return name
    return None


def _values(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list | tuple):
        return " or ".join(repr(v) for v in value) if value else "an empty set"
    return repr(value)


# ---------------------------------------------------------------------------------------------
# Fixes


def fix_for(request: Request, policies: PolicySet, evaluation: Evaluation) -> Fix | None:
    if evaluation.decision == "allowed" or catalog.is_ungated(request.action):
        return None  # an action IAM never gates needs no allow
    if catalog.known_action(request.action) is False:
        return None  # an action AWS does not have: no grant makes it exist
    who = identify(request.principal)
    if evaluation.decision == "explicitDeny":
        return _narrow_deny(request, policies, evaluation.deciding[0], who)
    misses = near_misses(request, policies, evaluation)
    met = _meet_condition(request, policies, evaluation, misses, who)
    if met is not None:
        return met
    parts: list[tuple[str, str | None, dict, tuple[str, ...]]] = []
    for kind in evaluation.blocking_types:
        parts.append(_grant(kind, request, policies, who, misses))
    if not parts:
        return None
    summary = " ".join(p[0] for p in parts)
    others = (_widen_shared_boundary(request, policies, who),) if "boundary" in evaluation.blocking_types and \
        policies.boundary is not None and policies.boundary.arn and _own_boundary_name(who) else ()
    return Fix(summary, parts[0][1], parts[0][2], tuple(c for p in parts for c in p[3]),
               others=tuple(o for o in others if o is not None))


def _new_statement(request: Request) -> dict[str, Any]:
    service, _, name = request.action.partition(":")
    sid = "Allow" + re.sub(r"[^A-Za-z0-9]", "", service.capitalize() + name[:1].upper() + name[1:])
    return {"Sid": sid, "Effect": "Allow", "Action": request.action, "Resource": request.resource}


def _grant(kind: PolicyType, request: Request, policies: PolicySet, who: Identity,
           misses: list[NearMiss]) -> tuple[str, str | None, dict, tuple[str, ...]]:
    statement = _new_statement(request)
    resource_account = request.resource_account or account_of(request.resource)
    if kind == "identity" and who.account and resource_account and who.account != resource_account:
        # The caller's identity policies live in its own account: nothing written here changes them.
        return (f"Account {who.account}'s administrator must also allow {request.action} on {request.resource} "
                f"in the identity policies of {who.principal_arn} (a request from another account needs both "
                "sides to allow it).", None, statement, ())
    if kind == "identity":
        amended = _amend_near_miss(request, policies, misses)
        if amended is not None:
            return amended
        name = "awstriage-" + re.sub(r"[^a-z0-9]+", "-", request.action.lower())
        document = {"Version": "2012-10-17", "Statement": [statement]}
        command = _inline_command(who, name, document)
        return (f"Add an identity-based policy statement allowing {request.action} on {request.resource}.",
                None, statement, (command,) if command else ())
    if kind == "boundary" and policies.boundary is not None and policies.boundary.arn and _own_boundary_name(who):
        # A boundary is a managed policy other users and roles may share: widening it loosens their cap
        # too. The narrower change gives this principal a boundary of its own (the same plus this
        # statement); widening the shared one is offered apart, with what it disrupts.
        document = _with_statement(policies.boundary.document, statement)
        name = _own_boundary_name(who)
        account = who.account or "ACCOUNT"
        own = f"arn:{who.partition}:iam::{account}:policy/{name}"
        kind_word = "user" if who.kind == "user" else "role"
        return (f"Give {who.principal_arn} a permissions boundary of its own: a copy of "
                f"{policies.boundary.arn} that also allows {request.action} on {request.resource} (a boundary only "
                "caps: the identity policy must allow it too). Other principals keep the shared boundary.",
                own, statement,
                (f"aws iam create-policy --policy-name {shlex.quote(name)} --policy-document {_json(document)}",
                 f"aws iam put-{kind_word}-permissions-boundary --{kind_word}-name {shlex.quote(str(who.name))} "
                 f"--permissions-boundary {shlex.quote(own)}"))
    if kind == "boundary" and policies.boundary is not None:
        document = _with_statement(policies.boundary.document, statement)
        unnamed = "" if policies.boundary.arn else (
            f" Set {BOUNDARY_ARN_VARIABLE} to the ARN of that managed policy first (PermissionsBoundary in "
            "`aws iam get-user` or `aws iam get-role`). CAUTION: every user and role that policy caps gets the "
            f"allow too (aws iam list-entities-for-policy --policy-arn \"${BOUNDARY_ARN_VARIABLE}\" "
            "--policy-usage-filter PermissionsBoundary lists them).")
        return (f"Add {request.action} to the permissions boundary {policies.boundary.arn or policies.boundary.name}"
                f" (a boundary only caps: the identity policy must allow it too).{unnamed}",
                policies.boundary.arn or policies.boundary.name, statement,
                _policy_commands(policies.boundary, document, who))
    if kind == "vpce" and policies.vpce is not None:
        endpoint = policies.vpce.name
        statement = {**statement, "Principal": "*",
                     "Condition": {"ArnEquals": {"aws:PrincipalArn": who.principal_arn}}}
        document = _with_statement(policies.vpce.document, statement)
        return (f"Allow {request.action} on {request.resource} for {who.principal_arn} in the endpoint policy of "
                f"{endpoint} (every request through the endpoint must be allowed by it).", endpoint, statement,
                _policy_commands(policies.vpce, document, who))
    if kind == "session":
        return ("The session policy passed when the role was assumed does not allow the action: assume the "
                "role again with a session policy that includes this statement (or none).",
                policies.session.name if policies.session else None, statement, ())
    if kind in ("scp", "rcp"):
        group = policies.scps if kind == "scp" else policies.rcps
        target = _lacking_org_policy(group or (), request, who)
        if kind == "rcp":
            statement = {**statement, "Principal": "*"}
        if target is None:
            return (f"Allow {request.action} in the organization's {_GUARDRAIL_WORDS[kind]}s.", None, statement, ())
        document = _with_statement(target.document, statement)
        return (f"Allow {request.action} in the {_GUARDRAIL_WORDS[kind]} {target.arn or target.name} "
                "(every level of the organization must allow it).", target.arn or target.name, statement,
                _policy_commands(target, document, who))
    # The resource policy must allow (KMS key, trust policy, cross-account).
    statement = {**statement, "Principal": {"AWS": who.principal_arn}}
    if request.action.lower().startswith("sts:assumerole"):
        statement.pop("Resource")  # trust policies name no resource: the role is the resource
    elif (parse_arn(request.resource) or parse_arn("arn:x:x:x:x:x")).service == "kms":
        statement["Resource"] = "*"  # in a key policy "*" means "this key"
    summary = f"Add a statement to the resource-based policy of {request.resource} that names {who.principal_arn}."
    if policies.resource is None and policies.resource_absent and not is_kms_key(request.resource):
        command = _resource_command(request.resource, {"Version": "2012-10-17", "Statement": [statement]})
        return (summary + " It has no policy yet: this one is new.", None, statement, (command,) if command else ())
    if policies.resource is None:
        # Writing a whole new policy over one we have not read could lock out its owners (a KMS key
        # policy without the account root, for one): give the statement, not a command.
        return (summary + " Its current policy was not read, so merge the statement in by hand.", None,
                statement, ())
    command = _resource_command(request.resource, _with_statement(policies.resource.document, statement))
    return (summary, policies.resource.name, statement, (command,) if command else ())


def _own_boundary_name(who: Identity) -> str | None:
    """The name of a boundary of this principal's own (a user, or the role behind a session)."""
    if who.kind not in ("user", "role", "assumed-role") or not who.name:
        return None
    return f"boundary-{who.name}"[:128]


def _widen_shared_boundary(request: Request, policies: PolicySet,
                           who: Identity) -> tuple[tuple[str, ...], str, str] | None:
    """Widening the shared boundary itself: one change, but every principal it caps gets the allow too."""
    boundary = policies.boundary
    if boundary is None or not boundary.arn:
        return None
    document = _with_statement(boundary.document, _new_statement(request))
    quoted = shlex.quote(boundary.arn)
    return ((f"aws iam list-entities-for-policy --policy-arn {quoted} --policy-usage-filter PermissionsBoundary",
             *_policy_commands(boundary, document, who)),
            f"Add {request.action} on {request.resource} to the shared permissions boundary {boundary.arn} (a "
            "managed policy keeps at most 5 versions: delete the oldest non-default one first if it has 5)",
            f"widens the boundary for every user and role it caps, not only {who.principal_arn}: the first command "
            "lists them")


def _meet_condition(request: Request, policies: PolicySet, evaluation: Evaluation, misses: list[NearMiss],
                    who: Identity) -> Fix | None:
    """A statement that would allow but for its condition: meeting the condition is the fix (call from
    the allowed network, through the endpoint, with MFA). A policy change keeps the condition and the
    statement's own resources: it adds the request's value to the condition, an alternative that
    says it widens the guard. Never an unconditional allow: that drops the guard."""
    blocking = evaluation.blocking_types
    if blocking[:1] != ("identity",) or any(k != "resource" for k in blocking[1:]):
        return None
    resource_account = request.resource_account or account_of(request.resource)
    if "resource" in blocking[1:] and who.account and resource_account and who.account != resource_account:
        return None  # another account's resource must allow too: not one change
    near = next((m for m in misses if m.index >= 0), None)
    if near is None or near.kind not in ("condition-value-mismatch", "condition-key-missing"):
        return None
    policy = next((p for p in policies.identity if (p.arn or p.name) == near.policy), None)
    if policy is None:
        return None
    st = compile_document(policy.document, policy.name).statements[near.index]
    lookup = request_context(request, who).get
    clause = next((c for c in st.conditions if not evaluate_clause(c, lookup).passed), None)
    if clause is None:
        return None
    where = f"statement {st.index}" + (f" ({st.sid})" if st.sid else "") + f" of {near.policy}"
    raw_resources = st.raw.get("Resource", "*")
    on = ", ".join(raw_resources) if isinstance(raw_resources, list) else str(raw_resources)
    actual = lookup(clause.key_lower)
    has = (f"this request has {_values(actual)}" if actual is not None else
           not_given(clause.key) or f"this request does not carry {clause.key}")
    hint = CONDITION_HINTS.get(clause.key_lower) or f"make the request with {clause.key} as the condition wants"
    summary = (f"{where} allows {request.action} on {on} only when {clause.operator} {clause.key} "
               f"{_values(clause.values)}; {has}. Meet the condition: {hint}. Any policy change must keep the "
               "condition: it is the guard.")
    added = _widened_value(clause, actual)
    if added is None:
        return Fix(summary, near.policy, None, ())
    amended = copy.deepcopy(dict(st.raw))
    block = amended["Condition"][clause.operator]
    current = block[clause.key]
    block[clause.key] = [*([current] if isinstance(current, str) else list(current)), added]
    document = _replace_statement(policy.document, st.index, amended)
    if not _grants(request, policies, policy, document):
        return Fix(summary, near.policy, None, ())
    return Fix(summary, near.policy, amended, _policy_commands(policy, document, who),
               disrupts=f"widens the guard: {where} then allows everything it allows to every request with "
                        f"{clause.key} {added}, not only this one",
               alternative=f"Add {added} to the {clause.operator} {clause.key} condition of {where} (the condition "
                           "stays)")


def _widened_value(clause: Any, actual: Any) -> str | None:
    """The value to add to a set-like condition so the request's value meets it, or None."""
    if clause.negated or clause.qualifier or not isinstance(actual, str) or not actual:
        return None
    if clause.base == "ipaddress":
        try:
            network = ipaddress.ip_network(actual, strict=False)
        except ValueError:
            return None
        return str(network)  # a single address becomes /32 (or /128)
    if clause.base in ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"):
        return actual
    return None


def _lacking_org_policy(group: Iterable[Policy], request: Request, who: Identity) -> Policy | None:
    """The first organization policy on a level where nothing allows the request."""
    lookup = request_context(request, who).get
    by_level: dict[str, list[Policy]] = {}
    for p in group:
        by_level.setdefault(p.attached_to, []).append(p)
    action = request.action.lower()
    for members in by_level.values():
        if not any(st.effect == "Allow" and statement_resource_matches(st, request.resource, lookup, [])
                   for p in members for st in compile_document(p.document, p.name).for_action(action)):
            return members[0]
    return None


def _amend_near_miss(request: Request, policies: PolicySet,
                     misses: list[NearMiss]) -> tuple[str, str | None, dict, tuple[str, ...]] | None:
    """For "bucket ARN without /*" or a case slip, the smallest change is to fix that statement."""
    for m in misses:
        if m.kind not in ("resource-missing-object-suffix", "case-mismatch", "resource-type-mismatch",
                          "unknown-action"):
            continue
        policy = next((p for p in policies.identity if (p.arn or p.name) == m.policy), None)
        if policy is None:
            continue
        statements = _statement_list(policy.document)
        amended = copy.deepcopy(dict(statements[m.index]))
        if m.kind == "unknown-action":
            actions = amended.get("Action")
            listed = [actions] if isinstance(actions, str) else list(actions or [])
            wrong = next((a for a in listed if catalog.known_action(a) is False
                          and (catalog.closest_action(a) or "").lower() == request.action.lower()), None)
            amended["Action"] = [request.action if a == wrong else a for a in listed]
            document = _replace_statement(policy.document, m.index, amended)
            if not _grants(request, policies, policy, document):
                continue
            return (f"Correct the misspelt action {wrong} to {request.action} in statement {m.index} of {m.policy}.",
                    m.policy, amended, _policy_commands(policy, document, identify(request.principal)))
        resources = amended.get("Resource")
        resources = [resources] if isinstance(resources, str) else list(resources or [])
        addition = (_bucket_objects(resources, request.resource) if m.kind == "resource-missing-object-suffix"
                    else request.resource)
        amended["Resource"] = [*resources, addition]
        document = _replace_statement(policy.document, m.index, amended)
        if not _grants(request, policies, policy, document):
            continue  # the statement has other reasons not to match (a condition): add a new one instead
        return (f"Add {addition} to the Resource of statement {m.index} in {m.policy}.", m.policy, amended,
                _policy_commands(policy, document, identify(request.principal)))
    return None


def _grants(request: Request, policies: PolicySet, old: Policy, document: Mapping[str, Any]) -> bool:
    """Whether replacing ``old`` by ``document`` gives the identity side an allow."""
    new = Policy(old.name, old.type, document, old.arn, old.attached_to)
    identity = tuple(new if p is old else p for p in policies.identity)
    swapped = PolicySet(identity, policies.boundary, policies.session, policies.resource, policies.scps,
                        policies.rcps)
    return "identity" not in evaluate(request, swapped).blocking_types


def _bucket_objects(resources: list[str], resource: str) -> str:
    for r in resources:
        if s3_object_of_bucket(r, resource):
            return r + "/*"
    return resource


def _narrow_deny(request: Request, policies: PolicySet, deny: MatchedStatement, who: Identity) -> Fix:
    """An explicit deny is deliberate: the primary is to meet its guard (a conditional deny) or to read
    the policy and ask its owner. Exempting this principal (an ArnNotEquals condition on
    aws:PrincipalArn, which keeps the deny for everyone else) weakens the guard: it is the
    alternative, with what it disrupts."""
    narrowed = copy.deepcopy(dict(deny.statement))
    condition = narrowed.setdefault("Condition", {})
    existing = condition.setdefault("ArnNotEquals", {})
    current = existing.get("aws:PrincipalArn")
    listed = [current] if isinstance(current, str) else list(current or [])
    existing["aws:PrincipalArn"] = [*listed, who.principal_arn] if listed else who.principal_arn
    policy = next((p for p in _policies(policies) if p.type == deny.policy_type and p.name == deny.policy), None)
    label = deny.policy_arn or deny.policy
    where = f"statement {deny.index}" + (f" ({deny.sid})" if deny.sid else "")
    commands: tuple[str, ...] = ()
    if policy is not None:
        document = _replace_statement(policy.document, deny.index, narrowed)
        commands = (_resource_command(request.resource, document),) if policy.type == "resource" \
            else _policy_commands(policy, document, who)
        commands = tuple(c for c in commands if c)
    summary = f"The {_GUARDRAIL_WORDS[deny.policy_type]} {label} denies this in {where}. "
    guard = _condition_advice(deny.statement.get("Condition"), request_context(request, who))
    exempt = f"exempt {who.principal_arn} with an ArnNotEquals condition on aws:PrincipalArn"
    show = _show_commands(policy, request) if policy is not None else ()
    if guard:
        # A conditional deny is usually a guard (MFA, HTTPS, network, region): meet it before weakening it.
        summary += f"{guard} Only if this principal should not be held to that guard, {exempt}."
        keys = ", ".join(_condition_keys(deny.statement.get("Condition")))
        disrupts = f"exempts {who.principal_arn} from the guard on {keys}"
    else:
        own = policy is not None and _held_by(policy, who)
        summary += (f"An explicit deny is deliberate: {_owner(policy, deny, who)} put it there to stop "
                    f"{request.action}. Read the policy and ask its owner whether {who.principal_arn} should be "
                    "allowed; until they change it, the request must not be made.")
        disrupts = (f"removes the guard: the deny sits in {who.principal_arn}'s own policy, so exempting it leaves "
                    "the deny applying to no one" if own else
                    f"exempts {who.principal_arn} from the guard in {where} of {label}, which its owner wrote on "
                    "purpose")
    return Fix(summary, label, narrowed, commands, disrupts=disrupts, first=() if guard else show,
               alternative=f"Exempt {who.principal_arn} from the deny with an ArnNotEquals condition on "
                           "aws:PrincipalArn")


def _condition_keys(condition: Any) -> list[str]:
    if not isinstance(condition, Mapping):
        return []
    return [str(key) for block in condition.values() if isinstance(block, Mapping) for key in block]


def _held_by(policy: Policy, who: Identity) -> bool:
    """Whether ``policy`` is the principal's own inline policy (on the user, or on the session's role)."""
    kind, _, holder = policy.attached_to.partition(" ")
    wanted = {"user": "user", "role": "role", "assumed-role": "role"}.get(who.kind)
    return policy.type == "identity" and policy.arn is None and kind == wanted and holder == who.name


def _owner(policy: Policy | None, deny: MatchedStatement, who: Identity) -> str:
    """Who answers for a deny, in words: the person to ask before anything is changed."""
    kind = deny.policy_type
    if kind in ("scp", "rcp"):
        return "the organization's administrators (in the management account)"
    if kind == "resource":
        return "the owner of the resource's policy"
    if kind == "vpce":
        return "the owner of the VPC endpoint"
    if policy is not None and _held_by(policy, who):
        return f"whoever administers {who.principal_arn}'s permissions (the deny is in its own inline policy)"
    return f"the administrators of {'the permissions boundary' if kind == 'boundary' else 'the policy'}"


def _show_commands(policy: Policy, request: Request) -> tuple[str, ...]:
    """Read-only commands that print ``policy`` as it is now (to read before anyone changes it)."""
    arn = policy.arn or (policy.name if policy.name.startswith("arn:") else None)
    if policy.type == "vpce":
        return (f"aws ec2 describe-vpc-endpoints --vpc-endpoint-ids {shlex.quote(policy.name)} --query "
                "'VpcEndpoints[0].PolicyDocument'",)
    if policy.type in ("scp", "rcp"):
        policy_id = (arn or policy.name).rsplit("/", 1)[-1]
        return (f"aws organizations describe-policy --policy-id {shlex.quote(policy_id)}",)
    if policy.type == "resource":
        return _show_resource_policy(request.resource)
    if arn:
        quoted = shlex.quote(arn)
        return (f"aws iam get-policy-version --policy-arn {quoted} --version-id $(aws iam get-policy --policy-arn "
                f"{quoted} --query Policy.DefaultVersionId --output text)",)
    holder_kind, _, holder = policy.attached_to.partition(" ")
    if holder_kind in ("user", "role", "group") and holder:
        return (f"aws iam get-{holder_kind}-policy --{holder_kind}-name {shlex.quote(holder)} --policy-name "
                f"{shlex.quote(_inline_name(policy.name))}",)
    return ()


def _show_resource_policy(resource: str) -> tuple[str, ...]:
    arn = parse_arn(resource)
    if arn is None:
        return ()
    quoted = shlex.quote(resource)
    point = access_point(resource)
    if point:
        return (f"aws s3control get-access-point-policy --account-id {point[1]} --name {shlex.quote(point[2])} "
                f"--region {point[0]}",)
    if arn.service == "s3":
        return (f"aws s3api get-bucket-policy --bucket {shlex.quote(arn.resource.split('/', 1)[0])}",)
    if arn.service == "kms":
        return (f"aws kms get-key-policy --key-id {quoted} --policy-name default",)
    if arn.service == "iam" and arn.resource.startswith("role/"):
        return (f"aws iam get-role --role-name {shlex.quote(arn.resource.rsplit('/', 1)[-1])} --query "
                "Role.AssumeRolePolicyDocument",)
    if arn.service == "sns":
        return (f"aws sns get-topic-attributes --topic-arn {quoted}",)
    if arn.service == "secretsmanager":
        return (f"aws secretsmanager get-resource-policy --secret-id {quoted}",)
    if arn.service == "lambda":
        return (f"aws lambda get-policy --function-name {quoted}",)
    return ()


# What a person does so that a deny guarded by this key no longer matches (lower-case keys).
CONDITION_HINTS = {
    "aws:multifactorauthpresent": "sign in with MFA (from the CLI: aws sts get-session-token --serial-number "
                                  "<your MFA device ARN> --token-code <code>, then use those credentials)",
    "aws:multifactorauthage": "sign in with MFA again, recently enough",
    "aws:securetransport": "make the request over HTTPS",
    "aws:sourceip": "make the request from an address the policy allows",
    "aws:requestedregion": "make the request in a region the policy allows",
    "aws:sourcevpc": "make the request from the VPC the policy names",
    "aws:sourcevpce": "make the request through the VPC endpoint the policy names",
}


def _condition_advice(condition: Any, context: Mapping[str, Any]) -> str:
    """'The deny applies only when <clause>; this request had <value>: <what to do>.' or ''."""
    if not isinstance(condition, Mapping) or not condition:
        return ""
    clauses, hints = [], []
    for operator, block in condition.items():
        if not isinstance(block, Mapping):
            continue
        for key, expected in block.items():
            actual = context.get(str(key).lower())
            seen = (not_given(str(key)) or "absent") if actual is None else _values(actual)
            clauses.append(f"{operator} {key} {_values(expected)} (this request: {seen})")
            hint = CONDITION_HINTS.get(str(key).lower())
            if hint and hint not in hints:
                hints.append(hint)
    if not clauses:
        return ""
    text = "The deny applies only when its condition holds: " + "; ".join(clauses) + "."
    if hints:
        text += " To meet it instead: " + "; or ".join(hints) + "."
    return text


# ---------------------------------------------------------------------------------------------
# Documents and commands


def _statement_list(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = document.get("Statement", [])
    return [raw] if isinstance(raw, Mapping) else list(raw)


def _replace_statement(document: Mapping[str, Any], index: int, statement: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(document))
    statements = _statement_list(out)
    statements[index] = statement
    out["Statement"] = statements
    return out


def _with_statement(document: Mapping[str, Any], statement: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(dict(document))
    out.setdefault("Version", "2012-10-17")
    out["Statement"] = [*_statement_list(out), dict(statement)]
    return out


def _json(document: Any) -> str:
    return shlex.quote(json.dumps(document, separators=(",", ":")))


def _inline_command(who: Identity, name: str, document: Mapping[str, Any]) -> str | None:
    if who.kind == "user" and who.name:
        return (f"aws iam put-user-policy --user-name {shlex.quote(who.name)} --policy-name {shlex.quote(name)} "
                f"--policy-document {_json(document)}")
    if who.kind in ("role", "assumed-role") and who.name:
        return (f"aws iam put-role-policy --role-name {shlex.quote(who.name)} --policy-name {shlex.quote(name)} "
                f"--policy-document {_json(document)}")
    return None


def _policy_commands(policy: Policy, document: Mapping[str, Any], who: Identity) -> tuple[str, ...]:
    """The command that writes ``document`` back where ``policy`` lives."""
    arn = policy.arn or (policy.name if policy.name.startswith("arn:") else None)
    if policy.type == "session":
        return ()  # a session policy lives in the AssumeRole call that made the session, not in the account
    if policy.type == "boundary" and not arn:
        # A boundary is always a managed policy (an inline policy cannot be one): write a new version of it.
        # Which one the file holds is unknown, so the command names it by a variable the person sets.
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
        return (f'aws iam create-policy-version --policy-arn "${BOUNDARY_ARN_VARIABLE}" --policy-document '
                f"{_json(document)} --set-as-default",)
    if policy.type == "vpce":
        return (f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {shlex.quote(policy.name)} --policy-document "
                f"{_json(document)}",)
    if policy.type in ("scp", "rcp"):
        policy_id = (arn or policy.name).rsplit("/", 1)[-1]
        return (f"aws organizations update-policy --policy-id {shlex.quote(policy_id)} --content {_json(document)}",)
    if arn:
        return (f"aws iam create-policy-version --policy-arn {shlex.quote(arn)} --policy-document "
                f"{_json(document)} --set-as-default",)
    holder_kind, _, holder = policy.attached_to.partition(" ")
    if holder_kind == "group" and holder:
        return (f"aws iam put-group-policy --group-name {shlex.quote(holder)} --policy-name "
                f"{shlex.quote(_inline_name(policy.name))} --policy-document {_json(document)}",)
    if holder_kind in ("user", "role") and holder:
        flag = "--user-name" if holder_kind == "user" else "--role-name"
        return (f"aws iam put-{holder_kind}-policy {flag} {shlex.quote(holder)} --policy-name "
                f"{shlex.quote(_inline_name(policy.name))} --policy-document {_json(document)}",)
    command = _inline_command(who, _inline_name(policy.name), document)
    return (command,) if command else ()


def _inline_name(name: str) -> str:
    """An IAM policy name from what we call the policy (a file path in ``iam simulate``)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".json")
    return re.sub(r"[^\w+=,.@-]", "-", base) or "policy"


def _resource_command(resource: str, document: Mapping[str, Any]) -> str:
    arn = parse_arn(resource)
    if arn is None:
        return ""
    point = access_point(resource)
    if point:
        return (f"aws s3control put-access-point-policy --account-id {point[1]} --name {shlex.quote(point[2])} "
                f"--region {point[0]} --policy {_json(document)}")
    if arn.service == "s3":
        bucket = arn.resource.split("/", 1)[0]
        return f"aws s3api put-bucket-policy --bucket {shlex.quote(bucket)} --policy {_json(document)}"
    if arn.service == "kms":
        return (f"aws kms put-key-policy --key-id {shlex.quote(resource)} --policy-name default "
                f"--policy {_json(document)}")
    if arn.service == "iam" and arn.resource.startswith("role/"):
        role = arn.resource.rsplit("/", 1)[-1]
        return f"aws iam update-assume-role-policy --role-name {shlex.quote(role)} --policy-document {_json(document)}"
    if arn.service == "sqs":
        url = f"https://sqs.{arn.region}.amazonaws.com/{arn.account}/{arn.resource}"
        attributes = json.dumps({"Policy": json.dumps(document, separators=(",", ":"))})
        return f"aws sqs set-queue-attributes --queue-url {shlex.quote(url)} --attributes {shlex.quote(attributes)}"
    if arn.service == "sns":
        return (f"aws sns set-topic-attributes --topic-arn {shlex.quote(resource)} --attribute-name Policy "
                f"--attribute-value {_json(document)}")
    if arn.service == "secretsmanager":
        return (f"aws secretsmanager put-resource-policy --secret-id {shlex.quote(resource)} "
                f"--resource-policy {_json(document)}")
    return ""
