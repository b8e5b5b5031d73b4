"""Secrets never reach the screen, the call log or a transcript.

``redact`` returns a copy of any JSON-like value (dicts, lists, tuples, strings, ...) with secrets
removed; ``redact_text`` does the same for one string. Every API call's parameters and every
finding's evidence go through here, so both are built on a few precompiled regular expressions and
a quick test that skips strings which cannot hold a secret.

What is removed:
- AWS access key IDs (AKIA/ASIA/ABIA/ACCA + 16 characters) keep their first four characters and
  lose the rest: ``AKIA****************``. The prefix tells a person what kind of key was in use
  (AKIA long-term user key, ASIA temporary credentials) without identifying it.
- Secret access keys, session tokens, passwords, private keys, ``Authorization`` headers, request
  signatures and the values of Lambda (and ECS-style) environment variables become ``[REDACTED]``;
  environment variable names are kept, since "DB_PASSWORD is set" is useful evidence.
- A value stored under a sensitive key (SecretAccessKey, SessionToken, Password, PrivateKey,
  KeyMaterial, Authorization, ...) is replaced whatever it looks like. In free text a secret is
  recognised by its shape (access key IDs, ``IQoJ...``/``FwoG...`` session tokens, PEM private key
  blocks, SigV4 headers) or by the word in front of it (``aws_secret_access_key = ...``,
  ``password: ...``, ``X-Amz-Security-Token=...``, an access key ID followed by a 40-character key).
  A bare 40-character string with no such context is kept: it could be a git SHA or a resource name,
  and guessing would corrupt evidence.

Redaction is idempotent: redacting twice gives the same result as once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

MARKER = "[REDACTED]"
ACCESS_KEY_MASK = "*" * 16

# Keys whose value is a secret whatever it looks like, compared lower-case with punctuation removed.
SENSITIVE_KEYS: frozenset[str] = frozenset(
    {
        "secret",
        "secretkey",
        "secretaccesskey",
        "awssecretaccesskey",
        "secretstring",
        "secretbinary",
        "clientsecret",
        "sessiontoken",
        "awssessiontoken",
        "securitytoken",
        "xamzsecuritytoken",
        "accesstoken",
        "refreshtoken",
        "idtoken",
        "authorizationtoken",
        "authorization",
        "xamzsignature",
        "signature",
        "password",
        "passworddata",
        "passphrase",
        "privatekey",
        "keymaterial",
        "plaintext",
        "apikey",
        "xapikey",
        "authtoken",
    }
)
# Key endings that also mark a secret: MasterUserPassword, NewPassword, SharedSecret, ...
SENSITIVE_KEY_SUFFIXES: tuple[str, ...] = (
    "password",
    "secret",
    "secretkey",
    "secretaccesskey",
    "sessiontoken",
    "securitytoken",
    "privatekey",
    "passphrase",
)

_B64 = r"A-Za-z0-9/+"
_KEY_ID_PREFIX = r"(?:AKIA|ASIA|ABIA|ACCA)"
# Names that announce a secret value in text ("password: ...", '"SessionToken": "..."'), as regexes.
TEXT_SECRET_NAMES: tuple[str, ...] = (
    "aws_secret_access_key",
    "secret_?access_?key",
    "secret_?key",
    "client_?secret",
    "secret_?string",
    "secret",
    "aws_session_token",
    "session_?token",
    "security_?token",
    "x-amz-security-token",
    "x-amz-signature",
    "x-amz-credential",
    "signature",
    "password_?data",
    "password",
    "passwd",
    "passphrase",
    "private_?key",
    "key_?material",
    "api[_-]?key",
    "access[_-]?token",
    "refresh[_-]?token",
    "auth[_-]?token",
    "id[_-]?token",
    "plaintext",
)
# A JSON string or a Python repr string, escapes included.
_STR = r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""
_SEP = r"[\\\"'\s]{0,6}(?:[:=]|\bis\b)?[\\\"'\s]{0,6}"

# (pattern, replacement) applied in order. No pattern needs a word boundary in front of the secret:
# a secret glued to other text is still a secret, and a key that is cut short is already harmless.
TEXT_RULES: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    # PEM private keys, also when the END line was cut off.
    (
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----|.*\Z)", re.S
        ),
        MARKER,
    ),
    # An access key ID followed by its secret key (the credentials CSV, `aws configure list`).
    (
        re.compile(rf"({_KEY_ID_PREFIX})[A-Z0-9]{{16}}([\s,;:|\"'=]{{1,6}})[{_B64}]{{40,}}=*"),
        lambda m: f"{m.group(1)}{ACCESS_KEY_MASK}{m.group(2)}{MARKER}",
    ),
    # A 40-character secret key after a word containing "secret".
    (
        re.compile(rf"((?<![:/])(?i:secret)[A-Za-z_.\- ]{{0,24}}?{_SEP})(?<![{_B64}])[{_B64}]{{40,}}=*"),
        rf"\g<1>{MARKER}",
    ),
    # An Authorization header's whole value, to the end of the line or the closing quote.
    (
        re.compile(
            r"((?<![:/])(?i:authorization)(?![A-Za-z])(?:\\{0,2}[\"'])?\s*[:=]\s*)"
            r"(?:(\\{0,2}[\"'])((?:\\.|[^\\\r\n])*?)\2|([^\r\n\"'\\<>]+))"
        ),
        lambda m: m.group(1) + (_quoted(m.group(2), m.group(3)) if m.group(2) else MARKER),
    ),
    # Any value after a well-known secret name; a quoted value is masked whole.
    (
        re.compile(
            # The look-ahead at the names' first letters lets most positions fail before the alternation.
            rf"((?<![:/])(?=[{''.join(sorted({n[0] + n[0].upper() for n in TEXT_SECRET_NAMES}))}])"
            rf"(?i:{'|'.join(TEXT_SECRET_NAMES)})"
            r"(?![A-Za-z])(?:\\{0,2}[\"'])?\s*[:=]\s*)"
            r"(?:(\\{0,2}[\"'])((?:\\.|[^\\\r\n])*?)\2|([^\s\"'\\&,;<>]+))"
        ),
        lambda m: m.group(1) + (_quoted(m.group(2), m.group(3)) if m.group(2) else MARKER),
    ),
    # A URL's query parameter that carries a credential: ?token=..., &sig=... (a shared access signature),
    # &apikey=..., &auth=...: a webhook or presigned URL pasted into an alarm name, a description or a log line.
    (re.compile(r"([?&](?i:[a-z_\-]*token|sig|signature|secret|password|pwd|api[_\-]?key|auth)=)"
                r"(?!\[REDACTED\])[^&\s\"'<>#]+"), rf"\g<1>{MARKER}"),
    # The password of a URL's user info (RFC 3986 3.2.1, "user:password@host" is deprecated but still
    # how connection strings are written: postgresql://app:PASSWORD@db:5432/orders, redis://:PASSWORD@host).
    (re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s/:@'\"<>]*:)(?!\[REDACTED\]@)([^\s/'\"<>]+)@"),
     rf"\g<1>{MARKER}@"),
    # A bearer token (RFC 6750 2.1), wherever it is written, not only after "Authorization".
    (re.compile(r"((?<![A-Za-z])(?i:bearer)\s+)(?!\[REDACTED\])[A-Za-z0-9._~+/\-]{8,}=*"), rf"\g<1>{MARKER}"),
    # Tokens whose shape names them: JSON Web Tokens, and the API keys of services Lambda functions often
    # call (Stripe sk_/rk_ keys, GitHub ghp_/gho_/ghu_/ghs_/ghr_ tokens, Slack xox?- tokens).
    (re.compile(r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"), MARKER),
    (re.compile(r"\b(?:[sr]k_(?:live|test)_[0-9A-Za-z]{8,}|gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9\-]{10,})"),
     MARKER),
    # STS session tokens by shape.
    (re.compile(rf"(?:IQoJ|IQoD|FwoG|FQoG|AQoD|AQoE|AgoJ)[{_B64}=%]{{20,}}"), MARKER),
    # SigV4 Authorization header: the credential scope and the signature.
    (re.compile(r"(AWS4-HMAC-SHA256\s+Credential=)(?!\[REDACTED\])[^,\s]+"), rf"\g<1>{MARKER}"),
    (re.compile(r"((?i:signature)\s*[=:]\s*)(?!\[REDACTED\])[A-Za-z0-9%/+=]{16,}"), rf"\g<1>{MARKER}"),
    # Environment variable values inside JSON or a Python repr: "Variables": {"A": "b", ...}.
    (
        re.compile(rf"([\"']Variables[\"']\s*:\s*\{{)((?:\s*(?:{_STR})\s*:\s*(?:{_STR})\s*,?)*)"),
        lambda m: m.group(1) + _mask_pairs(m.group(2)),
    ),
    # Any access key ID left.
    (re.compile(rf"({_KEY_ID_PREFIX})[A-Z0-9]{{16}}"), rf"\g<1>{ACCESS_KEY_MASK}"),
)

_PAIR_VALUE = re.compile(rf"((?:{_STR})\s*:\s*)({_STR})")

# A string without any of these (after lower-casing) cannot match a rule above; most strings are IDs,
# names and numbers, and skip every other regular expression. Factored by first letter for speed.
_TRIGGER = re.compile(
    r"a(?:kia|sia|bia|cca|uthoriz|ws4-|pi[_-]?key|qod|qoe|goj)|secret|token|passw|private|signature"
    r"|credential|material|plaintext|iqo[jd]|f[wq]og|variables|://|bearer|eyj|k_live_|k_test_|gh[pousr]_|xox"
    r"|[?&](?:sig|pwd|auth)="
)


def _quoted(quote: str, inner: str) -> str:
    return f"{quote}{inner}{quote}" if not inner else f"{quote}{MARKER}{quote}"


def _mask_pairs(body: str) -> str:
    return _PAIR_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)[0]}{MARKER}{m.group(2)[0]}", body)


def redact_text(s: str) -> str:
    """``s`` with every recognisable secret replaced."""
    if not s or not _TRIGGER.search(s.lower()):
        return s
    for pattern, replacement in TEXT_RULES:
        s = pattern.sub(replacement, s)
    return s


@lru_cache(maxsize=4096)
def _normal(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


@lru_cache(maxsize=4096)
def is_sensitive_key(key: str) -> bool:
    """True when a value stored under ``key`` is a secret (SecretAccessKey, MasterUserPassword, ...)."""
    norm = _normal(key)
    return norm in SENSITIVE_KEYS or norm.endswith(SENSITIVE_KEY_SUFFIXES)


def _blank(value: Any) -> Any:
    # None, booleans and empty values say only that a secret is absent or present: keep them.
    if value is None or isinstance(value, bool) or value in ("", b""):
        return value
    return MARKER


def _mask_values(variables: Any) -> Any:
    """Environment variables as a name -> value map, or as [{"name": ..., "value": ...}]: names stay."""
    if isinstance(variables, Mapping):
        return {redact_text(k) if isinstance(k, str) else k: _blank(v) for k, v in variables.items()}
    if isinstance(variables, list | tuple):
        return [_mask_pair(item) for item in variables]
    return _blank(variables)


def _mask_pair(item: Any) -> Any:
    if isinstance(item, Mapping):
        return {k: _blank(v) if _normal(str(k)) == "value" else redact(v) for k, v in item.items()}
    return _blank(item)


def _redact_environment(value: Any) -> Any:
    """Lambda's {"Variables": {...}, "Error": {...}} and ECS's [{"name": ..., "value": ...}]."""
    if isinstance(value, Mapping):
        return {
            redact_text(k) if isinstance(k, str) else k: _mask_values(v)
            if isinstance(k, str) and _normal(k) == "variables"
            else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_mask_pair(item) for item in value]
    return redact(value)


# Flattened parameters: Environment.Variables.NAME (a value) and Environment.Variables.entry.1.key
# (a name) / .value (a value).
_FLAT_ENV = re.compile(r"environment\.variables\.(?P<rest>.+)", re.I)
_FLAT_ENV_NAME = re.compile(r"entry\.\d+\.key", re.I)


@lru_cache(maxsize=4096)
def _key_role(key: str) -> str:
    """How a value stored under ``key`` is treated: plain, secret, env, env-vars or flat-name."""
    flat = _FLAT_ENV.fullmatch(key)
    if flat:
        return "flat-name" if _FLAT_ENV_NAME.fullmatch(flat["rest"]) else "secret"
    norm = _normal(key)
    if norm == "environment":
        return "env"
    if norm in ("environmentvariables", "environmentvars"):
        return "env-vars"
    return "secret" if is_sensitive_key(key) else "plain"


def _redact_item(key: Any, value: Any) -> Any:
    role = _key_role(key) if isinstance(key, str) else "plain"
    if role == "plain" or role == "flat-name":
        return redact(value)
    if role == "secret":
        return _blank(value)
    if role == "env":
        return _redact_environment(value)
    return _mask_values(value)


def redact(value: Any) -> Any:
    """A copy of ``value`` with secrets removed; the input is never modified.

    Mappings come back as dicts, lists and tuples as lists and tuples, strings and bytes redacted;
    other values (numbers, datetimes, ...) are returned as they are.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {redact_text(k) if isinstance(k, str) else k: _redact_item(k, v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, tuple):
        items = [redact(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    if isinstance(value, set | frozenset):
        return type(value)(redact(v) for v in value)
    if isinstance(value, bytes | bytearray):
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return value
        cleaned = redact_text(text)
        return value if cleaned == text else type(value)(cleaned.encode("utf-8"))
    return value
