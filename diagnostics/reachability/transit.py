"""The hop through a transit gateway: the sending VPC's attachment, the route table it is associated
with, and the route in that table (static, or propagated by the far VPC's attachment).

AWS semantics (Transit Gateway guide, "How transit gateways work"): a packet from an attachment is
routed by the one transit gateway route table that attachment is *associated* with; that table
learns a VPC's CIDR blocks when the VPC's attachment *propagates* into it, or holds static routes.
Unlike peering, a transit gateway does not carry security group references.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from diagnostics.findings import Finding
from diagnostics.reachability import remediation as fix
from diagnostics.reachability.addresses import Intervals, set_text, subtract
from diagnostics.reachability.snapshot import Snapshot, TgwRoute, TgwRouteTable, TransitGatewayAttachment


@dataclass
class TransitResult:
    ok: bool
    words: str  # what happens at the transit gateway, in words
    node: str  # the transit gateway route table (or attachment) for the graph
    label: str
    findings: list[Finding] = field(default_factory=list)


def attachment_of(snap: Snapshot, tgw_id: str, vpc_id: str) -> TransitGatewayAttachment | None:
    return next((a for a in snap.tgw_attachments if a.transit_gateway_id == tgw_id and a.resource_id == vpc_id
                 and a.state == "available"), None)


def _candidates(snap: Snapshot, table: TgwRouteTable) -> list[TgwRoute]:
    """The table's routes, plus the ones propagation implies: some endpoints list propagations but
    not yet the propagated routes, and a propagating VPC's CIDR blocks are what AWS installs."""
    routes = list(table.routes)
    have = {r.destination.text for r in routes}
    for attachment, resource, state in table.propagations:
        if state != "enabled":
            continue
        for cidr in snap.vpc_cidrs.get(resource, ()):
            if cidr.text not in have:
                routes.append(TgwRoute(cidr, (attachment,), "active", "propagated"))
                have.add(cidr.text)
    return routes


def best_route(snap: Snapshot, table: TgwRouteTable, version: int, addresses: Intervals) -> TgwRoute | None:
    """The most specific route that holds every one of ``addresses``."""
    fitting = [r for r in _candidates(snap, table) if r.destination.version == version
               and not subtract(addresses, (r.destination.interval,))]
    return max(fitting, key=lambda r: (r.destination.prefixlen, r.type == "static"), default=None)


def tgw_hop(snap: Snapshot, tgw_id: str, from_vpc: str, to_vpc: str, addresses: Intervals, version: int,
            packet: dict[str, object]) -> TransitResult | None:
    """Judge the transit gateway between ``from_vpc`` and the addresses (in ``to_vpc`` when known).
    None when the sending VPC's attachment was not read (the route step already names a missing one)."""
    region = snap.region
    who = set_text(version, addresses)
    att = attachment_of(snap, tgw_id, from_vpc)
    if att is None:
        return None
    far = attachment_of(snap, tgw_id, to_vpc) if to_vpc else None
    if not att.route_table_id:
        summary = (f"Attachment {att.id} of {from_vpc} to transit gateway {tgw_id} is associated with no transit "
                   f"gateway route table, so the transit gateway has no route for what {from_vpc} sends it "
                   f"({who} included).")
        commands = [
            "TGW_RTB_ID=$(" + fix.aws(region, "ec2 describe-transit-gateway-route-tables",
                                      f"--filters Name=transit-gateway-id,Values={tgw_id}",
                                      "--query 'TransitGatewayRouteTables[0].TransitGatewayRouteTableId'",
                                      "--output text") + ")",
            fix.aws(region, "ec2 associate-transit-gateway-route-table",
                    '--transit-gateway-route-table-id "$TGW_RTB_ID"', f"--transit-gateway-attachment-id {att.id}")]
        finding = Finding("NO_ROUTE_TO_DESTINATION", "error", att.id, summary,
                          {"packet": packet, "transit_gateway": tgw_id, "attachment": att.id}, commands)
        return TransitResult(False, summary, att.id, f"{att.id} (no route table)", [finding])
    table = snap.tgw_route_tables.get(att.route_table_id)
    label = f"{att.route_table_id} ({tgw_id})"
    if table is None:
        return TransitResult(True, f"transit gateway route table {att.route_table_id} was not read",
                             att.route_table_id, label)
    route = best_route(snap, table, version, addresses)
    where = f"Transit gateway route table {table.id} (associated with {att.id} of {from_vpc})"
    if route is None or route.state == "blackhole" or (far is not None and far.id not in route.attachment_ids):
        evidence = {"packet": packet, "transit_gateway": tgw_id, "attachment": att.id,
                    "routes": [r.describe() for r in _candidates(snap, table)],
                    "propagations": [f"{a} ({r}): {s}" for a, r, s in table.propagations]}
        commands: list[str] = []
        if route is None:
            code, problem = "NO_ROUTE_TO_DESTINATION", f"has no route to {who}"
        elif route.state == "blackhole":
            code, problem = "BAD_STATE_ROUTE", f"sends {who} to a blackhole route ({route.describe()})"
        else:
            other = far.id if far else "the client's attachment"
            code, problem = "NO_ROUTE_TO_DESTINATION", f"sends {who} to {route.describe()}, not to {other} of {to_vpc}"
        summary = f"{where} {problem}, so the transit gateway drops the packets."
        if far is not None:
            summary += (f" {far.id} ({to_vpc}) does not propagate into it: enabling the propagation installs "
                        f"{to_vpc}'s CIDR blocks.")
            commands.append(fix.aws(region, "ec2 enable-transit-gateway-route-table-propagation",
                                    f"--transit-gateway-route-table-id {table.id}",
                                    f"--transit-gateway-attachment-id {far.id}"))
        elif route is not None and route.state == "blackhole" and route.type == "static":
            # A static blackhole route (its attachment deleted, or made to drop): deleting it lets a propagated
            # or less specific route carry the packets.
            summary += (f" Delete the blackhole route {route.destination.text}, or point it at the attachment "
                        "the client's traffic goes through.")
            commands.append(fix.aws(region, "ec2 delete-transit-gateway-route",
                                    f"--transit-gateway-route-table-id {table.id}",
                                    f"--destination-cidr-block {route.destination.text}"))
        else:
            summary += (" The table needs a route (static, or propagated by the attachment the client's traffic "
                        "comes from) to the client's network.")
        finding = Finding(code, "error", table.id, summary, evidence, commands)
        return TransitResult(False, summary, table.id, label, [finding])
    return TransitResult(True, f"{where} sends {who} to {route.describe()}", table.id, label)
