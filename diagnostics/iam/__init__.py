"""A local IAM policy evaluator: which policy and statement decide a request, and why."""

from diagnostics.iam.evaluate import PolicyError, clear_caches, evaluate, validate_policy
from diagnostics.iam.model import (
    Decision,
    Evaluation,
    MatchedStatement,
    Policy,
    PolicySet,
    PolicyType,
    Request,
    TypeResult,
)

__all__ = ["Decision", "Evaluation", "MatchedStatement", "Policy", "PolicyError", "PolicySet", "PolicyType",
           "Request", "TypeResult", "clear_caches", "evaluate", "validate_policy"]
