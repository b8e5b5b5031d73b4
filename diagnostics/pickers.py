"""What the TUI's pickers offer: instances with their Name tags, Lambda functions, IAM principals.

Read-only list calls with paginators, capped so a huge account still answers quickly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from diagnostics.reachability.snapshot import tags_of
from diagnostics.session import AwsSession

Choice = tuple[str, str]  # (value to fill in, label to show)
LIMIT = 500


def _instances(session: AwsSession) -> list[Choice]:
    out: list[Choice] = []
    for page in session.client("ec2").get_paginator("describe_instances").paginate():
        for reservation in page.get("Reservations", []):
            for inst in reservation.get("Instances", []):
                name = tags_of(inst).get("Name", "")
                address = inst.get("PublicIpAddress") or inst.get("PrivateIpAddress") or ""
                state = inst.get("State", {}).get("Name", "")
                out.append((inst["InstanceId"], f"{inst['InstanceId']}  {name or '(no Name tag)'}  {state}  {address}"))
                if len(out) >= LIMIT:
                    return out
    return out


def _functions(session: AwsSession) -> list[Choice]:
    out: list[Choice] = []
    for page in session.client("lambda").get_paginator("list_functions").paginate():
        for fn in page.get("Functions", []):
            out.append((fn["FunctionName"], f"{fn['FunctionName']}  {fn.get('Runtime', '')}  "
                                            f"{fn.get('MemorySize', '?')} MB"))
            if len(out) >= LIMIT:
                return out
    return out


def _principals(session: AwsSession) -> list[Choice]:
    iam = session.client("iam")
    out: list[Choice] = []
    for page in iam.get_paginator("list_users").paginate():
        out += [(u["Arn"], f"user  {u['UserName']}") for u in page.get("Users", [])]
    for page in iam.get_paginator("list_roles").paginate():
        out += [(r["Arn"], f"role  {r['RoleName']}") for r in page.get("Roles", [])
                if "/aws-service-role/" not in r.get("Path", "")]
    return out[:LIMIT]


PICKERS: dict[str, Callable[[AwsSession], list[Choice]]] = {
    "ec2-instance": _instances,
    "lambda-function": _functions,
    "iam-principal": _principals,
}


def list_choices(session: AwsSession, kind: str) -> list[Choice]:
    fetch = PICKERS.get(kind)
    if fetch is None:
        raise ValueError(f"no picker named '{kind}'")
    return fetch(session)


def describe(kind: str) -> str:
    return {"ec2-instance": "EC2 instances", "lambda-function": "Lambda functions",
            "iam-principal": "IAM users and roles"}.get(kind, kind)


__all__: list[Any] = ["PICKERS", "Choice", "describe", "list_choices"]
