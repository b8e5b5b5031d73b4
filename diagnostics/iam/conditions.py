"""The Condition element: every operator family, ...IfExists, ForAllValues/ForAnyValue, Null.

Rules that are easy to get wrong, all from AWS's "Condition operators" and "Single-valued vs.
multivalued context keys" pages:

* keys are case-insensitive, values are compared as the operator says (StringEquals is
  case-sensitive, StringEqualsIgnoreCase is not);
* several values for one key are OR-ed; several keys, and several operators, are AND-ed;
* a key the request lacks makes the condition false, except for the negated operators
  (StringNotEquals, NotIpAddress, ...) and the ...IfExists forms, which are then true;
* ForAllValues is true when the key is missing or its set is empty; ForAnyValue is then false;
* a negated operator is true when the request value matches *none* of the listed values;
* policy variables are filled only in the values of String* and Arn* operators.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from diagnostics.iam.variables import Part, Template, parse_template, parts_regex, plain, resolve
from diagnostics.timestamps import maybe_utc

Lookup = Callable[[str], str | list[str] | None]

_STRING = {"stringequals", "stringnotequals", "stringequalsignorecase", "stringnotequalsignorecase",
           "stringlike", "stringnotlike"}
_NUMERIC = {"numericequals", "numericnotequals", "numericlessthan", "numericlessthanequals",
            "numericgreaterthan", "numericgreaterthanequals"}
_DATE = {"dateequals", "datenotequals", "datelessthan", "datelessthanequals", "dategreaterthan",
         "dategreaterthanequals"}
_ARN = {"arnequals", "arnlike", "arnnotequals", "arnnotlike"}
_OTHER = {"bool", "binaryequals", "ipaddress", "notipaddress", "null"}
KNOWN_OPERATORS = _STRING | _NUMERIC | _DATE | _ARN | _OTHER
NEGATED = {"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "numericnotequals",
           "datenotequals", "notipaddress", "arnnotequals", "arnnotlike"}
# The positive operator each negated one inverts.
_POSITIVE = {"stringnotequals": "stringequals", "stringnotequalsignorecase": "stringequalsignorecase",
             "stringnotlike": "stringlike", "numericnotequals": "numericequals",
             "datenotequals": "dateequals", "notipaddress": "ipaddress", "arnnotequals": "arnequals",
             "arnnotlike": "arnlike"}


class ConditionError(ValueError):
    """A Condition block AWS would refuse: one plain sentence."""


@dataclass(frozen=True, slots=True)
class Clause:
    operator: str            # as the policy writes it, e.g. "ForAnyValue:StringLikeIfExists"
    base: str                # the positive base operator, lowercased: "stringlike"
    negated: bool
    qualifier: str | None    # "forallvalues" | "foranyvalue" | None
    if_exists: bool
    key: str                 # as written
    key_lower: str
    values: tuple[Any, ...]
    templates: tuple[Template, ...]  # for String*/Arn*: the values as templates (variables)
    # The comparison, built once when no value holds a policy variable (most conditions).
    static: Callable[[str], bool] | None = None
    fast: bool = False  # static, no set operator, no IfExists: evaluate_conditions may shortcut


@dataclass(frozen=True, slots=True)
class ClauseResult:
    passed: bool
    missing_key: str | None = None   # the key (or policy variable) the request lacked, if that decided


def split_operator(operator: str) -> tuple[str | None, str, bool]:
    """("ForAnyValue:StringLikeIfExists") -> ("foranyvalue", "stringlike", True)."""
    qualifier, sep, rest = operator.partition(":")
    if not sep:
        qualifier, rest = None, operator
    else:
        qualifier = qualifier.lower()
        if qualifier not in ("forallvalues", "foranyvalue"):
            raise ConditionError(f"'{operator}' has an unknown set operator '{operator.partition(':')[0]}'")
    base = rest.lower()
    if_exists = base.endswith("ifexists") and base != "null"
    if if_exists:
        base = base[: -len("ifexists")]
    if base not in KNOWN_OPERATORS:
        raise ConditionError(f"'{operator}' is not an IAM condition operator")
    if base == "null" and (qualifier or if_exists):
        raise ConditionError(f"'{operator}': Null takes no set operator and no IfExists")
    return qualifier, base, if_exists


def compile_conditions(block: Any, variables: bool) -> tuple[Clause, ...]:
    if block is None:
        return ()
    if not isinstance(block, Mapping):
        raise ConditionError("a Condition must be an object of operators")
    clauses: list[Clause] = []
    for operator, body in block.items():
        qualifier, base, if_exists = split_operator(str(operator))
        if not isinstance(body, Mapping):
            raise ConditionError(f"the condition operator {operator} must map keys to values")
        negated = base in NEGATED
        positive = _POSITIVE.get(base, base)
        for key, raw in body.items():
            values = tuple(raw) if isinstance(raw, list | tuple) else (raw,)
            fill = variables and (positive in _STRING or positive in _ARN)
            templates = tuple(parse_template(_text(v), fill) for v in values) \
                if positive in _STRING or positive in _ARN else ()
            clause = Clause(str(operator), positive, negated, qualifier, if_exists, str(key),
                            str(key).lower(), values, templates)
            if positive != "null" and all(t.is_constant for t in templates):
                compare, _ = _comparer(clause, _no_lookup)
                clause = dataclasses.replace(clause, static=compare, fast=qualifier is None and not if_exists)
            clauses.append(_intern(clause, fill))
    return tuple(clauses)


_INTERNED: dict[tuple[Any, ...], Clause] = {}


def _intern(clause: Clause, fill: bool) -> Clause:
    """The one shared Clause for this operator, key and values (so per-request memos hit)."""
    try:
        key = (clause.operator, clause.key_lower, tuple(map(_text, clause.values)), fill)
    except TypeError:
        return clause
    found = _INTERNED.get(key)
    if found is None:
        if len(_INTERNED) > 65536:
            _INTERNED.clear()
        found = _INTERNED[key] = clause
    return found


@lru_cache(maxsize=4096)
def _alternation(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.DOTALL)


def _no_lookup(_key: str) -> None:
    return None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def evaluate_clause(clause: Clause, lookup: Lookup) -> ClauseResult:
    value = lookup(clause.key_lower)
    absent = value is None or (isinstance(value, list) and not value)
    if clause.base == "null":
        wants_absent = [_text(v).lower() == "true" for v in clause.values]
        return ClauseResult(any(w == absent for w in wants_absent))
    if absent:
        if clause.qualifier == "forallvalues" or clause.if_exists:
            return ClauseResult(True)
        if clause.qualifier == "foranyvalue":
            return ClauseResult(False, clause.key)
        if clause.negated:
            return ClauseResult(True)
        return ClauseResult(False, clause.key)
    request_values = value if isinstance(value, list) else [value]
    if clause.static is not None:
        compare, missing = clause.static, None
    else:
        compare, missing = _comparer(clause, lookup)

    def one(r: str) -> bool:
        hit = compare(r)
        return not hit if clause.negated else hit

    if clause.qualifier == "forallvalues":
        passed = all(one(r) for r in request_values)
    elif clause.qualifier == "foranyvalue" or not clause.negated:
        passed = any(one(r) for r in request_values)
    else:
        # A negated operator without a set operator: no request value may match any listed value.
        passed = not any(compare(r) for r in request_values)
    return ClauseResult(passed, missing if not passed else None)


def _comparer(clause: Clause, lookup: Lookup) -> tuple[Callable[[str], bool], str | None]:
    """A predicate "does this request value match any of the clause's values" (positive form)."""
    base = clause.base
    missing: str | None = None
    if clause.templates:
        resolved: list[tuple[Part, ...]] = []
        for template in clause.templates:
            parts = resolve(template, lookup)
            if isinstance(parts, str):
                missing = missing or parts  # that value cannot match anything
            else:
                resolved.append(parts)
        if base == "stringequals":
            wanted = {plain(p) for p in resolved}
            return (lambda r: r in wanted), missing
        if base == "stringequalsignorecase":
            folded = {plain(p).casefold() for p in resolved}
            return (lambda r: r.casefold() in folded), missing
        mode = "plain" if base == "stringlike" else "arn"
        if not resolved:
            return (lambda _r: False), missing
        combined = _alternation(tuple(parts_regex(p, mode).pattern for p in resolved))
        return (lambda r: combined.fullmatch(r) is not None), missing
    if base == "bool":
        wanted_bools = {_text(v).lower() for v in clause.values}
        return (lambda r: r.lower() in wanted_bools), None
    if base in _NUMERIC:
        numbers = [n for n in (_number(v) for v in clause.values) if n is not None]
        test = _ORDER[base.removeprefix("numeric")]
        return (lambda r: (x := _number(r)) is not None and any(test(x, n) for n in numbers)), None
    if base in _DATE:
        dates = [d for d in (parse_date(v) for v in clause.values) if d is not None]
        test = _ORDER[base.removeprefix("date")]
        return (lambda r: (x := parse_date(r)) is not None and any(test(x, d) for d in dates)), None
    if base == "ipaddress":
        networks = [n for n in (_network(_text(v)) for v in clause.values) if n is not None]
        return (lambda r: _in_networks(r, networks)), None
    if base == "binaryequals":
        blobs = {_binary(v) for v in clause.values}
        return (lambda r: _binary(r) in blobs), None
    raise ConditionError(f"no comparison for {clause.operator}")  # unreachable: operators are checked


_ORDER: dict[str, Callable[[float, float], bool]] = {
    "equals": lambda a, b: a == b,
    "lessthan": lambda a, b: a < b,
    "lessthanequals": lambda a, b: a <= b,
    "greaterthan": lambda a, b: a > b,
    "greaterthanequals": lambda a, b: a >= b,
}


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        n = float(value)
    except (TypeError, ValueError):
        return None
    return n if math.isfinite(n) else None


@lru_cache(maxsize=4096)
def _parse_date_text(text: str) -> float | None:
    text = text.strip()
    try:
        return float(text) if text.replace(".", "", 1).isdigit() else None
    except ValueError:
        return None


def parse_date(value: Any) -> float | None:
    """Seconds since the epoch from an ISO 8601 date/time or an epoch number, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip()
    epoch = _parse_date_text(text)
    if epoch is not None:
        return epoch
    return _iso(text)


@lru_cache(maxsize=4096)
def _iso(text: str) -> float | None:
    moment = maybe_utc(text)
    return moment.timestamp() if moment is not None else None


@lru_cache(maxsize=4096)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _in_networks(value: str, networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    address = _address(_text(value))
    if address is None:
        return False
    return any(address.version == n.version and address in n for n in networks)


def _binary(value: Any) -> bytes | str:
    text = _text(value)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text


def evaluate_conditions(clauses: tuple[Clause, ...], lookup: Lookup,
                        memo: dict[int, ClauseResult] | None = None) -> tuple[bool, tuple[str, ...]]:
    """All clauses must pass. Returns (passed, keys the request lacked among the failing clauses).

    ``memo`` (one per request) remembers clause results: identical clauses are interned at compile
    time, and real accounts repeat the same few conditions (MFA, source IP, region) everywhere.
    """
    passed = True
    missing: list[str] = []
    for clause in clauses:
        if memo is not None and not clause.fast:
            known = memo.get(id(clause))
            if known is None:
                known = memo[id(clause)] = evaluate_clause(clause, lookup)
            if not known.passed:
                passed = False
                if known.missing_key:
                    missing.append(known.missing_key)
            continue
        if clause.fast:
            # The common case, kept lean: a single-valued key compared by a prebuilt predicate.
            value = lookup(clause.key_lower)
            if type(value) is str:
                if clause.static(value) == clause.negated:  # type: ignore[misc]
                    passed = False
                continue
        result = evaluate_clause(clause, lookup)
        if not result.passed:
            passed = False
            if result.missing_key:
                missing.append(result.missing_key)
    return passed, tuple(missing)
