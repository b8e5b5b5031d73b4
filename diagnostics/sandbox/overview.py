"""The sandbox's world for ``awstriage triage --demo``: alarms in ALARM, an AWS Health event, recent changes.

It is a scenario file like the others, kept apart from ``assets/scenarios/`` because it belongs to no
playbook: triage looks at the whole account.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from diagnostics.sandbox.scenario import Scenario, parse_scenario

OVERVIEW_FILE = "triage-overview.toml"


def overview_scenario() -> Scenario:
    return parse_scenario(Path(str(files("assets") / "overview" / OVERVIEW_FILE)))
