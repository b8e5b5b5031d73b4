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


class PlainMoto:
    """A moto server that no sandbox code touched: no seeders, no gap fillers, like a real account
    in that it lacks the sandbox's conveniences. Tests seed it with plain boto3 calls, then run the
    CLI through ``AWS_ENDPOINT_URL`` (:meth:`cli`) or a playbook through :meth:`session`."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def reset(self) -> None:
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST"),
                               timeout=10).read()

    def client(self, service: str):
        import boto3
        from botocore.config import Config

        return boto3.client(service, region_name="us-east-1", endpoint_url=self.endpoint_url,
                            config=Config(retries={"max_attempts": 1, "mode": "standard"}))

    def session(self):
        """A session as a real account would get one (environment credentials), few retries."""
        from diagnostics.session import SessionOptions, open_session

        return open_session(SessionOptions(region="us-east-1", endpoint_url=self.endpoint_url, use_keyring=False,
                                           max_attempts=2, retry_mode="standard"))

    def cli(self, *args: str, timeout: float = 90):
        import subprocess
        import sys

        env = {**os.environ, "AWS_ENDPOINT_URL": self.endpoint_url}
        return subprocess.run([sys.executable, "-m", "awstriage", *args], capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL, env=env)


@pytest.fixture(scope="session")
def _plain_moto_server():
    """In a process of its own: the sandbox's gap fillers patch moto's classes in this process, and a server
    started here would answer the APIs they fill (GetAccountSettings, LookupEvents, ...) once any sandbox test
    ran before."""
    import socket
    import subprocess
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    server = PlainMoto(f"http://127.0.0.1:{port}")
    deadline = time.monotonic() + 60
    while True:
        try:
            server.reset()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the plain moto server did not start") from None
            time.sleep(0.2)
    try:
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def plain_moto(_plain_moto_server: PlainMoto) -> PlainMoto:
    """A fresh, empty plain moto server (reset before each test)."""
    _plain_moto_server.reset()
    return _plain_moto_server
