"""What each access-denied step says about what it read, in plain sentences.

The request as understood (and what it lacks), AWS's message in a sentence, the principal's identity
policies, its permissions boundary, the resource's own policy, the VPC endpoint's policy and the
organization's guardrails: each step's detail line is worded here from what the step read, so the
playbook only reads and decides its status. The findings are worded in ``diagnostics.iam.verdicts``
(a decision), ``diagnostics.iam.judgement`` (against AWS's words) and
``diagnostics.iam.request_findings`` (the request itself).

Pure: no AWS calls.
"""

from __future__ import annotations

from collections.abc import Sequence

from diagnostics.iam import catalog
from diagnostics.iam.aws_words import TYPE_WORDS, article
from diagnostics.iam.denial_message import ParsedDenial
from diagnostics.iam.evaluate import compile_document
from diagnostics.iam.federated import FEDERATED, FEDERATED_ACTIONS
from diagnostics.iam.model import Policy, Principal
from diagnostics.iam.principals import identify
from diagnostics.iam.reads import ResourcePolicyRead, ScpRead, VpceRead
from diagnostics.iam.request import Ask


def count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def mentions(policy: Policy, action: str) -> list[int]:
    """Indexes of the statements of ``policy`` whose Action (or NotAction) takes ``action``."""
    return [st.index for st in compile_document(policy.document, policy.name).for_action(action.lower())]


def denial_words(denial: ParsedDenial) -> str:
    """What AWS's message says refused the request, and what else it carries."""
    words = []
    if denial.explicit:
        where = TYPE_WORDS.get(denial.policy_type or "", "policy")
        arn = f" ({denial.policy_arn})" if denial.policy_arn else ""
        words.append(f"AWS's message says an explicit deny in {article(where)} {where}{arn} refused it.")
    elif denial.policy_type:
        words.append(f"AWS's message says no {TYPE_WORDS[denial.policy_type]} allows it.")
    else:
        words.append("AWS's message does not say which kind of policy refused it.")
    if denial.key_may_not_exist:
        words.append("KMS gives the same answer for a key that does not exist (or is in another region) as for "
                     "one that refuses: the key is checked below.")
    if denial.authorization_id:
        words.append(f"It carries the authorization ID {denial.authorization_id} for AWS's Access Troubleshooter.")
    return " ".join(words)


def lacking_words(ask: Ask, found: str = "") -> str:
    """The request lacks its action or resource: what to pass (``found``: how it was found, if it was)."""
    parts = [*ask.notes, *ask.warnings]
    if found:
        parts.insert(0, found)
    lacking = " and ".join(ask.missing())
    said = " The message does not name it." if ask.denial is not None else ""
    parts.append(f"The request lacks its {lacking}:{said} pass --param {ask.missing()[0]}=... (or paste the "
                 "whole AccessDenied message with --param error=...), since nothing can be decided without it.")
    if ask.denial is not None:
        parts.append(denial_words(ask.denial))
    return " ".join(parts)


def request_words(ask: Ask, found: str = "", typed: str | None = None, meant: str | None = None) -> str:
    """Who asks for what, on which resource, with which context; ``typed``/``meant``: an action AWS
    does not have and the real one judged in its place."""
    parts = [*ask.notes, *ask.warnings]
    if found:
        parts.insert(0, found)
    if meant:
        parts.append(f"{typed} is not an IAM action: did you mean {meant}? It is judged as {meant}.")
    if catalog.is_ungated(str(ask.action)):
        parts.append(f"{ask.action} needs no permission: IAM never denies it, whatever the policies say.")
    who = identify(ask.principal)
    what = {"user": "IAM user", "role": "role", "assumed-role": "role session", "root": "root user",
            "federated-user": "federated user"}.get(who.kind, "principal")
    head = f"The {what} {ask.principal} asks for {ask.action} on {ask.resource}"
    if ask.principal == FEDERATED:
        head = f"A {FEDERATED_ACTIONS.get(str(ask.action).lower(), 'token')} asks for {ask.action} on {ask.resource}"
    if ask.context:
        head += " with " + ", ".join(f"{k}={v}" for k, v in ask.context.items())
    parts.insert(1 if found else 0, head + ".")
    if ask.denial is not None:
        parts.append(denial_words(ask.denial))
    return " ".join(parts)


def identity_words(ask: Ask, principal: Principal, policies: Sequence[Policy], unread: Sequence[str],
                   blocks: bool = False) -> str:
    """The identity policies the principal carries, which of them mention the action, and its tags;
    ``blocks``: none of them allows the request, nor does the resource's policy in their place."""
    kind = {"user": "IAM user", "role": "role", "assumed-role": "role"}[principal.kind]
    parts = []
    if principal.kind == "assumed-role":
        parts.append(f"{ask.principal} is a session of the role {principal.entity_arn}: its permissions are the "
                     "role's (and, if one was passed when the role was assumed, a session policy's, which no API "
                     "can read).")
    if not policies and not unread:
        parts.append(f"The {kind} {principal.name} carries no identity-based policy at all, so nothing grants it "
                     "anything on its own.")
        return " ".join(parts)
    if unread:
        parts.append(f"Not every identity policy could be read ({len(unread)} not read): the decision judges with "
                     "the rest and never as if the unread ones were empty.")
    listed = "; ".join(f"{p.name} ({'managed' if p.arn else 'inline'}, on {p.attached_to})" for p in policies)
    carried = count(len(policies), "identity-based policy", "identity-based policies")
    parts.append(f"The {kind} {principal.name} carries {carried}: {listed}.")
    mentioning = [p.name for p in policies if mentions(p, str(ask.action))]
    if mentioning:
        verb = "mentions" if len(mentioning) == 1 else "mention"
        parts.append(f"{len(mentioning)} of them {verb} {ask.action}: {', '.join(mentioning)}.")
    else:
        parts.append(f"None of them mentions {ask.action} (not even by a wildcard).")
    if blocks:
        parts.append(f"None of them allows {ask.action} on {ask.resource} (nor does a resource-based policy in their "
                     "place): this layer refuses the request on its own.")
    if principal.tags:
        parts.append("Tags (for ${aws:PrincipalTag/...} conditions): "
                     + ", ".join(f"{k}={val}" for k, val in principal.tags.items()) + ".")
    return " ".join(parts)


def boundary_words(ask: Ask, principal: Principal, boundary: Policy | None, alone: str | None) -> str:
    """The principal's permissions boundary, and what it decides on its own (``alone``: the decision
    of the boundary evaluated as the only policy)."""
    if boundary is None:
        return f"The {principal.holder} has no permissions boundary: its identity policies are not capped."
    verdict = ("On its own it allows the request." if alone == "allowed" else
               f"On its own it does not allow {ask.action} on {ask.resource}, so no identity policy can grant it."
               if alone == "implicitDeny" else "It explicitly denies the request.")
    return f"The {principal.holder} has the permissions boundary {boundary.arn}. {verdict}"


def resource_words(ask: Ask, read: ResourcePolicyRead) -> str:
    """The resource's own policy as read: how many statements, how many take the action."""
    detail = read.detail
    if read.policy is not None:
        statements = len(compile_document(read.policy.document, read.policy.name).statements)
        taking = mentions(read.policy, str(ask.action))
        mention = {0: "none mentions", 1: "1 mentions"}.get(len(taking), f"{len(taking)} mention")
        detail += f" It has {count(statements, 'statement', 'statements')}; {mention} {ask.action}."
    if read.status == "none" and read.kind in ("key policy", "trust policy"):
        detail += f" Without a {read.kind} allowing it, no identity policy can grant access."
    return detail


def vpce_words(ask: Ask, read: VpceRead) -> str:
    """The VPC endpoint on the way, if known, and how many of its policy's statements take the action."""
    detail = read.detail
    if read.policy is not None:
        statements = len(compile_document(read.policy.document, read.policy.name).statements)
        taking = mentions(read.policy, str(ask.action))
        detail += f" It has {count(statements, 'statement', 'statements')}; {len(taking)} take {ask.action}."
    return detail


def guardrail_words(scps: ScpRead, rcps: ScpRead) -> str:
    """What reading the SCPs and the RCPs said (once, when it is the same answer for both)."""
    if scps.detail.replace("SCP", "RCP") == rcps.detail:
        return scps.detail.replace("SCPs", "SCPs or RCPs")
    return f"{scps.detail} {rcps.detail}"


def foreign_words(principal: Principal) -> str:
    """Why a caller from another account's own policies are not read."""
    return (f"Not read: {principal.arn} is in account {principal.account}, and the credentials are for another "
            f"account. Its identity policies, permissions boundary and session policy can only be read in account "
            f"{principal.account}; the decision evaluates the side readable here (the resource's policy) and says "
            "what that account's administrator must check.")
