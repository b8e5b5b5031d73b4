"""Small builders so each table row reads like the policy it describes."""

from __future__ import annotations

from typing import Any

from diagnostics.iam.model import Policy, PolicySet, Request

ACCOUNT = "111122223333"
OTHER = "444455556666"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/worker"
OUTSIDER = f"arn:aws:iam::{OTHER}:user/carol"
BUCKET = "arn:aws:s3:::logs"
OBJECT = "arn:aws:s3:::logs/2024/app.log"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def allow(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any = "*", resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def doc(*statements: dict[str, Any], version: str | None = "2012-10-17") -> dict[str, Any]:
    d: dict[str, Any] = {"Statement": list(statements)}
    if version is not None:
        d["Version"] = version
    return d


def pol(name: str, type_: str, *statements: dict[str, Any], version: str | None = "2012-10-17",
        attached_to: str = "", arn: str | None = None) -> Policy:
    document = doc(*statements, version=version)
    return Policy(name, type_, document, arn=arn, attached_to=attached_to)  # type: ignore[arg-type]


def ps(identity: list[dict[str, Any]] | None = None, *, more_identity: list[list[dict[str, Any]]] = (),
       boundary: list[dict[str, Any]] | None = None, session: list[dict[str, Any]] | None = None,
       resource: list[dict[str, Any]] | None = None, scps: list[tuple[str, list[dict[str, Any]]]] | None = None,
       rcps: list[tuple[str, list[dict[str, Any]]]] | None = None, version: str | None = "2012-10-17") -> PolicySet:
    ids = []
    if identity is not None:
        ids.append(pol("inline-main", "identity", *identity, version=version))
    ids += [pol(f"group-{i}", "identity", *sts) for i, sts in enumerate(more_identity)]
    return PolicySet(
        identity=tuple(ids),
        boundary=pol("boundary", "boundary", *boundary, arn=f"arn:aws:iam::{ACCOUNT}:policy/boundary")
        if boundary is not None else None,
        session=pol("session", "session", *session) if session is not None else None,
        resource=pol("resource", "resource", *resource) if resource is not None else None,
        scps=None if scps is None else tuple(pol(f"scp-{i}", "scp", *sts, attached_to=level)
                                             for i, (level, sts) in enumerate(scps)),
        rcps=None if rcps is None else tuple(pol(f"rcp-{i}", "rcp", *sts, attached_to=level)
                                             for i, (level, sts) in enumerate(rcps)),
    )


def req(action: str = "s3:GetObject", resource: str = OBJECT, principal: str = ALICE,
        ctx: dict[str, Any] | None = None, *, tags: dict[str, str] | None = None,
        principal_account: str | None = None, resource_account: str | None = None) -> Request:
    return Request(principal, action, resource, ctx or {}, principal_account=principal_account,
                   resource_account=resource_account, principal_tags=tags or {})


def cond(block: dict[str, Any]) -> dict[str, Any]:
    return {"Condition": block}
