"""Keyring backends for tests: the user's real keyring is never touched."""

from __future__ import annotations

import keyring.errors
from keyring.backend import KeyringBackend
from keyring.compat import properties


class MemoryKeyring(KeyringBackend):
    """A dict behind the keyring API."""

    @properties.classproperty
    def priority(cls) -> float:
        # Never chosen by keyring's own discovery: only the fixture below installs it.
        raise RuntimeError("test-only keyring")

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.items:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.items[(service, username)]
