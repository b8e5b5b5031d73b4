"""The transit gateway hop, both directions: each VPC's attachment must be associated with a transit
gateway route table that routes the far VPC (propagated or static); security group references do not
cross a transit gateway only where the gateway and both attachments enable security group referencing."""

from __future__ import annotations

import copy

from world import INSTANCE, SG, VPC, World, permission, route, security_group

from diagnostics.reachability import Probe, Snapshot, evaluate
from diagnostics.reachability.graph import build_graph

TGW = "tgw-0a1"
ATT_WEB = "tgw-attach-0web"
ATT_TOOLS = "tgw-attach-0tools"
TGW_RTB = "tgw-rtb-0shared"
TOOLS_VPC = "vpc-0tools"
TOOLS_SUBNET = "subnet-0tools"
TOOLS_RTB = "rtb-0tools"
TOOLS_SG = "sg-0tools"
CLIENT_ENI = "eni-0tools"


def attachment(att: str, vpc: str, table: str | None = TGW_RTB) -> dict:
    raw = {"TransitGatewayAttachmentId": att, "TransitGatewayId": TGW, "ResourceType": "vpc", "ResourceId": vpc,
           "State": "available"}
    if table:
        raw["Association"] = {"TransitGatewayRouteTableId": table, "State": "associated"}
    return raw


def propagation(att: str, vpc: str) -> dict:
    return {"TransitGatewayAttachmentId": att, "ResourceId": vpc, "ResourceType": "vpc", "State": "enabled"}


class ViaTgw(World):
    """The healthy world plus a tools VPC 10.1.0.0/16 (client 10.1.0.25) on a shared transit gateway:
    both attachments associated with one table into which both propagate."""

    def __init__(self) -> None:
        super().__init__()
        self.main_table["Routes"].append(route("10.1.0.0/16", TGW))
        self.tables.append({"RouteTableId": TOOLS_RTB, "VpcId": TOOLS_VPC,
                            "Associations": [{"Main": True, "RouteTableId": TOOLS_RTB,
                                              "AssociationState": {"State": "associated"}}],
                            "Routes": [route("10.1.0.0/16", "local"), route("10.0.0.0/8", TGW)]})
        self.subnets.append({"SubnetId": TOOLS_SUBNET, "VpcId": TOOLS_VPC, "CidrBlock": "10.1.0.0/24"})
        self.groups.append(security_group(TOOLS_SG, "tools"))
        self.group["IpPermissions"] = [permission(cidrs=("10.1.0.0/16",))]
        self.attachments = [attachment(ATT_WEB, VPC), attachment(ATT_TOOLS, TOOLS_VPC)]
        self.tgw_table = {"TransitGatewayRouteTableId": TGW_RTB, "TransitGatewayId": TGW, "Routes": [],
                          "Propagations": [propagation(ATT_WEB, VPC), propagation(ATT_TOOLS, TOOLS_VPC)]}
        self.vpcs = [{"VpcId": VPC, "CidrBlock": "10.0.0.0/16"}, {"VpcId": TOOLS_VPC, "CidrBlock": "10.1.0.0/16"}]
        self.gateways: list[dict] = []  # DescribeTransitGateways items; none: not read
        self.client = {"NetworkInterfaceId": CLIENT_ENI, "SubnetId": TOOLS_SUBNET, "VpcId": TOOLS_VPC,
                       "PrivateIpAddress": "10.1.0.25", "Groups": [{"GroupId": TOOLS_SG}]}

    def run(self, resolved: bool = True):
        snap = Snapshot.from_describe(
            instances=[copy.deepcopy(self.instance)], instance_statuses=[self.status], security_groups=self.groups,
            subnets=self.subnets, network_acls=self.acls, route_tables=self.tables, internet_gateways=self.igws,
            transit_gateway_attachments=self.attachments, transit_gateway_route_tables=[self.tgw_table],
            transit_gateways=self.gateways, vpcs=self.vpcs,
            source_network_interfaces=[self.client] if resolved else [], region="us-east-1")
        return evaluate(snap, Probe.make(INSTANCE, "10.1.0.25", 22, "tcp",
                                         source_eni=CLIENT_ENI if resolved else None))

    def propagations(self, *atts: str) -> None:
        vpc_of = {ATT_WEB: VPC, ATT_TOOLS: TOOLS_VPC}
        self.tgw_table["Propagations"] = [propagation(a, vpc_of[a]) for a in atts]


def errors(result) -> list[tuple[str, str]]:
    return [(f.code, f.resource) for f in result.findings if f.severity == "error"]


def test_shared_table_with_both_propagations_is_open() -> None:
    result = ViaTgw().run()
    assert result.verdict == "open", errors(result)
    graph = build_graph(result)
    assert graph.nodes[TGW_RTB]["kind"] == "transit_gateway" and graph.nodes[TGW_RTB]["status"] == "ok"


def test_return_direction_without_the_clients_propagation_names_the_tgw_route_table() -> None:
    world = ViaTgw()
    world.propagations(ATT_WEB)  # the tools VPC does not propagate: no route back to 10.1.0.0/16
    result = world.run()
    assert errors(result) == [("NO_ROUTE_TO_DESTINATION", TGW_RTB)]
    found = next(f for f in result.findings if f.resource == TGW_RTB)
    assert found.remediation == [f"aws ec2 enable-transit-gateway-route-table-propagation "
                                 f"--transit-gateway-route-table-id {TGW_RTB} --transit-gateway-attachment-id "
                                 f"{ATT_TOOLS} --region us-east-1"]
    # unresolved client: the same table is named, with no attachment to propagate from
    unresolved = world.run(resolved=False)
    assert ("NO_ROUTE_TO_DESTINATION", TGW_RTB) in errors(unresolved)


def test_forward_direction_without_the_instances_propagation_names_the_tgw_route_table() -> None:
    world = ViaTgw()
    world.propagations(ATT_TOOLS)  # the web VPC does not propagate: the client's request has no route
    result = world.run()
    assert errors(result) == [("NO_ROUTE_TO_DESTINATION", TGW_RTB)]
    found = next(f for f in result.findings if f.resource == TGW_RTB)
    assert f"--transit-gateway-attachment-id {ATT_WEB}" in found.remediation[0]
    assert f"associated with {ATT_TOOLS}" in found.summary


def test_a_static_route_stands_in_for_a_propagation_and_a_blackhole_drops() -> None:
    world = ViaTgw()
    world.propagations(ATT_WEB)
    world.tgw_table["Routes"] = [{"DestinationCidrBlock": "10.1.0.0/16", "Type": "static", "State": "active",
                                  "TransitGatewayAttachments": [{"TransitGatewayAttachmentId": ATT_TOOLS}]}]
    assert world.run().verdict == "open"
    world.tgw_table["Routes"][0]["State"] = "blackhole"
    result = world.run()
    assert ("BAD_STATE_ROUTE", TGW_RTB) in errors(result)
    # every BAD_STATE finding has a fix
    assert all(f.remediation for f in result.findings if f.code.startswith("BAD_STATE"))


def test_an_attachment_without_an_association_is_named() -> None:
    world = ViaTgw()
    world.attachments[0] = attachment(ATT_WEB, VPC, table=None)
    found = next(f for f in world.run().findings if f.resource == ATT_WEB)
    assert found.severity == "error" and "associate-transit-gateway-route-table" in found.remediation[-1]


def _referencing(world: ViaTgw, gateway: str, web: str = "enable", tools: str = "enable") -> None:
    """The gateway's and the attachments' SecurityGroupReferencingSupport, as DescribeTransitGateways and
    DescribeTransitGatewayVpcAttachments return it."""
    world.gateways = [{"TransitGatewayId": TGW, "State": "available",
                       "Options": {"SecurityGroupReferencingSupport": gateway}}]
    for att, value in zip(world.attachments, (web, tools), strict=True):
        att["Options"] = {"SecurityGroupReferencingSupport": value, "DnsSupport": "enable"}


def test_group_references_do_not_cross_a_transit_gateway_without_referencing_support() -> None:
    world = ViaTgw()
    world.group["IpPermissions"] = [permission(groups=(TOOLS_SG,))]
    _referencing(world, "disable")  # the gateway's default
    found = next(f for f in world.run().findings if f.code == "ENI_SG_RULES_MISMATCH")
    assert (found.severity, found.resource) == ("error", SG)
    assert f"security group referencing is disabled on transit gateway {TGW}" in found.summary
    assert "CidrIp=10.1.0.25/32" in found.remediation[0]  # by address: a group reference cannot work here
    enable = [a for a in found.alternatives if "modify-transit-gateway " in a.commands[0]]
    assert enable and "SecurityGroupReferencingSupport=enable" in enable[0].commands[0] and enable[0].disrupts
    # one attachment with referencing off is enough to stop it
    _referencing(world, "enable", tools="disable")
    found = next(f for f in world.run().findings if f.code == "ENI_SG_RULES_MISMATCH")
    assert found.severity == "error" and f"attachment {ATT_TOOLS} of {TOOLS_VPC}" in found.summary


def test_group_reference_across_a_transit_gateway_with_referencing_enabled_admits_the_client() -> None:
    world = ViaTgw()
    world.group["IpPermissions"] = [permission(groups=(TOOLS_SG,))]
    _referencing(world, "enable")
    result = world.run()
    assert result.verdict == "open", [(f.code, f.summary) for f in result.findings]
    assert result.stage("security_groups").status == "ok"
    # outbound rules cannot name a group across a transit gateway: the client's egress by group does not count
    world.groups[1]["IpPermissionsEgress"] = [permission(groups=(SG,))]
    found = next(f for f in world.run().findings if f.resource == TOOLS_SG)
    assert (found.code, found.severity) == ("ENI_SG_RULES_MISMATCH", "error")


def test_group_reference_across_a_transit_gateway_whose_options_were_not_read_is_not_certain() -> None:
    world = ViaTgw()
    world.group["IpPermissions"] = [permission(groups=(TOOLS_SG,))]
    found = next(f for f in world.run().findings if f.code == "ENI_SG_RULES_MISMATCH")
    assert (found.severity, found.certainty) == ("error", "conditional") and "could not be read" in found.condition
    assert world.run().verdict == "conditional"  # never "open" on a fact that was not read
