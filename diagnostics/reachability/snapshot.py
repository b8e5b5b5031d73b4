"""The typed snapshot of everything on the network path to one instance.

Frozen dataclasses, one per EC2 component, each with ``from_describe`` that takes the exact shape
the EC2 Describe* APIs return (as boto3 parses it), so tests can feed recorded answers and the
benchmark can feed synthetic ones. ``Snapshot`` indexes every component by ID and answers the
questions the evaluator asks (which network ACL and which route table apply to a subnet).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from diagnostics.reachability.addresses import Block, block_or_none, parse_block
from diagnostics.redact import redact_text

ALL = -1
ICMP = 1
TCP = 6
UDP = 17
ICMPV6 = 58
PROTOCOL_NUMBERS = {"-1": ALL, "all": ALL, "tcp": TCP, "udp": UDP, "icmp": ICMP, "icmpv6": ICMPV6}
PROTOCOL_NAMES = {ALL: "all traffic", TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmpv6"}
IMPLICIT_DENY = 32767

Raw = Mapping[str, Any]


def protocol_number(value: str | int) -> int:
    """``tcp``, ``6``, ``-1`` and friends, as the protocol number (-1 for all)."""
    text = str(value).strip().lower()
    if text in PROTOCOL_NUMBERS:
        return PROTOCOL_NUMBERS[text]
    return int(text)


def protocol_name(number: int) -> str:
    return PROTOCOL_NAMES.get(number, f"protocol {number}")


def tags_of(raw: Raw) -> dict[str, str]:
    """An AWS resource's ``Tags`` list as a dict, each value through the redactor: tags, names and
    descriptions are free text people type, and whatever the snapshot holds ends up in step text, graph
    labels, the journal and every export ("Secrets never reach a transcript")."""
    return {t.get("Key", ""): shown(t.get("Value", "")) for t in raw.get("Tags") or []}


def shown(text: Any) -> str:
    """Free text from a resource (a tag, a group name, a rule's description) as it may be shown."""
    return redact_text(str(text or ""))


# --- security groups -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SgRule:
    """One source (or destination) of one permission of a security group.

    Ports follow the API: -1 means all; for ICMP ``from_port`` is the type and ``to_port`` the code.
    Exactly one of ``cidr``, ``prefix_list_id`` and ``referenced_group_id`` is set.
    """

    group_id: str
    egress: bool
    protocol: int
    from_port: int = -1
    to_port: int = -1
    cidr: Block | None = None
    prefix_list_id: str | None = None
    referenced_group_id: str | None = None
    description: str = ""

    @property
    def peer(self) -> str:
        if self.cidr is not None:
            return self.cidr.text
        return self.prefix_list_id or self.referenced_group_id or "?"

    def ports_text(self) -> str:
        if self.protocol in (TCP, UDP):
            if self.from_port == -1 or (self.from_port <= 0 and self.to_port >= 65535):
                return "all ports"
            return f"port {self.from_port}" if self.from_port == self.to_port else \
                f"ports {self.from_port}-{self.to_port}"
        if self.protocol in (ICMP, ICMPV6):
            return "all types" if self.from_port == -1 else f"type {self.from_port}"
        return ""

    def describe(self) -> str:
        ports = self.ports_text()
        way = "to" if self.egress else "from"
        what = protocol_name(self.protocol) + (f" {ports}" if ports else "")
        note = f" ({self.description})" if self.description else ""
        return f"{'outbound' if self.egress else 'inbound'} {what} {way} {self.peer}{note}"

    def to_evidence(self) -> dict[str, Any]:
        return {"group": self.group_id, "direction": "egress" if self.egress else "ingress",
                "protocol": protocol_name(self.protocol), "from_port": self.from_port,
                "to_port": self.to_port, "peer": self.peer, "description": self.description,
                "text": self.describe()}


def _permission_rules(group_id: str, egress: bool, perm: Raw) -> list[SgRule]:
    proto = protocol_number(perm.get("IpProtocol", "-1"))
    lo = int(perm.get("FromPort", -1)) if perm.get("FromPort") is not None else -1
    hi = int(perm.get("ToPort", -1)) if perm.get("ToPort") is not None else -1
    out: list[SgRule] = []
    for r in perm.get("IpRanges") or []:
        out.append(SgRule(group_id, egress, proto, lo, hi, cidr=parse_block(r["CidrIp"]),
                          description=shown(r.get("Description"))))
    for r in perm.get("Ipv6Ranges") or []:
        out.append(SgRule(group_id, egress, proto, lo, hi, cidr=parse_block(r["CidrIpv6"]),
                          description=shown(r.get("Description"))))
    for r in perm.get("PrefixListIds") or []:
        out.append(SgRule(group_id, egress, proto, lo, hi, prefix_list_id=r["PrefixListId"],
                          description=shown(r.get("Description"))))
    for r in perm.get("UserIdGroupPairs") or []:
        if r.get("GroupId"):
            out.append(SgRule(group_id, egress, proto, lo, hi, referenced_group_id=r["GroupId"],
                              description=shown(r.get("Description"))))
    return out


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    name: str = ""
    vpc_id: str = ""
    ingress: tuple[SgRule, ...] = ()
    egress: tuple[SgRule, ...] = ()

    @classmethod
    def from_describe(cls, raw: Raw) -> SecurityGroup:
        gid = raw["GroupId"]
        return cls(
            id=gid,
            name=shown(raw.get("GroupName")),
            vpc_id=raw.get("VpcId", ""),
            ingress=tuple(r for p in raw.get("IpPermissions") or []
                          for r in _permission_rules(gid, False, p)),
            egress=tuple(r for p in raw.get("IpPermissionsEgress") or []
                         for r in _permission_rules(gid, True, p)),
        )

    @property
    def referenced_groups(self) -> set[str]:
        return {r.referenced_group_id for r in (*self.ingress, *self.egress) if r.referenced_group_id}

    @property
    def prefix_list_ids(self) -> set[str]:
        return {r.prefix_list_id for r in (*self.ingress, *self.egress) if r.prefix_list_id}

    @property
    def label(self) -> str:
        return f"{self.id} ({self.name})" if self.name else self.id


# --- network ACLs ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NaclEntry:
    rule_number: int
    egress: bool
    action: str  # allow | deny
    protocol: int
    cidr: Block
    port_from: int | None = None
    port_to: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    @property
    def implicit(self) -> bool:
        return self.rule_number >= IMPLICIT_DENY

    @property
    def number_text(self) -> str:
        return "*" if self.implicit else str(self.rule_number)

    def port_interval(self) -> tuple[int, int]:
        if self.protocol in (TCP, UDP) and self.port_from is not None:
            return (self.port_from, self.port_to if self.port_to is not None else self.port_from)
        return (0, 65535)

    def describe(self) -> str:
        ports = ""
        if self.protocol in (TCP, UDP):
            lo, hi = self.port_interval()
            if (lo, hi) == (0, 65535):
                ports = " all ports"
            elif lo == hi:
                ports = f" port {lo}"
            else:
                ports = f" ports {lo}-{hi}"
        elif self.protocol in (ICMP, ICMPV6) and self.icmp_type not in (None, -1):
            ports = f" type {self.icmp_type}"
        way = "to" if self.egress else "from"
        return (f"rule {self.number_text} {'outbound' if self.egress else 'inbound'}: {self.action.upper()} "
                f"{protocol_name(self.protocol)}{ports} {way} {self.cidr.text}")

    def to_evidence(self) -> dict[str, Any]:
        lo, hi = self.port_interval()
        return {"rule_number": self.number_text, "direction": "egress" if self.egress else "ingress",
                "action": self.action, "protocol": protocol_name(self.protocol), "cidr": self.cidr.text,
                "ports": f"{lo}-{hi}", "text": self.describe()}

    @classmethod
    def from_describe(cls, raw: Raw) -> NaclEntry:
        ports = raw.get("PortRange") or {}
        icmp = raw.get("IcmpTypeCode") or {}
        cidr = raw.get("CidrBlock") or raw.get("Ipv6CidrBlock") or "0.0.0.0/0"
        return cls(
            rule_number=int(raw["RuleNumber"]),
            egress=bool(raw.get("Egress", False)),
            action=str(raw.get("RuleAction", "deny")).lower(),
            protocol=protocol_number(raw.get("Protocol", "-1")),
            cidr=parse_block(cidr),
            port_from=int(ports["From"]) if "From" in ports else None,
            port_to=int(ports["To"]) if "To" in ports else None,
            icmp_type=int(icmp["Type"]) if "Type" in icmp else None,
            icmp_code=int(icmp["Code"]) if "Code" in icmp else None,
        )


def implicit_deny(egress: bool, version: int) -> NaclEntry:
    """The rule every network ACL ends with (shown as ``*``), whether or not the API lists it."""
    return NaclEntry(IMPLICIT_DENY, egress, "deny", ALL, parse_block("0.0.0.0/0" if version == 4 else "::/0"))


@dataclass(frozen=True)
class NetworkAcl:
    id: str
    vpc_id: str = ""
    is_default: bool = False
    entries: tuple[NaclEntry, ...] = ()
    subnet_ids: tuple[str, ...] = ()

    @classmethod
    def from_describe(cls, raw: Raw) -> NetworkAcl:
        return cls(
            id=raw["NetworkAclId"],
            vpc_id=raw.get("VpcId", ""),
            is_default=bool(raw.get("IsDefault", False)),
            entries=tuple(NaclEntry.from_describe(e) for e in raw.get("Entries") or []),
            subnet_ids=tuple(a["SubnetId"] for a in raw.get("Associations") or [] if a.get("SubnetId")),
        )

    def ordered(self, egress: bool, version: int) -> list[NaclEntry]:
        """The rules of one direction and family in evaluation order, implicit deny last."""
        rules = [e for e in self.entries if e.egress == egress and e.cidr.version == version]
        rules.sort(key=lambda e: e.rule_number)
        rules.append(implicit_deny(egress, version))
        return rules

    def numbers(self, egress: bool) -> set[int]:
        return {e.rule_number for e in self.entries if e.egress == egress}


# --- routing ---------------------------------------------------------------------------------

# How route targets appear in DescribeRouteTables, in the order they are looked for.
TARGET_FIELDS = (
    ("NatGatewayId", "nat"),
    ("TransitGatewayId", "tgw"),
    ("VpcPeeringConnectionId", "pcx"),
    ("EgressOnlyInternetGatewayId", "eigw"),
    ("NetworkInterfaceId", "eni"),
    ("InstanceId", "instance"),
    ("LocalGatewayId", "lgw"),
    ("CarrierGatewayId", "carrier"),
    ("CoreNetworkArn", "core-network"),
    ("GatewayId", "gateway"),
)
GATEWAY_PREFIXES = (("igw-", "igw"), ("vgw-", "vgw"), ("vpce-", "vpce"), ("local", "local"))
TARGET_WORDS = {
    "igw": "internet gateway", "nat": "NAT gateway", "tgw": "transit gateway", "pcx": "peering connection",
    "eigw": "egress-only internet gateway", "eni": "network interface", "instance": "instance",
    "vgw": "virtual private gateway", "vpce": "VPC endpoint", "local": "local VPC route",
    "lgw": "local gateway", "carrier": "carrier gateway", "core-network": "Cloud WAN core network",
}


@dataclass(frozen=True, slots=True)
class Route:
    destination: Block | None
    target_kind: str
    target_id: str
    state: str = "active"
    prefix_list_id: str | None = None
    origin: str = ""

    @property
    def destination_text(self) -> str:
        return self.destination.text if self.destination else (self.prefix_list_id or "?")

    @property
    def blackhole(self) -> bool:
        return self.state == "blackhole"

    @property
    def priority(self) -> int:
        """Tie-break among equally specific routes: local, then static, then prefix list, then propagated."""
        if self.target_kind == "local":
            return 0
        if self.origin == "EnableVgwRoutePropagation":
            return 3
        return 2 if self.prefix_list_id else 1

    def describe(self) -> str:
        state = " (blackhole)" if self.blackhole else ""
        return f"{self.destination_text} -> {self.target_id}{state}"

    def to_evidence(self) -> dict[str, Any]:
        return {"destination": self.destination_text, "target": self.target_id,
                "target_kind": TARGET_WORDS.get(self.target_kind, self.target_kind), "state": self.state,
                "text": self.describe()}

    @classmethod
    def from_describe(cls, raw: Raw) -> Route:
        kind, target = "unknown", "?"
        for key, k in TARGET_FIELDS:
            if raw.get(key):
                target = str(raw[key])
                kind = k
                break
        if kind == "gateway":
            kind = next((k for prefix, k in GATEWAY_PREFIXES if target.startswith(prefix)), "gateway")
        if kind == "instance" and raw.get("NetworkInterfaceId"):
            kind, target = "eni", raw["NetworkInterfaceId"]
        dest = raw.get("DestinationCidrBlock") or raw.get("DestinationIpv6CidrBlock")
        return cls(
            destination=block_or_none(dest),
            target_kind=kind,
            target_id=target,
            state=str(raw.get("State", "active")),
            prefix_list_id=raw.get("DestinationPrefixListId"),
            origin=str(raw.get("Origin", "")),
        )


@dataclass(frozen=True)
class RouteTable:
    id: str
    vpc_id: str = ""
    main: bool = False
    subnet_ids: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()
    propagating_vgws: tuple[str, ...] = ()

    @classmethod
    def from_describe(cls, raw: Raw) -> RouteTable:
        assocs = [a for a in raw.get("Associations") or []
                  if (a.get("AssociationState") or {}).get("State", "associated") == "associated"]
        return cls(
            id=raw["RouteTableId"],
            vpc_id=raw.get("VpcId", ""),
            main=any(a.get("Main") for a in assocs),
            subnet_ids=tuple(a["SubnetId"] for a in assocs if a.get("SubnetId")),
            routes=tuple(Route.from_describe(r) for r in raw.get("Routes") or []),
            propagating_vgws=tuple(g["GatewayId"] for g in raw.get("PropagatingVgws") or [] if g.get("GatewayId")),
        )

    @property
    def prefix_list_ids(self) -> set[str]:
        return {r.prefix_list_id for r in self.routes if r.prefix_list_id}


# --- places and gateways ---------------------------------------------------------------------


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str = ""
    cidr: Block | None = None
    ipv6_cidrs: tuple[Block, ...] = ()
    availability_zone: str = ""
    map_public_ip: bool = False

    @classmethod
    def from_describe(cls, raw: Raw) -> Subnet:
        return cls(
            id=raw["SubnetId"],
            vpc_id=raw.get("VpcId", ""),
            cidr=block_or_none(raw.get("CidrBlock")),
            ipv6_cidrs=tuple(parse_block(a["Ipv6CidrBlock"])
                             for a in raw.get("Ipv6CidrBlockAssociationSet") or [] if a.get("Ipv6CidrBlock")),
            availability_zone=raw.get("AvailabilityZone", ""),
            map_public_ip=bool(raw.get("MapPublicIpOnLaunch", False)),
        )


@dataclass(frozen=True)
class InternetGateway:
    id: str
    attachments: tuple[tuple[str, str], ...] = ()  # (vpc_id, state)

    @classmethod
    def from_describe(cls, raw: Raw) -> InternetGateway:
        return cls(id=raw["InternetGatewayId"],
                   attachments=tuple((a.get("VpcId", ""), a.get("State", ""))
                                     for a in raw.get("Attachments") or []))

    def attached_to(self, vpc_id: str) -> bool:
        return any(v == vpc_id and s in ("available", "attached") for v, s in self.attachments)


@dataclass(frozen=True)
class PrefixList:
    id: str
    name: str = ""
    cidrs: tuple[Block, ...] = ()
    version: int | None = None
    max_entries: int | None = None
    owner_id: str = ""

    @classmethod
    def from_describe(cls, raw: Raw) -> PrefixList:
        """``raw`` is a DescribeManagedPrefixLists item with ``Entries`` added from
        GetManagedPrefixListEntries (``Cidrs`` from DescribePrefixLists works too)."""
        cidrs = [e["Cidr"] for e in raw.get("Entries") or []] + list(raw.get("Cidrs") or [])
        return cls(id=raw["PrefixListId"], name=shown(raw.get("PrefixListName")),
                   cidrs=tuple(parse_block(c) for c in cidrs),
                   version=int(raw["Version"]) if raw.get("Version") is not None else None,
                   max_entries=int(raw["MaxEntries"]) if raw.get("MaxEntries") is not None else None,
                   owner_id=str(raw.get("OwnerId") or ""))

    @property
    def aws_managed(self) -> bool:
        """AWS's own lists (com.amazonaws.region.s3, ...) cannot be edited."""
        return self.name.startswith("com.amazonaws.") or self.owner_id == "AWS"


@dataclass(frozen=True)
class NatGateway:
    id: str
    state: str = "available"
    vpc_id: str = ""
    subnet_id: str = ""

    @classmethod
    def from_describe(cls, raw: Raw) -> NatGateway:
        return cls(raw["NatGatewayId"], raw.get("State", ""), raw.get("VpcId", ""), raw.get("SubnetId", ""))


def _vpc_info_cidrs(info: Raw) -> tuple[Block, ...]:
    texts = [info.get("CidrBlock")] + [c.get("CidrBlock") for c in info.get("CidrBlockSet") or []]
    texts += [c.get("Ipv6CidrBlock") for c in info.get("Ipv6CidrBlockSet") or []]
    return tuple(dict.fromkeys(parse_block(t) for t in texts if t))


@dataclass(frozen=True)
class PeeringConnection:
    id: str
    status: str = "active"
    requester_vpc_id: str = ""
    accepter_vpc_id: str = ""
    requester_cidrs: tuple[Block, ...] = ()
    accepter_cidrs: tuple[Block, ...] = ()
    requester_region: str = ""
    accepter_region: str = ""
    accepter_owner: str = ""  # the account that must accept it (AccepterVpcInfo.OwnerId)

    @classmethod
    def from_describe(cls, raw: Raw) -> PeeringConnection:
        requester = raw.get("RequesterVpcInfo") or {}
        accepter = raw.get("AccepterVpcInfo") or {}
        return cls(raw["VpcPeeringConnectionId"], (raw.get("Status") or {}).get("Code", ""),
                   requester.get("VpcId", ""), accepter.get("VpcId", ""),
                   _vpc_info_cidrs(requester), _vpc_info_cidrs(accepter),
                   str(requester.get("Region") or ""), str(accepter.get("Region") or ""),
                   str(accepter.get("OwnerId") or ""))

    def connects(self, vpc_id: str) -> bool:
        return vpc_id in (self.requester_vpc_id, self.accepter_vpc_id)

    def other_side(self, vpc_id: str) -> tuple[str, tuple[Block, ...]]:
        """The VPC on the far side of the connection from ``vpc_id``, and its CIDR blocks."""
        if vpc_id == self.requester_vpc_id:
            return self.accepter_vpc_id, self.accepter_cidrs
        return self.requester_vpc_id, self.requester_cidrs


@dataclass(frozen=True)
class TransitGatewayAttachment:
    id: str
    transit_gateway_id: str = ""
    resource_id: str = ""
    state: str = "available"
    route_table_id: str = ""  # the transit gateway route table it is associated with ("" when none)
    resource_type: str = "vpc"
    # Options.SecurityGroupReferencingSupport of the VPC attachment (DescribeTransitGatewayVpcAttachments):
    # "enable" | "disable", "" when it was not read.
    sg_referencing: str = ""

    @classmethod
    def from_describe(cls, raw: Raw) -> TransitGatewayAttachment:
        assoc = raw.get("Association") or {}
        table = assoc.get("TransitGatewayRouteTableId", "") if assoc.get("State", "associated") == "associated" else ""
        return cls(raw["TransitGatewayAttachmentId"], raw.get("TransitGatewayId", ""),
                   raw.get("ResourceId", "") or raw.get("VpcId", ""), raw.get("State", ""), table,
                   raw.get("ResourceType", "vpc"),
                   str((raw.get("Options") or {}).get("SecurityGroupReferencingSupport") or ""))


@dataclass(frozen=True)
class TransitGateway:
    """A transit gateway's options that change what crosses it: security group referencing must be
    enabled on the gateway (off by default) and on both VPC attachments (on by default) for a rule in one
    VPC to admit members of a group in the other (Transit Gateway guide, "Security group referencing")."""

    id: str
    sg_referencing: str = ""  # "enable" | "disable" | "" when not read

    @classmethod
    def from_describe(cls, raw: Raw) -> TransitGateway:
        return cls(raw["TransitGatewayId"],
                   str((raw.get("Options") or {}).get("SecurityGroupReferencingSupport") or ""))


@dataclass(frozen=True)
class VpnGateway:
    id: str
    state: str = "available"
    attachments: tuple[tuple[str, str], ...] = ()  # (vpc_id, state)

    @classmethod
    def from_describe(cls, raw: Raw) -> VpnGateway:
        return cls(raw["VpnGatewayId"], raw.get("State", ""),
                   tuple((a.get("VpcId", ""), a.get("State", "")) for a in raw.get("VpcAttachments") or []))

    def attached_to(self, vpc_id: str) -> bool:
        return any(v == vpc_id and s == "attached" for v, s in self.attachments)


@dataclass(frozen=True)
class VpnConnection:
    """A Site-to-Site VPN connection: its tunnels' state (VgwTelemetry) and its static routes."""

    id: str
    vpn_gateway_id: str = ""
    transit_gateway_id: str = ""
    state: str = "available"
    tunnels: tuple[tuple[str, str, str], ...] = ()  # (outside address, UP | DOWN, status message)
    static_routes: tuple[Block, ...] = ()

    @classmethod
    def from_describe(cls, raw: Raw) -> VpnConnection:
        return cls(raw["VpnConnectionId"], raw.get("VpnGatewayId", ""), raw.get("TransitGatewayId", ""),
                   raw.get("State", ""),
                   tuple((t.get("OutsideIpAddress", ""), t.get("Status", ""), t.get("StatusMessage", ""))
                         for t in raw.get("VgwTelemetry") or []),
                   tuple(parse_block(r["DestinationCidrBlock"]) for r in raw.get("Routes") or []
                         if r.get("DestinationCidrBlock") and r.get("State", "available") == "available"))

    @property
    def down(self) -> bool:
        """Every tunnel reported DOWN (or the connection not available): nothing crosses it."""
        return self.state != "available" or (bool(self.tunnels) and all(s != "UP" for _, s, _ in self.tunnels))


@dataclass(frozen=True, slots=True)
class TgwRoute:
    destination: Block
    attachment_ids: tuple[str, ...]
    state: str = "active"  # active | blackhole
    type: str = "static"  # static | propagated

    def describe(self) -> str:
        target = ", ".join(self.attachment_ids) or "no attachment"
        return f"{self.destination.text} -> {target} ({self.type}{', blackhole' if self.state == 'blackhole' else ''})"


@dataclass(frozen=True)
class TgwRouteTable:
    """A transit gateway route table: its routes (SearchTransitGatewayRoutes) and the attachments
    that propagate into it (GetTransitGatewayRouteTablePropagations)."""

    id: str
    transit_gateway_id: str = ""
    routes: tuple[TgwRoute, ...] = ()
    propagations: tuple[tuple[str, str, str], ...] = ()  # (attachment, resource, state)

    @classmethod
    def from_describe(cls, raw: Raw) -> TgwRouteTable:
        """A DescribeTransitGatewayRouteTables item with ``Routes`` and ``Propagations`` added."""
        routes = []
        for r in raw.get("Routes") or []:
            if not r.get("DestinationCidrBlock"):
                continue
            atts = tuple(a.get("TransitGatewayAttachmentId", "") for a in r.get("TransitGatewayAttachments") or [])
            routes.append(TgwRoute(parse_block(r["DestinationCidrBlock"]), atts, r.get("State", "active"),
                                   r.get("Type", "static")))
        return cls(raw["TransitGatewayRouteTableId"], raw.get("TransitGatewayId", ""), tuple(routes),
                   tuple((p.get("TransitGatewayAttachmentId", ""), p.get("ResourceId", ""), p.get("State", ""))
                         for p in raw.get("Propagations") or []))


def vpc_cidrs(raw: Raw) -> tuple[Block, ...]:
    """A DescribeVpcs item's IPv4 and IPv6 blocks."""
    texts = [raw.get("CidrBlock")] + [a.get("CidrBlock") for a in raw.get("CidrBlockAssociationSet") or []]
    texts += [a.get("Ipv6CidrBlock") for a in raw.get("Ipv6CidrBlockAssociationSet") or []]
    return tuple(dict.fromkeys(parse_block(t) for t in texts if t))


@dataclass(frozen=True)
class ElasticIp:
    allocation_id: str
    public_ip: str
    network_interface_id: str = ""
    instance_id: str = ""

    @classmethod
    def from_describe(cls, raw: Raw) -> ElasticIp:
        return cls(raw.get("AllocationId", ""), raw.get("PublicIp", ""), raw.get("NetworkInterfaceId", ""),
                   raw.get("InstanceId", ""))


# --- the instance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Eni:
    id: str
    subnet_id: str
    vpc_id: str = ""
    device_index: int = 0
    private_ip: str = ""
    public_ip: str | None = None
    public_ip_owner: str = ""  # "amazon" for an auto-assigned address, an account ID for an Elastic IP
    ipv6_addresses: tuple[str, ...] = ()
    group_ids: tuple[str, ...] = ()
    status: str = "in-use"
    instance_id: str = ""  # the instance it is attached to (DescribeNetworkInterfaces answers carry it)
    interface_type: str = ""  # "interface", "ec2_instance_connect_endpoint", "nat_gateway", ...
    description: str = ""
    # SourceDestCheck (DescribeNetworkInterfaces): on, the interface drops packets neither from nor to it, so
    # a route through it carries nothing; None when not read (an instance's NetworkInterfaces item omits it).
    source_dest_check: bool | None = None

    @classmethod
    def from_describe(cls, raw: Raw) -> Eni:
        """From an instance's ``NetworkInterfaces`` item or a DescribeNetworkInterfaces answer."""
        assoc = raw.get("Association") or {}
        return cls(
            id=raw["NetworkInterfaceId"],
            subnet_id=raw.get("SubnetId", ""),
            vpc_id=raw.get("VpcId", ""),
            device_index=int((raw.get("Attachment") or {}).get("DeviceIndex", 0)),
            private_ip=raw.get("PrivateIpAddress", ""),
            public_ip=assoc.get("PublicIp") or None,
            public_ip_owner=assoc.get("IpOwnerId", ""),
            ipv6_addresses=tuple(a["Ipv6Address"] for a in raw.get("Ipv6Addresses") or []
                                 if a.get("Ipv6Address")),
            group_ids=tuple(g["GroupId"] for g in raw.get("Groups") or []),
            status=raw.get("Status", "in-use"),
            instance_id=str((raw.get("Attachment") or {}).get("InstanceId") or ""),
            interface_type=str(raw.get("InterfaceType") or ""),
            description=shown(raw.get("Description")),
            source_dest_check=bool(raw["SourceDestCheck"]) if raw.get("SourceDestCheck") is not None else None,
        )

    @property
    def label(self) -> str:
        owner = f" of {self.instance_id}" if self.instance_id else ""
        return f"{self.id}{owner} {self.private_ip}".strip()


@dataclass(frozen=True)
class Instance:
    id: str
    state: str
    vpc_id: str = ""
    subnet_id: str = ""
    enis: tuple[Eni, ...] = ()
    name: str = ""
    key_name: str = ""
    platform: str = ""
    image_id: str = ""
    instance_status: str = ""  # from DescribeInstanceStatus: ok | impaired | initializing | ...
    system_status: str = ""
    state_reason: str = ""

    @classmethod
    def from_describe(cls, raw: Raw, status: Raw | None = None) -> Instance:
        status = status or {}
        enis = sorted((Eni.from_describe(n) for n in raw.get("NetworkInterfaces") or []),
                      key=lambda e: e.device_index)
        return cls(
            id=raw["InstanceId"],
            state=(raw.get("State") or {}).get("Name", "unknown"),
            vpc_id=raw.get("VpcId", ""),
            subnet_id=raw.get("SubnetId", ""),
            enis=tuple(enis),
            name=tags_of(raw).get("Name", ""),
            key_name=raw.get("KeyName", ""),
            platform=raw.get("PlatformDetails") or raw.get("Platform", ""),
            image_id=raw.get("ImageId", ""),
            instance_status=(status.get("InstanceStatus") or {}).get("Status", ""),
            system_status=(status.get("SystemStatus") or {}).get("Status", ""),
            state_reason=(raw.get("StateReason") or {}).get("Message", ""),
        )

    @property
    def label(self) -> str:
        return f"{self.id} ({self.name})" if self.name else self.id

    @property
    def subnet_ids(self) -> list[str]:
        return list(dict.fromkeys(e.subnet_id for e in self.enis if e.subnet_id) or [self.subnet_id])

    @property
    def group_ids(self) -> list[str]:
        return list(dict.fromkeys(g for e in self.enis for g in e.group_ids))


# --- the whole snapshot ----------------------------------------------------------------------


def _by_id(items: Iterable[Any], key: str = "id") -> dict[str, Any]:
    return {getattr(i, key): i for i in items}


@dataclass(frozen=True)
class Snapshot:
    """Every component the path to the instance may cross, indexed by ID."""

    instances: dict[str, Instance] = field(default_factory=dict)
    security_groups: dict[str, SecurityGroup] = field(default_factory=dict)
    subnets: dict[str, Subnet] = field(default_factory=dict)
    network_acls: dict[str, NetworkAcl] = field(default_factory=dict)
    route_tables: dict[str, RouteTable] = field(default_factory=dict)
    internet_gateways: dict[str, InternetGateway] = field(default_factory=dict)
    prefix_lists: dict[str, PrefixList] = field(default_factory=dict)
    elastic_ips: tuple[ElasticIp, ...] = ()
    nat_gateways: dict[str, NatGateway] = field(default_factory=dict)
    peering_connections: dict[str, PeeringConnection] = field(default_factory=dict)
    tgw_attachments: tuple[TransitGatewayAttachment, ...] = ()
    # The client's own network interfaces, when the source is an instance, an ENI or an address in a
    # VPC this account can see: its groups, subnet ACL and route table are in the maps above.
    source_enis: dict[str, Eni] = field(default_factory=dict)
    tgw_route_tables: dict[str, TgwRouteTable] = field(default_factory=dict)
    vpc_cidrs: dict[str, tuple[Block, ...]] = field(default_factory=dict)
    vpn_gateways: dict[str, VpnGateway] = field(default_factory=dict)
    vpn_connections: dict[str, VpnConnection] = field(default_factory=dict)
    transit_gateways: dict[str, TransitGateway] = field(default_factory=dict)
    # Network interfaces in the groups the instance's rules name (DescribeNetworkInterfaces group-id): who
    # those rules admit, a bastion among them when one has a public address.
    group_members: dict[str, Eni] = field(default_factory=dict)
    # The network interfaces routes name as their target (an appliance, a NAT instance), with SourceDestCheck.
    route_enis: dict[str, Eni] = field(default_factory=dict)
    region: str = ""

    @classmethod
    def from_describe(
        cls,
        *,
        instances: Iterable[Raw] = (),
        instance_statuses: Iterable[Raw] = (),
        security_groups: Iterable[Raw] = (),
        subnets: Iterable[Raw] = (),
        network_acls: Iterable[Raw] = (),
        route_tables: Iterable[Raw] = (),
        internet_gateways: Iterable[Raw] = (),
        prefix_lists: Iterable[Raw] = (),
        addresses: Iterable[Raw] = (),
        nat_gateways: Iterable[Raw] = (),
        vpc_peering_connections: Iterable[Raw] = (),
        transit_gateway_attachments: Iterable[Raw] = (),
        source_network_interfaces: Iterable[Raw] = (),
        transit_gateway_route_tables: Iterable[Raw] = (),
        vpcs: Iterable[Raw] = (),
        vpn_gateways: Iterable[Raw] = (),
        vpn_connections: Iterable[Raw] = (),
        transit_gateways: Iterable[Raw] = (),
        group_members: Iterable[Raw] = (),
        route_target_network_interfaces: Iterable[Raw] = (),
        route_target_instances: Iterable[Raw] = (),
        region: str = "",
    ) -> Snapshot:
        """Build from Describe* answers. ``instances`` may be reservations or instances."""
        statuses = {s["InstanceId"]: s for s in instance_statuses}
        flat: list[Raw] = []
        for item in instances:
            flat.extend(item.get("Instances", [item]))
        return cls(
            instances=_by_id(Instance.from_describe(i, statuses.get(i["InstanceId"])) for i in flat),
            security_groups=_by_id(SecurityGroup.from_describe(g) for g in security_groups),
            subnets=_by_id(Subnet.from_describe(s) for s in subnets),
            network_acls=_by_id(NetworkAcl.from_describe(a) for a in network_acls),
            route_tables=_by_id(RouteTable.from_describe(t) for t in route_tables),
            internet_gateways=_by_id(InternetGateway.from_describe(g) for g in internet_gateways),
            prefix_lists=_by_id(PrefixList.from_describe(p) for p in prefix_lists),
            elastic_ips=tuple(ElasticIp.from_describe(a) for a in addresses),
            nat_gateways=_by_id(NatGateway.from_describe(n) for n in nat_gateways),
            peering_connections=_by_id(PeeringConnection.from_describe(p) for p in vpc_peering_connections),
            tgw_attachments=tuple(TransitGatewayAttachment.from_describe(a)
                                  for a in transit_gateway_attachments),
            source_enis=_by_id(Eni.from_describe(n) for n in source_network_interfaces),
            tgw_route_tables=_by_id(TgwRouteTable.from_describe(t) for t in transit_gateway_route_tables),
            vpc_cidrs={v["VpcId"]: vpc_cidrs(v) for v in vpcs},
            vpn_gateways=_by_id(VpnGateway.from_describe(g) for g in vpn_gateways),
            vpn_connections=_by_id(VpnConnection.from_describe(c) for c in vpn_connections),
            transit_gateways=_by_id(TransitGateway.from_describe(t) for t in transit_gateways),
            group_members=_by_id(Eni.from_describe(n) for n in group_members),
            route_enis={**_by_id(Eni.from_describe(n) for n in route_target_network_interfaces),
                        **{i["InstanceId"]: _instance_as_route_target(i) for i in route_target_instances}},
            region=region,
        )

    # Indexes are built on first use: a snapshot of 5,000 groups costs nothing it does not need.

    @cached_property
    def _nacl_by_subnet(self) -> dict[str, NetworkAcl]:
        return {s: acl for acl in self.network_acls.values() for s in acl.subnet_ids}

    @cached_property
    def _rtb_by_subnet(self) -> dict[str, RouteTable]:
        return {s: t for t in self.route_tables.values() for s in t.subnet_ids}

    @cached_property
    def _main_rtb_by_vpc(self) -> dict[str, RouteTable]:
        return {t.vpc_id: t for t in self.route_tables.values() if t.main}

    def network_acl_for(self, subnet_id: str) -> NetworkAcl | None:
        return self._nacl_by_subnet.get(subnet_id)

    def route_table_for(self, subnet_id: str, vpc_id: str) -> tuple[RouteTable | None, bool]:
        """The subnet's effective route table, and whether it is the VPC's main table by default."""
        explicit = self._rtb_by_subnet.get(subnet_id)
        if explicit is not None:
            return explicit, False
        return self._main_rtb_by_vpc.get(vpc_id), True

    def internet_gateways_of(self, vpc_id: str) -> list[InternetGateway]:
        return [g for g in self.internet_gateways.values() if g.attached_to(vpc_id)]

    def elastic_ip_of(self, eni_id: str) -> ElasticIp | None:
        return next((a for a in self.elastic_ips if a.network_interface_id == eni_id), None)


def _instance_as_route_target(raw: Raw) -> Eni:
    """An instance a route names by its ID, as the interface the route uses: keyed by the instance ID, with
    the instance's SourceDestCheck (DescribeInstances), which is its primary interface's."""
    return Eni(id=raw["InstanceId"], subnet_id=raw.get("SubnetId", ""), vpc_id=raw.get("VpcId", ""),
               private_ip=raw.get("PrivateIpAddress", ""), instance_id=raw["InstanceId"],
               source_dest_check=(bool(raw["SourceDestCheck"]) if raw.get("SourceDestCheck") is not None else None))
