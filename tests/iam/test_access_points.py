"""S3 access point ARNs (arn:aws:s3:REGION:ACCOUNT:accesspoint/NAME[/object/KEY]) are not buckets: their
policy is the access point's (s3control GetAccessPointPolicy), read and rewritten as such, and no
"bucket does not exist" is ever claimed from a bucket lookup of "accesspoint"."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from diagnostics.iam.collect import resource_policy
from diagnostics.iam.explain import _resource_command, _show_resource_policy
from diagnostics.iam.resources import access_point

AP = "arn:aws:s3:us-east-1:123456789012:accesspoint/my-ap"
AP_OBJECT = AP + "/object/reports/q3.csv"


def test_access_point_arns_are_recognised() -> None:
    assert access_point(AP_OBJECT) == ("us-east-1", "123456789012", "my-ap", "reports/q3.csv")
    assert access_point(AP) == ("us-east-1", "123456789012", "my-ap", None)
    assert access_point("arn:aws:s3:::example-bucket/key") is None


def test_its_policy_is_read_and_written_with_s3control() -> None:
    assert _show_resource_policy(AP_OBJECT) == (
        "aws s3control get-access-point-policy --account-id 123456789012 --name my-ap --region us-east-1",)
    assert _resource_command(AP_OBJECT, {"Statement": []}).startswith(
        "aws s3control put-access-point-policy --account-id 123456789012 --name my-ap --region us-east-1 --policy ")


class _S3Control:
    def __init__(self, answer):
        self.answer = answer
        self.asked = []

    def get_access_point_policy(self, **kwargs):
        self.asked.append(kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def _clients(fake):
    def client(service):
        assert service == "s3control", f"an access point was looked up with {service}"
        return fake
    return client


def _error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "GetAccessPointPolicy")


@pytest.mark.parametrize(("answer", "status"), [
    ({"Policy": json.dumps({"Version": "2012-10-17", "Statement": []})}, "read"),
    (_error("NoSuchAccessPointPolicy"), "none"),
    (_error("NoSuchAccessPoint"), "missing"),
    (_error("AccessDenied"), "unreadable"),
])
def test_the_access_point_policy_is_read_never_a_bucket(answer, status) -> None:
    fake = _S3Control(answer)
    read = resource_policy(_clients(fake), AP_OBJECT, "s3:GetObject", "us-east-1", "123456789012")
    assert read.status == status and read.kind == "access point policy" and read.holder == "access point my-ap"
    assert fake.asked == [{"AccountId": "123456789012", "Name": "my-ap"}]


@pytest.mark.sandbox
def test_plain_moto_never_says_the_bucket_does_not_exist(plain_moto) -> None:
    plain_moto.client("iam").create_user(UserName="bob")
    message = ("User: arn:aws:iam::123456789012:user/bob is not authorized to perform: s3:GetObject on resource: "
               f'"{AP_OBJECT}" because no identity-based policy allows the s3:GetObject action')
    done = plain_moto.cli("run", "access-denied", "--format", "json", "--param", f"error={message}")
    assert "Traceback" not in done.stderr, done.stderr
    t = json.loads(done.stdout)
    assert "IAM_RESOURCE_NOT_FOUND" not in [f["code"] for f in t["findings"]]
    step = next(s for s in t["steps"] if s["id"] == "resource-policy")
    assert "access point" in step["detail"] and "does not exist" not in step["detail"]
    assert "GetBucketPolicy" not in [c["operation"] for c in step["api_calls"]]
