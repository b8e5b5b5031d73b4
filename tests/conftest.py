"""Shared fixtures. Tests never touch a real AWS account, a real keyring or the user's data dir."""

from __future__ import annotations

import os

import pytest

# No test may reach a real AWS account by accident: dummy keys everywhere, no profile.
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_SESSION_TOKEN="testing",
    AWS_DEFAULT_REGION="us-east-1",
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWSTRIAGE_DATA_DIR", str(tmp_path_factory.mktemp("awstriage-data")))


@pytest.fixture(scope="session")
def sandbox():
    """One moto server for the whole session; each test seeds the scenario it needs."""
    from diagnostics.sandbox import Sandbox

    with Sandbox() as sb:
        yield sb
