"""What a playbook is made of: parameters, steps, the context a step runs in, and its outcome."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from diagnostics.findings import Finding
from playbooks.plan import OWNER, Plan, RunCache

if TYPE_CHECKING:
    import networkx as nx

    from diagnostics.session import AwsSession

Status = Literal["ok", "problem", "warning", "no_data", "skipped", "error"]
STATUSES: tuple[Status, ...] = ("ok", "problem", "warning", "no_data", "skipped", "error")
"""ok: read data, found it healthy. problem: found what breaks things. warning: something to know,
not a cause. no_data: ran, but the source it reads was empty (say which, and how to get data).
skipped: not applicable or not reached (say why). error: could not read (say what was refused)."""


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


@dataclass(frozen=True)
class MissingFact:
    """A fact a step needed and could not read, while it kept the rest of what it read.

    ``fact`` in plain words ("the account's concurrency limit"); ``action`` the IAM action of the
    failed call ("lambda:GetAccountSettings"); ``reason`` one sentence on why it failed.
    """

    fact: str
    action: str
    reason: str

    def sentence(self) -> str:
        return f"Not read: {self.fact} ({self.action}): {self.reason}"


@dataclass
class StepOutcome:
    status: Status
    detail: str
    findings: list[Finding] = field(default_factory=list)
    missing: list[MissingFact] = field(default_factory=list)


@dataclass(frozen=True)
class Step:
    """One check. ``why`` tells a newcomer why the step exists; ``good`` what a healthy answer is.

    ``decides`` is True for a step whose answer the verdict rests on, False for one that only
    corroborates it (a second source for the same fact, such as IAM's policy simulator next to the
    evaluator). A corroborating step that fails or has no data never changes the verdict; see
    :mod:`playbooks.verdict`.
    """

    id: str
    title: str
    why: str
    run: Callable[[Context], StepOutcome]
    good: str = ""
    decides: bool = True


@dataclass(frozen=True)
class Playbook:
    name: str
    title: str
    purpose: str
    params: tuple[Param, ...]
    steps: tuple[Step, ...]
    default_scenario: str = ""
    # Starts the reads whose inputs are known before the first step (``ctx.prefetch``); see playbooks.plan.
    plan: Callable[[Context], None] | None = None

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


class Context:
    """What a step sees: the session, the validated inputs, and a per-run cache of fetched data."""

    def __init__(
        self,
        session: AwsSession,
        inputs: dict[str, Any],
        on_graph: Callable[[nx.DiGraph], None] | None = None,
        on_attach: Callable[[str, Any], None] | None = None,
    ) -> None:
        self.session = session
        self.inputs = inputs
        self.cache: dict[str, Any] = RunCache()
        self.identity: dict[str, str] = {}
        self._on_graph = on_graph
        self.graph: nx.DiGraph | None = None
        # Facts the current step could not read; the runner moves them onto the step's outcome.
        self._missing: list[MissingFact] = []
        # Set by the runner: turns an exception from a read into (IAM action, sentence, fatal?).
        self.explain: Callable[[BaseException], tuple[str, str, bool]] | None = None
        # Set by the runner: true once the person cancelled the run, so a long read can stop early.
        self.cancelled: Callable[[], bool] = lambda: False
        # The findings of the steps run so far (kept by the runner): later steps can look at what the
        # diagnosis named, as the shared "What changed recently?" step does.
        self.findings: list[Finding] = []
        self._on_attach = on_attach
        # The run's reads (see playbooks.plan): the runner gives it reader threads and the cancel switch.
        self.plan = Plan(readers=1)
        self._read_ids = itertools.count()

    @property
    def missing(self) -> list[MissingFact]:
        """Facts the current step could not read; on a reader thread, those of its read (handed to the
        step that uses the read)."""
        owner = OWNER.get()
        if owner is not None and owner.plan is self.plan and owner.key is not None:
            return self.plan.missing_of(owner.key)
        return self._missing

    @missing.setter
    def missing(self, value: list[MissingFact]) -> None:
        self._missing = value

    def client(self, service: str) -> Any:
        return self.session.client(service)

    def memo(self, key: str, fetch: Callable[[], Any]) -> Any:
        """Fetch once per run: later steps reuse what earlier steps already asked AWS for.

        A failed fetch is not cached, so a later step that needs it reports the failure too.
        """
        return self.plan.memo(key, fetch, self.cache)

    def prefetch(self, key: str, fetch: Callable[[], Any]) -> None:
        """Start fetching ``key`` now, on a reader thread, as soon as what ``fetch`` needs is known.

        The steps that use it later call :meth:`memo` or :meth:`read` with the same ``key`` and wait
        only for this read. Call it with everything the read needs already in hand: a fetch that itself
        waits for another key is fine, but it holds a reader thread while it waits. Its calls and
        failures belong to the first step that uses it, as if that step had made it.
        """
        self.plan.prefetch(key, fetch, self.cache)

    def read(self, fact: str, fetch: Callable[[], Any], default: Any = None, key: str | None = None) -> Any:
        """``fetch()``, or ``default`` when it fails: the failure is recorded as a missing ``fact``.

        For a step that makes several calls: one refused call must not throw away the others'
        answers. Failures that would sink every later call too (no credentials, no network) are
        re-raised, so the runner stops the run with one sentence. With ``key``, the answer is
        memoised like :meth:`memo` (a failure is not).
        """
        try:
            return self.memo(key, fetch) if key is not None else fetch()
        except Exception as exc:
            if self.explain is None:
                raise
            action, reason, fatal = self.explain(exc)
            if fatal:
                raise
            self.missing.append(MissingFact(fact, action, reason))  # the step's, or its read's
            return default

    def read_all(self, reads: Sequence[tuple[str, Callable[[], Any], Any]]) -> list[Any]:
        """Several independent reads of one step at once: ``[(fact, fetch, default), ...]`` -> answers.

        Like :meth:`read` for each, in order (a failed one is a missing fact and its default), but the
        fetches run together on the reader threads.
        """
        keys = [f"read-all:{next(self._read_ids)}" for _ in reads]
        for key, (_, fetch, _) in zip(keys, reads, strict=True):
            self.prefetch(key, fetch)
        answers = [self.read(fact, fetch, default, key=key) for key, (fact, fetch, default) in
                   zip(keys, reads, strict=True)]
        for key in keys:
            self.cache.pop(key, None)  # answered once: nothing later asks for these keys
        return answers

    def peek(self, key: str, default: Any = None) -> Any:
        """What an earlier step already fetched under ``key``, without fetching it (nor waiting for it).
        A value only a reader thread has read so far is not shown: what a step sees must not depend on
        which read finished first."""
        if not self.has(key):
            return default
        self.plan.used(key)  # read on a reader thread: its calls go to the step that looks at it first
        return self.cache[key]

    def has(self, key: str) -> bool:
        """Whether an earlier step already fetched ``key`` (the test :meth:`peek` makes)."""
        return key in self.cache and self.plan.seen(key)

    def attach(self, kind: str, data: Any) -> None:
        """Hand the transcript a section of its own (``changes``: the change timeline, ``overview``)."""
        if self._on_attach is not None:
            self._on_attach(kind, data)

    def set_graph(self, graph: nx.DiGraph) -> None:
        self.graph = graph
        if self._on_graph is not None:
            self._on_graph(graph)

