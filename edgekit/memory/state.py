"""The persistent state region: what lives across invokes (resource variables, run-once
flags), laid out once for the whole model.

It is its own array (`ek_state` in model.c), never part of the arena that the planners
share out, so no arena plan can overlap it; `check_state` proves the layout itself: every
slot aligned, inside the region, and no two slots sharing a byte. Resetting the state is
clearing the region to zero (variables then read zeros until assigned, run-once
initialisers run again on the next invoke).
"""

from __future__ import annotations

from dataclasses import dataclass

from edgekit.memory.check import PlanCheckError


@dataclass(frozen=True)
class StatePlan:
    offsets: dict[str, int]  # slot name -> byte offset in the state region
    sizes: dict[str, int]
    state_bytes: int
    alignment: int

    def offset(self, name: str) -> int:
        return self.offsets[name]


def plan_state(sizes: dict[str, int], alignment: int = 8) -> StatePlan:
    """Slots end to end in name order, each at a multiple of `alignment`."""
    offsets: dict[str, int] = {}
    top = 0
    for name in sorted(sizes):
        offsets[name] = top
        top += -(-sizes[name] // alignment) * alignment
    plan = StatePlan(offsets=offsets, sizes=dict(sizes), state_bytes=top, alignment=alignment)
    check_state(plan)
    return plan


def check_state(plan: StatePlan) -> None:
    """Raise PlanCheckError unless every slot is aligned, inside the region and alone."""
    if set(plan.offsets) != set(plan.sizes):
        raise PlanCheckError("state plan: slots without an offset or a size")
    spans = sorted((plan.offsets[n], plan.offsets[n] + plan.sizes[n], n) for n in plan.sizes)
    for start, end, name in spans:
        if start % plan.alignment or start < 0 or end > plan.state_bytes or plan.sizes[name] <= 0:
            raise PlanCheckError(f"state slot {name!r} at [{start}, {end}) is misaligned, empty or outside "
                                 f"the {plan.state_bytes}-byte state region")
    for (_, end, name), (start, _, other) in zip(spans, spans[1:]):
        if start < end:
            raise PlanCheckError(f"state slots {name!r} and {other!r} overlap")
