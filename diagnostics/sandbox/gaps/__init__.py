"""APIs moto lacks, filled with the current scenario's ``[gaps]`` data.

This package is the only place the sandbox differs from a real account: the playbooks call the same
APIs either way. Each module here (one per service) registers fillers with ``@filler``; a filler adds
a method to moto's response class for that service, answering from the data of the scenario seeded
last (none: an empty but well-formed answer).
"""

from __future__ import annotations

import threading
from typing import Any

_data: dict[str, Any] = {}
_lock = threading.Lock()
_installed = False


def set_data(data: dict[str, Any]) -> None:
    global _data
    with _lock:
        _data = data


def get(key: str, default: Any = None) -> Any:
    with _lock:
        return _data.get(key, default)


def install() -> None:
    """Patch moto's response classes once per process."""
    global _installed
    if _installed:
        return
    _installed = True
    import importlib
    import pkgutil

    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    for fill in FILLERS:
        fill()


FILLERS: list[Any] = []


def filler(fn: Any) -> Any:
    FILLERS.append(fn)
    return fn
