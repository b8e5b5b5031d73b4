"""Ready-to-paste ``aws ec2 ...`` commands for each kind of fix. awstriage never runs them.

Where the user did not say where they connect from, the commands use ``$MY_IP``, set by the first
command of the list, rather than opening anything to the whole internet.
"""

from __future__ import annotations

import ipaddress

from diagnostics.reachability.addresses import Block
from diagnostics.reachability.snapshot import ICMP, ICMPV6, IMPLICIT_DENY, TCP, UDP, NetworkAcl, protocol_name

MY_IP_V4 = "MY_IP=$(curl -s https://checkip.amazonaws.com)"
# Ping: echo request in, echo reply out.
ICMP_TYPES = {(ICMP, False): 8, (ICMP, True): 0, (ICMPV6, False): 128, (ICMPV6, True): 129}
MY_IP_V6 = "MY_IP=$(curl -s -6 https://api64.ipify.org)"


def aws(region: str, *parts: str) -> str:
    words = ["aws", *parts]
    if region:
        words += ["--region", region]
    return " ".join(words)


def client_cidr(source: Block | None, version: int = 4) -> tuple[str, list[str]]:
    """The CIDR a fix should open (the user's own), and any command that must run first."""
    if source is not None:
        return source.text, []
    return ("${MY_IP}/32" if version == 4 else "${MY_IP}/128"), [MY_IP_V4 if version == 4 else MY_IP_V6]


def _proto_word(protocol: int) -> str:
    return {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmpv6"}.get(protocol, str(protocol))


def sg_ingress(region: str, group_id: str, protocol: int, port: int, cidr: str, version: int) -> str:
    ports = _ports_spec(protocol, port)
    ranges = f"IpRanges=[{{CidrIp={cidr}}}]" if version == 4 else f"Ipv6Ranges=[{{CidrIpv6={cidr}}}]"
    return aws(region, "ec2 authorize-security-group-ingress", f"--group-id {group_id}",
               f'--ip-permissions "IpProtocol={_proto_word(protocol)},{ports},{ranges}"')


def _ports_spec(protocol: int, port: int) -> str:
    if protocol in (TCP, UDP):
        return f"FromPort={port},ToPort={port}"
    if protocol in (ICMP, ICMPV6):
        return f"FromPort={8 if protocol == ICMP else 128},ToPort=-1"
    return "FromPort=-1,ToPort=-1"


def sg_ingress_from_group(region: str, group_id: str, protocol: int, port: int, source_group: str) -> str:
    """Admit every network interface in ``source_group`` (the client's group) on this port."""
    return aws(region, "ec2 authorize-security-group-ingress", f"--group-id {group_id}",
               f'--ip-permissions "IpProtocol={_proto_word(protocol)},{_ports_spec(protocol, port)},'
               f'UserIdGroupPairs=[{{GroupId={source_group}}}]"')


def sg_egress(region: str, group_id: str, protocol: int, port: int, cidr: str, version: int) -> str:
    """Let the client's group open connections to ``cidr`` on this port."""
    ranges = f"IpRanges=[{{CidrIp={cidr}}}]" if version == 4 else f"Ipv6Ranges=[{{CidrIpv6={cidr}}}]"
    return aws(region, "ec2 authorize-security-group-egress", f"--group-id {group_id}",
               f'--ip-permissions "IpProtocol={_proto_word(protocol)},{_ports_spec(protocol, port)},{ranges}"')


def prefix_list_add(region: str, prefix_list_id: str, version: int | None, cidr: str) -> str:
    """Add ``cidr`` to a customer-managed prefix list: every rule and route that uses the list follows."""
    current = str(version) if version is not None else (
        "$(" + aws(region, "ec2 describe-managed-prefix-lists", f"--prefix-list-ids {prefix_list_id}",
                   "--query 'PrefixLists[0].Version'", "--output text") + ")")
    return aws(region, "ec2 modify-managed-prefix-list", f"--prefix-list-id {prefix_list_id}",
               f"--current-version {current}", f'--add-entries "Cidr={cidr},Description=added by awstriage fix"')


def free_rule_number(acl: NetworkAcl, egress: bool, below: int) -> int | None:
    """A free rule number lower than ``below``: a round one where possible.

    Below the implicit deny, the next multiple of 10 after the last rule reads best; below an
    explicit deny, the highest free multiple of 10 under it, else any free number.
    """
    used = acl.numbers(egress)
    if below >= IMPLICIT_DENY:
        top = max((n for n in used if n < IMPLICIT_DENY), default=90)
        candidate = (top // 10 + 1) * 10
        if candidate < IMPLICIT_DENY and candidate not in used:
            return candidate
        below = IMPLICIT_DENY
    for step in (10, 1):
        start = (below - 1) // step * step
        for n in range(start, 0, -step):
            if n < below and n not in used:
                return n
    return None


def nacl_allow(region: str, acl: NetworkAcl, egress: bool, number: int, protocol: int,
               ports: tuple[int, int], cidr: str, version: int, replace: bool = False) -> str:
    verb = "replace-network-acl-entry" if replace else "create-network-acl-entry"
    parts = [f"ec2 {verb}", f"--network-acl-id {acl.id}", "--egress" if egress else "--ingress",
             f"--rule-number {number}", f"--protocol {_proto_word(protocol)}"]
    if protocol in (TCP, UDP):
        parts.append(f"--port-range From={ports[0]},To={ports[1]}")
    elif protocol in (ICMP, ICMPV6):
        icmp_type = ICMP_TYPES[(protocol, egress)]
        parts.append(f"--icmp-type-code Type={icmp_type},Code=-1")
    parts.append(f"--cidr-block {cidr}" if version == 4 else f"--ipv6-cidr-block {cidr}")
    parts.append("--rule-action allow")
    return aws(region, *parts)


def route(region: str, table_id: str, destination: str, version: int, target: str, replace: bool = False) -> str:
    """create-route (or replace-route) to ``target``, an option such as ``--gateway-id igw-...``."""
    flag = "--destination-cidr-block" if version == 4 else "--destination-ipv6-cidr-block"
    verb = "replace-route" if replace else "create-route"
    return aws(region, f"ec2 {verb}", f"--route-table-id {table_id}", f"{flag} {destination}", target)


def route_to_igw(region: str, table_id: str, destination: str, igw: str, version: int,
                 replace: bool = False) -> str:
    return route(region, table_id, destination, version, f"--gateway-id {igw}", replace)


def route_to_peering(region: str, table_id: str, destination: str, pcx: str, version: int,
                     replace: bool = False) -> str:
    return route(region, table_id, destination, version, f"--vpc-peering-connection-id {pcx}", replace)


def create_and_attach_igw(region: str, vpc_id: str) -> list[str]:
    return [
        "IGW_ID=$(" + aws(region, "ec2 create-internet-gateway", "--query InternetGateway.InternetGatewayId",
                          "--output text") + ")",
        aws(region, "ec2 attach-internet-gateway", '--internet-gateway-id "$IGW_ID"', f"--vpc-id {vpc_id}"),
    ]


def attach_igw(region: str, igw: str, vpc_id: str) -> str:
    return aws(region, "ec2 attach-internet-gateway", f"--internet-gateway-id {igw}", f"--vpc-id {vpc_id}")


def free_ipv6_subnet(vpc_blocks: tuple[Block, ...], used: tuple[Block, ...]) -> str | None:
    """The first /64 of the VPC's IPv6 blocks that no subnet uses (a subnet's IPv6 block is a /64 of the
    VPC's /56, per the VPC user guide, "IPv6 CIDR blocks"), or None."""
    taken = [ipaddress.ip_network(b.text, strict=False) for b in used if b.version == 6]
    for block in vpc_blocks:
        if block.version != 6:
            continue
        network = ipaddress.ip_network(block.text, strict=False)
        if network.prefixlen > 64:
            continue
        for candidate in network.subnets(new_prefix=64):
            if not any(candidate.overlaps(t) for t in taken):
                return str(candidate)
    return None


def public_address(region: str, eni_id: str, version: int, subnet_id: str = "",
                   subnet_ipv6: tuple[Block, ...] = (), vpc_id: str = "",
                   vpc_blocks: tuple[Block, ...] | None = None, used_ipv6: tuple[Block, ...] = ()) -> list[str]:
    """The commands that give ``eni_id`` an address the internet reaches over IPv``version``. EC2 assigns
    an IPv6 address only from the subnet's IPv6 block, and a subnet gets one only from its VPC's (VPC user
    guide, "Add IPv6 support for your VPC"): those steps come first where they are missing. ``vpc_blocks``
    None means the VPC's blocks were not read."""
    if version == 6:
        assign = aws(region, "ec2 assign-ipv6-addresses", f"--network-interface-id {eni_id}", "--ipv6-address-count 1")
        if subnet_ipv6 or not subnet_id:
            return [assign]
        vpc_v6 = tuple(b for b in vpc_blocks or () if b.version == 6)
        chosen = free_ipv6_subnet(vpc_v6, used_ipv6) if vpc_v6 else None
        if chosen:
            return [aws(region, "ec2 associate-subnet-cidr-block", f"--subnet-id {subnet_id}",
                        f"--ipv6-cidr-block {chosen}"), assign]
        first = ([aws(region, "ec2 associate-vpc-cidr-block", f"--vpc-id {vpc_id}",
                      "--amazon-provided-ipv6-cidr-block")] if vpc_blocks is not None and not vpc_v6 and vpc_id
                 else [])
        return [*first,
                f"# then give {subnet_id} a /64 of the VPC's IPv6 block (see: "
                + aws(region, "ec2 describe-vpcs", f"--vpc-ids {vpc_id or '<vpc>'}",
                      "--query 'Vpcs[0].Ipv6CidrBlockAssociationSet[].Ipv6CidrBlock'") + ")",
                f"# aws ec2 associate-subnet-cidr-block --subnet-id {subnet_id} --ipv6-cidr-block <a free /64>",
                assign]
    return [
        "ALLOC_ID=$(" + aws(region, "ec2 allocate-address", "--domain vpc", "--query AllocationId",
                            "--output text") + ")",
        aws(region, "ec2 associate-address", '--allocation-id "$ALLOC_ID"',
            f"--network-interface-id {eni_id}"),
    ]


def packet_words(protocol: int, port: int) -> str:
    if protocol in (TCP, UDP):
        return f"{protocol_name(protocol)} port {port}"
    if protocol in (ICMP, ICMPV6):
        return f"{protocol_name(protocol)} echo (ping)"
    return protocol_name(protocol)
