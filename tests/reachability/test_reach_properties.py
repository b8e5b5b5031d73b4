"""Properties: the range-based engine agrees with packet-by-packet reference implementations."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st
from world import World, permission

from diagnostics.reachability.addresses import parse_block
from diagnostics.reachability.rules import nacl_check, route_lookup
from diagnostics.reachability.snapshot import NaclEntry, NetworkAcl, Route, RouteTable, protocol_number

# A small address space keeps collisions between rules and packets frequent.
prefixes = st.integers(min_value=20, max_value=32)
octets = st.integers(min_value=0, max_value=15)


@st.composite
def cidrs(draw: st.DrawFn) -> str:
    address = f"10.0.{draw(octets)}.{draw(st.integers(0, 255))}"
    return str(ipaddress.ip_network(f"{address}/{draw(prefixes)}", strict=False))


@st.composite
def nacl_entries(draw: st.DrawFn, egress: bool) -> NaclEntry:
    protocol = draw(st.sampled_from(["-1", "6", "17"]))
    ports = None
    if protocol != "-1":
        lo = draw(st.integers(0, 2000))
        ports = (lo, lo + draw(st.integers(0, 2000)))
    return NaclEntry.from_describe({
        "RuleNumber": draw(st.integers(1, 32766)), "Egress": egress, "Protocol": protocol,
        "RuleAction": draw(st.sampled_from(["allow", "deny"])), "CidrBlock": draw(cidrs()),
        **({"PortRange": {"From": ports[0], "To": ports[1]}} if ports else {}),
    })


def reference_action(entries: list[NaclEntry], address: int, port: int, protocol: int) -> str:
    """What AWS documents: sort by rule number, first match wins, deny when nothing matches."""
    for entry in sorted(entries, key=lambda e: e.rule_number):
        if entry.protocol not in (-1, protocol) or not entry.cidr.lo <= address <= entry.cidr.hi:
            continue
        lo, hi = entry.port_interval()
        if lo <= port <= hi:
            return entry.action
    return "deny"


def unique_numbers(entries: list[NaclEntry]) -> list[NaclEntry]:
    seen: dict[int, NaclEntry] = {}
    for e in entries:
        seen.setdefault(e.rule_number, e)
    return list(seen.values())


@settings(max_examples=300, deadline=None)
@given(st.lists(nacl_entries(False), max_size=12).map(unique_numbers), cidrs(), st.integers(0, 4000),
       st.integers(0, 300), st.sampled_from(["tcp", "udp"]))
def test_nacl_first_match_equals_reference(entries, source, port, width, protocol) -> None:
    acl = NetworkAcl("acl-x", entries=tuple(entries))
    block = parse_block(source)
    proto = protocol_number(protocol)
    verdict = nacl_check(acl, False, 4, ((block.lo, block.hi),), (port, port + width), proto)
    for address in {block.lo, block.hi, (block.lo + block.hi) // 2}:
        actions = [reference_action(entries, address, p, proto) for p in range(port, port + width + 1)]
        admitted = any(lo <= address <= hi for lo, hi in verdict.admitted)
        assert admitted == all(a == "allow" for a in actions)
        for p, action in zip(range(port, port + width + 1), actions, strict=True):
            deciders = [d for d in (verdict.drops if action == "deny" else verdict.allows)
                        if any(lo <= address <= hi for lo, hi in d.addresses)
                        and any(lo <= p <= hi for lo, hi in d.ports)]
            assert deciders, (address, p, action)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["tcp", "udp", "-1"]), st.integers(0, 100), st.integers(0, 40),
                          cidrs()), max_size=6),
       st.tuples(st.sampled_from(["tcp", "udp", "-1"]), st.integers(0, 100), st.integers(0, 40), cidrs()),
       st.integers(0, 140), cidrs())
def test_adding_an_allow_rule_never_closes_what_was_open(rules, extra, port, source) -> None:
    def world_with(items) -> World:
        world = World()
        world.group["IpPermissions"] = [permission(p, None if p == "-1" else (lo, lo + w), (c,))
                                         for p, lo, w, c in items]
        return world

    before = world_with(rules).evaluate(source=source, port=port)
    after = world_with([*rules, extra]).evaluate(source=source, port=port)
    rank = {"open": 0, "partial": 1, "blocked": 2}
    assert rank[after.verdict] <= rank[before.verdict]
    if before.verdict == "open":
        assert after.verdict == "open"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(cidrs(), st.sampled_from(["igw-a", "nat-b", "pcx-c", "local"]),
                          st.sampled_from(["active", "blackhole"])), max_size=8), cidrs())
def test_longest_prefix_match_equals_brute_force(routes, destination) -> None:
    table = RouteTable("rtb-x", routes=tuple(Route.from_describe(
        {"DestinationCidrBlock": c, "State": s,
         ("NatGatewayId" if t.startswith("nat") else "VpcPeeringConnectionId" if t.startswith("pcx")
          else "GatewayId"): t}) for c, t, s in routes))
    block = parse_block(destination)
    decisions = route_lookup(table, {}, 4, ((block.lo, block.hi),))
    for address in (block.lo, block.hi, (block.lo + block.hi) // 2):
        matching = [r for r in table.routes if r.destination.lo <= address <= r.destination.hi]
        best = max((r.destination.prefixlen for r in matching), default=None)
        chosen = next(d.route for d in decisions if any(lo <= address <= hi for lo, hi in d.addresses))
        if best is None:
            assert chosen is None
        else:
            assert chosen is not None and chosen.destination.prefixlen == best
            assert chosen.priority == min(r.priority for r in matching if r.destination.prefixlen == best)


@settings(max_examples=500, deadline=None)
@given(st.tuples(st.integers(0, 255), st.integers(0, 255), st.integers(0, 255), st.integers(0, 255)),
       st.one_of(st.none(), st.integers(0, 32)))
def test_fast_ipv4_parsing_equals_the_ipaddress_module(octets, prefix) -> None:
    text = ".".join(map(str, octets)) + (f"/{prefix}" if prefix is not None else "")
    parse_block.cache_clear()
    block = parse_block(text)
    net = ipaddress.ip_network(text, strict=False)
    assert (block.version, block.lo, block.hi, block.prefixlen, block.text) == (
        4, int(net.network_address), int(net.broadcast_address), net.prefixlen, str(net))


def test_odd_addresses_fall_back_to_the_ipaddress_module() -> None:
    assert parse_block("2001:db8::1").text == "2001:db8::1/128"
    assert parse_block(" 10.0.0.7/8 ").text == "10.0.0.0/8"
    for bad in ("10.0.0.256/8", "010.0.0.0/8", "10.0.0.0/33", "10.0.0/8"):
        parse_block.cache_clear()
        try:
            parse_block(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} parsed")
