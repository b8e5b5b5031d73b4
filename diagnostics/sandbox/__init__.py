"""The built-in sandbox: an in-process moto server seeded from declarative scenario files.

Scenario files (assets/scenarios/<playbook>/<name>.toml) declare resources, the playbook inputs that
point at them and the findings a correct diagnosis gives; the same files drive the demo, the guided
walkthrough and the end-to-end tests. APIs moto lacks are filled in gaps.py and nowhere else.
"""

from diagnostics.sandbox.scenario import Scenario, default_scenario, load_scenarios, scenario_by_name
from diagnostics.sandbox.server import Sandbox, SeededScenario

__all__ = ["Sandbox", "Scenario", "SeededScenario", "default_scenario", "load_scenarios", "scenario_by_name"]
