"""The playbooks awstriage knows, in the order people meet them."""

from __future__ import annotations

import importlib
from functools import cache

from playbooks.changes import with_change_step
from playbooks.model import Playbook

MODULES = {
    "access-denied": "playbooks.access_denied",
    "ssh-timeout": "playbooks.ssh_timeout",
    "throttling": "playbooks.throttling",
    "lambda-oom": "playbooks.lambda_oom",
    "slow-performance": "playbooks.slow_performance",
}


class UnknownPlaybook(LookupError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown playbook '{name}' (choose one of: {', '.join(MODULES)})")


@cache
def get_playbook(name: str) -> Playbook:
    module = MODULES.get(name)
    if module is None:
        raise UnknownPlaybook(name)
    # Every playbook ends with "What changed recently?" (corroborating, after the diagnosis).
    return with_change_step(importlib.import_module(module).PLAYBOOK)


def all_playbooks() -> list[Playbook]:
    return [get_playbook(name) for name in MODULES]


def parse_inputs(playbook: Playbook, raw: dict[str, list[str]] | dict[str, str]) -> dict[str, object]:
    """Validate raw text inputs against the playbook's parameters.

    Raises ValueError with one sentence naming the parameter. Defaults fill what was not given.
    """
    values: dict[str, object] = {}
    known = {p.name for p in playbook.params}
    for name in raw:
        if name not in known:
            raise ValueError(f"the {playbook.name} playbook has no parameter '{name}' "
                             f"(it takes: {', '.join(sorted(known)) or 'none'})")
    for param in playbook.params:
        given = raw.get(param.name)
        if given is None:
            texts = []
        elif isinstance(given, list | tuple):
            texts = [str(t) for t in given]
        else:  # scenario files give numbers as numbers (port = 22)
            texts = [str(given)]
        if not texts and param.default is not None:
            texts = [param.default]
        if not texts:
            if param.required:
                raise ValueError(f"the {playbook.name} playbook needs --param {param.name}=... ({param.help})")
            continue
        if len(texts) > 1 and not param.repeatable:
            raise ValueError(f"--param {param.name} was given more than once")
        try:
            parsed = [param.validate(t) for t in texts]
        except ValueError as exc:
            raise ValueError(f"{param.name}: {exc}") from None
        values[param.name] = parsed if param.repeatable else parsed[0]
    return values
