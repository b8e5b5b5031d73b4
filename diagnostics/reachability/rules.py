"""How AWS matches one packet set against security groups, network ACLs and route tables.

Each function takes a *set* of client addresses (sorted integer intervals of one family) and answers
which part of it gets through and which rule decided each part:

- security groups: allow rules only, the union of every group on the ENI, stateful;
- network ACLs: stateless, rules in number order, first match wins, implicit deny last;
- route tables: longest prefix match, ties broken local > static > prefix list > propagated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from diagnostics.reachability.addresses import Interval, Intervals, cells, intersect, normalize, subtract
from diagnostics.reachability.snapshot import (
    ALL,
    ICMP,
    ICMPV6,
    TCP,
    UDP,
    NaclEntry,
    NetworkAcl,
    PrefixList,
    Route,
    RouteTable,
    SecurityGroup,
    SgRule,
)

# ICMP is checked as ping: echo request in, echo reply out.
ECHO_REQUEST = {ICMP: 8, ICMPV6: 128}
ECHO_REPLY = {ICMP: 0, ICMPV6: 129}


def sg_rule_admits(rule: SgRule, protocol: int, port: int) -> bool:
    """Protocol and port only; the peer is matched separately."""
    if rule.protocol == ALL:
        return True
    if rule.protocol != protocol:
        return False
    if protocol in (TCP, UDP):
        return rule.from_port == -1 or rule.from_port <= port <= rule.to_port
    if protocol in (ICMP, ICMPV6):
        return rule.from_port in (-1, ECHO_REQUEST[protocol]) and rule.to_port in (-1, 0)
    return True


@dataclass
class SgVerdict:
    admitted: Intervals = ()
    by_rule: list[tuple[SgRule, Intervals]] = field(default_factory=list)
    group_references: list[SgRule] = field(default_factory=list)  # admit members of another group
    unknown_prefix_lists: list[SgRule] = field(default_factory=list)
    same_port_rules: list[SgRule] = field(default_factory=list)  # right protocol and port, any peer


def sg_ingress(groups: list[SecurityGroup], prefix_lists: dict[str, PrefixList], version: int,
               sources: Intervals, protocol: int, port: int) -> SgVerdict:
    """Which of ``sources`` the union of ``groups`` admits. A referenced group never matches an
    address set: only traffic from an ENI in that group does, and the caller decides what that means."""
    return _sg_match(groups, prefix_lists, version, sources, protocol, port, egress=False)


def sg_egress(groups: list[SecurityGroup], prefix_lists: dict[str, PrefixList], version: int,
              destinations: Intervals, protocol: int, port: int) -> SgVerdict:
    """Which of ``destinations`` the outbound rules of ``groups`` let a connection out to (the
    client's side of the path); group references are left to the caller as in :func:`sg_ingress`."""
    return _sg_match(groups, prefix_lists, version, destinations, protocol, port, egress=True)


def _sg_match(groups: list[SecurityGroup], prefix_lists: dict[str, PrefixList], version: int,
              sources: Intervals, protocol: int, port: int, egress: bool) -> SgVerdict:
    verdict = SgVerdict()
    admitted: list[Interval] = []
    for group in groups:
        for rule in group.egress if egress else group.ingress:
            if not sg_rule_admits(rule, protocol, port):
                continue
            verdict.same_port_rules.append(rule)
            blocks: list[Interval] = []
            if rule.cidr is not None:
                if rule.cidr.version == version:
                    blocks.append(rule.cidr.interval)
            elif rule.prefix_list_id:
                pl = prefix_lists.get(rule.prefix_list_id)
                if pl is None:
                    verdict.unknown_prefix_lists.append(rule)
                    continue
                blocks.extend(c.interval for c in pl.cidrs if c.version == version)
            else:
                verdict.group_references.append(rule)
                continue
            hit = intersect(sources, normalize(blocks))
            if hit:
                verdict.by_rule.append((rule, hit))
                admitted.extend(hit)
    verdict.admitted = normalize(admitted)
    return verdict


# --- network ACLs ----------------------------------------------------------------------------


def nacl_entry_matches_protocol(entry: NaclEntry, protocol: int, icmp_type: int | None) -> bool:
    if entry.protocol == ALL:
        return True
    if entry.protocol != protocol:
        return False
    if protocol in (ICMP, ICMPV6) and icmp_type is not None:
        return entry.icmp_type in (None, -1, icmp_type)
    return True


@dataclass
class NaclDecision:
    rule: NaclEntry
    addresses: Intervals
    ports: Intervals


@dataclass
class NaclVerdict:
    admitted: Intervals  # addresses for which every asked port is allowed
    blocked: Intervals
    drops: list[NaclDecision]  # per deny rule: which addresses and ports it dropped
    allows: list[NaclDecision]


def nacl_first_match(rules: list[NaclEntry], address: int, port: int, uses_ports: bool) -> NaclEntry:
    """The reference: the first rule in order that matches one packet."""
    for rule in rules:
        if rule.cidr.lo <= address <= rule.cidr.hi:
            lo, hi = rule.port_interval()
            if not uses_ports or lo <= port <= hi:
                return rule
    raise AssertionError("the implicit deny matches every packet")


def nacl_check(acl: NetworkAcl, egress: bool, version: int, addresses: Intervals, ports: Interval,
               protocol: int, icmp_type: int | None = None) -> NaclVerdict:
    """First-match evaluation of one direction over a set of addresses and a port range.

    Inbound, ``addresses`` are the packet's sources; outbound (the replies) its destinations; the
    port is always the destination port. An address is admitted only if every port is.
    """
    rules = [r for r in acl.ordered(egress, version) if nacl_entry_matches_protocol(r, protocol, icmp_type)]
    uses_ports = protocol in (TCP, UDP)
    drops: dict[int, tuple[NaclEntry, list[Interval], list[Interval]]] = {}
    allows: dict[int, tuple[NaclEntry, list[Interval], list[Interval]]] = {}
    admitted: list[Interval] = []
    for cell in cells(addresses, [r.cidr.interval for r in rules]):
        here = [r for r in rules if r.cidr.lo <= cell[0] <= r.cidr.hi]
        port_cells = cells((ports,), [r.port_interval() for r in here]) if uses_ports else [ports]
        all_allowed = True
        for pcell in port_cells:
            rule = nacl_first_match(here, cell[0], pcell[0], uses_ports)
            book = allows if rule.action == "allow" else drops
            entry = book.setdefault(id(rule), (rule, [], []))
            entry[1].append(cell)
            entry[2].append(pcell)
            if rule.action != "allow":
                all_allowed = False
        if all_allowed:
            admitted.append(cell)
    adm = normalize(admitted)

    def decisions(book: dict[int, tuple[NaclEntry, list[Interval], list[Interval]]]) -> list[NaclDecision]:
        out = [NaclDecision(r, normalize(a), normalize(p)) for r, a, p in book.values()]
        return sorted(out, key=lambda d: d.rule.rule_number)

    return NaclVerdict(adm, subtract(addresses, adm), decisions(drops), decisions(allows))


# --- routes ----------------------------------------------------------------------------------


@dataclass
class RouteDecision:
    addresses: Intervals
    route: Route | None
    prefixlen: int = -1


def route_candidates(table: RouteTable, prefix_lists: dict[str, PrefixList],
                     version: int) -> tuple[list[tuple[Interval, int, Route]], list[Route]]:
    """Every (interval, prefix length, route) of one family; prefix-list routes count once per entry.
    Also the prefix-list routes whose list is unknown to the snapshot."""
    out: list[tuple[Interval, int, Route]] = []
    unknown: list[Route] = []
    for route in table.routes:
        if route.destination is not None:
            if route.destination.version == version:
                out.append((route.destination.interval, route.destination.prefixlen, route))
        elif route.prefix_list_id:
            pl = prefix_lists.get(route.prefix_list_id)
            if pl is None:
                unknown.append(route)
                continue
            out.extend((c.interval, c.prefixlen, route) for c in pl.cidrs if c.version == version)
    return out, unknown


def longest_prefix_match(candidates: list[tuple[Interval, int, Route]],
                         address: int) -> tuple[Route | None, int]:
    best: tuple[int, int, Route] | None = None
    for (lo, hi), plen, route in candidates:
        if lo <= address <= hi:
            key = (plen, -route.priority)
            if best is None or key > best[:2]:
                best = (plen, -route.priority, route)
    return (best[2], best[0]) if best else (None, -1)


def route_lookup(table: RouteTable, prefix_lists: dict[str, PrefixList], version: int,
                 addresses: Intervals) -> list[RouteDecision]:
    """Which route each part of ``addresses`` takes, as runs of addresses sharing a route."""
    candidates, _ = route_candidates(table, prefix_lists, version)
    runs: list[RouteDecision] = []
    for cell in cells(addresses, [c[0] for c in candidates]):
        route, plen = longest_prefix_match(candidates, cell[0])
        if runs and runs[-1].route is route and runs[-1].addresses[-1][1] + 1 == cell[0]:
            runs[-1].addresses = ((runs[-1].addresses[-1][0], cell[1]),)
        else:
            runs.append(RouteDecision(((cell[0], cell[1]),), route, plen))
    merged: dict[int, RouteDecision] = {}
    for run in runs:
        key = id(run.route)
        if key in merged:
            merged[key].addresses = normalize([*merged[key].addresses, *run.addresses])
        else:
            merged[key] = RouteDecision(run.addresses, run.route, run.prefixlen)
    return list(merged.values())
