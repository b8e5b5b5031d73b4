"""Seeders for Lambda: a function with its execution role, memory, timeout and reserved concurrency.

::

    [[resources]]
    type = "lambda.function"
    ref = "worker"
    name = "orders-worker"
    runtime = "python3.12"        # default
    memory = 512                  # MB, default 128
    timeout = 30                  # seconds, default 3
    architecture = "arm64"        # default x86_64
    reserved_concurrency = 5      # optional
    environment = { DB_PASSWORD = "..." }   # optional; awstriage must never show the values

``${function.worker}`` is the function's name, ``${function.worker.arn}`` its ARN. The execution
role is created with the function (``<name>-role``) unless ``role`` gives an ARN.
"""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from diagnostics.sandbox.seeders import ClientFactory, seeder

TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
LOGS = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
     "Resource": "*"}]}
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("handler.py", HANDLER)
    return buffer.getvalue()


def _role(clients: ClientFactory, name: str) -> str:
    iam = clients("iam")
    role = iam.create_role(RoleName=f"{name}-role"[:64], AssumeRolePolicyDocument=json.dumps(TRUST),
                           Description=f"execution role of {name} (awstriage sandbox)")["Role"]
    # What AWSLambdaBasicExecutionRole grants, inline: moto does not load AWS managed policies.
    iam.put_role_policy(RoleName=role["RoleName"], PolicyName="write-logs", PolicyDocument=json.dumps(LOGS))
    return role["Arn"]


@seeder("lambda.function")
def seed_function(clients: ClientFactory, spec: dict[str, Any]) -> dict[str, str]:
    name = str(spec["name"])
    role = str(spec.get("role") or _role(clients, name))
    kwargs: dict[str, Any] = {
        "FunctionName": name, "Runtime": spec.get("runtime", "python3.12"), "Role": role,
        "Handler": spec.get("handler", "handler.handler"), "Code": {"ZipFile": _code()},
        "MemorySize": int(spec.get("memory", 128)), "Timeout": int(spec.get("timeout", 3)),
        "Architectures": [spec.get("architecture", "x86_64")],
        "Description": spec.get("description", ""),
    }
    if spec.get("environment"):
        kwargs["Environment"] = {"Variables": {k: str(v) for k, v in spec["environment"].items()}}
    lam = clients("lambda")
    function = lam.create_function(**kwargs)
    if "reserved_concurrency" in spec:
        lam.put_function_concurrency(FunctionName=name,
                                     ReservedConcurrentExecutions=int(spec["reserved_concurrency"]))
    return {"id": name, "name": name, "arn": function["FunctionArn"], "role": role}
