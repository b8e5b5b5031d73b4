"""A run's reads as a plan: each read starts as soon as the inputs it needs are known, on a bounded pool
of reader threads, and a step waits only for the reads it uses.

A playbook declares a read with ``ctx.prefetch(key, fetch)`` once what ``fetch`` needs is known (the
instance ID from the inputs, the subnets once the instance is read); ``ctx.memo(key, ...)`` and
``ctx.read(..., key=key)`` then wait for it instead of asking again. A read that nobody started is made
on the thread that asks for it, as before. Two threads asking for the same key share one call.

Calls belong to the step that uses them, not to whatever step is current when they happen: a call made
on a reader thread is kept with its read, and the read's calls (and those of the reads it waited on)
are handed to the first step that uses it. Facts a read could not read travel the same way. So the
transcript, the journal and the exports are what a run one call at a time would give, in step order.

What a read left in the cache stays out of sight of :meth:`~playbooks.model.Context.peek` until a step
uses it: a step that looks for "what an earlier step fetched" sees what a run one read at a time would
have fetched by then, not whatever a reader thread happened to finish first.

Cancelling the run stops it at once: reads still queued never start, a call about to go out raises
:class:`~diagnostics.concurrency.CallCancelled`, and :meth:`Plan.close` waits for the reader threads
to end, so none is left behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from diagnostics.concurrency import CANCELLED, POLL_SECONDS, CallCancelled

if TYPE_CHECKING:
    from diagnostics.calllog import ApiCall
    from playbooks.model import MissingFact

DEFAULT_READERS = 8
THREAD_PREFIX = "awstriage-read"


@dataclass(eq=False)
class Owner:
    """Who the calls made on a thread belong to: a step of a run, or one of its reads."""

    plan: Plan
    step: str | None = None
    key: str | None = None


# The owner of the calls made on this thread (the runner's thread: the current step; a reader thread:
# its read). A botocore hook runs on the thread that makes the call, so the call log's listener sees it.
OWNER: ContextVar[Owner | None] = ContextVar("awstriage_owner", default=None)


@dataclass(eq=False)
class _Read:
    key: str
    fetch: Callable[[], Any]
    claimed: bool = False
    done: threading.Event = field(default_factory=threading.Event)
    value: Any = None
    error: BaseException | None = None


@dataclass
class _Kept:
    """What a read left for the step that will use it."""

    calls: list[ApiCall] = field(default_factory=list)
    missing: list[MissingFact] = field(default_factory=list)
    waited_on: list[str] = field(default_factory=list)
    wrote: list[str] = field(default_factory=list)  # the cache keys it set
    last_failure: ApiCall | None = None


class RunCache(dict):
    """A run's cache of fetched data (``Context.cache``). A key set on a reader thread belongs to that
    read: :meth:`Plan.seen` is false for it until a step uses the read."""

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        owner = OWNER.get()
        if owner is not None and owner.key is not None:
            owner.plan.wrote(owner.key, key)


class Plan:
    """The reads of one run. ``readers`` <= 1 makes every read on the thread that needs it, one at a time
    (the sequential baseline of ``benchmarks/latency.py``)."""

    def __init__(self, readers: int = DEFAULT_READERS, cancelled: Callable[[], bool] = lambda: False) -> None:
        self.readers = readers
        self.cancelled = cancelled
        self._pool: ThreadPoolExecutor | None = None
        self._reads: dict[str, _Read] = {}
        self._kept: dict[str, _Kept] = {}
        # Keys a reader thread put in the cache that no step has used yet (see :meth:`seen`).
        self._unseen: set[str] = set()
        self._lock = threading.RLock()
        self._closed = False
        # Set by the runner: hand a read's calls and missing facts to the step that uses it.
        self.deliver: Callable[[str | None, list[ApiCall], list[MissingFact], ApiCall | None], None] = (
            lambda step, calls, missing, failure: None)

    # --- starting and waiting -----------------------------------------------------------------

    def prefetch(self, key: str, fetch: Callable[[], Any], cache: dict[str, Any]) -> None:
        if self.readers <= 1 or self._closed or key in cache or self.cancelled():
            return
        with self._lock:
            if key in self._reads or key in cache:
                return
            read = self._reads[key] = _Read(key, fetch)
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.readers, thread_name_prefix=THREAD_PREFIX)
            self._pool.submit(self._run_queued, read)

    def memo(self, key: str, fetch: Callable[[], Any], cache: dict[str, Any]) -> Any:
        owner = OWNER.get()
        mine = owner is not None and owner.plan is self
        if mine and owner.key == key:
            # The prefetched read of ``key`` itself, asking through the accessor that memoises it.
            return fetch()
        with self._lock:
            if key in cache:
                hit = True
            else:
                hit = False
                read = self._reads.get(key)
                if read is None:
                    read = self._reads[key] = _Read(key, fetch)
        if hit:
            self.used(key)  # a read that finished on a reader thread: its calls go to this step
            return cache[key]
        if self._claim(read):
            self._execute(read)  # nobody started it yet: this thread makes the call
        else:
            self._wait(read)
        with self._lock:
            if self._reads.get(key) is read:
                if read.error is None:
                    cache[key] = read.value
                    del self._reads[key]
                elif not (mine and owner.key is not None):
                    # A failure is not kept once a step has seen it: a later step asks again and reports
                    # it too. A read that waited on it leaves it for the step that uses it.
                    del self._reads[key]
        self.used(key)
        if read.error is not None:
            raise read.error
        return read.value

    def _claim(self, read: _Read) -> bool:
        with self._lock:
            if read.claimed:
                return False
            read.claimed = True
            return True

    def _stopped(self) -> bool:
        # Once the run is over nothing can use a read still going: it stops at its next call.
        return self._closed or self.cancelled()

    def _run_queued(self, read: _Read) -> None:
        token = CANCELLED.set(self._stopped)
        try:
            if self._claim(read):
                self._execute(read)
        finally:
            CANCELLED.reset(token)

    def _execute(self, read: _Read) -> None:
        token = OWNER.set(Owner(self, key=read.key))
        try:
            if self._stopped():
                raise CallCancelled("the run was cancelled")
            read.value = read.fetch()
        except BaseException as exc:  # handed to every thread that waits for it
            read.error = exc
        finally:
            OWNER.reset(token)
            read.done.set()

    def _wait(self, read: _Read) -> None:
        while not read.done.wait(POLL_SECONDS):
            if self.cancelled():
                raise CallCancelled("the run was cancelled")

    # --- whose calls are they -----------------------------------------------------------------

    def keep_call(self, key: str, call: ApiCall) -> None:
        """A call made on a reader thread: kept with its read until a step uses it."""
        with self._lock:
            kept = self._kept.setdefault(key, _Kept())
            kept.calls.append(call)
            if call.error:
                kept.last_failure = call

    def missing_of(self, key: str) -> list[MissingFact]:
        """The facts read ``key`` could not read (only its own reader thread changes the list)."""
        with self._lock:
            return self._kept.setdefault(key, _Kept()).missing

    def last_failure(self, key: str) -> ApiCall | None:
        with self._lock:
            kept = self._kept.get(key)
            return kept.last_failure if kept else None

    def wrote(self, key: str, cache_key: str) -> None:
        """Read ``key`` set ``cache_key`` in the run's cache on its reader thread."""
        with self._lock:
            self._kept.setdefault(key, _Kept()).wrote.append(cache_key)
            self._unseen.add(cache_key)

    def seen(self, key: str) -> bool:
        """For a step: false while ``key`` in the run's cache is only what a reader thread set, and no step
        has used the read that set it (nor a read that waited on it). A read sees the whole cache: it
        runs what a later step will call, and that step will have seen what came before it."""
        owner = OWNER.get()
        if owner is not None and owner.plan is self and owner.key is not None:
            return True
        with self._lock:
            return key not in self._unseen

    def used(self, key: str) -> None:
        """``key`` was used by the owner of this thread: a step takes its calls now; a read takes them
        when a step uses it (the first step to use a read, directly or not, gets its calls)."""
        owner = OWNER.get()
        if owner is None or owner.plan is not self:
            return
        with self._lock:
            if owner.key is not None:
                if owner.key != key:
                    mine = self._kept.setdefault(owner.key, _Kept())
                    mine.waited_on.append(key)
                    # Facts it could not read are the user's at once, as if it had read them itself (an
                    # accessor counts what a read it waited on left unread). Copied, not moved: the read
                    # that waited may be one no step ever uses (a plan's trigger), and the step that uses
                    # ``key`` judged without those facts too (a step's missing facts are de-duplicated).
                    theirs = self._kept.get(key)
                    if theirs is not None:
                        mine.missing.extend(m for m in theirs.missing if m not in mine.missing)
                        # Its failed call names the IAM action when the user explains the failure.
                        mine.last_failure = theirs.last_failure or mine.last_failure
                return
            calls, missing, failure = self._take(key)
        if calls or missing:
            self.deliver(owner.step or "", calls, missing, failure)

    def _take(self, key: str) -> tuple[list[ApiCall], list[MissingFact], ApiCall | None]:
        self._unseen.discard(key)  # a step uses it, and with it what it waited on
        kept = self._kept.pop(key, None)
        if kept is None:
            return [], [], None
        self._unseen.difference_update(kept.wrote)
        calls, missing, failure = list(kept.calls), list(kept.missing), kept.last_failure
        for other in kept.waited_on:
            more, more_missing, more_failure = self._take(other)
            calls += more
            missing += more_missing
            failure = failure or more_failure
        return calls, missing, failure

    # --- the end of the run -------------------------------------------------------------------

    def close(self) -> None:
        """Drop the reads not started and wait for those in flight, which stop at their next call (no step
        is left to use them). The calls of reads no step used (a cancelled run's) are handed over with no
        step: the journal and the call log show them, no step claims them."""
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            leftovers = list(self._kept)
        for key in leftovers:
            with self._lock:
                calls, _missing, failure = self._take(key)  # its missing facts: no step judged with it
            if calls:
                self.deliver(None, calls, [], failure)
