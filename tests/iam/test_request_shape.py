"""A request AWS would never see: an action on a resource type it does not act on (s3:GetObject on a
bucket ARN, iam:PassRole on an S3 object), or a pattern (s3:*) for the one action a request names. The
request is what is wrong: no grant is proposed (it would never match), and `iam simulate` refuses
rather than answer "allowed". Resource types from the Service Authorization Reference (the catalog):
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from diagnostics.iam import catalog
from playbooks.access_denied import request_action

ALICE = "arn:aws:iam::123456789012:user/alice"


@pytest.mark.parametrize(("action", "resource", "says"), [
    ("s3:GetObject", "arn:aws:s3:::example-bucket", "arn:aws:s3:::example-bucket/KEY"),
    ("iam:PassRole", "arn:aws:s3:::example-bucket/key", "role (arn:aws:iam::${Account}:role/"),
    ("s3:ListBucket", "arn:aws:s3:::example-bucket/key", "bucket (arn:aws:s3:::${BucketName})"),
])
def test_an_action_on_a_type_it_does_not_act_on_is_named(action, resource, says) -> None:
    sentence = catalog.type_mismatch(action, resource)
    assert sentence is not None and f"{action} does not act on {resource}" in sentence and says in sentence


@pytest.mark.parametrize(("action", "resource"), [
    ("s3:GetObject", "arn:aws:s3:::example-bucket/key"), ("s3:ListBucket", "arn:aws:s3:::example-bucket"),
    ("iam:PassRole", "arn:aws:iam::123456789012:role/app"), ("ec2:DescribeInstances", "*"),
    ("sts:AssumeRole", "arn:aws:iam::123456789012:role/app"),
])
def test_a_fitting_resource_passes(action, resource) -> None:
    assert catalog.type_mismatch(action, resource) is None


@pytest.mark.parametrize("action", ["s3:*", "s3:Get*", "ec2:Describe?nstances"])
def test_a_pattern_is_no_request_action(action) -> None:
    with pytest.raises(ValueError, match="names exactly one action"):
        request_action(action)
    assert request_action("s3:GetObject") == "s3:GetObject"


def test_iam_simulate_refuses_passrole_on_an_s3_object(tmp_path: Path) -> None:
    policy = tmp_path / "admin.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*",
                                                                          "Resource": "*"}]}))
    for action, resource in (("iam:PassRole", "arn:aws:s3:::example-bucket/key"),
                             ("s3:Get*", "arn:aws:s3:::example-bucket/key")):
        done = subprocess.run([sys.executable, "-m", "awstriage", "iam", "simulate", "--policy", str(policy),
                               "--action", action, "--resource", resource], capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "allowed" not in done.stdout.lower() and ("does not act on" in done.stderr or "pattern" in done.stderr)


@pytest.mark.sandbox
def test_plain_moto_proposes_no_grant_for_a_bucket_arn_get_object(plain_moto) -> None:
    plain_moto.client("iam").create_user(UserName="alice")
    plain_moto.client("s3").create_bucket(Bucket="example-bucket")
    done = plain_moto.cli("run", "access-denied", "--format", "json", "--param", f"principal={ALICE}", "--param",
                          "action=s3:GetObject", "--param", "resource=arn:aws:s3:::example-bucket")
    assert "Traceback" not in done.stderr, done.stderr
    t = json.loads(done.stdout)
    assert done.returncode == 1
    [found] = t["findings"]
    assert found["code"] == "IAM_RESOURCE_TYPE_MISMATCH"
    assert not any(c.startswith("aws ") for c in found["remediation"])
    wildcard = plain_moto.cli("run", "access-denied", "--param", f"principal={ALICE}", "--param", "action=s3:*",
                              "--param", "resource=arn:aws:s3:::example-bucket/key")
    assert wildcard.returncode == 2 and "names exactly one action" in wildcard.stderr
