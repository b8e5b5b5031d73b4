"""A role in another account (an AssumeRole denial on arn:aws:iam::OTHER:role/x): its trust policy
cannot be read from here (iam:GetRole reads a role by name, in the credentials' own account only), so
it is never read from, judged by, or rewritten as a same-named role of this account.

Pure rows over what the collector would hand over, and one run against a plain moto server that
holds a same-named role in the caller's account (the trap: reading it answers about the wrong role)."""

from __future__ import annotations

import json

import pytest

from diagnostics.iam.denial_message import parse_denial
from diagnostics.iam.judgement import judge
from diagnostics.iam.model import PolicySet, Principal
from diagnostics.iam.reads import trust_elsewhere
from diagnostics.iam.verdicts import Circumstances, decide, unseen
from tests.iam.helpers import ACCOUNT, ALICE, OTHER, allow, pol, req

FOREIGN_ROLE = f"arn:aws:iam::{OTHER}:role/locked-role"
ALICE_P = Principal(ALICE, "user", "alice", ACCOUNT, ALICE)
ASSUME = f"User: {ALICE} is not authorized to perform: sts:AssumeRole on resource: {FOREIGN_ROLE}"


def test_a_role_of_another_account_is_not_read_here() -> None:
    read = trust_elsewhere(FOREIGN_ROLE, ACCOUNT)
    assert read is not None and read.status == "elsewhere" and read.policy is None
    assert f"account {OTHER}" in read.detail and read.holder_arn == FOREIGN_ROLE
    # The credentials' own account (or an unknown one) is read as before.
    assert trust_elsewhere(f"arn:aws:iam::{ACCOUNT}:role/locked-role", ACCOUNT) is None
    assert trust_elsewhere(FOREIGN_ROLE, None) is None
    assert trust_elsewhere("arn:aws:s3:::logs", ACCOUNT) is None


def _judged(identity: list[dict], message: str | None = ASSUME):
    read = trust_elsewhere(FOREIGN_ROLE, ACCOUNT)
    assert read is not None
    policies = PolicySet(identity=(pol("assume", "identity", *identity),) if identity else ())
    decision = decide(req("sts:AssumeRole", FOREIGN_ROLE, principal_account=ACCOUNT), policies)
    denial = parse_denial(message) if message else None
    seen = Circumstances(denial=denial, unseen=unseen(ALICE_P, _none(), _none(), read, [], None))
    return judge(decision, ALICE_P, None, seen, read)


def _none():
    from diagnostics.iam.reads import ScpRead

    return ScpRead("none", "No organization.", ())


def test_the_caller_allowed_here_points_at_the_other_accounts_trust_policy_without_a_write() -> None:
    judged = _judged([allow("sts:AssumeRole", "*")])
    [found] = judged.findings
    assert found.code == "IAM_RESOURCE_POLICY_BLOCKS" and found.resource == FOREIGN_ROLE
    assert found.certainty == "conditional"
    assert f"account {OTHER}" in found.summary and "cannot be read" in found.summary
    # Only a read, named for the other account; never a command that writes a role.
    assert not any("update-assume-role-policy" in c for c in found.remediation)
    assert any(c.startswith(f"# With credentials for account {OTHER}") for c in found.remediation)
    assert f"{ACCOUNT}:role/" not in json.dumps(found.evidence) + found.summary


def test_without_a_denial_the_rest_lies_in_the_other_account() -> None:
    judged = _judged([allow("sts:AssumeRole", "*")], message=None)
    assert judged.undecided == "elsewhere" and not judged.findings
    assert f"account {OTHER}" in judged.detail


def test_a_caller_not_allowed_here_gets_its_own_fix_here_and_the_trust_policy_named() -> None:
    judged = _judged([])
    [found] = judged.findings
    assert found.code == "IAM_NO_ALLOW" and found.resource == ALICE
    assert any(c.startswith("aws iam put-user-policy --user-name alice") for c in found.remediation)
    assert not any("update-assume-role-policy" in c for c in found.remediation)
    assert f"trust policy of {FOREIGN_ROLE}" in found.summary


@pytest.mark.sandbox
def test_plain_moto_never_reads_a_same_named_local_role(plain_moto) -> None:
    iam = plain_moto.client("iam")
    lambda_only = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName="locked-role", AssumeRolePolicyDocument=json.dumps(lambda_only))
    iam.create_user(UserName="bob")
    iam.put_user_policy(UserName="bob", PolicyName="assume", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}))
    bob = "arn:aws:iam::123456789012:user/bob"
    role = "arn:aws:iam::999988887777:role/locked-role"
    done = plain_moto.cli("run", "access-denied", "--format", "json", "--param",
                          f"error=User: {bob} is not authorized to perform: sts:AssumeRole on resource: {role}")
    assert "Traceback" not in done.stderr, done.stderr
    t = json.loads(done.stdout)
    assert (done.returncode, t["verdict"]) == (1, "problem_found")
    blocking = [f for f in t["findings"] if f["severity"] == "error"]
    assert [(f["code"], f["resource"]) for f in blocking] == [("IAM_RESOURCE_POLICY_BLOCKS", role)]
    text = json.dumps(t)
    assert "123456789012:role/locked-role" not in text  # the local role was never read or named
    assert "update-assume-role-policy" not in text and "IAM_RESOURCE_NOT_FOUND" not in text
    steps = {s["id"]: s for s in t["steps"]}
    assert "GetRole" not in [c["operation"] for c in steps["resource-policy"]["api_calls"]]
