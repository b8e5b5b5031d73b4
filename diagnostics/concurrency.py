"""How many AWS calls may be in flight at once, and the cancel switch a run carries into its threads.

awstriage runs a diagnosis's independent reads at the same time (see :mod:`playbooks.plan`), but it must
never be the thing that throttles the account it diagnoses. So every client of the session passes each
call through a per-service slot: at most ``cap`` calls to one service at a time, whatever the number of
reader threads. The caps sit well below AWS's documented request rates (EC2's Describe* calls refill at
20 a second per account, CloudWatch Logs' FilterLogEvents at 5, IAM's read calls are a shared budget).
CloudTrail's LookupEvents (two a second per account and Region) gets one slot, and its rate is paced by
:class:`diagnostics.cloudtrail.changes.Pacer`: one mechanism for that rule. botocore's adaptive retries
stay as they are: the slot is held across a call's retries, so a throttled call backs off in its slot.

A cancelled run stops sending at once: a call about to start (or waiting for a slot) raises
:class:`CallCancelled` in the thread that makes it, instead of going out.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

# The cancel test of the run whose thread makes a call (set by the runner on its thread and carried
# into every reader thread); None outside a run.
CANCELLED: ContextVar[Callable[[], bool] | None] = ContextVar("awstriage_cancelled", default=None)

DEFAULT_CAP = 8
SERVICE_CAPS: dict[str, int] = {
    "cloudtrail": 1,  # LookupEvents: two a second per account and Region, paced by its Pacer
    "logs": 3,  # FilterLogEvents and StartQuery: five a second per account
    "iam": 4,  # IAM's read calls share one small per-account budget
}
SLOT_KEY = "awstriage_slot"  # where a call's slot is kept in botocore's per-request context
POLL_SECONDS = 0.05  # how often a thread waiting for a slot looks at the cancel switch


class CallCancelled(BaseException):
    """The run was cancelled: the call was not sent.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` in a collector or in
    ``ctx.read`` mistakes a cancel for a refused call and records it as a missing fact.
    """


def cancelled() -> bool:
    check = CANCELLED.get()
    return bool(check is not None and check())


def raise_if_cancelled() -> None:
    if cancelled():
        raise CallCancelled("the run was cancelled")


class ServiceLimiter:
    """Per-service slots for a session's clients (see the module docstring)."""

    def __init__(self, caps: dict[str, int] | None = None, default: int = DEFAULT_CAP) -> None:
        self._caps = dict(SERVICE_CAPS if caps is None else caps)
        self._default = default
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def cap(self, service: str) -> int:
        return max(1, self._caps.get(service, self._default))

    def slot(self, service: str) -> threading.BoundedSemaphore:
        with self._lock:
            if service not in self._slots:
                self._slots[service] = threading.BoundedSemaphore(self.cap(service))
            return self._slots[service]

    def install(self, client: Any, on_cancel: Callable[[Any], None]) -> None:
        """``on_cancel(model)`` is told of a call that was refused because its run was cancelled."""

        def acquire(model: Any, context: dict[str, Any], **_: Any) -> None:
            slot = self.slot(model.service_model.service_name)
            while True:
                if cancelled():
                    on_cancel(model)
                    raise CallCancelled("the run was cancelled")
                if slot.acquire(timeout=POLL_SECONDS):
                    context[SLOT_KEY] = slot
                    return

        def release(context: dict[str, Any], **_: Any) -> None:
            slot = context.pop(SLOT_KEY, None)
            if slot is not None:
                slot.release()

        events = client.meta.events
        # before-call comes after the parameters are checked and serialised, right before the request is
        # sent (with its retries); after-call or after-call-error always follows it.
        events.register("before-call.*.*", acquire)
        events.register("after-call.*.*", release)
        events.register("after-call-error.*.*", release)
