"""Seeders for IAM and the resources whose policies the access-denied playbook reads.

Policies are written in the scenario as TOML tables shaped like the JSON (``Version``,
``Statement = [{ Effect = ..., Action = ..., Resource = ... }]``), or taken from a file of
``assets/policies/`` with ``file = "developer-boundary.json"``::

    [[resources]]
    type = "iam.policy"                  # a customer managed policy
    ref = "boundary"
    name = "developer-boundary"
    file = "developer-boundary.json"     # or: document = { Version = "2012-10-17", Statement = [...] }

    [[resources]]
    type = "iam.group"
    ref = "devs"
    name = "developers"
    managed_policies = ["${policy.readonly}"]
    inline_policies = { no-prod = { Version = "2012-10-17", Statement = [...] } }

    [[resources]]
    type = "iam.user"                    # iam.role takes the same fields, plus trust (a document)
    ref = "alice"
    name = "alice"
    boundary = "${policy.boundary}"
    groups = ["${group.devs}"]
    managed_policies = ["${policy.data}"]
    inline_policies = { read-reports = { ... } }
    tags = { team = "data" }

    [[resources]]
    type = "s3.bucket"
    ref = "reports"
    name = "acme-reports"
    policy = { Version = "2012-10-17", Statement = [...] }    # optional bucket policy

    [[resources]]
    type = "kms.key"
    ref = "data"
    description = "reports key"
    policy = { ... }                     # optional key policy (default: the account root may do all)

``${policy.x}`` is the policy's ARN; ``${user.x}``/``${role.x}``/``${group.x}`` are names and
``.arn`` their ARNs; ``${bucket.x}`` is the bucket name and ``.arn`` its ARN; ``${key.x}`` the key
ID and ``.arn`` its ARN.
"""

from __future__ import annotations

import json
from importlib.resources import files
from typing import Any

from diagnostics.sandbox.scenario import ScenarioError
from diagnostics.sandbox.seeders import ClientFactory, seeder

ACCOUNT_TRUST = "arn:aws:iam::{account}:root"


def policy_document(spec: dict[str, Any], key: str = "document") -> dict[str, Any]:
    """The policy of ``spec[key]`` (a table), or of ``spec["file"]`` in assets/policies."""
    if spec.get(key) is not None:
        document = spec[key]
    elif key == "document" and spec.get("file"):
        path = files("assets") / "policies" / str(spec["file"])
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ScenarioError(f"cannot read the policy file {spec['file']}: {exc}") from None
    else:
        raise ScenarioError(f"a policy needs '{key}' (a table shaped like the JSON) or 'file'")
    if not isinstance(document, dict) or "Statement" not in document:
        raise ScenarioError("a policy document needs a Statement")
    return document


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"))


def _tags(spec: dict[str, Any]) -> list[dict[str, str]]:
    return [{"Key": str(k), "Value": str(v)} for k, v in (spec.get("tags") or {}).items()]


def _inline(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    inline = spec.get("inline_policies") or {}
    if not isinstance(inline, dict):
        raise ScenarioError("inline_policies is a table: policy name = document")
    return {str(name): policy_document({"document": doc}) for name, doc in inline.items()}


@seeder("iam.policy")
def seed_policy(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    iam = clients("iam")
    kwargs: dict[str, Any] = {"PolicyName": str(spec["name"]), "PolicyDocument": _dump(policy_document(spec)),
                              "Path": spec.get("path", "/")}
    if spec.get("description"):
        kwargs["Description"] = str(spec["description"])
    policy = iam.create_policy(**kwargs)["Policy"]
    return {"id": policy["Arn"], "arn": policy["Arn"], "name": policy["PolicyName"]}


@seeder("iam.group")
def seed_group(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    iam = clients("iam")
    name = str(spec["name"])
    group = iam.create_group(GroupName=name, Path=spec.get("path", "/"))["Group"]
    for policy_name, document in _inline(spec).items():
        iam.put_group_policy(GroupName=name, PolicyName=policy_name, PolicyDocument=_dump(document))
    for arn in spec.get("managed_policies") or []:
        iam.attach_group_policy(GroupName=name, PolicyArn=str(arn))
    return {"id": name, "name": name, "arn": group["Arn"]}


@seeder("iam.user")
def seed_user(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    iam = clients("iam")
    name = str(spec["name"])
    kwargs: dict[str, Any] = {"UserName": name, "Path": spec.get("path", "/")}
    if spec.get("tags"):
        kwargs["Tags"] = _tags(spec)
    if spec.get("boundary"):
        # moto drops a user's boundary; the sandbox's IAM gap module keeps it (gaps/iam.py).
        kwargs["PermissionsBoundary"] = str(spec["boundary"])
    user = iam.create_user(**kwargs)["User"]
    for policy_name, document in _inline(spec).items():
        iam.put_user_policy(UserName=name, PolicyName=policy_name, PolicyDocument=_dump(document))
    for arn in spec.get("managed_policies") or []:
        iam.attach_user_policy(UserName=name, PolicyArn=str(arn))
    for group in spec.get("groups") or []:
        iam.add_user_to_group(GroupName=str(group), UserName=name)
    return {"id": name, "name": name, "arn": user["Arn"]}


@seeder("iam.role")
def seed_role(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    iam = clients("iam")
    name = str(spec["name"])
    account = clients("sts").get_caller_identity()["Account"]
    trust = policy_document(spec, "trust") if spec.get("trust") is not None else {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT_TRUST.format(account=account)},
                       "Action": "sts:AssumeRole"}]}
    kwargs: dict[str, Any] = {"RoleName": name, "Path": spec.get("path", "/"),
                              "AssumeRolePolicyDocument": _dump(trust)}
    if spec.get("tags"):
        kwargs["Tags"] = _tags(spec)
    if spec.get("boundary"):
        kwargs["PermissionsBoundary"] = str(spec["boundary"])
    role = iam.create_role(**kwargs)["Role"]
    for policy_name, document in _inline(spec).items():
        iam.put_role_policy(RoleName=name, PolicyName=policy_name, PolicyDocument=_dump(document))
    for arn in spec.get("managed_policies") or []:
        iam.attach_role_policy(RoleName=name, PolicyArn=str(arn))
    return {"id": name, "name": name, "arn": role["Arn"]}


@seeder("s3.bucket")
def seed_bucket(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    s3 = clients("s3")
    name = str(spec["name"])
    region = s3.meta.region_name
    kwargs: dict[str, Any] = {"Bucket": name}
    if region and region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    if spec.get("policy") is not None:
        s3.put_bucket_policy(Bucket=name, Policy=_dump(policy_document(spec, "policy")))
    for key in spec.get("objects") or []:
        s3.put_object(Bucket=name, Key=str(key), Body=b"awstriage sandbox object\n")
    return {"id": name, "name": name, "arn": f"arn:aws:s3:::{name}"}


@seeder("kms.key")
def seed_key(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    kms = clients("kms")
    kwargs: dict[str, Any] = {"Description": str(spec.get("description", "awstriage sandbox key"))}
    if spec.get("policy") is not None:
        kwargs["Policy"] = _dump(policy_document(spec, "policy"))
    key = kms.create_key(**kwargs)["KeyMetadata"]
    if spec.get("alias"):
        kms.create_alias(AliasName=f"alias/{spec['alias']}", TargetKeyId=key["KeyId"])
    return {"id": key["KeyId"], "arn": key["Arn"]}


@seeder("ec2.vpc_endpoint")
def seed_vpc_endpoint(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    """A VPC endpoint for ``service`` (default s3) in ``vpc``, with ``policy`` as its endpoint policy
    (without one, AWS's default full-access policy)."""
    ec2 = clients("ec2")
    region = ec2.meta.region_name
    kwargs: dict[str, Any] = {"VpcId": str(spec["vpc"]),
                              "ServiceName": f"com.amazonaws.{region}.{spec.get('service', 's3')}",
                              "VpcEndpointType": str(spec.get("endpoint_type", "Gateway"))}
    if spec.get("policy") is not None:
        kwargs["PolicyDocument"] = _dump(policy_document(spec, "policy"))
    endpoint = ec2.create_vpc_endpoint(**kwargs)["VpcEndpoint"]
    return {"id": endpoint["VpcEndpointId"], "name": endpoint["VpcEndpointId"]}
