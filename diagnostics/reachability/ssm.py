"""Session Manager as the way around a blocked network path: is it usable for this instance, and if
not, why not.

Session Manager needs no inbound port: the SSM agent on the instance calls out to the ssm,
ssmmessages and ec2messages endpoints (over a route to the internet or through interface VPC
endpoints), with the permissions of an instance profile such as AmazonSSMManagedInstanceCore (or
the account's Default Host Management Configuration). Whether all that works shows in one fact:
the instance is registered with Systems Manager and its agent pings ``Online``
(DescribeInstanceInformation). When it is not, the parts the API can see say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diagnostics.findings import Fix
from diagnostics.reachability import remediation as fix
from diagnostics.reachability.snapshot import Snapshot

SSM_SERVICES = ("ssm", "ssmmessages", "ec2messages")
# Managed policies that grant what the agent needs (AWS: "Configure instance permissions for Systems Manager").
CORE_POLICIES = ("AmazonSSMManagedInstanceCore", "AmazonEC2RoleforSSM", "AmazonSSMRoleForInstancesQuickSetup")


@dataclass
class SsmVerdict:
    usable: bool
    detail: str
    fix: Fix | None = None  # the start-session alternative, when usable
    reasons: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)  # what would make it usable, when it is not

    def evidence(self) -> dict[str, Any]:
        return {"usable": self.usable, "detail": self.detail, "reasons": self.reasons}


def start_session(region: str, instance_id: str, port: int) -> Fix:
    if port == 22:
        command = fix.aws(region, "ssm start-session", f"--target {instance_id}")
        summary = "open a shell through Session Manager instead: no inbound port, no network path needed"
    else:
        command = fix.aws(region, "ssm start-session", f"--target {instance_id}",
                          "--document-name AWS-StartPortForwardingSession",
                          f'--parameters "portNumber={port},localPortNumber={port}"')
        summary = f"forward port {port} through Session Manager instead: no inbound rule or route needed"
    return Fix((command,), summary, "leaves the network path broken: only this session gets through")


def judge_ssm(instance_id: str, region: str, port: int, info: dict[str, Any] | None, *,
              profile_arn: str = "", role_policies: list[str] | None = None, endpoints: list[str] | None = None,
              internet_route: bool | None = None, vpc_id: str = "", subnet_id: str = "") -> SsmVerdict:
    """``info``: the instance's DescribeInstanceInformation item (None: not registered).
    ``role_policies``: managed policy names on the profile's role (None: not read); ``endpoints``: the
    SSM services with an interface endpoint in the VPC (None: not read); ``internet_route``: whether
    the subnet routes 0.0.0.0/0 to an internet or NAT gateway (None: not read)."""
    if info is not None and info.get("PingStatus") == "Online":
        detail = (f"Session Manager is a way in that needs no open port: the SSM agent on {instance_id} is online "
                  f"(agent {info.get('AgentVersion', '?')}, {info.get('PlatformName') or info.get('PlatformType', '')}"
                  f", last ping {info.get('LastPingDateTime', '?')}).")
        return SsmVerdict(True, detail, start_session(region, instance_id, port))
    if info is not None:
        detail = (f"Session Manager is not usable now: {instance_id} is registered with Systems Manager but its agent "
                  f"is {info.get('PingStatus', 'not online')} (last ping {info.get('LastPingDateTime', '?')}): the "
                  "agent stopped, the instance cannot reach the SSM endpoints any more, or it lost its permissions.")
        return SsmVerdict(False, detail, reasons=[f"agent {info.get('PingStatus')}"])
    reasons: list[str] = []
    commands: list[str] = []
    if not profile_arn:
        reasons.append("it has no instance profile, so the agent has no credentials (unless the account uses "
                       "Default Host Management Configuration)")
        commands.append(fix.aws(region, "ec2 associate-iam-instance-profile", f"--instance-id {instance_id}",
                                "--iam-instance-profile Name=YOUR_SSM_PROFILE"))
    elif role_policies is not None and not set(role_policies) & set(CORE_POLICIES):
        reasons.append(f"its instance profile {profile_arn.rsplit('/', 1)[-1]} has no AmazonSSMManagedInstanceCore "
                       "attached (inline policies were not judged)")
    if internet_route is False and endpoints is not None:
        missing = [s for s in SSM_SERVICES if s not in endpoints]
        if missing:
            reasons.append(f"subnet {subnet_id} has no route to the internet and {vpc_id} has no interface endpoint "
                           f"for {', '.join(missing)}, so the agent cannot reach Systems Manager")
            commands += [fix.aws(region, "ec2 create-vpc-endpoint", f"--vpc-id {vpc_id}",
                                 "--vpc-endpoint-type Interface",
                                 f"--service-name com.amazonaws.{region or 'us-east-1'}.{s}",
                                 f"--subnet-ids {subnet_id}", "--private-dns-enabled") for s in missing]
    why = "; ".join(reasons) if reasons else (
        "the profile, routes and endpoints the API shows look fine, so the agent is probably not installed or not "
        "running (Amazon Linux, Ubuntu and Windows AMIs ship it; custom images may not)")
    detail = f"Session Manager is not usable: {instance_id} is not registered with Systems Manager: {why}."
    return SsmVerdict(False, detail, reasons=reasons or ["not registered"], commands=commands)


def internet_route(snap: Snapshot, instance_id: str) -> bool | None:
    """Whether the instance's subnet sends 0.0.0.0/0 to a NAT gateway, or to an internet gateway with a
    public address on the instance: the agent's way to the public SSM endpoints. None when unknown."""
    instance = snap.instances.get(instance_id)
    if instance is None or not instance.enis:
        return None
    eni = instance.enis[0]
    table, _ = snap.route_table_for(eni.subnet_id, eni.vpc_id or instance.vpc_id)
    if table is None:
        return None
    for route in table.routes:
        if route.destination is None or route.destination.text != "0.0.0.0/0" or route.blackhole:
            continue
        return route.target_kind == "nat" or (route.target_kind == "igw" and bool(eni.public_ip))
    return False
