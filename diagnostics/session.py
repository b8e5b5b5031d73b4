"""One boto3 Session for a whole run, and the only place clients are made.

Every client handed out has adaptive retries, the read-only guard and the call log. Credentials come
from the standard AWS chain (profile, SSO, environment, instance role) or, when the user saved them
with ``awstriage credentials set``, from the OS keyring.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config

from diagnostics.calllog import ApiCall, CallLog
from diagnostics.concurrency import ServiceLimiter
from diagnostics.readonly import ReadOnlyViolation, is_read_only

DEFAULT_REGION = "us-east-1"

# What botocore's credential ``method`` means, in words a person can check against their setup.
CREDENTIAL_SOURCES = {
    "env": "environment variables",
    "shared-credentials-file": "the shared credentials file (~/.aws/credentials)",
    "config-file": "the AWS config file (~/.aws/config)",
    "sso": "AWS IAM Identity Center (SSO)",
    "assume-role": "an assumed role from the AWS config file",
    "assume-role-with-web-identity": "a web identity token",
    "custom-process": "a credential_process command",
    "container-role": "the container's task role",
    "iam-role": "the instance profile (instance metadata)",
    "explicit": "credentials passed explicitly",
    "keyring": "the OS keyring (saved with awstriage credentials set)",
    "sandbox": "the built-in sandbox (dummy credentials, nothing leaves this machine)",
}


@dataclass
class SessionOptions:
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    use_keyring: bool = True
    max_attempts: int = 5
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retry_mode: str = "adaptive"


@dataclass
class AwsSession:
    """A boto3 session plus everything awstriage promises about the clients made from it."""

    boto: boto3.Session
    options: SessionOptions
    credential_method: str
    call_log: CallLog = field(default_factory=CallLog)
    notices: list[str] = field(default_factory=list)
    limiter: ServiceLimiter = field(default_factory=ServiceLimiter)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def region(self) -> str:
        return self.boto.region_name or DEFAULT_REGION

    @property
    def profile(self) -> str | None:
        return self.options.profile

    @property
    def endpoint_url(self) -> str | None:
        return self.options.endpoint_url

    @property
    def credential_source(self) -> str:
        return CREDENTIAL_SOURCES.get(self.credential_method, self.credential_method or "unknown")

    def client(self, service: str, region: str | None = None) -> Any:
        """A guarded, logged client of ``service`` in the session's region, or in ``region`` (CloudTrail
        records IAM's, STS's and CloudFront's events in us-east-1 only)."""
        # boto3 clients are thread-safe, a boto3 Session is not: clients are made under the lock, once. A
        # client already made is handed out without it, so a reader never waits while another thread
        # builds a client (EC2's takes a few hundred milliseconds).
        key = service if region is None or region == self.region else f"{service}@{region}"
        made = self._clients.get(key)
        if made is not None:
            return made
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._make_client(service, region)
            return self._clients[key]

    def _make_client(self, service: str, region: str | None = None) -> Any:
        opts = self.options
        config = Config(
            retries={"mode": opts.retry_mode, "max_attempts": opts.max_attempts},
            connect_timeout=opts.connect_timeout,
            read_timeout=opts.read_timeout,
            user_agent_extra="awstriage",
        )
        kwargs: dict[str, Any] = {"config": config, "region_name": region or self.region}
        if opts.endpoint_url:
            kwargs["endpoint_url"] = opts.endpoint_url
        client = self.boto.client(service, **kwargs)
        # The guard is registered first so that a refused call never reaches the call log's
        # start hook; it records the refusal itself, so the log still shows what was attempted.
        client.meta.events.register("before-parameter-build.*.*", self._guard)
        self.call_log.install(client)
        # Per-service slots: concurrent reads never add up to throttling the account being diagnosed.
        self.limiter.install(client, on_cancel=lambda model: self.call_log.abandon(model, "Cancelled"))
        return client

    def _guard(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        service = model.service_model.service_name
        if not is_read_only(service, model.name):
            self.call_log.record(ApiCall(service, model.name, error="ReadOnlyViolation"))
            raise ReadOnlyViolation(service, model.name)


def open_session(options: SessionOptions | None = None) -> AwsSession:
    """Build the run's session from the options, the OS keyring and the standard AWS chain."""
    options = options or SessionOptions()
    notices: list[str] = []
    endpoint = options.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None
    options.endpoint_url = endpoint
    stored = None
    if options.use_keyring and options.profile:
        # Imported here: the keyring backends take ~50 ms to load, and only a named profile uses them.
        from diagnostics import credentials as keyring_store

        try:
            stored = keyring_store.load(options.profile)
        except keyring_store.KeyringUnavailable as exc:
            notices.append(str(exc))
    if stored is not None:
        boto = boto3.Session(
            aws_access_key_id=stored.aws_access_key_id,
            aws_secret_access_key=stored.aws_secret_access_key,
            aws_session_token=stored.aws_session_token,
            region_name=options.region or stored.region,
        )
        method = "keyring"
    else:
        boto = boto3.Session(profile_name=options.profile, region_name=options.region)
        creds = boto.get_credentials()
        method = getattr(creds, "method", "") if creds is not None else ""
    if not boto.region_name:
        notices.append(f"No region is configured; using {DEFAULT_REGION}. Pass --region to choose another.")
    return AwsSession(boto=boto, options=options, credential_method=method, notices=notices)


def sandbox_session(endpoint_url: str, region: str = DEFAULT_REGION) -> AwsSession:
    """A session on the in-process moto server: dummy keys, few retries (moto answers 500 for
    APIs it lacks, and botocore would retry those)."""
    boto = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        aws_session_token="testing",
        region_name=region,
    )
    options = SessionOptions(region=region, endpoint_url=endpoint_url, use_keyring=False, max_attempts=2,
                             retry_mode="standard")
    return AwsSession(boto=boto, options=options, credential_method="sandbox")
