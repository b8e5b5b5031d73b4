"""Lambda ``GetAccountSettings``, which moto lacks, answered from the functions moto holds.

The account's concurrency limit comes from the scenario (``[gaps.lambda_account]
concurrent_executions = 50``; 1,000, the usual default, when absent), and the unreserved part is
that limit minus the reserved concurrency of every function, as on AWS.
"""

from __future__ import annotations

import json
from typing import Any

from diagnostics.sandbox import gaps

DEFAULT_CONCURRENCY = 1000
ROUTE = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"


def answer(settings: dict[str, Any], functions: list[Any]) -> dict[str, Any]:
    limit = int(settings.get("concurrent_executions", DEFAULT_CONCURRENCY))
    reserved = sum(int(getattr(fn, "reserved_concurrency", None) or 0) for fn in functions)
    code_size = sum(int(getattr(fn, "code_size", 0) or 0) for fn in functions)
    return {
        "AccountLimit": {
            "TotalCodeSize": 80530636800,
            "CodeSizeUnzipped": 262144000,
            "CodeSizeZipped": 52428800,
            "ConcurrentExecutions": limit,
            "UnreservedConcurrentExecutions": max(0, limit - reserved),
        },
        "AccountUsage": {"TotalCodeSize": code_size, "FunctionCount": len(functions)},
    }


@gaps.filler
def install() -> None:
    from moto.awslambda import urls
    from moto.awslambda.responses import LambdaResponse

    def get_account_settings(self: Any) -> tuple[int, dict[str, str], str]:
        functions = list(self.backend.list_functions())
        body = answer(dict(gaps.get("lambda_account", {}) or {}), functions)
        return 200, {"Content-Type": "application/json"}, json.dumps(body)

    LambdaResponse.get_account_settings = get_account_settings  # type: ignore[attr-defined]
    # moto has no route for the path at all; the server builds its routes from this table when the
    # first Lambda request arrives, which is after the sandbox installs the fillers.
    urls.url_paths.setdefault(ROUTE, LambdaResponse.dispatch)
