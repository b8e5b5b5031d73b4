"""The context keys AWS always sends are assumed when not given; given ones win."""

from __future__ import annotations

from datetime import UTC, datetime

from diagnostics.iam import PolicySet, Request, evaluate
from diagnostics.iam.context_defaults import assumed_context, assumed_words
from tests.iam.helpers import ALICE, OBJECT, allow, deny, pol

NOW = datetime(2026, 11, 29, 12, 30, tzinfo=UTC)


def test_defaults_for_a_direct_call() -> None:
    assumed = assumed_context({}, resource="arn:aws:kms:eu-west-1:123456789012:key/k", region="us-east-1", now=NOW)
    assert assumed == {"aws:ViaAWSService": "false", "aws:SecureTransport": "true",
                       "aws:CurrentTime": "2026-11-29T12:30:00Z", "aws:EpochTime": str(int(NOW.timestamp())),
                       "aws:RequestedRegion": "eu-west-1"}  # the resource's region before the session's
    given = assumed_context({"AWS:ViaAwsService": "true"}, resource=OBJECT, region="us-east-1", now=NOW)
    assert "aws:ViaAWSService" not in given and given["aws:RequestedRegion"] == "us-east-1"
    assert "aws:MultiFactorAuthPresent" not in given  # may truly be absent: never assumed
    assert assumed_words({}) == "" and "aws:SecureTransport=true" in assumed_words({"aws:SecureTransport": "true"})


def test_the_office_guard_denies_a_direct_call_from_outside() -> None:
    guard = deny("*", "*", Condition={"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                                      "Bool": {"aws:ViaAWSService": "false"}})
    policies = PolicySet(identity=(pol("office", "identity", allow(), guard),))
    outside = {"aws:SourceIp": "198.51.100.7"}
    bare = evaluate(Request(ALICE, "s3:GetObject", OBJECT, outside), policies)
    assert bare.decision == "allowed" and "aws:ViaAWSService" in bare.missing_context_keys  # the old mistake
    context = {**assumed_context(outside, resource=OBJECT, region="us-east-1", now=NOW), **outside}
    assert evaluate(Request(ALICE, "s3:GetObject", OBJECT, context), policies).decision == "explicitDeny"
