"""AWS names an SCP (or RCP) for an account where none applies now (no organization): the finding still
stands on AWS's word, and it has a fix: find which account really made the request, and whether the
account's organization changed since the denial (it had none at all)."""

from __future__ import annotations

import json

import pytest

from diagnostics.iam.aws_words import weigh
from diagnostics.iam.denial_message import parse_denial
from diagnostics.iam.judgement import judge
from diagnostics.iam.model import PolicySet, Principal
from diagnostics.iam.reads import ResourcePolicyRead
from diagnostics.iam.verdicts import Circumstances, decide
from tests.iam.helpers import ACCOUNT, ALICE, OBJECT, allow, pol, req

ALICE_P = Principal(ALICE, "user", "alice", ACCOUNT, ALICE)
MESSAGE = (f'User: {ALICE} is not authorized to perform: s3:GetObject on resource: "{OBJECT}" because no service '
           "control policy allows the s3:GetObject action")


def test_an_scp_named_where_no_organization_is_has_a_fix() -> None:
    decision = decide(req(), PolicySet(identity=(pol("read", "identity", allow("s3:GetObject", "*")),), scps=()))
    denial = parse_denial(MESSAGE)
    words = weigh(denial.policy_type, denial.explicit, decision.evaluation, {})
    none = f"Account {ACCOUNT} is not in an AWS Organization, so no SCPs apply."
    seen = Circumstances(denial=denial, region="us-east-1", guardrails={"scp": none}, guardrail_status={"scp": "none"})
    judged = judge(decision, ALICE_P, words, seen, ResourcePolicyRead("none", "bucket policy", "bucket logs", "None."))
    [found] = [f for f in judged.findings if f.severity == "error"]
    assert found.code == "IAM_SCP_BLOCKS" and found.remediation
    assert "aws sts get-caller-identity" in found.remediation
    assert any("organizations.amazonaws.com" in c for c in found.remediation)


@pytest.mark.sandbox
def test_plain_moto_account_without_organization(plain_moto) -> None:
    iam = plain_moto.client("iam")
    iam.create_user(UserName="alice")
    iam.put_user_policy(UserName="alice", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    plain_moto.client("s3").create_bucket(Bucket="logs")
    message = MESSAGE.replace(ACCOUNT, "123456789012")  # moto's account
    done = plain_moto.cli("run", "access-denied", "--format", "json", "--param", f"error={message}")
    assert "Traceback" not in done.stderr, done.stderr
    t = json.loads(done.stdout)
    [found] = [f for f in t["findings"] if f["severity"] == "error"]
    assert found["code"] == "IAM_SCP_BLOCKS" and "aws sts get-caller-identity" in found["remediation"]
