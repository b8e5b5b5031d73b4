"""Credentials saved by awstriage live only in the OS keyring, never in a file of ours.

One keyring item per profile under the service name ``awstriage``; its value is JSON with
``aws_access_key_id``, ``aws_secret_access_key`` and, when present, ``aws_session_token`` and
``region``. The keyring cannot list its items, so the profile names are kept in one more item,
``__profiles__`` (a JSON list), in the keyring itself.

A machine without a usable keyring backend (keyring's ``fail``/``null`` backends, an empty chain, a
locked or broken Secret Service) gets ``KeyringUnavailable`` with one sentence, and awstriage carries
on with the standard AWS chain. keyrings.alt's file backends are refused as well: they would put the
secret in a file, which is exactly what this module promises not to do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import keyring
import keyring.errors

from diagnostics.redact import redact_text

SERVICE = "awstriage"
INDEX_ITEM = "__profiles__"
_FALLBACK = "saved credentials are unavailable; the standard AWS chain still works"


class KeyringUnavailable(Exception):
    """The OS keyring cannot be used; the message is one sentence for the user."""


@dataclass(frozen=True)
class StoredCredentials:
    aws_access_key_id: str
    aws_secret_access_key: str
    aws_session_token: str | None = None
    region: str | None = None

    def __post_init__(self) -> None:
        if not (self.aws_access_key_id or "").strip():
            raise ValueError("The access key ID is empty.")
        if not (self.aws_secret_access_key or "").strip():
            raise ValueError("The secret access key is empty.")

    def __repr__(self) -> str:
        # Never the secret, never the token; the key ID only as its kind (AKIA.../ASIA...).
        token = "'[REDACTED]'" if self.aws_session_token else "None"
        return (
            f"StoredCredentials(aws_access_key_id={_mask_key_id(self.aws_access_key_id)!r}, "
            f"aws_secret_access_key='[REDACTED]', aws_session_token={token}, region={self.region!r})"
        )

    __str__ = __repr__

    def to_json(self) -> str:
        data: dict[str, str] = {
            "aws_access_key_id": self.aws_access_key_id,
            "aws_secret_access_key": self.aws_secret_access_key,
        }
        if self.aws_session_token:
            data["aws_session_token"] = self.aws_session_token
        if self.region:
            data["region"] = self.region
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> StoredCredentials:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return cls(
            aws_access_key_id=str(data["aws_access_key_id"]),
            aws_secret_access_key=str(data["aws_secret_access_key"]),
            aws_session_token=data.get("aws_session_token") or None,
            region=data.get("region") or None,
        )


def _mask_key_id(key_id: str) -> str:
    return key_id[:4] + "*" * max(len(key_id) - 4, 0)


# -- backend checks -----------------------------------------------------------------------------


def _backend_name(backend: Any) -> str:
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def _unusable_reason(backend: Any) -> str | None:
    """Why this backend must not hold credentials, or None when it may."""
    from keyring.backends import chainer, fail, null

    name = _backend_name(backend)
    if isinstance(backend, fail.Keyring | null.Keyring):
        return f"no usable keyring backend ({name}): {_FALLBACK}"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return f"no usable keyring backend (an empty {name}): {_FALLBACK}"
    if type(backend).__module__.startswith("keyrings.alt.file"):
        return (
            f"the keyring backend {name} keeps secrets in a file, and awstriage saves credentials only in "
            f"the OS keyring: {_FALLBACK}"
        )
    return None


def _backend() -> Any:
    try:
        backend = keyring.get_keyring()
    except Exception as exc:
        raise KeyringUnavailable(_failure("could not be opened", None, exc)) from None
    reason = _unusable_reason(backend)
    if reason:
        raise KeyringUnavailable(reason)
    return backend


def _failure(what: str, backend: Any, exc: BaseException) -> str:
    name = f" ({_backend_name(backend)})" if backend is not None else ""
    if isinstance(exc, keyring.errors.KeyringLocked):
        detail = "it is locked; unlock it and try again"
    else:
        detail = " ".join(redact_text(str(exc)).split()) or type(exc).__name__
    return f"the OS keyring{name} {what} ({detail}): {_FALLBACK}"


def _get(backend: Any, item: str) -> str | None:
    try:
        return backend.get_password(SERVICE, item)
    except Exception as exc:
        raise KeyringUnavailable(_failure("could not be read", backend, exc)) from None


def _set(backend: Any, item: str, value: str) -> None:
    try:
        backend.set_password(SERVICE, item, value)
    except Exception as exc:
        raise KeyringUnavailable(_failure("refused to save", backend, exc)) from None
    # A chain of backends can drop a value silently; a read-back proves it was kept.
    if _get(backend, item) != value:
        raise KeyringUnavailable(
            f"the OS keyring ({_backend_name(backend)}) did not keep the value it was given: {_FALLBACK}"
        )


def _delete(backend: Any, item: str) -> bool:
    if _get(backend, item) is None:
        return False
    try:
        backend.delete_password(SERVICE, item)
    except keyring.errors.PasswordDeleteError:
        return False
    except Exception as exc:
        raise KeyringUnavailable(_failure("refused to delete", backend, exc)) from None
    return True


def _check_profile(profile: str) -> str:
    name = (profile or "").strip()
    if not name:
        raise ValueError("The profile name is empty.")
    if name == INDEX_ITEM:
        raise ValueError(f"The profile name {INDEX_ITEM} is reserved.")
    if any(ch.isspace() or not ch.isprintable() for ch in name):
        raise ValueError("A profile name cannot contain spaces or control characters.")
    return name


def _read_index(backend: Any) -> list[str]:
    raw = _get(backend, INDEX_ITEM)
    if not raw:
        return []
    try:
        names = json.loads(raw)
    except ValueError:
        return []  # a damaged index only loses the listing; the items themselves are intact
    return sorted({n for n in names if isinstance(n, str)}) if isinstance(names, list) else []


def _write_index(backend: Any, names: list[str]) -> None:
    _set(backend, INDEX_ITEM, json.dumps(sorted(set(names))))


# -- public API ---------------------------------------------------------------------------------


def keyring_status() -> str | None:
    """None when credentials can be saved and loaded, else one sentence saying why not."""
    try:
        _get(_backend(), INDEX_ITEM)
    except KeyringUnavailable as exc:
        return str(exc)
    return None


def save(profile: str, creds: StoredCredentials) -> None:
    """Keep ``creds`` for ``profile`` in the OS keyring, replacing what was there."""
    name = _check_profile(profile)
    if not isinstance(creds, StoredCredentials):
        raise TypeError("save() expects StoredCredentials")
    backend = _backend()
    _set(backend, name, creds.to_json())
    names = _read_index(backend)
    if name not in names:
        _write_index(backend, [*names, name])


def load(profile: str) -> StoredCredentials | None:
    """The credentials saved for ``profile``, or None when there are none."""
    name = _check_profile(profile)
    raw = _get(_backend(), name)
    if raw is None:
        return None
    try:
        return StoredCredentials.from_json(raw)
    except (ValueError, KeyError, TypeError):
        raise KeyringUnavailable(
            f"the credentials saved for profile {name} are unreadable: save them again with "
            f"`awstriage credentials set --profile {name}`"
        ) from None


def delete(profile: str) -> bool:
    """Forget the credentials of ``profile``; True when there were some."""
    name = _check_profile(profile)
    backend = _backend()
    existed = _delete(backend, name)
    names = _read_index(backend)
    if name in names:
        _write_index(backend, [n for n in names if n != name])
    return existed


def list_profiles() -> list[str]:
    """The profiles with saved credentials, sorted."""
    return _read_index(_backend())
