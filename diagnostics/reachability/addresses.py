"""Address blocks and sets of addresses or ports as sorted, disjoint integer intervals.

The evaluator reasons about *sets* of packets (a client CIDR, "any internet address", the ephemeral
port range) rather than one sample packet, so it can say which part of a range a rule drops.
Intervals are inclusive ``(lo, hi)`` pairs of ints; one family (IPv4 or IPv6) per set.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

Interval = tuple[int, int]
Intervals = tuple[Interval, ...]

EPHEMERAL: Interval = (1024, 65535)


@dataclass(frozen=True, slots=True)
class Block:
    """A CIDR block, kept as text (for people) and as an integer interval (for the engine)."""

    version: int
    lo: int
    hi: int
    prefixlen: int
    text: str

    @property
    def interval(self) -> Interval:
        return (self.lo, self.hi)

    def contains(self, other: Block) -> bool:
        return self.version == other.version and self.lo <= other.lo and other.hi <= self.hi

    def __str__(self) -> str:
        return self.text


_OCTET = r"(0|[1-9][0-9]{0,2})"
_V4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}(?:/([0-9]{{1,2}}))?")


def _parse_v4(text: str) -> Block | None:
    """The common case without the ipaddress module, which is several times slower: a big account
    has tens of thousands of rule CIDRs. None for anything but a plain dotted IPv4 CIDR."""
    match = _V4.fullmatch(text)
    if match is None:
        return None
    a, b, c, d, length = match.groups()
    prefix = int(length) if length is not None else 32
    octets = (int(a), int(b), int(c), int(d))
    if prefix > 32 or max(octets) > 255:
        return None
    host = (1 << (32 - prefix)) - 1
    lo = ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) & ~host & 0xFFFFFFFF
    text = f"{lo >> 24}.{(lo >> 16) & 255}.{(lo >> 8) & 255}.{lo & 255}/{prefix}"
    return Block(4, lo, lo | host, prefix, text)


@lru_cache(maxsize=65536)
def parse_block(text: str) -> Block:
    """Parse ``10.0.0.0/16``, ``2001:db8::/32`` or a bare address (a /32 or /128)."""
    text = text.strip()
    fast = _parse_v4(text)
    if fast is not None:
        return fast
    net = ipaddress.ip_network(text, strict=False)
    return Block(net.version, int(net.network_address), int(net.broadcast_address), net.prefixlen,
                 str(net))


def block_or_none(text: str | None) -> Block | None:
    return parse_block(text) if text else None


def interval_text(version: int, interval: Interval) -> str:
    """The shortest list of CIDRs covering an interval, for messages."""
    cls = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    nets = ipaddress.summarize_address_range(cls(interval[0]), cls(interval[1]))
    return ", ".join(str(n) for n in nets)


def set_text(version: int, intervals: Intervals, limit: int = 6) -> str:
    parts: list[str] = []
    for iv in intervals:
        parts.extend(interval_text(version, iv).split(", "))
    if len(parts) > limit:
        return ", ".join(parts[:limit]) + f" and {len(parts) - limit} more blocks"
    return ", ".join(parts)


def ports_text(intervals: Intervals) -> str:
    return ", ".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in intervals)


def normalize(intervals: Iterable[Interval]) -> Intervals:
    """Sort and merge overlapping or adjacent intervals."""
    out: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((lo, hi) for lo, hi in out)


def intersect(a: Intervals, b: Intervals) -> Intervals:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo = max(a[i][0], b[j][0])
        hi = min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def subtract(a: Intervals, b: Intervals) -> Intervals:
    out: list[Interval] = []
    for lo, hi in a:
        cur = lo
        for blo, bhi in b:
            if bhi < cur or blo > hi:
                continue
            if blo > cur:
                out.append((cur, blo - 1))
            cur = max(cur, bhi + 1)
            if cur > hi:
                break
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


def cells(domain: Intervals, cuts: Iterable[Interval]) -> list[Interval]:
    """Split ``domain`` at every boundary of ``cuts`` into elementary intervals.

    Inside one cell every cut interval either covers the whole cell or none of it, so one sample
    point decides the cell: that is what lets first-match and longest-prefix rules be evaluated over
    ranges with a handful of point look-ups.
    """
    points: set[int] = set()
    for lo, hi in cuts:
        points.add(lo)
        points.add(hi + 1)
    out: list[Interval] = []
    for lo, hi in domain:
        inner = sorted(p for p in points if lo < p <= hi)
        start = lo
        for p in inner:
            out.append((start, p - 1))
            start = p
        out.append((start, hi))
    return out


def _blocks(texts: Iterable[str]) -> Intervals:
    return normalize(parse_block(t).interval for t in texts)


# Addresses the internet never delivers from (RFC 6890 special-purpose ranges): "any internet
# address" means every IPv4 address outside them. The documentation ranges (TEST-NET-1/2/3) stay in:
# examples and the sandbox use them for "a client somewhere out there".
NOT_INTERNET_V4 = _blocks([
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/3",
])
ALL_V4: Intervals = ((0, 2**32 - 1),)
INTERNET_V4: Intervals = subtract(ALL_V4, NOT_INTERNET_V4)
INTERNET_V6: Intervals = _blocks(["2000::/3"])


def internet_part(version: int, intervals: Intervals) -> Intervals:
    """The addresses of a set that could be clients on the public internet."""
    return intersect(intervals, INTERNET_V4 if version == 4 else INTERNET_V6)


def vpc_holding(vpcs: Iterable[Mapping[str, Any]], address: str) -> tuple[str, str] | None:
    """(VPC ID, CIDR) of the VPC whose IPv4 or IPv6 ranges hold ``address`` (DescribeVpcs items), or None."""
    target = parse_block(address)
    for vpc in vpcs:
        cidrs = [a.get("CidrBlock") for a in vpc.get("CidrBlockAssociationSet") or []] or [vpc.get("CidrBlock")]
        cidrs += [a.get("Ipv6CidrBlock") for a in vpc.get("Ipv6CidrBlockAssociationSet") or []]
        for cidr in cidrs:
            if cidr and parse_block(cidr).contains(target):
                return str(vpc.get("VpcId") or ""), cidr
    return None
