"""A record of every AWS call: what was asked, how long it took, how often it was retried, how it ended.

The call log is the lazygit-style "command log" of the TUI and the ``api_calls`` of each transcript
step. Parameters are redacted before they are stored, so nothing downstream can leak a secret.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from diagnostics.redact import redact


@dataclass(frozen=True)
class ApiCall:
    service: str
    operation: str
    params: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0
    retries: int = 0
    error: str | None = None
    started_at: float = 0.0
    ended_at: float = 0.0  # wall clock, like started_at: calls of concurrent reads overlap in time

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_ms"] = round(self.duration_ms, 1)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ApiCall:
        return cls(
            service=str(data.get("service", "")),
            operation=str(data.get("operation", "")),
            params=dict(data.get("params") or {}),
            duration_ms=float(data.get("duration_ms") or 0.0),
            retries=int(data.get("retries") or 0),
            error=data.get("error"),
            started_at=float(data.get("started_at") or 0.0),
            ended_at=float(data.get("ended_at") or 0.0),
        )


Listener = Callable[[ApiCall], None]


class CallLog:
    """Collects ApiCall records from botocore event hooks and fans them out to listeners."""

    def __init__(self) -> None:
        self._calls: list[ApiCall] = []
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        # botocore fires before-call and after-call on the calling thread, so the in-flight
        # start time is kept per thread: the TUI may run several workers at once.
        self._inflight = threading.local()

    @property
    def calls(self) -> list[ApiCall]:
        with self._lock:
            return list(self._calls)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def record(self, call: ApiCall) -> None:
        with self._lock:
            self._calls.append(call)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(call)

    # botocore event handlers -------------------------------------------------------------

    def install(self, client: Any) -> None:
        events = client.meta.events
        # before-parameter-build sees the caller's own parameters (before serialisation) and runs
        # once per API call; the retries happen later, inside the endpoint.
        events.register("before-parameter-build.*.*", self._started)
        events.register("after-call.*.*", self._after_call)
        events.register("after-call-error.*.*", self._after_call_error)

    def _stack(self) -> list[tuple[float, float, dict[str, Any], Any]]:
        stack = getattr(self._inflight, "stack", None)
        if stack is None:
            stack = self._inflight.stack = []
        return stack

    def _started(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self._stack().append((time.perf_counter(), time.time(), dict(params), model))

    def abandon(self, model: Any, error: str) -> None:
        """Record a call that never went out (refused by the read-only guard)."""
        self._finish(model, None, error=error)

    def _after_call(self, http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        error = parsed["Error"].get("Code") or "Error" if parsed and "Error" in parsed else None
        self._finish(model, parsed, error=error)

    def _after_call_error(self, exception: BaseException, **_: Any) -> None:
        # botocore passes no model here: _finish takes it from the in-flight record.
        self._finish(None, None, error=type(exception).__name__)

    def _finish(self, model: Any, parsed: dict[str, Any] | None, error: str | None) -> None:
        stack = self._stack()
        t0, wall, params, started_model = stack.pop() if stack else (time.perf_counter(), time.time(), {}, None)
        model = model or started_model
        retries = int((parsed or {}).get("ResponseMetadata", {}).get("RetryAttempts", 0) or 0)
        self.record(
            ApiCall(
                service=model.service_model.service_name if model is not None else "?",
                operation=model.name if model is not None else "?",
                # As the journal will write them (datetimes as text): a call reads the same live and replayed.
                params=json.loads(json.dumps(redact(params), default=str)),
                duration_ms=(time.perf_counter() - t0) * 1000.0,
                retries=retries,
                error=error,
                started_at=wall,
                ended_at=time.time(),
            )
        )
