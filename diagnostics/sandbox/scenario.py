"""Loading scenario files and resolving their ``${kind.ref}`` placeholders."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

PLACEHOLDER = re.compile(r"\$\{([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_]+))?\}")


class ScenarioError(Exception):
    """A scenario file that cannot be loaded or seeded; the message says which and why."""


@dataclass(frozen=True)
class Scenario:
    name: str
    playbook: str
    title: str
    story: str
    look_for: str
    default: bool
    inputs: dict[str, Any]
    resources: list[dict[str, Any]]
    expect: list[dict[str, Any]]
    verdict: str
    gaps: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None
    # Step id -> the status a correct diagnosis gives that step ("problem" where it found a blocking layer).
    expect_steps: dict[str, str] = field(default_factory=dict)


def scenarios_root() -> Path:
    return Path(str(files("assets") / "scenarios"))


def parse_scenario(path: Path) -> Scenario:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(f"cannot read scenario {path.name}: {exc}") from None
    try:
        return Scenario(
            name=data["name"],
            playbook=data["playbook"],
            title=data["title"],
            story=data.get("story", "").strip(),
            look_for=data.get("look_for", "").strip(),
            default=bool(data.get("default", False)),
            inputs=dict(data.get("inputs", {})),
            resources=list(data.get("resources", [])),
            expect=list(data.get("expect", [])),
            verdict=data.get("verdict", "problem_found"),
            gaps=dict(data.get("gaps", {})),
            path=path,
            expect_steps=dict(data.get("expect_steps", {})),
        )
    except KeyError as exc:
        raise ScenarioError(f"scenario {path.name} lacks the field {exc.args[0]}") from None


@cache
def load_scenarios() -> tuple[Scenario, ...]:
    root = scenarios_root()
    found = [parse_scenario(p) for p in sorted(root.glob("*/*.toml"))]
    names = [s.name for s in found]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ScenarioError(f"scenario names must be unique; repeated: {', '.join(sorted(duplicates))}")
    return tuple(found)


def scenario_by_name(name: str) -> Scenario:
    for scenario in load_scenarios():
        if scenario.name == name:
            return scenario
    known = ", ".join(s.name for s in load_scenarios())
    raise ScenarioError(f"no sandbox scenario named '{name}' (known: {known})")


def scenarios_for(playbook: str) -> list[Scenario]:
    return [s for s in load_scenarios() if s.playbook == playbook]


def default_scenario(playbook: str) -> Scenario:
    candidates = scenarios_for(playbook)
    if not candidates:
        raise ScenarioError(f"the sandbox has no scenario for the {playbook} playbook yet")
    return next((s for s in candidates if s.default), candidates[0])


def resolve(value: Any, refs: dict[str, dict[str, str]]) -> Any:
    """Replace ``${kind.ref}`` (the ID) and ``${kind.ref.attr}`` in strings, lists and tables."""
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            kind, ref, attr = match.groups()
            key = f"{kind}.{ref}"
            if key not in refs:
                raise ScenarioError(f"unknown reference ${{{key}}}: declare that resource before using it")
            attrs = refs[key]
            name = attr or "id"
            if name not in attrs:
                raise ScenarioError(f"${{{key}}} has no attribute '{name}' (it has: {', '.join(sorted(attrs))})")
            return attrs[name]

        return PLACEHOLDER.sub(sub, value)
    if isinstance(value, list):
        return [resolve(v, refs) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, refs) for k, v in value.items()}
    return value
