"""Every denial form in the table (tests/iam/denial_table.py) reads back into what it carries."""

from __future__ import annotations

import pytest

from diagnostics.iam.denial_message import parse_denial
from diagnostics.iam.operations import action_for_operation
from tests.iam.denial_table import ROWS


@pytest.mark.parametrize(("text", "expected"), [(text, exp) for _, text, exp in ROWS], ids=[n for n, _, _ in ROWS])
def test_every_form_reads_back(text, expected) -> None:
    parsed = parse_denial(text)
    assert {k: getattr(parsed, k) for k in expected} == expected


def test_the_table_covers_every_policy_type_phrase_both_ways() -> None:
    seen = {(exp["policy_type"], exp["explicit"]) for _, _, exp in ROWS}
    for kind in ("identity", "resource", "boundary", "session", "scp", "rcp", "vpce"):
        assert (kind, True) in seen and (kind, False) in seen, kind
    assert len(ROWS) >= 30


def test_detail_free_forms_keep_their_hints() -> None:
    by_name = {n: parse_denial(t) for n, t, _ in ROWS}
    assert by_name["s3-bare-java"].service == "s3" and by_name["s3-bare-java"].error_code == "AccessDenied"
    assert by_name["kms-unknown-key"].key_may_not_exist and by_name["kms-unknown-key"].service == "kms"
    assert by_name["kms-this-resource"].key_may_not_exist
    assert by_name["ec2-encoded"].encoded == "4Gt0-exampleEncoded_Blob+/=" and by_name["ec2-plain"].service == "ec2"
    assert by_name["ec2-plain"].encoded is None
    assert any("HeadObject" in n for n in by_name["s3-bare-head"].notes)
    assert any("anonymous" in n for n in by_name["apigw-anonymous"].notes)
    assert by_name["scp-explicit-arn"].policy_arn.startswith("arn:aws:organizations::")
    assert by_name["identity-explicit-arn"].policy_arn == "arn:aws:iam::123456789012:policy/DenyDeletes"


@pytest.mark.parametrize(("operation", "service", "action"), [
    ("GetObject", None, "s3:GetObject"), ("HeadObject", None, "s3:GetObject"), ("ListObjectsV2", None, "s3:ListBucket"),
    ("Decrypt", None, "kms:Decrypt"), ("Publish", None, "sns:Publish"), ("Invoke", None, "lambda:InvokeFunction"),
    ("GetMetricData", None, "cloudwatch:GetMetricData"), ("RunInstances", "ec2", "ec2:RunInstances"),
    ("NoSuchOperationAnywhere", None, None),
])
def test_operations_map_to_iam_actions_through_botocore(operation, service, action) -> None:
    assert action_for_operation(operation, service) == action
