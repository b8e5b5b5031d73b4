"""AWS's policy evaluation logic as a pure function: ``evaluate(request, policies) -> Evaluation``.

The order follows AWS's "Policy evaluation logic" page:

1. An explicit deny in any policy (identity, boundary, session, resource, SCP, RCP) wins.
2. SCPs and RCPs, when they were read, must allow: at every level of the organization (policies
   are grouped into levels by ``Policy.attached_to``; one allow per level is enough).
3. Same account: the resource policy and the identity policies are a union, except that
   - a resource policy that names only the *account* delegates to the account's IAM policies;
   - a resource policy allow that names the IAM user or the role *session* directly is not limited
     by the permissions boundary or session policy; one that names the role (or "*") is;
   - KMS key policies and role trust policies must allow by themselves: without their allow the
     identity policies count for nothing.
4. Cross account (principal and resource accounts differ): the resource policy must allow, *and*
   the identity side (identity policies within boundary and session policy) must allow.
5. Otherwise the identity policies must allow, within the permissions boundary and session policy.

Compiled statements are cached by the identity of the policy document, and the statements that
can match an action are indexed per policy, so evaluating a request costs little more than the
few statements that mention its action.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from diagnostics.iam import catalog
from diagnostics.iam.actions import action_matcher
from diagnostics.iam.conditions import Clause, ConditionError, compile_conditions, evaluate_conditions
from diagnostics.iam.model import (
    ContextValue,
    Decision,
    Evaluation,
    MatchedStatement,
    Policy,
    PolicySet,
    PolicyType,
    Request,
    TypeResult,
)
from diagnostics.iam.principals import Identity, MatchKind, identify, not_principal_applies, principal_match
from diagnostics.iam.resources import account_of, is_iam_role, is_kms_key, resource_pattern_matches
from diagnostics.iam.variables import Template, parse_template, parts_regex, uses_variables

POLICY_TYPES: tuple[PolicyType, ...] = ("identity", "boundary", "session", "resource", "scp", "rcp", "vpce")
TRUST_ACTIONS = frozenset({"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity",
                           "sts:tagsession", "sts:setsourceidentity", "sts:setcontext"})


class PolicyError(ValueError):
    """A policy document AWS would not accept: one plain sentence naming the policy."""


@dataclass(frozen=True, slots=True)
class CompiledStatement:
    index: int
    sid: str | None
    effect: str
    raw: Mapping[str, Any]
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[Template, ...] | None   # None: the statement names no resource (trust policies)
    not_resource: bool
    principal: Any
    not_principal: bool
    conditions: tuple[Clause, ...]
    # When no Resource entry holds a policy variable: one regex for all of them (None: any resource).
    resource_regex: re.Pattern[str] | None = None
    constant_resources: bool = False

    def action_matches(self, action_lower: str) -> bool:
        hit = any(action_matcher(p)(action_lower) for p in self.actions)
        return not hit if self.not_action else hit


@dataclass(slots=True)
class CompiledDocument:
    statements: tuple[CompiledStatement, ...]
    by_action: dict[str, tuple[CompiledStatement, ...]] = field(default_factory=dict)
    _matched: dict[tuple[str, str, str | None, int], MatchedStatement] = field(default_factory=dict)

    def matched(self, policy: Policy, st: CompiledStatement) -> MatchedStatement:
        """The MatchedStatement for ``st`` as part of ``policy``, built once."""
        key = (policy.name, policy.type, policy.arn, st.index)
        found = self._matched.get(key)
        if found is None:
            found = MatchedStatement(policy.name, policy.type, st.index, st.sid, st.effect,  # type: ignore[arg-type]
                                     st.raw, policy.arn)
            self._matched[key] = found
        return found

    def for_action(self, action_lower: str) -> tuple[CompiledStatement, ...]:
        found = self.by_action.get(action_lower)
        if found is None:
            if len(self.by_action) > 4096:
                self.by_action.clear()
            found = tuple(s for s in self.statements if s.action_matches(action_lower))
            self.by_action[action_lower] = found
        return found


# id(document) -> (document, compiled). Holding the document keeps its id from being reused.
_COMPILED: dict[int, tuple[Mapping[str, Any], CompiledDocument]] = {}


def clear_caches() -> None:
    """Forget every compiled policy and pattern (the benchmark's cold baseline uses this)."""
    from diagnostics.iam import actions, conditions, principals, variables

    _COMPILED.clear()
    _SETS.clear()
    conditions._INTERNED.clear()
    principals.identify.cache_clear()
    actions.action_matcher.cache_clear()
    variables.parse_template.cache_clear()
    variables._compile.cache_clear()
    for cached in (conditions._network, conditions._address, conditions._iso, conditions._parse_date_text):
        cached.cache_clear()


def _as_list(value: Any, what: str, name: str) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    raise PolicyError(f"policy {name}: {what} must be a string or a list of strings")


def statements_of(document: Any, name: str) -> list[Mapping[str, Any]]:
    """The document's statements; a single statement may be written as an object, not a list."""
    if not isinstance(document, Mapping):
        raise PolicyError(f"policy {name} is not a JSON object")
    raw = document.get("Statement")
    if raw is None:
        raise PolicyError(f"policy {name} has no Statement")
    items = [raw] if isinstance(raw, Mapping) else raw
    if not isinstance(items, list) or not all(isinstance(s, Mapping) for s in items):
        raise PolicyError(f"policy {name}: Statement must be an object or a list of objects")
    return items


def compile_document(document: Mapping[str, Any], name: str = "policy") -> CompiledDocument:
    cached = _COMPILED.get(id(document))
    if cached is not None and cached[0] is document:
        return cached[1]
    variables = uses_variables(document.get("Version")) if isinstance(document, Mapping) else False
    compiled: list[CompiledStatement] = []
    for index, st in enumerate(statements_of(document, name)):
        compiled.append(_compile_statement(st, index, variables, name))
    result = CompiledDocument(tuple(compiled))
    if len(_COMPILED) > 2048:
        _COMPILED.clear()
    _COMPILED[id(document)] = (document, result)
    return result


def _compile_statement(st: Mapping[str, Any], index: int, variables: bool, name: str) -> CompiledStatement:
    where = f"{name}, statement {index}" + (f" ({st['Sid']})" if st.get("Sid") else "")
    effect = st.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"policy {where}: Effect must be Allow or Deny, not {effect!r}")
    if ("Action" in st) == ("NotAction" in st):
        raise PolicyError(f"policy {where} needs exactly one of Action and NotAction")
    if "Resource" in st and "NotResource" in st:
        raise PolicyError(f"policy {where} has both Resource and NotResource")
    if "Principal" in st and "NotPrincipal" in st:
        raise PolicyError(f"policy {where} has both Principal and NotPrincipal")
    not_action = "NotAction" in st
    actions = tuple(_as_list(st["NotAction" if not_action else "Action"], "Action", where))
    resources: tuple[Template, ...] | None = None
    not_resource = "NotResource" in st
    if "Resource" in st or not_resource:
        values = _as_list(st["NotResource" if not_resource else "Resource"], "Resource", where)
        resources = tuple(parse_template(v, variables) for v in values)
    try:
        conditions = compile_conditions(st.get("Condition"), variables)
    except ConditionError as exc:
        raise PolicyError(f"policy {where}: {exc}") from None
    not_principal = "NotPrincipal" in st
    principal = st.get("NotPrincipal" if not_principal else "Principal")
    sid = st.get("Sid")
    regex, constant = _resources_regex(resources)
    return CompiledStatement(index, str(sid) if sid is not None else None, effect, st, actions, not_action,
                             resources, not_resource, principal, not_principal, conditions, regex, constant)


def _resources_regex(resources: tuple[Template, ...] | None) -> tuple[re.Pattern[str] | None, bool]:
    if resources is None or not all(t.is_constant for t in resources):
        return None, False
    if any(t.pieces[0].text == "*" for t in resources):  # type: ignore[union-attr]
        return None, True
    alternatives = [parts_regex(t.pieces, "resource").pattern for t in resources]  # type: ignore[arg-type]
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.DOTALL), True


def validate_policy(document: Any, name: str = "policy") -> None:
    """Raise PolicyError with one plain sentence if ``document`` is not a policy AWS would take."""
    for index, st in enumerate(statements_of(document, name)):
        _compile_statement(st, index, uses_variables(document.get("Version")), name)


# ---------------------------------------------------------------------------------------------
# The request context


def _context_value(value: Any) -> ContextValue:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return [_context_value(v) for v in value]  # type: ignore[misc]
    return str(value)


def request_context(request: Request, who: Identity) -> dict[str, ContextValue]:
    """The request's context keys, lowercased, with the keys AWS always derives from the caller."""
    ctx: dict[str, ContextValue] = {"aws:principalarn": who.principal_arn}
    if who.account:
        ctx["aws:principalaccount"] = who.account
    principal_type = {"user": "User", "assumed-role": "AssumedRole", "role": "AssumedRole",
                      "federated-user": "FederatedUser", "root": "Account"}.get(who.kind)
    if principal_type:
        ctx["aws:principaltype"] = principal_type
    if who.kind == "user" and who.name:
        ctx["aws:username"] = who.name
    if who.kind == "service":
        ctx["aws:principalservicename"] = who.arn
    for tag, value in request.principal_tags.items():
        ctx[f"aws:principaltag/{tag}".lower()] = str(value)
    for key, value in request.context.items():
        ctx[key.lower()] = _context_value(value)
    return ctx


# ---------------------------------------------------------------------------------------------
# Matching one policy


@dataclass(slots=True)
class _Hit:
    statement: MatchedStatement
    kind: MatchKind | None   # for resource policies: how the Principal named the caller


def statement_resource_matches(st: CompiledStatement, resource: str, lookup: Callable[[str], Any],
                      missing: list[str]) -> bool:
    if st.resources is None:
        return True
    if st.constant_resources:
        hit = st.resource_regex is None or st.resource_regex.fullmatch(resource) is not None
        return not hit if st.not_resource else hit
    hit = False
    for template in st.resources:
        found = resource_pattern_matches(template, resource, lookup)
        if isinstance(found, str):
            missing.append(found)
        elif found:
            hit = True
            break
    return not hit if st.not_resource else hit


# One statement of one policy, with everything the hot loop needs laid out flat:
# (statement, its MatchedStatement, policy type, organization level, check Principal?, is Allow).
_Entry = tuple[CompiledStatement, MatchedStatement, str, str, bool, bool]


@dataclass(slots=True)
class CompiledSet:
    """Every policy of a PolicySet in one index: action -> the statements to check, across policies."""

    order: tuple[Policy, ...]
    documents: tuple[CompiledDocument, ...]
    levels: dict[str, set[str]]  # "scp"/"rcp" -> the organization levels (attached_to) present
    by_action: dict[str, tuple[_Entry, ...]] = field(default_factory=dict)
    by_target: dict[tuple[str, str], tuple[_Entry, ...]] = field(default_factory=dict)

    def for_target(self, action_lower: str, resource: str) -> tuple[_Entry, ...]:
        """The statements whose action matches and whose fixed Resource patterns take ``resource``.

        Statements with policy variables in Resource stay in: they are checked per request.
        """
        key = (action_lower, resource)
        found = self.by_target.get(key)
        if found is None:
            if len(self.by_target) > 16384:
                self.by_target.clear()
            found = tuple(e for e in self.for_action(action_lower) if not e[0].constant_resources
                          or ((e[0].resource_regex is None or e[0].resource_regex.fullmatch(resource) is not None)
                              != e[0].not_resource))
            self.by_target[key] = found
        return found

    def for_action(self, action_lower: str) -> tuple[_Entry, ...]:
        found = self.by_action.get(action_lower)
        if found is None:
            if len(self.by_action) > 4096:
                self.by_action.clear()
            found = tuple((st, doc.matched(p, st), p.type, p.attached_to, p.type in ("resource", "rcp", "vpce"),
                           st.effect == "Allow")
                          for p, doc in zip(self.order, self.documents, strict=True)
                          for st in doc.for_action(action_lower))
            self.by_action[action_lower] = found
        return found


# id(PolicySet) -> (PolicySet, compiled); the playbook builds one set per principal and reuses it.
_SETS: dict[int, tuple[PolicySet, CompiledSet]] = {}


def _ordered(policies: PolicySet) -> tuple[Policy, ...]:
    singles = tuple(p for p in (policies.boundary, policies.session, policies.resource, policies.vpce)
                    if p is not None)
    return (*policies.identity, *singles, *(policies.scps or ()), *(policies.rcps or ()))


def compile_set(policies: PolicySet) -> CompiledSet:
    cached = _SETS.get(id(policies))
    if cached is not None and cached[0] is policies:
        return cached[1]
    order = _ordered(policies)
    levels = {"scp": {p.attached_to for p in policies.scps or ()},
              "rcp": {p.attached_to for p in policies.rcps or ()}}
    result = CompiledSet(order, tuple(compile_document(p.document, p.name) for p in order), levels)
    if len(_SETS) > 256:
        _SETS.clear()
    _SETS[id(policies)] = (policies, result)
    return result


@dataclass(slots=True)
class _Matches:
    allows: dict[str, list[_Hit]]
    denies: list[MatchedStatement]
    matched: list[MatchedStatement]
    levels_allowing: set[tuple[str, str]]


def _match_all(compiled: CompiledSet, request: Request, action_lower: str, who: Identity,
               lookup: Callable[[str], Any], missing: list[str], boundary_present: bool) -> _Matches:
    """One pass over the statements that mention the action, in every policy at once."""
    allows: dict[str, list[_Hit]] = {}
    denies: list[MatchedStatement] = []
    matched: list[MatchedStatement] = []
    levels: set[tuple[str, str]] = set()
    memo: dict[int, Any] = {}
    resource = request.resource
    for st, ms, ptype, level, principal_checked, is_allow in compiled.for_target(action_lower, resource):
        if not st.constant_resources and not statement_resource_matches(st, resource, lookup, missing):
            continue
        kind: MatchKind | None = None
        if principal_checked:
            if st.not_principal:
                # AWS: a Deny with NotPrincipal always denies a user or role that has a boundary.
                forced = (not is_allow and boundary_present
                          and who.kind in ("user", "role", "assumed-role"))
                if not forced and not not_principal_applies(st.principal, who):
                    continue
                kind = "wildcard"
            elif st.principal is not None:
                kind = principal_match(st.principal, who)
                if kind is None:
                    continue
        if st.conditions:
            passed, lacking = evaluate_conditions(st.conditions, lookup, memo)
            if not passed:
                missing.extend(lacking)
                continue
        matched.append(ms)
        if is_allow:
            allows.setdefault(ptype, []).append(_Hit(ms, kind))
            levels.add((ptype, level))
        else:
            denies.append(ms)
    return _Matches(allows, denies, matched, levels)


# ---------------------------------------------------------------------------------------------
# The decision


def evaluate(request: Request, policies: PolicySet) -> Evaluation:
    who = identify(request.principal)
    ctx = request_context(request, who)
    lookup = ctx.get
    action_lower = request.action.lower()
    missing: list[str] = []
    boundary_present = policies.boundary is not None

    compiled = compile_set(policies)
    found = _match_all(compiled, request, action_lower, who, lookup, missing, boundary_present)
    matched = tuple(found.matched)
    missing_keys = tuple(dict.fromkeys(missing)) if missing else ()
    denies = tuple(found.denies)
    denied_types = {m.policy_type for m in denies}

    # Organization guardrails: every level must hold an allow.
    scp_ok = policies.scps is None or all(("scp", lv) in found.levels_allowing for lv in compiled.levels["scp"])
    rcp_ok = policies.rcps is None or all(("rcp", lv) in found.levels_allowing for lv in compiled.levels["rcp"])

    no_hits: list[_Hit] = []
    id_allows = found.allows.get("identity", no_hits)
    bnd_allows = found.allows.get("boundary", no_hits)
    ses_allows = found.allows.get("session", no_hits)
    res_allows = found.allows.get("resource", no_hits)
    boundary_ok = policies.boundary is None or bool(bnd_allows)
    session_ok = policies.session is None or bool(ses_allows)
    # A VPC endpoint policy caps every request through the endpoint, like a boundary caps a principal.
    vpce_ok = policies.vpce is None or bool(found.allows.get("vpce"))

    principal_account = request.principal_account or who.account
    resource_account = request.resource_account or account_of(request.resource)
    cross_account = bool(principal_account and resource_account and principal_account != resource_account)
    must_self_allow = is_kms_key(request.resource) or (action_lower in TRUST_ACTIONS
                                                       and is_iam_role(request.resource))

    blocking: list[PolicyType] = []
    if not scp_ok:
        blocking.append("scp")
    if not rcp_ok:
        blocking.append("rcp")
    if not vpce_ok:
        blocking.append("vpce")
    used: list[_Hit] = []
    if cross_account:
        # Both sides must allow; the trusting account's resource policy may name the account.
        if not res_allows:
            blocking.append("resource")
        used += res_allows[:1]
        blocking += _identity_side(id_allows, boundary_ok, session_ok, policies)
        used += id_allows + bnd_allows + ses_allows
    else:
        direct = [h for h in res_allows if h.kind == "direct"]
        granting = [h for h in res_allows if h.kind in ("role", "wildcard")]
        if must_self_allow and not res_allows:
            blocking.append("resource")
            if not id_allows:
                blocking.append("identity")
        elif direct:
            used += direct
        elif granting or id_allows:
            used += granting or id_allows
            if not boundary_ok:
                blocking.append("boundary")
            if not session_ok:
                blocking.append("session")
            used += bnd_allows + ses_allows
        else:
            blocking.append("identity")
            # Every layer that would still block once an identity allow is added: fixing only the
            # first would leave the request denied.
            if not boundary_ok:
                blocking.append("boundary")
            if not session_ok:
                blocking.append("session")
            if policies.resource is not None and not res_allows:
                blocking.append("resource")
    used += found.allows.get("scp", no_hits) + found.allows.get("rcp", no_hits) + found.allows.get("vpce", no_hits)

    decision: Decision
    if catalog.is_ungated(request.action):
        # Authentication actions no policy controls, not even an explicit deny (IAM User Guide,
        # GetCallerIdentity and "Permissions for GetSessionToken"): the policies are shown, never decide.
        decision, deciding, denies, blocking = "allowed", (), (), []
    elif denies:
        decision, deciding = "explicitDeny", denies
    elif blocking:
        decision, deciding = "implicitDeny", ()
    else:
        decision, deciding = "allowed", tuple(h.statement for h in used)

    def result(ptype: PolicyType, present: bool, allowed: bool) -> TypeResult:
        if not present:
            return "absent"
        if ptype in denied_types:
            return "explicitDeny"
        return "allow" if allowed else "implicitDeny"

    per_type: dict[PolicyType, TypeResult] = {
        "identity": result("identity", bool(policies.identity), bool(id_allows)),
        "boundary": result("boundary", boundary_present, bool(bnd_allows)),
        "session": result("session", policies.session is not None, bool(ses_allows)),
        "resource": result("resource", policies.resource is not None, bool(res_allows)),
        "scp": "notChecked" if policies.scps is None else result("scp", bool(policies.scps), scp_ok),
        "rcp": "notChecked" if policies.rcps is None else result("rcp", bool(policies.rcps), rcp_ok),
        "vpce": result("vpce", policies.vpce is not None, vpce_ok),
    }
    return Evaluation(decision, deciding, matched, per_type,
                      tuple(dict.fromkeys(blocking)) if decision == "implicitDeny" else (), missing_keys)


def _identity_side(id_allows: list[_Hit], boundary_ok: bool, session_ok: bool,
                   policies: PolicySet) -> list[PolicyType]:
    blocking: list[PolicyType] = []
    if not id_allows:
        blocking.append("identity")
    if policies.boundary is not None and not boundary_ok:
        blocking.append("boundary")
    if policies.session is not None and not session_ok:
        blocking.append("session")
    return blocking
