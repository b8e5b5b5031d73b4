"""Credentials live in the OS keyring only; tests use an in-memory keyring and never the user's."""

from __future__ import annotations

import json

import keyring
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail, null
from keyring_backends import MemoryKeyring

from diagnostics import credentials
from diagnostics.credentials import INDEX_ITEM, SERVICE, KeyringUnavailable, StoredCredentials

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEBYaCXVzLWVhc3QtMSJHMEUCIQDexampletoken"


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("locked")

    set_password = delete_password = get_password  # type: ignore[assignment]


class ForgetfulKeyring(MemoryKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        pass  # like an empty chain: accepts and drops


def use(backend: KeyringBackend):
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    return previous


@pytest.fixture
def memory():
    backend = MemoryKeyring()
    previous = use(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def backend_swap():
    previous = keyring.get_keyring()
    try:
        yield lambda backend: keyring.set_keyring(backend)
    finally:
        keyring.set_keyring(previous)


def creds(**overrides) -> StoredCredentials:
    values = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": SECRET}
    values.update(overrides)
    return StoredCredentials(**values)


def test_round_trip(memory: MemoryKeyring) -> None:
    saved = creds(aws_session_token=TOKEN, region="eu-west-1")
    credentials.save("prod", saved)
    assert credentials.load("prod") == saved
    stored = json.loads(memory.items[(SERVICE, "prod")])
    assert stored == {
        "aws_access_key_id": "AKIAIOSFODNN7EXAMPLE",
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
        "region": "eu-west-1",
    }


def test_optional_fields_are_left_out(memory: MemoryKeyring) -> None:
    credentials.save("dev", creds())
    assert set(json.loads(memory.items[(SERVICE, "dev")])) == {"aws_access_key_id", "aws_secret_access_key"}
    loaded = credentials.load("dev")
    assert loaded is not None and loaded.aws_session_token is None and loaded.region is None


def test_index_lists_profiles(memory: MemoryKeyring) -> None:
    assert credentials.list_profiles() == []
    credentials.save("prod", creds())
    credentials.save("dev", creds())
    credentials.save("prod", creds(region="us-west-2"))  # replacing does not duplicate
    assert credentials.list_profiles() == ["dev", "prod"]
    assert json.loads(memory.items[(SERVICE, INDEX_ITEM)]) == ["dev", "prod"]
    assert credentials.load("prod").region == "us-west-2"


def test_delete(memory: MemoryKeyring) -> None:
    credentials.save("prod", creds())
    credentials.save("dev", creds())
    assert credentials.delete("prod") is True
    assert credentials.load("prod") is None
    assert credentials.list_profiles() == ["dev"]
    assert credentials.delete("prod") is False
    assert credentials.delete("never") is False


def test_load_missing_profile(memory: MemoryKeyring) -> None:
    assert credentials.load("nobody") is None


def test_damaged_item_is_one_sentence(memory: MemoryKeyring) -> None:
    memory.items[(SERVICE, "prod")] = "{not json"
    with pytest.raises(
        KeyringUnavailable,
        match="unreadable: save them again with `awstriage credentials set --profile prod`",
    ):
        credentials.load("prod")


def test_damaged_index_only_loses_the_listing(memory: MemoryKeyring) -> None:
    memory.items[(SERVICE, INDEX_ITEM)] = "garbage"
    assert credentials.list_profiles() == []
    credentials.save("prod", creds())
    assert credentials.list_profiles() == ["prod"]


@pytest.mark.parametrize("name", ["", "   ", INDEX_ITEM, "two words", "tab\tname"])
def test_bad_profile_names(memory: MemoryKeyring, name: str) -> None:
    with pytest.raises(ValueError):
        credentials.save(name, creds())
    assert memory.items == {}


def test_empty_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="secret access key is empty"):
        StoredCredentials("AKIAIOSFODNN7EXAMPLE", "")
    with pytest.raises(ValueError, match="access key ID is empty"):
        StoredCredentials(" ", SECRET)


def test_repr_never_shows_the_secret() -> None:
    value = creds(aws_session_token=TOKEN, region="eu-west-1")
    for text in (repr(value), str(value), f"{value}", repr([value])):
        assert SECRET not in text and TOKEN not in text and "AKIAIOSFODNN7EXAMPLE" not in text
        assert "AKIA****************" in text and "eu-west-1" in text


def test_status_is_none_when_usable(memory: MemoryKeyring) -> None:
    assert credentials.keyring_status() is None


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_no_backend(backend_swap, backend: KeyringBackend) -> None:
    backend_swap(backend)
    name = f"{type(backend).__module__}.{type(backend).__qualname__}"
    expected = (
        f"no usable keyring backend ({name}): "
        "saved credentials are unavailable; the standard AWS chain still works"
    )
    assert credentials.keyring_status() == expected
    with pytest.raises(KeyringUnavailable) as caught:
        credentials.save("prod", creds())
    assert str(caught.value) == expected
    for call in (
        lambda: credentials.load("prod"),
        lambda: credentials.delete("prod"),
        credentials.list_profiles,
    ):
        with pytest.raises(KeyringUnavailable):
            call()


def test_fail_backend_message_names_it(backend_swap) -> None:
    backend_swap(fail.Keyring())
    assert credentials.keyring_status() == (
        "no usable keyring backend (keyring.backends.fail.Keyring): saved credentials are unavailable; "
        "the standard AWS chain still works"
    )


def test_locked_keyring(backend_swap) -> None:
    backend_swap(LockedKeyring())
    status = credentials.keyring_status()
    assert status is not None and "locked" in status and "standard AWS chain still works" in status
    with pytest.raises(KeyringUnavailable, match="locked"):
        credentials.load("prod")


def test_keyring_that_drops_values(backend_swap) -> None:
    backend_swap(ForgetfulKeyring())
    with pytest.raises(KeyringUnavailable, match="did not keep the value"):
        credentials.save("prod", creds())


def test_errors_never_carry_the_secret(backend_swap) -> None:
    class Leaky(MemoryKeyring):
        def set_password(self, service: str, username: str, password: str) -> None:
            raise keyring.errors.PasswordSetError(f"cannot store {password}")

    backend_swap(Leaky())
    with pytest.raises(KeyringUnavailable) as caught:
        credentials.save("prod", creds())
    assert SECRET not in str(caught.value)
    assert "refused to save" in str(caught.value)


def test_test_keyring_is_never_discovered() -> None:
    assert MemoryKeyring not in set(KeyringBackend.get_viable_backends())
