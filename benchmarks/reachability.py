"""How fast the reachability engine answers, and that its API calls do not grow with the account.

Run: .venv/bin/python benchmarks/reachability.py [--repeat N] [--no-sandbox]

1. A synthetic account of 5,000 security groups (50,000 rules), 1,000 subnets and 500 network ACLs,
   as raw Describe* answers: the median time to build the Snapshot from them, and the median time of
   one path evaluation (target: under 50 ms), for one client address and for "any internet address".
2. Against the sandbox (moto): the API calls of one ssh-timeout diagnosis with 10 and with 2,000
   unrelated security groups in the account. The two counts must be equal (exit status 1 if not).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from diagnostics.reachability import Probe, Snapshot, evaluate
from diagnostics.reachability.addresses import parse_block

GROUPS, RULES_PER_GROUP, SUBNETS, ACLS, ENTRIES_PER_ACL, TABLES, VPCS = 5000, 10, 1000, 500, 20, 200, 10
INSTANCE = "i-0bench000000000001"


def _perm(rng: random.Random, i: int) -> dict[str, Any]:
    port = rng.choice([22, 80, 443, 3306, 5432, 8080, 6379])
    prefix = rng.choice([16, 20, 24, 28])
    cidr = f"{rng.randrange(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.0/{prefix}"
    return {"IpProtocol": rng.choice(["tcp", "tcp", "udp"]), "FromPort": port, "ToPort": port,
            "IpRanges": [{"CidrIp": cidr, "Description": f"rule {i}"}], "Ipv6Ranges": [],
            "PrefixListIds": [], "UserIdGroupPairs": []}


def synthetic_account(seed: int = 7) -> dict[str, Any]:
    """Raw Describe* answers for a large account, with one instance whose path is open."""
    rng = random.Random(seed)
    vpcs = [f"vpc-{v:017x}" for v in range(VPCS)]
    subnets = [{"SubnetId": f"subnet-{s:017x}", "VpcId": vpcs[s % VPCS],
                "CidrBlock": f"10.{s % VPCS}.{s // VPCS}.0/24", "MapPublicIpOnLaunch": True}
               for s in range(SUBNETS)]
    groups = []
    for g in range(GROUPS):
        perms = [_perm(rng, r) for r in range(RULES_PER_GROUP)]
        if g < 5:  # the instance's groups: one of them admits the office range
            perms[-1] = {**perms[-1], "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                         "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}
        groups.append({"GroupId": f"sg-{g:017x}", "GroupName": f"g{g}", "VpcId": vpcs[g % VPCS],
                       "IpPermissions": perms, "IpPermissionsEgress": []})
    acls = []
    for a in range(ACLS):
        entries = []
        for n in range(ENTRIES_PER_ACL // 2):
            for egress in (False, True):
                lo = rng.randrange(0, 60000)
                entries.append({"RuleNumber": 10 + n * 10, "Egress": egress, "Protocol": "6",
                                "RuleAction": "deny" if n % 3 == 0 else "allow",
                                "CidrBlock": f"{rng.randrange(1, 223)}.{rng.randrange(256)}.0.0/16",
                                "PortRange": {"From": lo, "To": lo + rng.randrange(0, 5000)}})
        entries += [{"RuleNumber": 1000, "Egress": e, "Protocol": "-1", "RuleAction": "allow",
                     "CidrBlock": "0.0.0.0/0"} for e in (False, True)]
        acls.append({"NetworkAclId": f"acl-{a:017x}", "VpcId": vpcs[a % VPCS], "Entries": entries,
                     "Associations": [{"SubnetId": subnets[s]["SubnetId"]} for s in (a, a + ACLS)]})
    tables = []
    for t in range(TABLES):
        vpc = t % VPCS
        routes = [{"DestinationCidrBlock": f"10.{vpc}.0.0/16", "GatewayId": "local", "State": "active"},
                  {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": f"igw-{vpc:017x}", "State": "active"}]
        routes += [{"DestinationCidrBlock": f"{rng.randrange(1, 223)}.{rng.randrange(256)}.0.0/16",
                    "NatGatewayId": f"nat-{r:017x}", "State": "active"} for r in range(18)]
        tables.append({"RouteTableId": f"rtb-{t:017x}", "VpcId": vpcs[vpc], "Routes": routes,
                       "Associations": [{"SubnetId": subnets[s]["SubnetId"]}
                                        for s in range(t, SUBNETS, TABLES)]})
    igws = [{"InternetGatewayId": f"igw-{v:017x}", "Attachments": [{"VpcId": vpcs[v], "State": "available"}]}
            for v in range(VPCS)]
    subnet = subnets[3]
    instance = {
        "InstanceId": INSTANCE, "State": {"Name": "running"}, "VpcId": subnet["VpcId"],
        "SubnetId": subnet["SubnetId"],
        "NetworkInterfaces": [{
            "NetworkInterfaceId": "eni-0bench0000000001", "SubnetId": subnet["SubnetId"],
            "VpcId": subnet["VpcId"],
            "PrivateIpAddress": "10.3.0.10", "Attachment": {"DeviceIndex": 0},
            "Association": {"PublicIp": "54.0.0.10"},
            "Groups": [{"GroupId": f"sg-{g:017x}"} for g in range(5)]}],
    }
    status = {"InstanceId": INSTANCE, "InstanceStatus": {"Status": "ok"}, "SystemStatus": {"Status": "ok"}}
    return {"instances": [instance], "instance_statuses": [status], "security_groups": groups,
            "subnets": subnets, "network_acls": acls, "route_tables": tables, "internet_gateways": igws,
            "region": "us-east-1"}


def _median_ms(fn: Any, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000.0)
    return statistics.median(times)


def engine_figures(repeat: int) -> None:
    raw = synthetic_account()
    rules = sum(len(p["IpRanges"]) for g in raw["security_groups"] for p in g["IpPermissions"])
    print(f"synthetic account: {len(raw['security_groups'])} security groups, {rules} rules, "
          f"{len(raw['subnets'])} subnets, {len(raw['network_acls'])} network ACLs, "
          f"{len(raw['route_tables'])} route tables")

    def build() -> Snapshot:
        parse_block.cache_clear()  # measure parsing every CIDR, not the cache
        return Snapshot.from_describe(**raw)

    print(f"build snapshot from describe dicts: {_median_ms(build, repeat):8.1f} ms (median of {repeat})")
    snap = build()
    for label, source in (("one client address", "203.0.113.10/32"), ("any internet address", None)):
        probe = Probe.make(INSTANCE, source)
        first = _median_ms(lambda p=probe: evaluate(snap, p), 1)
        result = evaluate(snap, probe)
        median = _median_ms(lambda p=probe: evaluate(snap, p), max(repeat * 40, 50))
        verdict = "ok" if median < 50 else "OVER TARGET"
        print(f"evaluate path ({label}): {median:8.2f} ms median, first {first:.1f} ms "
              f"[{result.verdict}] target < 50 ms: {verdict}")


def _diagnosis_calls(sandbox: Any, scenario: Any, unrelated: int) -> Counter[str]:
    from playbooks.registry import get_playbook, parse_inputs
    from playbooks.runner import run_playbook

    seeded = sandbox.seed(scenario)
    ec2 = sandbox.admin_client("ec2")
    vpc = seeded.refs["vpc.main"]["id"]
    for i in range(unrelated):
        ec2.create_security_group(GroupName=f"unrelated-{i}", Description="noise", VpcId=vpc)
    playbook = get_playbook(scenario.playbook)
    inputs = parse_inputs(playbook, {k: [str(v)] for k, v in seeded.inputs.items()})
    transcript = run_playbook(playbook, inputs, sandbox.session(), scenario=scenario.name)
    return Counter(f"{c['service']}:{c['operation']}" for c in transcript.api_calls)


def sandbox_figures() -> bool:
    from diagnostics.sandbox import Sandbox, scenario_by_name

    scenario = scenario_by_name("ssh-healthy")
    with Sandbox() as sandbox:
        counts = {n: _diagnosis_calls(sandbox, scenario, n) for n in (10, 2000)}
    for n, calls in counts.items():
        print(f"API calls of one diagnosis with {n:>5} unrelated security groups: {sum(calls.values())}")
    print("  " + ", ".join(f"{op} x{k}" for op, k in sorted(counts[10].items())))
    equal = counts[10] == counts[2000]
    print("equal: yes" if equal else f"equal: NO ({counts[10]} vs {counts[2000]})")
    return equal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-sandbox", action="store_true", help="skip the API-call count against moto")
    args = parser.parse_args()
    engine_figures(args.repeat)
    if not args.no_sandbox and not sandbox_figures():
        sys.exit(1)


if __name__ == "__main__":
    main()
