"""Retry advice that fits the caller's SDK, as its user agent names it.

The retry modes (``legacy``, ``standard``, ``adaptive``; ``AWS_RETRY_MODE`` and ``AWS_MAX_ATTEMPTS``) are a
shared setting of the AWS SDKs and tools (AWS SDKs and Tools Reference Guide, "Retry behavior",
https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), but not every SDK has them
and the older ones never will: botocore added them in 1.15.0 (boto3 1.12.0, AWS CLI 1.18.0, February 2020,
boto/botocore#1972), and boto3 and the CLI v1 still default to ``legacy``. ``standard`` suits every
workload; ``adaptive`` adds client-side rate limiting and suits a single client hammering one resource
(a poller), not a client shared by many tenants. Java v2 replaced its ADAPTIVE mode by ADAPTIVE_V2 in 2.25.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ENV = "export AWS_RETRY_MODE=adaptive AWS_MAX_ATTEMPTS=10"


@dataclass(frozen=True)
class RetryAdvice:
    sdk: str
    has_modes: bool
    lines: tuple[str, ...]  # commands or code comments, ready to paste into a remediation


def _version(user_agent: str, product: str) -> tuple[int, ...] | None:
    match = re.search(re.escape(product) + r"/(\d+)\.(\d+)(?:\.(\d+))?", user_agent)
    return tuple(int(g) for g in match.groups() if g is not None) if match else None


def retry_advice(user_agent: str) -> RetryAdvice:
    """What to change on the caller, from its user agent (``Boto3/1.9.0 ...``, ``aws-sdk-go/1.44.0 ...``)."""
    ua = user_agent or ""
    lower = ua.lower()
    for product, first in (("Boto3", (1, 12)), ("Botocore", (1, 15)), ("aws-cli", (1, 18))):
        version = _version(ua, product)
        if version is None:
            continue
        name = f"{product}/{'.'.join(map(str, version))}"
        if (product == "aws-cli" and version[0] >= 2) or version[:2] >= first:
            return RetryAdvice(name, True, (
                f"# {name} has retry modes: adaptive also slows the client down while it is throttled",
                ENV))
        return RetryAdvice(name, False, (
            f"# {name} predates retry modes ({product} {'.'.join(map(str, first))}, February 2020): upgrade it, "
            "then use the adaptive mode",
            "pip install --upgrade boto3 awscli",
            ENV,
            "# Until then, legacy mode honours only max_attempts: Config(retries={'max_attempts': 10}), and add "
            "a sleep between calls"))
    if "aws-sdk-go-v2" in lower:
        return RetryAdvice("aws-sdk-go-v2", True, (
            "# Go v2: adaptive mode (retry.NewAdaptiveMode) or the environment:", ENV))
    if "aws-sdk-go/" in lower:
        return RetryAdvice("aws-sdk-go (v1)", False, (
            "# Go v1 has no retry modes and is past its end of support: move to aws-sdk-go-v2; meanwhile raise "
            "client.DefaultRetryer{NumMaxRetries: 10} and pace the calls",))
    if "aws-sdk-java/2." in lower:
        return RetryAdvice("aws-sdk-java (v2)", True, (
            "# Java v2: RetryMode.STANDARD, or ADAPTIVE_V2 from 2.25 on (ADAPTIVE there is deprecated), or the "
            "environment:", ENV.replace("adaptive", "standard")))
    if "aws-sdk-java/1." in lower:
        return RetryAdvice("aws-sdk-java (v1)", False, (
            "# Java v1 is past its end of support and its default retry policy is legacy: move to v2; meanwhile "
            "ClientConfiguration.withRetryPolicy(PredefinedRetryPolicies.getDefaultRetryPolicyWithCustomMaxRetries"
            "(10)) and pace the calls",))
    if re.search(r"aws-sdk-js/3\.|@aws-sdk/|aws-sdk-js-v3", lower):
        return RetryAdvice("aws-sdk-js (v3)", True, (
            "# JavaScript v3: retryMode: 'adaptive', maxAttempts: 10 on the client, or the environment:", ENV))
    if "aws-sdk-js/2." in lower or "aws-sdk-nodejs" in lower:
        return RetryAdvice("aws-sdk-js (v2)", False, (
            "# JavaScript v2 has no retry modes and is past its end of support: move to v3; meanwhile "
            "maxRetries: 10, retryDelayOptions: { base: 200 } and pace the calls",))
    if "aws-sdk-dotnet" in lower:
        return RetryAdvice("aws-sdk-dotnet", True, (
            "# .NET: config.RetryMode = RequestRetryMode.Adaptive (v3 defaults to Legacy), or the environment:",
            ENV))
    if "aws-sdk-ruby" in lower:
        return RetryAdvice("aws-sdk-ruby", True, (
            "# Ruby v3: retry_mode: 'adaptive', max_attempts: 10 on the client, or the environment:", ENV))
    if "aws-sdk-php" in lower:
        return RetryAdvice("aws-sdk-php", True, (
            "# PHP v3: 'retries' => ['mode' => 'adaptive', 'max_attempts' => 10] on the client, or the "
            "environment:", ENV))
    return RetryAdvice(ua.split(" ")[0][:60] or "its SDK", True, (
        "# On the caller: retry with exponential backoff and jitter; SDKs with retry modes take the adaptive "
        "mode from the environment:", ENV))
