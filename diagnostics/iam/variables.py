"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team, 'default'}``, and the escapes.

Variables exist only in policies whose Version is 2012-10-17; in 2008-10-17 (or with no Version)
``${...}`` is plain text. A substituted value is literal: a ``*`` inside a user name is not a
wildcard, and neither is ``${*}``, which is how a policy writes a literal asterisk. So substitution
returns *parts*, each marked literal or pattern, and the matcher decides what a wildcard is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

VARIABLES_VERSION = "2012-10-17"

# ${key} or ${key, 'default'}; the key cannot hold '}' or ',' and the default is single-quoted.
_VARIABLE = re.compile(r"\$\{\s*([^},']+?)\s*(?:,\s*'([^']*)'\s*)?\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Part:
    text: str
    literal: bool  # True: match as written, wildcards included; False: * and ? are wildcards


@dataclass(frozen=True, slots=True)
class Template:
    """A string from a policy, split into fixed pattern text and variables to fill per request."""

    pieces: tuple[Part | tuple[str, str | None], ...]  # Part, or (lowercased key, default)
    keys: tuple[str, ...]  # the keys as the policy writes them, for "missing context key" reports

    @property
    def is_constant(self) -> bool:
        return not self.keys


def uses_variables(version: object) -> bool:
    return version == VARIABLES_VERSION


@lru_cache(maxsize=8192)
def parse_template(text: str, variables: bool) -> Template:
    """Split ``text`` into fixed parts and variables; with ``variables`` False it is all fixed."""
    if not variables or "${" not in text:
        return Template((Part(text, False),), ())
    pieces: list[Part | tuple[str, str | None]] = []
    keys: list[str] = []
    pos = 0
    for m in _VARIABLE.finditer(text):
        if m.start() > pos:
            pieces.append(Part(text[pos:m.start()], False))
        name, default = m.group(1), m.group(2)
        if name in _ESCAPES and default is None:
            pieces.append(Part(_ESCAPES[name], True))
        else:
            pieces.append((name.lower(), default))
            keys.append(name)
        pos = m.end()
    if pos < len(text):
        pieces.append(Part(text[pos:], False))
    return Template(tuple(pieces), tuple(keys))


def resolve(template: Template, lookup: Callable[[str], str | list[str] | None]) -> tuple[Part, ...] | str:
    """The template's parts with every variable filled in, or the key that could not be resolved.

    A multivalued context key cannot be a variable (AWS leaves the statement unmatched), so a list
    with more than one value counts as unresolved just like a missing key without a default.
    """
    if template.is_constant:
        return template.pieces  # type: ignore[return-value]
    parts: list[Part] = []
    key_index = 0
    for piece in template.pieces:
        if isinstance(piece, Part):
            parts.append(piece)
            continue
        key, default = piece
        value = lookup(key)
        if isinstance(value, list):
            value = value[0] if len(value) == 1 else None
        if value is None:
            if default is None:
                return template.keys[key_index]
            value = default
        parts.append(Part(value, True))
        key_index += 1
    return tuple(parts)


def plain(parts: tuple[Part, ...]) -> str:
    """The parts as one string, for operators without wildcards (StringEquals, ArnEquals...)."""
    return "".join(p.text for p in parts)


# How a wildcard reads in each kind of pattern:
#   "plain"    StringLike and Action: * is any run of characters, ? is one character.
#   "resource" the Resource element: wildcards stay inside a colon-separated segment, except a * that
#              ends a segment, which AWS lets run across later colons.
#   "arn"      ArnLike/ArnEquals: the first five segments are matched separately; the sixth (the
#              resource part) may itself hold colons.
PatternMode = str


def parts_regex(parts: tuple[Part, ...], mode: PatternMode, ignore_case: bool = False) -> re.Pattern[str]:
    return _compile(parts, mode, ignore_case)


@lru_cache(maxsize=16384)
def _compile(parts: tuple[Part, ...], mode: PatternMode, ignore_case: bool) -> re.Pattern[str]:
    out: list[str] = []
    segment = 0
    for n, part in enumerate(parts):
        if part.literal:
            out.append(re.escape(part.text))
            segment += part.text.count(":")
            continue
        text = part.text
        for i, ch in enumerate(text):
            if ch == ":":
                segment += 1
                out.append(":")
            elif ch == "*":
                free = (mode == "plain" or (mode == "arn" and segment >= 5)
                        or (mode == "resource" and _ends_segment(parts, n, i)))
                out.append(".*" if free else "[^:]*")
            elif ch == "?":
                out.append("." if mode == "plain" or (mode == "arn" and segment >= 5) else "[^:]")
            else:
                out.append(re.escape(ch))
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(out), flags)


def _ends_segment(parts: tuple[Part, ...], n: int, i: int) -> bool:
    """Whether the wildcard at parts[n].text[i] is the last character of its ARN segment."""
    text = parts[n].text
    if i + 1 < len(text):
        return text[i + 1] == ":"
    for later in parts[n + 1:]:
        if later.text:
            return later.text[0] == ":"
    return True


def literal_parts(text: str) -> tuple[Part, ...]:
    return (Part(text, False),)
