"""The in-process moto server on 127.0.0.1 with a free port, and seeding a scenario into it."""

from __future__ import annotations

import logging
import os
import threading
import urllib.request
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from diagnostics.sandbox import gaps
from diagnostics.sandbox.scenario import Scenario, resolve
from diagnostics.sandbox.seeders import seed_resources
from diagnostics.session import DEFAULT_REGION, AwsSession, sandbox_session

SANDBOX_ACCOUNT = "123456789012"


@dataclass(frozen=True)
class SeededScenario:
    scenario: Scenario
    refs: dict[str, dict[str, str]]
    inputs: dict[str, Any]
    expect: list[dict[str, Any]]


class Sandbox:
    """A moto server of our own. Nothing it does leaves this machine."""

    def __init__(self, region: str = DEFAULT_REGION) -> None:
        # moto reads these at import time in places; the dummy keys keep boto3 from looking for real
        # ones, and the server never sees anything else.
        os.environ.setdefault("MOTO_ALLOW_NONEXISTENT_REGION", "false")
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        from moto.server import ThreadedMotoServer

        self.region = region
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint_url = f"http://{host}:{port}"
        self._lock = threading.Lock()
        self._admin = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
        )
        self.current: SeededScenario | None = None
        gaps.install()

    def admin_client(self, service: str) -> Any:
        """An unguarded client for seeding only; diagnosis goes through session()."""
        return self._admin.client(
            service, endpoint_url=self.endpoint_url,
            config=Config(retries={"mode": "standard", "max_attempts": 1}),
        )

    def session(self) -> AwsSession:
        return sandbox_session(self.endpoint_url, self.region)

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10):
            pass
        gaps.set_data({})
        self.current = None

    def seed(self, scenario: Scenario) -> SeededScenario:
        """Start from an empty account and build the scenario's world in it."""
        with self._lock:
            self.reset()
            refs: dict[str, dict[str, str]] = {
                "account.sandbox": {"id": SANDBOX_ACCOUNT},
                "region.sandbox": {"id": self.region},
            }
            clients: dict[str, Any] = {}

            def client(service: str) -> Any:
                if service not in clients:
                    clients[service] = self.admin_client(service)
                return clients[service]

            seed_resources(scenario.resources, client, refs)
            gaps.set_data(resolve(scenario.gaps, refs))
            self.current = SeededScenario(
                scenario=scenario,
                refs=refs,
                inputs=resolve(scenario.inputs, refs),
                expect=resolve(scenario.expect, refs),
            )
            return self.current

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
