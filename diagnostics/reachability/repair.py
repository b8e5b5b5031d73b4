"""What to do about a route whose target cannot carry traffic (BAD_STATE_ROUTE): a peering connection that is
not active, or a blackhole route (its gateway, peering connection or network interface deleted or detached).

Each state has its own title and its own fix, run where it must run. The peering lifecycle
(https://docs.aws.amazon.com/vpc/latest/peering/vpc-peering-basics.html#vpc-peering-lifecycle): a request
is ``pending-acceptance`` until the accepter VPC's owner accepts it (it expires after 7 days); ``failed``,
``expired``, ``rejected`` and ``deleted`` connections can never become active again, so a new one must be
requested, accepted, and the routes pointed at it. A route whose target is gone is a ``blackhole`` route
(https://docs.aws.amazon.com/vpc/latest/userguide/route-table-options.html#route-tables-blackhole)."""

from __future__ import annotations

from dataclasses import dataclass, field

from diagnostics.findings import Fix
from diagnostics.reachability import remediation as fix
from diagnostics.reachability.snapshot import PeeringConnection, Route, Snapshot

PEERING_TITLES = {
    "pending-acceptance": "The peering connection is waiting to be accepted",
    "initiating-request": "The peering connection is still being requested",
    "provisioning": "The peering connection is still being set up",
    "failed": "The peering connection request failed",
    "expired": "The peering connection request expired before it was accepted",
    "rejected": "The peering connection was rejected",
    "deleted": "The peering connection was deleted",
    "deleting": "The peering connection is being deleted",
}
# States a connection never leaves for "active": a new connection is the only way.
PEERING_DEAD = {"failed", "expired", "rejected", "deleted", "deleting"}


@dataclass
class Repair:
    """The title that fits the target's state, the primary fix, the words that say why, and other ways."""

    title: str
    commands: list[str] = field(default_factory=list)
    words: str = ""
    alternatives: list[Fix] = field(default_factory=list)


def route_repair(snap: Snapshot, table_id: str, route: Route) -> Repair | None:
    """The repair for ``route`` in ``table_id`` when its target cannot carry traffic; None when the target
    is not one this module knows (a VPN, a transit gateway attachment: their own checks say why)."""
    region = snap.region
    pcx = snap.peering_connections.get(route.target_id) if route.target_kind == "pcx" else None
    if pcx is not None and pcx.status != "active":
        return _peering_repair(region, table_id, route, pcx)
    vgw = snap.vpn_gateways.get(route.target_id) if route.target_kind == "vgw" else None
    vpc = table_vpc(snap, table_id)
    if vgw is not None and vpc and not route.blackhole and not vgw.attached_to(vpc):
        return Repair("The virtual private gateway is not attached",
                      [fix.aws(region, "ec2 attach-vpn-gateway", f"--vpn-gateway-id {vgw.id}", f"--vpc-id {vpc}")],
                      f" Attach {vgw.id} to {vpc} again: the route names it, but it carries nothing while detached.")
    eni = snap.route_enis.get(route.target_id) if route.target_kind == "eni" else None
    detached = eni is not None and eni.status == "available" and not eni.instance_id
    if route.target_kind in ("eni", "instance") and (route.blackhole or detached):
        return _interface_repair(snap, table_id, route)
    if not route.blackhole:
        return None
    kind = {"pcx": "peering connection", "igw": "internet gateway", "nat": "NAT gateway", "tgw": "transit gateway",
            "vgw": "virtual private gateway", "eigw": "egress-only internet gateway"}.get(route.target_kind, "target")
    words = (f" Route {route.describe()} is a blackhole: its {kind} {route.target_id} no longer exists. Delete it "
             f"so the next most specific route applies, or point it at the {kind} that replaced it "
             f"(aws ec2 replace-route).")
    return Repair(f"The route's {kind} is gone", [_delete(region, table_id, route)], words)


def table_vpc(snap: Snapshot, table_id: str) -> str:
    table = snap.route_tables.get(table_id)
    return table.vpc_id if table is not None else ""


def _peering_repair(region: str, table_id: str, route: Route, pcx: PeeringConnection) -> Repair:
    status = pcx.status or "unknown"
    title = PEERING_TITLES.get(status, f"The peering connection is {status}, not active")
    accepter_region = pcx.accepter_region or region
    owner = f" ({pcx.accepter_owner})" if pcx.accepter_owner else ""
    accept_where = f"in the accepter VPC {pcx.accepter_vpc_id}'s account{owner}, Region {accepter_region}"
    if status == "pending-acceptance":
        command = fix.aws(accepter_region, "ec2 accept-vpc-peering-connection",
                          f"--vpc-peering-connection-id {pcx.id}")
        words = (f" Peering connection {pcx.id} was requested but never accepted: it carries nothing until the "
                 f"owner of the accepter VPC accepts it. Run the fix {accept_where}. Once it is active, the routes "
                 "that name it carry traffic both ways, and security group rules that name a group across it "
                 "(same Region) match.")
        return Repair(title, [command], words)
    if status in PEERING_DEAD:
        peer = [f"--peer-vpc-id {pcx.accepter_vpc_id}"]
        if pcx.accepter_owner:
            peer.append(f"--peer-owner-id {pcx.accepter_owner}")
        if pcx.accepter_region and pcx.accepter_region != (pcx.requester_region or region):
            peer.append(f"--peer-region {pcx.accepter_region}")
        commands = [
            "PCX_ID=$(" + fix.aws(pcx.requester_region or region, "ec2 create-vpc-peering-connection",
                                  f"--vpc-id {pcx.requester_vpc_id}", *peer,
                                  "--query VpcPeeringConnection.VpcPeeringConnectionId", "--output text") + ")",
            f"# in the accepter VPC {pcx.accepter_vpc_id}'s account{owner}:",
            fix.aws(accepter_region, "ec2 accept-vpc-peering-connection", "--vpc-peering-connection-id $PCX_ID"),
        ]
        if route.destination is not None:
            commands.append(fix.route(region, table_id, route.destination.text, route.destination.version,
                                      "--vpc-peering-connection-id $PCX_ID", replace=True))
        words = (f" Peering connection {pcx.id} is {status}: a connection in that state never becomes active "
                 f"again. Request a new one, accept it {accept_where}, and point the routes that name {pcx.id} "
                 "at it (every route table on both sides).")
        return Repair(title, commands, words)
    # initiating-request, provisioning: AWS is still working on it; look again.
    command = fix.aws(region, "ec2 describe-vpc-peering-connections", f"--vpc-peering-connection-ids {pcx.id}",
                      "--query VpcPeeringConnections[0].Status")
    words = (f" Peering connection {pcx.id} is {status}: AWS has not finished setting it up. Wait until its status "
             "is active (or pending-acceptance, which then needs accepting), then run the check again.")
    return Repair(title, [command], words)


def _interface_repair(snap: Snapshot, table_id: str, route: Route) -> Repair:
    """A blackhole route to a network interface or instance: the interface was detached (or the instance
    stopped or terminated). Attaching it to the appliance it belongs to brings the route back; deleting
    the route lets the next most specific route carry the packets."""
    region, eni = snap.region, snap.route_enis.get(route.target_id)
    detached = eni is not None and eni.status == "available" and not eni.instance_id
    what = (f"network interface {route.target_id} is not attached to an instance" if detached
            else f"{route.target_id} no longer exists or is not running")
    words = (f" Route {route.describe()} is a blackhole: {what}, so it carries nothing. Delete the route so the "
             "next most specific route carries the packets (the fix), or, if an appliance should forward "
             f"them, attach {route.target_id} to it.")
    alternatives: list[Fix] = []
    if route.target_kind == "eni":
        alternatives.append(Fix(
            (fix.aws(region, "ec2 attach-network-interface", f"--network-interface-id {route.target_id}",
                     "--instance-id APPLIANCE_INSTANCE_ID", "--device-index 1"),),
            f"attach {route.target_id} to the appliance (NAT instance, firewall) meant to forward this traffic; "
            "its source/destination check must be off",
            f"sends every packet for {route.destination_text} through that instance"))
    title = ("The route's network interface is detached" if detached
             else "The route's network interface or instance is gone")
    return Repair(title, [_delete(region, table_id, route)], words, alternatives)


def _delete(region: str, table_id: str, route: Route) -> str:
    dest = route.destination
    flag = ("--destination-prefix-list-id" if dest is None else
            "--destination-ipv6-cidr-block" if dest.version == 6 else "--destination-cidr-block")
    return fix.aws(region, "ec2 delete-route", f"--route-table-id {table_id}", f"{flag} {route.destination_text}")
