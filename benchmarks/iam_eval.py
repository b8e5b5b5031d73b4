"""How many IAM decisions per second the local evaluator makes on a realistic policy set.

Run: .venv/bin/python benchmarks/iam_eval.py [--repeat N] [--requests N]

The workload is fixed (seeded): 20 policies (15 identity, a boundary, a session policy, a bucket
policy, two SCP levels) holding 200 statements with action and ARN wildcards, NotAction,
NotResource, conditions of every family and policy variables, and a few thousand requests from
users and role sessions with varied context. It prints the median decisions per second over the
repeats (target: at least 20,000) and, as a baseline in the same run, the rate with every cache
cleared before each decision (what a naive evaluator that re-reads every pattern pays).
Exit status 1 if the target is missed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diagnostics.iam import Policy, PolicySet, Request, clear_caches, evaluate

TARGET = 20_000
ACCOUNT = "123456789012"
SERVICES = {
    "s3": ["GetObject", "PutObject", "ListBucket", "DeleteObject", "GetBucketPolicy"],
    "ec2": ["DescribeInstances", "RunInstances", "StartInstances", "StopInstances", "CreateTags"],
    "iam": ["GetUser", "ListRoles", "PassRole", "CreateUser", "AttachRolePolicy"],
    "logs": ["PutLogEvents", "CreateLogStream", "GetLogEvents", "DescribeLogGroups"],
    "dynamodb": ["GetItem", "PutItem", "Query", "Scan", "DeleteItem"],
    "sqs": ["SendMessage", "ReceiveMessage", "DeleteMessage"],
    "kms": ["Decrypt", "Encrypt", "GenerateDataKey"],
    "lambda": ["InvokeFunction", "GetFunction", "UpdateFunctionCode"],
}
BUCKETS = ["logs", "data", "home", "backups", "public-site"]
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]


def _resource(rng: random.Random, service: str, wildcard: bool) -> str:
    star = "*" if wildcard else None
    if service == "s3":
        bucket = rng.choice(BUCKETS)
        return f"arn:aws:s3:::{bucket}/{star or 'app/' + str(rng.randrange(50))}"
    region = star or rng.choice(REGIONS)
    name = {"ec2": "instance/i-0" + ("*" if wildcard else f"{rng.randrange(16**6):06x}"),
            "iam": "role/" + ("app-*" if wildcard else f"app-{rng.randrange(20)}"),
            "logs": "log-group:/aws/lambda/" + ("*" if wildcard else f"fn{rng.randrange(20)}"),
            "dynamodb": "table/" + ("orders*" if wildcard else f"orders{rng.randrange(5)}"),
            "sqs": "jobs-" + ("?" if wildcard else str(rng.randrange(9))),
            "kms": "key/" + ("*" if wildcard else f"k{rng.randrange(9)}"),
            "lambda": "function:" + ("fn*" if wildcard else f"fn{rng.randrange(20)}")}[service]
    if service == "iam":
        return f"arn:aws:iam::{ACCOUNT}:{name}"
    return f"arn:aws:{service}:{region}:{ACCOUNT}:{name}"


CONDITIONS: list[dict[str, Any]] = [
    {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}},
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}},
    {"StringLike": {"s3:prefix": ["home/${aws:username}/*", ""]}},
    {"NumericLessThanEquals": {"s3:max-keys": "1000"}},
    {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/app-*"}},
    {"ForAllValues:StringEquals": {"aws:TagKeys": ["env", "team", "owner"]}},
    {"StringEqualsIfExists": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}},
    {"Null": {"aws:TokenIssueTime": "false"}},
]


def _statement(rng: random.Random, i: int) -> dict[str, Any]:
    service = rng.choice(list(SERVICES))
    roll = rng.random()
    if roll < 0.15:
        actions: Any = f"{service}:*"
    elif roll < 0.35:
        actions = [f"{service}:{a[:3]}*" for a in rng.sample(SERVICES[service], 2)]
    elif roll < 0.4:
        actions = f"{service}:{rng.choice(SERVICES[service])[:-1]}?"
    else:
        actions = [f"{service}:{a}" for a in rng.sample(SERVICES[service], min(3, len(SERVICES[service])))]
    st: dict[str, Any] = {"Sid": f"S{i}", "Effect": "Deny" if rng.random() < 0.08 else "Allow"}
    if rng.random() < 0.05:
        st["NotAction"] = actions
    else:
        st["Action"] = actions
    resources = [_resource(rng, service, wildcard=rng.random() < 0.7) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.04:
        st["NotResource"] = resources
    else:
        st["Resource"] = resources
    if rng.random() < 0.5:
        block: dict[str, Any] = {}
        for c in rng.sample(CONDITIONS, rng.randint(1, 2)):
            for op, body in c.items():
                block.setdefault(op, {}).update(body)
        st["Condition"] = block
    return st


def workload(seed: int = 11, requests: int = 3000) -> tuple[PolicySet, list[Request]]:
    rng = random.Random(seed)
    counter = iter(range(10_000))

    def document(n: int) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": [_statement(rng, next(counter)) for _ in range(n)]}

    identity = tuple(Policy(f"policy-{i}", "identity", document(10),
                            arn=f"arn:aws:iam::{ACCOUNT}:policy/policy-{i}") for i in range(15))
    everything = {"Sid": "Everything", "Effect": "Allow", "Action": "*", "Resource": "*"}
    boundary = Policy("boundary", "boundary", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "NotAction": ["iam:Create*", "iam:Attach*"], "Resource": "*"},
        *document(9)["Statement"]]})
    session = Policy("session", "session", {"Version": "2012-10-17", "Statement": [
        everything, *document(9)["Statement"]]})
    bucket = Policy("bucket-policy", "resource", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:*",
         "Resource": ["arn:aws:s3:::logs", "arn:aws:s3:::logs/*"]},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::logs/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        *[{**s, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/app-{j}"}}
          for j, s in enumerate(document(8)["Statement"])]]})
    scps = (Policy("scp-root", "scp", {"Version": "2012-10-17", "Statement": [everything, *document(9)["Statement"]]},
                   attached_to="root"),
            Policy("scp-ou", "scp", {"Version": "2012-10-17", "Statement": [everything, *document(9)["Statement"]]},
                   attached_to="ou-prod"))
    statements = sum(len(p.document["Statement"]) for p in (*identity, boundary, session, bucket, *scps))
    assert len(identity) + 5 == 20 and statements == 200, statements

    principals = [f"arn:aws:iam::{ACCOUNT}:user/{u}" for u in ("alice", "bob", "carol")] + \
                 [f"arn:aws:sts::{ACCOUNT}:assumed-role/app-{r}/worker" for r in range(3)]
    reqs = []
    for _ in range(requests):
        service = rng.choice(list(SERVICES))
        action = f"{service}:{rng.choice(SERVICES[service])}"
        ctx: dict[str, Any] = {
            "aws:SourceIp": rng.choice(["203.0.113.9", "198.51.100.4", "2001:db8::7"]),
            "aws:RequestedRegion": rng.choice(REGIONS),
            "aws:CurrentTime": "2025-06-01T12:00:00Z",
            "aws:SecureTransport": rng.choice(["true", "true", "false"]),
        }
        if rng.random() < 0.5:
            ctx["aws:MultiFactorAuthPresent"] = rng.choice(["true", "false"])
        if service == "s3":
            ctx["s3:prefix"] = rng.choice(["", "home/alice/", "home/bob/x"])
        if rng.random() < 0.3:
            ctx["aws:TagKeys"] = rng.sample(["env", "team", "owner", "cost"], rng.randint(0, 3))
        principal = rng.choice(principals)
        reqs.append(Request(principal, action, _resource(rng, service, wildcard=False), ctx,
                            principal_tags={"team": rng.choice(["blue", "red"])}))
    policies = PolicySet(identity=identity, boundary=boundary, session=session, resource=bucket, scps=scps)
    return policies, reqs


def _rate(policies: PolicySet, requests: list[Request], cold: bool) -> tuple[float, dict[str, int]]:
    decisions: dict[str, int] = {}
    start = time.perf_counter()
    for r in requests:
        if cold:
            clear_caches()
        d = evaluate(r, policies).decision
        decisions[d] = decisions.get(d, 0) + 1
    return len(requests) / (time.perf_counter() - start), decisions


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    policies, requests = workload(requests=args.requests)
    clear_caches()
    # The first pass pays for compiling and for every (action, resource) seen for the first time.
    first, decisions = _rate(policies, requests, cold=False)
    warm: list[float] = []
    for _ in range(args.repeat):
        rate, decisions = _rate(policies, requests, cold=False)
        warm.append(rate)
    cold = [_rate(policies, requests[:300], cold=True)[0] for _ in range(args.repeat)]
    median, baseline = statistics.median(warm), statistics.median(cold)
    print(f"workload: 20 policies, 200 statements, {len(requests)} requests; decisions {decisions}")
    print(f"first pass (compiling, every request new): {first:,.0f} decisions/s")
    print(f"compiled + cached:  {median:,.0f} decisions/s (median of {args.repeat} repeats; "
          f"min {min(warm):,.0f}, max {max(warm):,.0f})")
    print(f"baseline, caches cleared before every decision: {baseline:,.0f} decisions/s")
    print(f"speed-up: {median / baseline:.1f}x; target {TARGET:,}/s: {'met' if median >= TARGET else 'MISSED'}")
    return 0 if median >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
