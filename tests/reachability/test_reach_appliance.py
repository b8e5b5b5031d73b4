"""A reply route whose target is a network interface (an appliance, a NAT instance): with its
source/destination check on, the interface drops what it forwards
(https://docs.aws.amazon.com/vpc/latest/userguide/VPC_NAT_Instance.html#EIP_Disable_SrcDestCheck); with the
check off or unread, whether replies reach the client is not visible: a conditional block, never "open"."""

from __future__ import annotations

import pytest
from plain_world import launch, public_web, ssh_group
from world import CLIENT, INSTANCE, RTB_MAIN, World, permission, route

from diagnostics.reachability import Probe, evaluate
from playbooks.registry import get_playbook, parse_inputs
from playbooks.runner import run_playbook

APPLIANCE = "eni-0appliance"


def appliance(check: bool | None) -> list[dict]:
    raw = {"NetworkInterfaceId": APPLIANCE, "SubnetId": "subnet-0a1", "VpcId": "vpc-0a1",
           "PrivateIpAddress": "10.0.1.50",
           "InterfaceType": "interface", "Status": "in-use"}
    if check is not None:
        raw["SourceDestCheck"] = check
    return [raw]


def run(enis: list[dict]):
    world = World()
    world.main_table["Routes"].append(route("203.0.113.0/24", APPLIANCE))
    return evaluate(world.snapshot(route_target_network_interfaces=enis), Probe.make(INSTANCE, CLIENT, 22, "tcp"))


def test_reply_route_to_an_interface_with_its_check_on_is_blocked() -> None:
    result = run(appliance(True))
    found = next(f for f in result.findings if f.resource == RTB_MAIN)
    assert (found.severity, found.certainty) == ("error", "certain")
    assert "source/destination check is on" in found.summary
    assert "--destination-cidr-block 203.0.113.10/32 --gateway-id igw-0a1" in found.remediation[-1]
    assert "--no-source-dest-check" in found.alternatives[0].commands[0] and found.alternatives[0].disrupts
    assert result.verdict == "blocked"


@pytest.mark.parametrize("check", [False, None])
def test_reply_route_to_an_appliance_is_a_conditional_block(check: bool | None) -> None:
    result = run(appliance(check) if check is not None else [])
    found = next(f for f in result.findings if f.resource == RTB_MAIN)
    assert (found.severity, found.certainty) == ("error", "conditional")
    assert ("was not read" if check is None else "check is off") in found.summary
    assert APPLIANCE in found.condition
    assert result.verdict == "conditional" and not any(f.code == "PATH_OPEN" for f in result.findings)


@pytest.mark.sandbox
def test_reply_route_to_an_ordinary_instance_is_read_and_blocks(plain_moto) -> None:
    ec2 = plain_moto.client("ec2")
    world = public_web(ec2)
    other = launch(ec2, world.subnet, ssh_group(ec2, world.vpc, "other"), "other")
    eni = ec2.describe_instances(InstanceIds=[other])["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0][
        "NetworkInterfaceId"]
    ec2.create_route(RouteTableId=world.route_table, DestinationCidrBlock="203.0.113.0/24", NetworkInterfaceId=eni)
    playbook = get_playbook("ssh-timeout")
    inputs = parse_inputs(playbook, {"instance": [world.instance], "source": ["203.0.113.10"]})
    transcript = run_playbook(playbook, inputs, plain_moto.session())
    assert transcript.verdict == "problem_found", [(s.id, s.status, s.detail) for s in transcript.steps]
    found = next(f for f in transcript.findings if f["resource"] == world.route_table)
    assert (found["severity"], found["certainty"]) == ("error", "certain")
    assert f"{eni} (203.0.113.0/24 -> {eni}), whose source/destination check is on" in found["summary"]


def test_private_client_behind_an_unread_appliance_is_not_open() -> None:
    world = World()
    world.main_table["Routes"].append(route("192.168.0.0/16", APPLIANCE))  # an on-premises network via a VPN box
    world.group["IpPermissions"] = [permission(cidrs=("192.168.0.0/16",))]
    result = evaluate(world.snapshot(), Probe.make(INSTANCE, "192.168.5.5", 22, "tcp"))
    found = next(f for f in result.findings if f.resource == RTB_MAIN)
    assert (found.severity, found.certainty) == ("error", "conditional") and "was not read" in found.summary
    # read, with the check off: the appliance forwards, the private path is open
    assert evaluate(world.snapshot(route_target_network_interfaces=appliance(False)),
                    Probe.make(INSTANCE, "192.168.5.5", 22, "tcp")).verdict == "open"


def test_a_route_naming_an_instance_is_judged_by_the_instances_own_check() -> None:
    """N7: a route whose target is an instance ID (no interface ID, as moto answers): the instance's
    SourceDestCheck (DescribeInstances) is read, never "was not read"."""
    nat = {"InstanceId": "i-0nat000000000000001", "SubnetId": "subnet-0a1", "VpcId": "vpc-0a1",
           "PrivateIpAddress": "10.0.1.60"}
    for check, words in ((True, "source/destination check is on"), (False, "source/destination check is off")):
        world = World()
        world.main_table["Routes"].append(route("203.0.113.0/24", "i-0nat000000000000001", key="InstanceId"))
        snap = world.snapshot(route_target_instances=[{**nat, "SourceDestCheck": check}])
        found = next(f for f in evaluate(snap, Probe.make(INSTANCE, CLIENT, 22, "tcp")).findings
                     if f.resource == RTB_MAIN)
        assert words in found.summary and "was not read" not in found.summary, found.summary
        if check:  # the instance's own attribute, not an interface's
            assert found.alternatives[0].commands[0].startswith(
                "aws ec2 modify-instance-attribute --instance-id i-0nat000000000000001 --no-source-dest-check")
