"""A private instance whose SSH rule trusts a bastion's group: the way in is the bastion, never exposing
the instance first. Opening its group to the internet, routing its subnet to the internet gateway or
giving it a public address stay alternatives that say they expose it (CAUTION)."""

from __future__ import annotations

import pytest
from plain_world import CLIENT, bastion_world, launch, ssh_group, vpc_with_subnet
from world import INSTANCE, RTB_MAIN, SG, VPC, World, permission, route, security_group

from diagnostics.findings import Fix
from diagnostics.reachability import Probe, evaluate
from diagnostics.reachability.evaluate import guard_exposing
from playbooks.registry import get_playbook, parse_inputs
from playbooks.runner import run_playbook

BASTION_SG = "sg-0bastion"
BASTION_ENI = "eni-0bastion"


def private_target() -> World:
    """The target has no public address and its subnet no route to the internet; its only SSH rule names
    the bastion's group."""
    world = World()
    world.eni.pop("Association")
    world.main_table["Routes"] = [route("10.0.0.0/16", "local")]
    world.groups = [security_group(ingress=[permission(groups=(BASTION_SG,))]), security_group(BASTION_SG, "bastion")]
    return world


def bastion(public_ip: str | None = "198.51.100.7") -> dict:
    raw = {"NetworkInterfaceId": BASTION_ENI, "SubnetId": "subnet-0pub", "VpcId": VPC, "PrivateIpAddress": "10.0.0.15",
           "InterfaceType": "interface", "Status": "in-use", "Groups": [{"GroupId": BASTION_SG}],
           "Attachment": {"InstanceId": "i-0bastion0000000001", "DeviceIndex": 0}}
    if public_ip:
        raw["Association"] = {"PublicIp": public_ip, "IpOwnerId": "amazon"}
    return raw


def run(world: World, members: list[dict], source: str | None = None):
    return evaluate(world.snapshot(group_members=members), Probe.make(INSTANCE, source, 22, "tcp"))


def test_every_exposing_fix_gives_way_to_the_bastion() -> None:
    result = run(private_target(), [bastion()])
    blocking = {f.resource: f for f in result.findings if f.severity == "error"}
    assert set(blocking) == {SG, RTB_MAIN, "eni-0a1"}
    for found in blocking.values():
        assert found.remediation == ["ssh -J ec2-user@198.51.100.7 ec2-user@10.0.1.10"], found.code
        exposing = found.alternatives[0]
        assert exposing.disrupts and ("internet" in exposing.disrupts or "public" in exposing.disrupts)
        assert BASTION_SG in found.summary
    assert "0.0.0.0/0" in blocking[RTB_MAIN].alternatives[0].commands[0]
    assert "makes subnet subnet-0a1 public" in blocking[RTB_MAIN].alternatives[0].disrupts
    assert "allocate-address" in blocking["eni-0a1"].alternatives[0].commands[0]


def test_without_a_bastion_with_a_public_address_nothing_is_swapped() -> None:
    result = run(private_target(), [bastion(public_ip=None)])
    route_fix = next(f for f in result.findings if f.resource == RTB_MAIN)
    assert "0.0.0.0/0" in route_fix.remediation[0]
    assert route_fix.evidence["exposes_instance"]  # still known to expose: Session Manager may take its place


def test_session_manager_takes_the_place_of_an_exposing_fix() -> None:
    found = next(f for f in run(private_target(), []).findings if f.resource == RTB_MAIN)
    ssm = Fix(("aws ssm start-session --target i-0123456789abcdef0 --region us-east-1",),
              "open a shell with Session Manager")
    guarded = guard_exposing(found, ssm)
    assert guarded.remediation == list(ssm.commands)
    assert guarded.alternatives[0].commands == tuple(found.remediation) and guarded.alternatives[0].disrupts


def test_a_public_instance_with_its_own_route_keeps_its_fixes() -> None:
    world = World()  # public, default route; only the group is wrong
    world.group["IpPermissions"] = [permission(cidrs=("192.0.2.0/24",))]
    found = next(f for f in run(world, [bastion()], source="203.0.113.10/32").findings if f.severity == "error")
    assert "authorize-security-group-ingress" in found.remediation[0]


@pytest.mark.sandbox
def test_bastion_named_by_its_public_address_is_judged_from_the_bastion(sandbox) -> None:
    """The sandbox answers DescribeNetworkInterfaces association.public-ip (moto lacks the filter)."""
    sandbox.reset()
    ec2 = sandbox.admin_client("ec2")
    world = bastion_world(ec2, referenced=True)
    public = ec2.describe_instances(InstanceIds=[world.extra["bastion"]])["Reservations"][0]["Instances"][0][
        "PublicIpAddress"]
    playbook = get_playbook("ssh-timeout")
    inputs = parse_inputs(playbook, {"instance": [world.instance], "source": [public]})
    transcript = run_playbook(playbook, inputs, sandbox.session())
    assert transcript.verdict == "no_problem_found", [(s.id, s.status, s.detail) for s in transcript.steps]
    assert f"{public} is the public address of" in transcript.step("source").detail
    assert "10.0.0.15/32" in transcript.step("security-groups").detail


@pytest.mark.sandbox
def test_no_source_against_a_private_instance_offers_the_bastion_first(plain_moto) -> None:
    ec2 = plain_moto.client("ec2")
    world = bastion_world(ec2, referenced=True)
    # a private subnet (its own route table: local only) and an instance in it with the web group
    subnet = ec2.create_subnet(VpcId=world.vpc, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1a")["Subnet"][
        "SubnetId"]
    private_rtb = ec2.create_route_table(VpcId=world.vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=private_rtb, SubnetId=subnet)
    target = launch(ec2, subnet, world.sg, "private-1", public=False)
    playbook = get_playbook("ssh-timeout")
    transcript = run_playbook(playbook, parse_inputs(playbook, {"instance": [target]}), plain_moto.session())
    public = ec2.describe_instances(InstanceIds=[world.extra["bastion"]])["Reservations"][0]["Instances"][0][
        "PublicIpAddress"]
    blocking = [f for f in transcript.findings if f["severity"] == "error"]
    assert blocking
    for found in blocking:
        assert found["remediation"][0].startswith(f"ssh -J ec2-user@{public} "), found
        assert found["alternatives"][0]["disrupts"], found
    assert {f["code"] for f in blocking} >= {"NO_ROUTE_TO_DESTINATION", "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"}
    route_fix = next(f for f in blocking if f["resource"] == private_rtb)
    assert "0.0.0.0/0" in route_fix["alternatives"][0]["commands"][0]


@pytest.mark.sandbox
def test_session_manager_is_the_way_in_when_no_bastion_is_trusted(sandbox) -> None:
    """A private instance whose SSM agent is online (the sandbox answers DescribeInstanceInformation): the
    route to the internet and the public address are CAUTION alternatives, Session Manager the fix."""
    from diagnostics.sandbox import gaps

    sandbox.reset()
    ec2 = sandbox.admin_client("ec2")
    vpc, subnet, rtb = vpc_with_subnet(ec2, "10.0.0.0/16", "10.0.1.0/24", "private")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    target = launch(ec2, subnet, ssh_group(ec2, vpc, "private", (CLIENT,)), "private-1", public=False)
    gaps.set_data({"ssm_instances": [{"InstanceId": target, "PingStatus": "Online"}]})
    playbook = get_playbook("ssh-timeout")
    inputs = parse_inputs(playbook, {"instance": [target], "source": [CLIENT]})
    transcript = run_playbook(playbook, inputs, sandbox.session())
    assert transcript.step("session-manager").status == "ok", transcript.step("session-manager").detail
    exposing = [f for f in transcript.findings if f["severity"] == "error"
                and f["code"] in ("NO_ROUTE_TO_DESTINATION", "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS")]
    assert {(f["code"], f["resource"]) for f in exposing} >= {("NO_ROUTE_TO_DESTINATION", rtb)}
    assert len(exposing) == 2
    for found in exposing:
        assert found["remediation"][0].startswith(f"aws ssm start-session --target {target}"), found["remediation"]
        assert found["alternatives"][0]["disrupts"], found["alternatives"]
        assert not any(a["commands"] == found["remediation"] for a in found["alternatives"])


def test_without_a_way_in_the_exposing_fixes_stay_primary_but_say_so() -> None:
    """N2: no bastion, no Session Manager: routing a private subnet to the internet gateway and giving the
    instance a public address expose it all the same, so the primary fix is marked CAUTION and an EC2
    Instance Connect Endpoint is offered beside it as the way that keeps it private."""
    from playbooks.exporters import fix_choices

    result = run(private_target(), [])
    blocking = {f.resource: f for f in result.findings if f.severity == "error"}
    for resource in (RTB_MAIN, "eni-0a1"):
        found = blocking[resource]
        primary = fix_choices(found.to_dict())[0]
        assert primary.primary and primary.careful, resource
        assert "internet" in primary.disrupts
        eice = found.alternatives[-1]
        assert "create-instance-connect-endpoint --subnet-id subnet-0a1" in eice.commands[0]
        assert f"--instance-id {INSTANCE} --connection-type eice" in eice.commands[1]
    assert "makes subnet subnet-0a1 public" in fix_choices(blocking[RTB_MAIN].to_dict())[0].disrupts
    assert "allocate-address" in blocking["eni-0a1"].remediation[0]


def test_a_guarded_finding_is_not_marked_again() -> None:
    found = next(f for f in run(private_target(), []).findings if f.resource == RTB_MAIN)
    ssm = Fix(("aws ssm start-session --target i-0123456789abcdef0",), "open a shell with Session Manager")
    guarded = guard_exposing(found, ssm)
    assert "primary_disrupts" not in guarded.evidence  # its primary is Session Manager: nothing to mark
    assert guard_exposing(guarded, None) == guarded
