"""How many AWS calls may be in flight at once, and the cancel switch a run carries into its threads.

awstriage runs a diagnosis's independent reads at the same time (see :mod:`playbooks.plan`), but it must
never be the thing that throttles the account it diagnoses. So every client of the session passes each
call through a per-service slot: at most ``cap`` calls to one service at a time, whatever the number of
reader threads. The caps sit well below AWS's documented request rates (EC2's Describe* calls refill at
20 a second per account, CloudWatch Logs' FilterLogEvents at 5, IAM's read calls are a shared budget).
Operations with a documented request rate are also paced, process-wide per endpoint and Region (the
rate is per account and Region): CloudTrail's LookupEvents at two a second ("The rate of lookup requests
is limited to two per second, per account, per Region", LookupEvents API reference), whichever
collector asks (the change history, the throttling playbook's event reads). botocore's adaptive retries
stay as they are: the slot is held across a call's retries, so a throttled call backs off in its slot.

A cancelled run stops sending at once: a call about to start (or waiting for a slot) raises
:class:`CallCancelled` in the thread that makes it, instead of going out.
"""

from __future__ import annotations

import threading
import time
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
# Requests a second, per account and Region; every request (each page of a paginator) waits its turn.
RATES: dict[tuple[str, str], float] = {("cloudtrail", "LookupEvents"): 2.0}
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


def pause(seconds: float, stop: Callable[[], bool] = cancelled,
          sleep: Callable[[float], None] = time.sleep) -> bool:
    """Sleep ``seconds`` in short slices; False as soon as ``stop()`` turns true (a cancelled run's thread
    does not sit out a whole wait), True once the time is up."""
    left = seconds
    while left > 0:
        if stop():
            return False
        step = min(left, POLL_SECONDS)
        sleep(step)
        left -= step
    return True


class Pacer:
    """At most ``rate`` requests a second: :meth:`wait` blocks until the next one may go."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self, stop: Callable[[], bool] = cancelled) -> None:
        """Take the next turn and sleep until it comes; a cancel (``stop()``) ends the wait at once with
        :class:`CallCancelled`. The turn is taken before the wait, so a cancelled one stays used: the pace
        never gets faster than ``rate``."""
        with self._lock:
            at = max(self._clock(), self._next)
            self._next = at + self.interval
        if not pause(at - self._clock(), stop, self._sleep):
            raise CallCancelled("the run was cancelled")


_pacers: dict[tuple[str, str, str, str], Pacer] = {}
_pacers_lock = threading.Lock()


def pacer_for(service: str, operation: str, endpoint: str, region: str) -> Pacer | None:
    """The process's pacer of an operation with a documented rate, per endpoint and Region; else None."""
    rate = RATES.get((service, operation))
    if rate is None:
        return None
    with _pacers_lock:
        return _pacers.setdefault((service, operation, endpoint, region), Pacer(rate))


class ServiceLimiter:
    """Per-service slots for a session's clients (see the module docstring)."""

    def __init__(self, caps: dict[str, int] | None = None, default: int = DEFAULT_CAP,
                 pacer: Callable[[str, str, str, str], Pacer | None] = pacer_for) -> None:
        self._caps = dict(SERVICE_CAPS if caps is None else caps)
        self._pacer = pacer
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

        meta = client.meta
        endpoint, region = str(meta.endpoint_url), str(meta.region_name)

        def acquire(model: Any, context: dict[str, Any], **_: Any) -> None:
            service = model.service_model.service_name
            slot = self.slot(service)
            while True:
                if cancelled():
                    on_cancel(model)
                    raise CallCancelled("the run was cancelled")
                if slot.acquire(timeout=POLL_SECONDS):
                    context[SLOT_KEY] = slot
                    break
            pacer = self._pacer(service, model.name, endpoint, region)
            if pacer is not None:
                try:
                    pacer.wait()
                except CallCancelled:
                    # The call does not go out: botocore never tells after-call of it, so its slot is given
                    # back and the call log told here.
                    context.pop(SLOT_KEY).release()
                    on_cancel(model)
                    raise

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
