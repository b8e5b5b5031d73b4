"""Near misses and fixes: what almost allowed the request, and the smallest change that does."""

from __future__ import annotations

import json
import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from diagnostics.iam import evaluate
from diagnostics.iam.explain import fix_for, near_misses
from diagnostics.iam.model import Policy, PolicySet
from diagnostics.iam.verify import verify
from tests.iam.helpers import ACCOUNT, ALICE, BUCKET, KEY, OBJECT, SESSION, allow, cond, deny, ps, req


def _explain(policies, request):
    evaluation = evaluate(request, policies)
    return evaluation, near_misses(request, policies, evaluation), fix_for(request, policies, evaluation)


def _document_in(command: str) -> dict:
    """The JSON document an `aws ...` command carries, as the shell would pass it."""
    words = shlex.split(command)
    for flag in ("--policy-document", "--policy", "--content"):
        if flag in words:
            return json.loads(words[words.index(flag) + 1])
    raise AssertionError(f"no document in {command}")


def test_bucket_arn_without_objects_suffix_is_named_and_fixed_in_place() -> None:
    policies, request = ps([allow("s3:GetObject", BUCKET)]), req()
    evaluation, misses, fix = _explain(policies, request)
    assert evaluation.decision == "implicitDeny"
    assert [m.kind for m in misses] == ["resource-missing-object-suffix"]
    assert misses[0].index == 0 and "/*" in misses[0].summary
    assert fix is not None and fix.policy == "inline-main"
    assert fix.statement["Resource"] == [BUCKET, BUCKET + "/*"]
    (command,) = fix.commands
    assert command.startswith("aws iam put-user-policy --user-name alice --policy-name inline-main ")
    # The command's document, applied, must allow the request.
    fixed = PolicySet(identity=(Policy("inline-main", "identity", _document_in(command)),))
    assert evaluate(request, fixed).decision == "allowed"


def test_case_mismatch() -> None:
    _, misses, fix = _explain(ps([allow("s3:GetObject", "arn:aws:s3:::Logs/*")]), req())
    assert [m.kind for m in misses] == ["case-mismatch"]
    assert "case" in misses[0].summary
    assert OBJECT in fix.statement["Resource"]


def test_missing_condition_key_is_reported() -> None:
    policies = ps([allow("s3:GetObject", **cond({"Bool": {"aws:MultiFactorAuthPresent": "true"}}))])
    evaluation, misses, _ = _explain(policies, req())
    assert evaluation.missing_context_keys == ("aws:MultiFactorAuthPresent",)
    assert [m.kind for m in misses] == ["condition-key-missing"]
    assert "aws:MultiFactorAuthPresent" in misses[0].summary


def test_condition_value_mismatch() -> None:
    policies = ps([allow("s3:GetObject", **cond({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))])
    _, misses, _ = _explain(policies, req(ctx={"aws:SourceIp": "198.51.100.1"}))
    assert [m.kind for m in misses] == ["condition-value-mismatch"]
    assert "198.51.100.1" in misses[0].summary


def test_boundary_lacks_action_and_its_fix() -> None:
    policies, request = ps([allow("s3:*")], boundary=[allow("ec2:*")]), req()
    evaluation, misses, fix = _explain(policies, request)
    assert evaluation.blocking_types == ("boundary",)
    assert [m.kind for m in misses] == ["boundary-lacks-action"]
    # The boundary may cap others too: the primary gives alice one of her own; widening the shared one
    # is the alternative, which says whom else it loosens.
    assert fix.policy == f"arn:aws:iam::{ACCOUNT}:policy/boundary-alice"
    create, put = fix.commands
    assert create.startswith("aws iam create-policy --policy-name boundary-alice ")
    assert put == (f"aws iam put-user-permissions-boundary --user-name alice --permissions-boundary "
                   f"arn:aws:iam::{ACCOUNT}:policy/boundary-alice")
    new_boundary = Policy("boundary", "boundary", _document_in(create))
    fixed = PolicySet(identity=policies.identity, boundary=new_boundary)
    assert evaluate(request, fixed).decision == "allowed"
    assert verify(request, policies, fix.commands).passes
    [(widen, _, disrupts)] = fix.others
    assert widen[0].startswith(f"aws iam list-entities-for-policy --policy-arn arn:aws:iam::{ACCOUNT}:policy/boundary ")
    assert widen[1].startswith(f"aws iam create-policy-version --policy-arn arn:aws:iam::{ACCOUNT}:policy/boundary ")
    assert "every user and role it caps" in disrupts


def test_not_action_excludes() -> None:
    policies = ps([{"Effect": "Allow", "NotAction": ["s3:Delete*", "s3:GetObject"], "Resource": "*"}])
    _, misses, _ = _explain(policies, req())
    assert [m.kind for m in misses] == ["not-action-excludes"]


def test_smallest_new_statement_for_a_role_session() -> None:
    request = req(principal=SESSION)
    _, misses, fix = _explain(ps([allow("ec2:*")]), request)
    assert misses == []
    assert fix.policy is None
    assert fix.statement == {"Sid": "AllowS3GetObject", "Effect": "Allow", "Action": "s3:GetObject",
                             "Resource": OBJECT}
    (command,) = fix.commands
    assert command.startswith("aws iam put-role-policy --role-name app ")  # the session maps to its role
    fixed = ps([allow("ec2:*")], more_identity=[_document_in(command)["Statement"]])
    assert evaluate(request, fixed).decision == "allowed"


def test_explicit_deny_is_narrowed_to_spare_the_principal() -> None:
    policies = ps([allow()], scps=[("root", [allow(), deny("s3:*")])])
    request = req()
    evaluation, misses, fix = _explain(policies, request)
    assert evaluation.decision == "explicitDeny" and misses == []
    assert fix.statement["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": ALICE}}
    (command,) = fix.commands
    assert command.startswith("aws organizations update-policy --policy-id scp-0 --content ")
    new_scp = Policy("scp-0", "scp", _document_in(command), attached_to="root")
    fixed = PolicySet(identity=policies.identity, scps=(new_scp,))
    assert evaluate(request, fixed).decision == "allowed"
    other = req(principal=f"arn:aws:iam::{ACCOUNT}:user/bob")
    assert evaluate(other, fixed).decision == "explicitDeny"  # still denies everyone else


def test_a_conditional_deny_says_how_to_meet_its_guard_before_exempting_anyone() -> None:
    # An MFA guard: the first advice is to sign in with MFA, not to punch a hole in the guard.
    mfa_guard = deny("*", **cond({"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}))
    policies = ps([allow(), mfa_guard])
    evaluation, _, fix = _explain(policies, req())
    assert evaluation.decision == "explicitDeny"
    assert "aws:MultiFactorAuthPresent" in fix.summary and "(this request: absent)" in fix.summary
    assert fix.summary.index("get-session-token") < fix.summary.index("ArnNotEquals")
    # With the key in the request, its value is quoted; the exemption stays available as the commands.
    _, _, fix = _explain(policies, req(ctx={"aws:MultiFactorAuthPresent": "false"}))
    assert "(this request: 'false')" in fix.summary and fix.commands


def test_an_unconditional_deny_has_no_guard_to_meet() -> None:
    _, _, fix = _explain(ps([allow(), deny("s3:*")]), req())
    assert "condition holds" not in fix.summary and "the request must not be made" in fix.summary


def test_kms_without_a_key_policy_gives_a_statement_but_no_overwrite() -> None:
    _, misses, fix = _explain(ps([allow("kms:*")]), req("kms:Decrypt", KEY))
    assert [m.kind for m in misses] == ["resource-policy-lacks-allow"]
    assert fix.statement["Principal"] == {"AWS": ALICE} and fix.statement["Resource"] == "*"
    assert fix.commands == ()  # never overwrite a key policy we have not read


def test_allowed_has_no_fix_and_no_near_misses() -> None:
    policies, request = ps([allow()]), req()
    evaluation, misses, fix = _explain(policies, request)
    assert evaluation.decision == "allowed" and misses == [] and fix is None


# --- Properties -----------------------------------------------------------------------------

ACTIONS = ["s3:GetObject", "s3:PutObject", "ec2:RunInstances", "iam:GetUser"]
PATTERNS = ["*", "s3:*", "s3:Get*", "ec2:*", "iam:Get?ser", "s3:PutObject"]
RESOURCES = ["*", "arn:aws:s3:::logs/*", BUCKET, "arn:aws:ec2:*:*:instance/*"]
statements = st.builds(
    lambda effect, action, resource, mfa: {"Effect": effect, "Action": action, "Resource": resource,
                                           **(cond({"Bool": {"aws:MultiFactorAuthPresent": "true"}}) if mfa
                                              else {})},
    st.sampled_from(["Allow", "Deny"]), st.sampled_from(PATTERNS), st.sampled_from(RESOURCES), st.booleans())


@settings(max_examples=150, deadline=None)
@given(st.lists(statements, max_size=6), st.lists(statements, max_size=3), statements,
       st.sampled_from(ACTIONS), st.booleans())
def test_adding_an_explicit_deny_never_allows(identity, boundary, extra, action, mfa) -> None:
    request = req(action, OBJECT if action.startswith("s3") else f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-1",
                  ctx={"aws:MultiFactorAuthPresent": "true"} if mfa else None)
    before = evaluate(request, ps(identity, boundary=boundary or None)).decision
    with_deny = evaluate(request, ps([*identity, {**extra, "Effect": "Deny"}], boundary=boundary or None)).decision
    assert not (before != "allowed" and with_deny == "allowed")
    if before == "explicitDeny":
        assert with_deny == "explicitDeny"


@settings(max_examples=150, deadline=None)
@given(st.lists(statements, max_size=6), st.lists(statements, min_size=1, max_size=3), st.sampled_from(ACTIONS))
def test_a_boundary_never_widens(identity, boundary, action) -> None:
    request = req(action, OBJECT if action.startswith("s3") else f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-1")
    without = evaluate(request, ps(identity)).decision
    with_boundary = evaluate(request, ps(identity, boundary=boundary)).decision
    if without != "allowed":
        assert with_boundary != "allowed"


@settings(max_examples=100, deadline=None)
@given(st.lists(statements, max_size=6), st.sampled_from(ACTIONS))
def test_every_fix_for_a_missing_identity_allow_works(identity, action) -> None:
    request = req(action, OBJECT if action.startswith("s3") else f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/i-1")
    policies = ps(identity)
    evaluation = evaluate(request, policies)
    if evaluation.decision != "implicitDeny":
        return
    fix = fix_for(request, policies, evaluation)
    assert fix is not None
    if not fix.commands or fix.disrupts:
        # A near miss on a condition: meeting it is the fix, and no change drops the condition.
        assert "Meet the condition" in fix.summary and not (fix.commands and not fix.disrupts)
        if not fix.commands:
            return
    document = _document_in(fix.commands[0])
    name = shlex.split(fix.commands[0])[shlex.split(fix.commands[0]).index("--policy-name") + 1]
    others = tuple(p for p in policies.identity if p.name != name)
    fixed = PolicySet(identity=(*others, Policy(name, "identity", document)))
    assert evaluate(request, fixed).decision == "allowed"
