"""The seeder registry: one function per resource ``type`` of a scenario file (data over code).

A seeder receives a factory of *unguarded* clients on the sandbox server (seeding must write, the
read-only guard belongs to diagnosis sessions only) and the resource's table with its placeholders
already resolved; it returns the attributes later resources and the inputs may refer to, at least
``id``.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from diagnostics.sandbox.scenario import ScenarioError, resolve

ClientFactory = Callable[[str], Any]
Seeder = Callable[[ClientFactory, dict[str, Any]], dict[str, str]]

SEEDERS: dict[str, Seeder] = {}


def seeder(resource_type: str) -> Callable[[Seeder], Seeder]:
    def register(fn: Seeder) -> Seeder:
        SEEDERS[resource_type] = fn
        return fn

    return register


def _load_seed_modules() -> None:
    import diagnostics.sandbox as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("seed_"):
            importlib.import_module(f"diagnostics.sandbox.{info.name}")


def seed_resources(resources: list[dict[str, Any]], clients: ClientFactory,
                   refs: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Create each resource in order, resolving placeholders against what was created before."""
    if not SEEDERS:
        _load_seed_modules()
    for raw in resources:
        kind = raw.get("type", "")
        fn = SEEDERS.get(kind)
        if fn is None:
            raise ScenarioError(f"no seeder for resource type '{kind}' (known: {', '.join(sorted(SEEDERS))})")
        spec = resolve({k: v for k, v in raw.items() if k not in ("type", "ref")}, refs)
        attrs = fn(clients, spec)
        if "ref" in raw:
            refs[f"{kind.split('.')[-1]}.{raw['ref']}"] = attrs
    return refs
