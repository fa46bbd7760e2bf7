"""Static memory planning: liveness, planners, in-place/overlap proofs, checker, reports."""

from edgekit.memory.check import PlanCheckError, check_offsets, check_plan
from edgekit.memory.liveness import Buffer, compute_liveness, liveness_lower_bound, tensor_lifetimes
from edgekit.memory.overlap import min_rows_delta, prove_rows, row_geometry
from edgekit.memory.plan import MemoryPlan, PlanBuffer, plan_best, plan_graph
from edgekit.memory.planners import PLANNERS, greedy_by_size, heuristic, search
from edgekit.memory.problem import ALL, NO_OVERLAP, PLAIN, Overlap, OverlapRule, Tricks

__all__ = [
    "ALL", "NO_OVERLAP", "PLAIN", "PLANNERS", "Buffer", "MemoryPlan", "Overlap", "OverlapRule",
    "PlanBuffer", "PlanCheckError", "Tricks", "check_offsets", "check_plan", "compute_liveness",
    "greedy_by_size", "heuristic", "liveness_lower_bound", "min_rows_delta", "plan_best",
    "plan_graph", "prove_rows", "row_geometry", "search", "tensor_lifetimes",
]
