"""Paths between VPCs over a peering connection, both directions: the instance's route back to the
client and the client's route to the instance, an active connection, no transitive peering, group
references across the peering, and the internet gateway never the way back to a private address."""

from __future__ import annotations

import copy

from world import INSTANCE, RTB_MAIN, SG, VPC, World, permission, route, security_group

from diagnostics.reachability import Probe, Snapshot, evaluate
from diagnostics.reachability.graph import build_graph

PEER_VPC = "vpc-0peer"
PEER_SUBNET = "subnet-0peer"
PEER_RTB = "rtb-0peer"
PEER_SG = "sg-0peer"
PCX = "pcx-0a1"
CLIENT_ENI = "eni-0client"


def peering(status: str = "active", far: str = "10.1.0.0/16", far_vpc: str = PEER_VPC) -> dict:
    """A DescribeVpcPeeringConnections item: the peer VPC requested, ours accepted."""
    return {"VpcPeeringConnectionId": PCX, "Status": {"Code": status, "Message": status},
            "RequesterVpcInfo": {"VpcId": far_vpc, "CidrBlock": far, "OwnerId": "123456789012", "Region": "us-east-1"},
            "AccepterVpcInfo": {"VpcId": VPC, "CidrBlock": "10.0.0.0/16", "OwnerId": "123456789012",
                                "Region": "us-east-1"}}


def client_eni() -> dict:
    return {"NetworkInterfaceId": CLIENT_ENI, "SubnetId": PEER_SUBNET, "VpcId": PEER_VPC,
            "PrivateIpAddress": "10.1.0.25", "Groups": [{"GroupId": PEER_SG}],
            "Attachment": {"InstanceId": "i-0client000000000001", "DeviceIndex": 0}}


class Peered(World):
    """The healthy world plus a peered VPC 10.1.0.0/16 with a client at 10.1.0.25, routes both ways."""

    def __init__(self) -> None:
        super().__init__()
        self.peerings = [peering()]
        self.main_table["Routes"].append(route("10.1.0.0/16", PCX))
        self.tables.append({"RouteTableId": PEER_RTB, "VpcId": PEER_VPC,
                            "Associations": [{"Main": True, "RouteTableId": PEER_RTB,
                                              "AssociationState": {"State": "associated"}}],
                            "Routes": [route("10.1.0.0/16", "local"), route("10.0.0.0/16", PCX)]})
        self.subnets.append({"SubnetId": PEER_SUBNET, "VpcId": PEER_VPC, "CidrBlock": "10.1.0.0/24"})
        self.groups.append(security_group(PEER_SG, "client"))
        self.group["IpPermissions"] = [permission(cidrs=("10.1.0.0/16",))]
        self.client: dict | None = client_eni()

    def run(self, source: str = "10.1.0.25/32"):
        snap = Snapshot.from_describe(
            instances=[copy.deepcopy(self.instance)], instance_statuses=[self.status], security_groups=self.groups,
            subnets=self.subnets, network_acls=self.acls, route_tables=self.tables, internet_gateways=self.igws,
            vpc_peering_connections=self.peerings, source_network_interfaces=[self.client] if self.client else [],
            region="us-east-1")
        return evaluate(snap, Probe.make(INSTANCE, source, 22, "tcp",
                                         source_eni=CLIENT_ENI if self.client else None))


def errors(result) -> list[tuple[str, str]]:
    return [(f.code, f.resource) for f in result.findings if f.severity == "error"]


def test_peered_client_with_routes_both_ways_is_open() -> None:
    result = Peered().run()
    assert result.verdict == "open", errors(result)
    assert result.path_kind == "private"


def test_no_route_back_over_the_peering_names_the_instances_route_table() -> None:
    world = Peered()
    world.main_table["Routes"] = [route("10.0.0.0/16", "local"), route("0.0.0.0/0", "igw-0a1")]
    result = world.run()
    assert errors(result) == [("NO_ROUTE_TO_DESTINATION", RTB_MAIN)]
    found = next(f for f in result.findings if f.resource == RTB_MAIN)
    assert "internet gateway igw-0a1" in found.summary and "private addresses" in found.summary
    assert found.remediation == [f"aws ec2 create-route --route-table-id {RTB_MAIN} --destination-cidr-block "
                                 f"10.1.0.0/16 --vpc-peering-connection-id {PCX} --region us-east-1"]
    # the same world without the client's interface: still the route table, from the address alone
    world.client = None
    assert ("NO_ROUTE_TO_DESTINATION", RTB_MAIN) in errors(world.run())


def test_no_route_from_the_client_names_the_clients_route_table() -> None:
    world = Peered()
    world.tables[1]["Routes"] = [route("10.1.0.0/16", "local")]
    result = world.run()
    assert errors(result) == [("NO_ROUTE_TO_DESTINATION", PEER_RTB)]
    found = next(f for f in result.findings if f.resource == PEER_RTB)
    assert f"--route-table-id {PEER_RTB} --destination-cidr-block 10.0.0.0/16 --vpc-peering-connection-id {PCX}" \
        in found.remediation[0]
    graph = build_graph(result)
    assert graph.nodes[PEER_RTB]["kind"] == "source_route_table" and graph.nodes[PEER_RTB]["status"] == "blocked"


def test_peering_that_is_not_active_is_a_bad_route_on_both_sides() -> None:
    world = Peered()
    world.peerings = [peering("pending-acceptance")]
    assert sorted(errors(world.run())) == [("BAD_STATE_ROUTE", RTB_MAIN), ("BAD_STATE_ROUTE", PEER_RTB)]


def test_peering_is_not_transitive() -> None:
    world = Peered()
    # 10.2.0.0/16 sits behind the peered VPC (its own peering or VPN): our route sends it over pcx-0a1
    world.main_table["Routes"].append(route("10.2.0.0/16", PCX))
    world.client = None
    result = world.run(source="10.2.0.9")
    found = next(f for f in result.findings if f.resource == RTB_MAIN)
    assert found.severity == "error" and "not transitive" in found.summary


def test_a_nat_gateway_is_not_a_way_back_to_a_private_client() -> None:
    world = Peered()
    world.main_table["Routes"] = [route("10.0.0.0/16", "local"), route("10.1.0.0/16", "nat-0a1")]
    found = next(f for f in world.run().findings if f.resource == RTB_MAIN)
    assert found.severity == "error" and "NAT gateway nat-0a1" in found.summary


def test_group_reference_across_an_active_peering_admits_the_client() -> None:
    world = Peered()
    world.group["IpPermissions"] = [permission(groups=(PEER_SG,))]
    assert world.run().verdict == "open"
    world.group["IpPermissions"] = [permission(groups=("sg-0other",))]
    found = next(f for f in world.run().findings if f.code == "ENI_SG_RULES_MISMATCH")
    assert (found.severity, found.resource) == ("error", SG)


def test_terminal_drawing_shows_the_clients_side_and_the_blocking_route_table() -> None:
    from tui.widgets.path_graph import layout_graph

    world = Peered()
    world.tables[1]["Routes"] = [route("10.1.0.0/16", "local")]
    text = "\n".join(line if isinstance(line, str) else line.plain
                     for line in layout_graph(build_graph(world.run()), 200))
    for words in ("client ENI", "client SG", "client routes", f"✖ {PEER_RTB}"):
        assert words in text, words


def test_group_reference_when_the_link_between_the_vpcs_was_not_read_is_not_certain() -> None:
    world = Peered()
    world.group["IpPermissions"] = [permission(groups=(PEER_SG,))]
    world.peerings = []
    world.tables = [t for t in world.tables if t["RouteTableId"] != PEER_RTB]  # the client's table: not read
    found = next(f for f in world.run().findings if f.code == "ENI_SG_RULES_MISMATCH")
    assert (found.severity, found.certainty) == ("error", "conditional") and "could not be read" in found.condition


def test_group_reference_across_regions_does_not_admit() -> None:
    world = Peered()
    world.group["IpPermissions"] = [permission(groups=(PEER_SG,))]
    for side, region in (("RequesterVpcInfo", "us-east-1"), ("AccepterVpcInfo", "eu-west-1")):
        world.peerings[0][side]["Region"] = region
    found = next(f for f in world.run().findings if f.code == "ENI_SG_RULES_MISMATCH")
    assert (found.severity, found.certainty) == ("error", "certain") and "two Regions" in found.summary


def test_a_peering_pending_acceptance_is_mended_by_accepting_it_in_the_accepters_account() -> None:
    """N3: both routes over a requested-but-never-accepted peering: each finding says so in its title and has
    the accept command (run by the accepter VPC's owner) as its fix; the target's rule naming the client's
    group is not a separate problem, since it matches once the peering is active."""
    from playbooks.exporters import finding_title

    world = Peered()
    world.peerings = [peering("pending-acceptance")]
    world.peerings[0]["AccepterVpcInfo"]["OwnerId"] = "210987654321"
    world.group["IpPermissions"] = [permission(groups=(PEER_SG,))]
    result = world.run()
    assert sorted(errors(result)) == [("BAD_STATE_ROUTE", RTB_MAIN), ("BAD_STATE_ROUTE", PEER_RTB)]
    accept = f"aws ec2 accept-vpc-peering-connection --vpc-peering-connection-id {PCX} --region us-east-1"
    for found in (f for f in result.findings if f.severity == "error"):
        assert found.remediation == [accept], found.resource
        assert finding_title(found.to_dict()) == "The peering connection is waiting to be accepted"
        assert "210987654321" in found.summary and "accepter" in found.summary
    assert not any(f.code == "ENI_SG_RULES_MISMATCH" for f in result.findings)


def test_a_dead_peering_is_replaced_and_its_routes_pointed_at_the_new_one() -> None:
    from playbooks.exporters import finding_title

    for status, title in (("rejected", "The peering connection was rejected"),
                          ("expired", "The peering connection request expired before it was accepted"),
                          ("failed", "The peering connection request failed"),
                          ("deleted", "The peering connection was deleted")):
        world = Peered()
        world.peerings = [peering(status)]
        found = next(f for f in world.run().findings if f.resource == RTB_MAIN)
        assert found.code == "BAD_STATE_ROUTE" and finding_title(found.to_dict()) == title
        text = "\n".join(found.remediation)
        assert f"create-vpc-peering-connection --vpc-id {PEER_VPC} --peer-vpc-id {VPC}" in text
        assert "accept-vpc-peering-connection --vpc-peering-connection-id $PCX_ID" in text
        assert (f"replace-route --route-table-id {RTB_MAIN} --destination-cidr-block 10.1.0.0/16 "
                "--vpc-peering-connection-id $PCX_ID") in text
        assert "never becomes active again" in found.summary


def test_a_blackhole_route_to_a_detached_interface_has_a_fix() -> None:
    """N3 (seed_c4): the reply route to the client goes to a network interface no instance holds: AWS shows it
    as a blackhole. The fix deletes the route (the next route carries the replies); attaching the interface
    to the appliance meant to forward is the alternative."""
    from playbooks.exporters import finding_title

    world = Peered()
    world.main_table["Routes"][-1] = route("10.1.0.0/16", "eni-0gone", state="blackhole")
    result = world.run()
    found = next(f for f in result.findings if f.resource == RTB_MAIN)
    assert found.code == "BAD_STATE_ROUTE" and found.remediation
    assert (f"aws ec2 delete-route --route-table-id {RTB_MAIN} --destination-cidr-block 10.1.0.0/16 "
            "--region us-east-1") in found.remediation
    assert "attach-network-interface --network-interface-id eni-0gone" in found.alternatives[0].commands[0]
    assert finding_title(found.to_dict()) != "The route points at a gateway that is gone"
