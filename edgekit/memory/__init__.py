"""Static memory planning: liveness, planners, in-place/overlap proofs, checker, reports.

Op-agnostic: what an op lets share memory comes from its lowering's MemoryContract.
"""

from edgekit.memory.check import PlanCheckError, check_offsets, check_plan
from edgekit.memory.contract import NO_CONTRACT, ContractFn, MemoryContract, RowGeometry, no_contracts
from edgekit.memory.liveness import compute_liveness, liveness_lower_bound, tensor_lifetimes
from edgekit.memory.overlap import min_rows_delta, prove_rows
from edgekit.memory.plan import TRICK_SETS, plan_best, plan_graph
from edgekit.memory.planners import PLANNERS, greedy_by_size, heuristic, search
from edgekit.memory.types import (
    ALL,
    NO_OVERLAP,
    PLAIN,
    Buffer,
    MemoryPlan,
    Overlap,
    OverlapRule,
    PlanBuffer,
    Tricks,
)

__all__ = [
    "ALL", "NO_CONTRACT", "NO_OVERLAP", "PLAIN", "PLANNERS", "TRICK_SETS", "Buffer", "ContractFn",
    "MemoryContract", "MemoryPlan", "Overlap", "OverlapRule", "PlanBuffer", "PlanCheckError", "RowGeometry",
    "Tricks", "check_offsets", "check_plan", "compute_liveness", "greedy_by_size", "heuristic",
    "liveness_lower_bound", "min_rows_delta", "no_contracts", "plan_best", "plan_graph", "prove_rows",
    "search", "tensor_lifetimes",
]
