"""What a memory size costs per million invocations, and whether AWS Compute Optimizer could also say.

Lambda bills each request and each GB-second of duration (memory configured x billed duration), at a
price that depends on the architecture. The table is AWS's on-demand list price for US East (N.
Virginia), first tier (https://aws.amazon.com/lambda/pricing/); other regions and volume tiers differ,
so every figure says which table it used. The cost "after" keeps the observed durations: more memory
also brings more CPU, which shortens CPU-bound work, so for such work it is an upper bound.
"""

from __future__ import annotations

from dataclasses import dataclass

PRICE_REGION = "us-east-1"
PRICE_TABLE_DATE = "2026-11"  # the list prices, unchanged since 1 ms billing began (December 2020)
PRICE_PER_GB_SECOND = {"x86_64": 0.0000166667, "arm64": 0.0000133334}
PRICE_PER_MILLION_REQUESTS = 0.20

# Compute Optimizer recommends Lambda memory only for functions invoked at least 50 times in the last
# 14 days and configured within the memory range it analyses
# (https://docs.aws.amazon.com/compute-optimizer/latest/ug/requirements.html).
OPTIMIZER_MIN_INVOCATIONS = 50
OPTIMIZER_DAYS = 14
OPTIMIZER_MAX_MEMORY_MB = 1792


@dataclass(frozen=True)
class CostPerMillion:
    architecture: str
    memory_mb: int
    billed_ms: float
    dollars: float

    def words(self) -> str:
        return f"${self.dollars:,.2f} per million invocations at {self.memory_mb} MB"


def cost_per_million(memory_mb: int, billed_ms: float, architecture: str = "x86_64") -> CostPerMillion:
    """Requests plus duration for one million invocations of ``billed_ms`` each."""
    rate = PRICE_PER_GB_SECOND.get(architecture, PRICE_PER_GB_SECOND["x86_64"])
    duration = 1_000_000 * (memory_mb / 1024.0) * (billed_ms / 1000.0) * rate
    return CostPerMillion(architecture, memory_mb, billed_ms, round(PRICE_PER_MILLION_REQUESTS + duration, 4))


def cost_change(current_mb: int, recommended_mb: int, billed_ms: float, architecture: str) -> dict[str, object]:
    """Evidence: the cost per million before and after, with the table it came from."""
    before = cost_per_million(current_mb, billed_ms, architecture)
    after = cost_per_million(recommended_mb, billed_ms, architecture)
    return {
        "architecture": architecture,
        "mean_billed_duration_ms": round(billed_ms, 1),
        "cost_per_million_before_usd": before.dollars,
        "cost_per_million_after_usd": after.dollars,
        "prices": f"AWS list prices for {PRICE_REGION} (first tier), {PRICE_TABLE_DATE}; "
                  "the observed durations kept, so an upper bound for CPU-bound work",
    }


def cost_sentence(current_mb: int, recommended_mb: int, billed_ms: float, architecture: str) -> str:
    before = cost_per_million(current_mb, billed_ms, architecture)
    after = cost_per_million(recommended_mb, billed_ms, architecture)
    return (f"At the observed {billed_ms:.0f} ms on {architecture}, that is {before.words()} and "
            f"{after.words()} ({PRICE_REGION} list prices, {PRICE_TABLE_DATE}).")


def compute_optimizer_note(memory_mb: int, invocations: int, hours: float) -> str:
    """Whether AWS Compute Optimizer can also recommend a size for this function, and why not."""
    if memory_mb > OPTIMIZER_MAX_MEMORY_MB:
        return (f"AWS Compute Optimizer does not analyse functions above {OPTIMIZER_MAX_MEMORY_MB:,} MB, so it cannot "
                "check this size.")
    per_fortnight = invocations * (OPTIMIZER_DAYS * 24 / hours) if hours else 0
    if per_fortnight < OPTIMIZER_MIN_INVOCATIONS:
        return (f"AWS Compute Optimizer needs at least {OPTIMIZER_MIN_INVOCATIONS} invocations in {OPTIMIZER_DAYS} "
                f"days; at the rate read ({invocations} in {hours:g} h) this function may have too few for it.")
    return ("AWS Compute Optimizer can also recommend a size for this function "
            "(aws compute-optimizer get-lambda-function-recommendations), if the account has opted in.")
