"""What a playbook is made of: parameters, steps, the context a step runs in, and its outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from diagnostics.findings import Finding

if TYPE_CHECKING:
    import networkx as nx

    from diagnostics.session import AwsSession

Status = Literal["ok", "problem", "warning", "skipped", "error"]
STATUSES: tuple[Status, ...] = ("ok", "problem", "warning", "skipped", "error")


class StepSkip(Exception):  # it is a signal, not an error
    """Raised by a step that has nothing to check (say why in the message)."""


@dataclass(frozen=True)
class Param:
    """One input of a playbook.

    ``validate`` turns the text a person typed into a value, or raises ValueError with one plain
    sentence. ``picker`` names a list the TUI can offer (``ec2-instance``, ``lambda-function``,
    ``iam-principal``) so nobody has to copy IDs by hand in an incident.
    """

    name: str
    help: str
    validate: Callable[[str], Any] = str
    required: bool = False
    default: str | None = None
    repeatable: bool = False
    picker: str | None = None
    example: str = ""


@dataclass
class StepOutcome:
    status: Status
    detail: str
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """One check. ``why`` tells a newcomer why the step exists; ``good`` what a healthy answer is."""

    id: str
    title: str
    why: str
    run: Callable[[Context], StepOutcome]
    good: str = ""


@dataclass(frozen=True)
class Playbook:
    name: str
    title: str
    purpose: str
    params: tuple[Param, ...]
    steps: tuple[Step, ...]
    default_scenario: str = ""

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


class Context:
    """What a step sees: the session, the validated inputs, and a per-run cache of fetched data."""

    def __init__(
        self,
        session: AwsSession,
        inputs: dict[str, Any],
        on_graph: Callable[[nx.DiGraph], None] | None = None,
    ) -> None:
        self.session = session
        self.inputs = inputs
        self.cache: dict[str, Any] = {}
        self.identity: dict[str, str] = {}
        self._on_graph = on_graph
        self.graph: nx.DiGraph | None = None

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def memo(self, key: str, fetch: Callable[[], Any]) -> Any:
        """Fetch once per run: later steps reuse what earlier steps already asked AWS for.

        A failed fetch is not cached, so a later step that needs it reports the failure too.
        """
        if key not in self.cache:
            self.cache[key] = fetch()
        return self.cache[key]

    def peek(self, key: str, default: Any = None) -> Any:
        """What an earlier step already fetched under ``key``, without fetching it."""
        return self.cache.get(key, default)

    def set_graph(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        if self._on_graph is not None:
            self._on_graph(graph)
