"""The way back to an on-premises client over a virtual private gateway and Site-to-Site VPN: the
gateway attached, a tunnel up, the route table propagating the VPN's routes."""

from __future__ import annotations

import copy

from world import INSTANCE, RTB_MAIN, VPC, World, permission, route

from diagnostics.reachability import Probe, Snapshot, evaluate

VGW = "vgw-0a1"
VPN = "vpn-0a1"
ON_PREM = "192.168.10.20"


class OverVpn(World):
    def __init__(self) -> None:
        super().__init__()
        self.main_table["Routes"].append({"DestinationCidrBlock": "192.168.0.0/16", "GatewayId": VGW,
                                          "State": "active", "Origin": "EnableVgwRoutePropagation"})
        self.main_table["PropagatingVgws"] = [{"GatewayId": VGW}]
        self.group["IpPermissions"] = [permission(cidrs=("192.168.0.0/16",))]
        self.vgws = [{"VpnGatewayId": VGW, "State": "available", "Type": "ipsec.1",
                      "VpcAttachments": [{"VpcId": VPC, "State": "attached"}]}]
        self.vpns = [{"VpnConnectionId": VPN, "VpnGatewayId": VGW, "State": "available",
                      "Routes": [{"DestinationCidrBlock": "192.168.0.0/16", "State": "available"}],
                      "VgwTelemetry": [{"OutsideIpAddress": "198.51.100.1", "Status": "UP", "StatusMessage": ""},
                                       {"OutsideIpAddress": "198.51.100.2", "Status": "DOWN",
                                        "StatusMessage": ""}]}]

    def run(self):
        snap = Snapshot.from_describe(
            instances=[copy.deepcopy(self.instance)], instance_statuses=[self.status], security_groups=self.groups,
            subnets=self.subnets, network_acls=self.acls, route_tables=self.tables, internet_gateways=self.igws,
            vpn_gateways=self.vgws, vpn_connections=self.vpns, region="us-east-1")
        return evaluate(snap, Probe.make(INSTANCE, ON_PREM))


def test_one_tunnel_up_is_enough() -> None:
    assert OverVpn().run().verdict == "open"


def test_every_tunnel_down_is_a_bad_route_naming_the_vpn_connection() -> None:
    world = OverVpn()
    for tunnel in world.vpns[0]["VgwTelemetry"]:
        tunnel["Status"] = "DOWN"
    found = next(f for f in world.run().findings if f.severity == "error")
    assert (found.code, found.resource) == ("BAD_STATE_ROUTE", RTB_MAIN)
    assert VPN in found.summary and "198.51.100.1 DOWN" in found.summary


def test_no_route_back_with_a_vgw_that_does_not_propagate_gives_the_propagation_fix() -> None:
    world = OverVpn()
    world.main_table["Routes"] = [route("10.0.0.0/16", "local"), route("0.0.0.0/0", "igw-0a1")]
    world.main_table["PropagatingVgws"] = []
    found = next(f for f in world.run().findings if f.severity == "error")
    assert (found.code, found.resource) == ("NO_ROUTE_TO_DESTINATION", RTB_MAIN)
    assert found.remediation == [f"aws ec2 enable-vgw-route-propagation --route-table-id {RTB_MAIN} "
                                 f"--gateway-id {VGW} --region us-east-1"]
    assert VPN in found.summary


def test_a_detached_vgw_cannot_carry_the_replies() -> None:
    world = OverVpn()
    world.vgws[0]["VpcAttachments"] = [{"VpcId": VPC, "State": "detached"}]
    found = next(f for f in world.run().findings if f.severity == "error")
    assert found.code == "BAD_STATE_ROUTE" and "not attached" in found.summary


def test_a_detached_vgw_is_attached_again() -> None:
    world = OverVpn()
    world.vgws[0]["VpcAttachments"] = [{"VpcId": VPC, "State": "detached"}]
    found = next(f for f in world.run().findings if f.severity == "error")
    assert found.remediation == [f"aws ec2 attach-vpn-gateway --vpn-gateway-id {VGW} --vpc-id {VPC} --region us-east-1"]
    assert found.evidence["title"] == "The virtual private gateway is not attached"
