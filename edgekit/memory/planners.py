"""Offset planners: (size, first_use, last_use) per buffer -> byte offset per buffer.

Every planner has the signature
    planner(buffers, alignment, rules=(), **options) -> list[int]
`rules` are the allowed overlaps (OverlapRule: the lower buffer may start min_delta or
more below the upper one although both are alive at one op); a planner that ignores
them is still correct, only bigger.

* greedy_by_size: TFLite Micro's GreedyMemoryPlanner — largest buffer first, each at the
  lowest offset that fits among the already placed buffers alive at the same time.
* heuristic: several placement orders (size, size x lifetime, conflicts, breadth of the
  busiest op first, ...) times two placement rules (lowest fit, best fit); the smallest.
* search: hill climbing over placement orders, decoded by lowest fit, from the best
  heuristic order; deterministic for a seed, stops at the time budget, at max_iters, or
  at a lower bound. Up to 7 buffers it tries every order (exact). (Any optimal plan is the lowest-fit decoding of some order: place
  buffers by increasing optimal offset; so the search space is complete.)
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import Any

from edgekit.memory.types import Buffer, OverlapRule

Conflicts = list[list[tuple[int, int, int]]]  # per buffer: (other, relation, delta)
FREE, LOWER, UPPER = 0, 1, 2  # relation of buffer i to j: disjoint only / i below j / i above j


def align_up(value: int, alignment: int) -> int:
    return -(-value // alignment) * alignment


def arena_bytes(buffers: Sequence[Buffer], offsets: Sequence[int], alignment: int = 1) -> int:
    top = max((o + b.size for b, o in zip(buffers, offsets) if b.size), default=0)
    return align_up(top, alignment)


def conflicts_of(buffers: Sequence[Buffer], rules: Sequence[OverlapRule] = ()) -> Conflicts:
    """For each buffer, the buffers alive at the same time and how they may share bytes."""
    relation = {}
    for r in rules:
        relation[(r.lower, r.upper)] = (LOWER, r.min_delta)
        relation[(r.upper, r.lower)] = (UPPER, r.min_delta)
    result: Conflicts = [[] for _ in buffers]
    for i, a in enumerate(buffers):
        for j, b in enumerate(buffers):
            if i != j and a.size and b.size and a.overlaps_in_time(b):
                kind, delta = relation.get((i, j), (FREE, 0))
                result[i].append((j, kind, delta))
    return result


def _forbidden(i: int, buffers: Sequence[Buffer], offsets: Sequence[int],
               conflicts: Conflicts) -> list[tuple[int, int]]:
    """Open intervals (lo, hi): offsets x with lo < x < hi are not allowed for buffer i."""
    size = buffers[i].size
    result = []
    for j, kind, delta in conflicts[i]:
        p = offsets[j]
        if p < 0:
            continue
        lo, hi = p - size, p + buffers[j].size
        if kind == LOWER:  # i may start at p - delta or lower
            lo = max(lo, p - delta)
        elif kind == UPPER:  # i may start at p + delta or higher
            hi = min(hi, p + delta)
        if hi - lo >= 2:
            result.append((lo, hi))
    result.sort()
    return result


def _lowest_fit(intervals: list[tuple[int, int]], alignment: int) -> int:
    x = 0
    for lo, hi in intervals:  # sorted by lo
        if x <= lo:
            break
        if x < hi:
            x = align_up(hi, alignment)
    return x


def _best_fit(intervals: list[tuple[int, int]], alignment: int) -> int:
    """The feasible offset with the least room above it before the next forbidden start."""
    candidates = sorted({0} | {align_up(hi, alignment) for _, hi in intervals})
    best, best_room = None, None
    for c in candidates:
        if any(lo < c < hi for lo, hi in intervals):
            continue
        room = min((lo - c for lo, _ in intervals if lo >= c), default=None)
        if room is None:
            if best is None:
                best = c
            continue
        if best_room is None or room < best_room:
            best, best_room = c, room
    assert best is not None
    return best


def place(order: Sequence[int], buffers: Sequence[Buffer], alignment: int,
          conflicts: Conflicts, best_fit: bool = False) -> list[int]:
    """Place buffers one by one in `order`; returns offsets (all multiples of alignment)."""
    offsets = [-1] * len(buffers)
    fit = _best_fit if best_fit else _lowest_fit
    for i in order:
        offsets[i] = 0 if buffers[i].size == 0 else fit(
            _forbidden(i, buffers, offsets, conflicts), alignment)
    return offsets


def greedy_by_size(buffers: Sequence[Buffer], alignment: int = 1,
                   rules: Sequence[OverlapRule] = (), **_: object) -> list[int]:
    order = sorted(range(len(buffers)), key=lambda i: (-buffers[i].size, i))
    return place(order, buffers, alignment, conflicts_of(buffers, rules))


def _orders(buffers: Sequence[Buffer], conflicts: Conflicts) -> dict[str, list[int]]:
    """Candidate placement orders, by name."""
    n = range(len(buffers))
    size = [b.size for b in buffers]
    span = [b.last_use - b.first_use + 1 for b in buffers]
    pressure = [sum(size[j] for j, _, _ in conflicts[i]) for i in n]
    steps = max((b.last_use for b in buffers), default=0) + 1
    breadth = [0] * steps
    for b in buffers:
        for s in range(b.first_use, b.last_use + 1):
            breadth[s] += b.size
    # Greedy by breadth: the busiest op's buffers first (largest first), then the next op.
    live_at: list[list[int]] = [[] for _ in range(steps)]
    for i in n:
        for s in range(buffers[i].first_use, buffers[i].last_use + 1):
            live_at[s].append(i)
    by_breadth: list[int] = []
    placed: set[int] = set()
    for s in sorted(range(steps), key=lambda s: (-breadth[s], s)):
        for i in sorted(live_at[s], key=lambda i: (-size[i], i)):
            if i not in placed:
                placed.add(i)
                by_breadth.append(i)
    peak = [max(breadth[buffers[i].first_use:buffers[i].last_use + 1]) for i in n]
    return {
        "size": sorted(n, key=lambda i: (-size[i], i)),
        "size_x_lifetime": sorted(n, key=lambda i: (-size[i] * span[i], -size[i], i)),
        "lifetime": sorted(n, key=lambda i: (-span[i], -size[i], i)),
        "conflicts": sorted(n, key=lambda i: (-(pressure[i] + size[i]), -size[i], i)),
        "first_use": sorted(n, key=lambda i: (buffers[i].first_use, -size[i], i)),
        # Latest first: an op's output may sit below its input (rows overlap), so laying
        # the schedule out from its end upwards lets a chain of overlaps stack up.
        "last_use_desc": sorted(n, key=lambda i: (-buffers[i].last_use, -size[i], i)),
        "first_use_desc": sorted(n, key=lambda i: (-buffers[i].first_use, -size[i], i)),
        "peak_then_size": sorted(n, key=lambda i: (-peak[i], -size[i], i)),
        "breadth": by_breadth,
    }


def heuristic_plans(buffers: Sequence[Buffer], alignment: int = 1,
                    rules: Sequence[OverlapRule] = ()) -> list[tuple[int, str, list[int], list[int]]]:
    """(arena, name, order, offsets) for every order x fit rule, smallest first."""
    conflicts = conflicts_of(buffers, rules)
    results = []
    for name, order in _orders(buffers, conflicts).items():
        for best_fit in (False, True):
            offsets = place(order, buffers, alignment, conflicts, best_fit)
            label = f"{name}/{'best' if best_fit else 'lowest'}-fit"
            results.append((arena_bytes(buffers, offsets, alignment), label, order, offsets))
    results.sort(key=lambda r: r[0])
    return results


def heuristic(buffers: Sequence[Buffer], alignment: int = 1,
              rules: Sequence[OverlapRule] = (), **_: object) -> list[int]:
    return heuristic_plans(buffers, alignment, rules)[0][3]


def lower_bound(buffers: Sequence[Buffer], rules: Sequence[OverlapRule] = (), alignment: int = 1) -> int:
    """No plan of these buffers and rules can be smaller: the busiest step's live bytes,
    counting each overlapping pair as max(lower size, min_delta + upper size)."""
    steps = max((b.last_use for b in buffers), default=0) + 1
    live = [0] * steps
    for b in buffers:
        for s in range(b.first_use, b.last_use + 1):
            live[s] += b.size
    for r in rules:
        lo, up = buffers[r.lower], buffers[r.upper]
        saving = lo.size + up.size - max(lo.size, r.min_delta + up.size)
        for s in range(max(lo.first_use, up.first_use), min(lo.last_use, up.last_use) + 1):
            live[s] -= max(saving, 0)
    return align_up(max(live, default=0), alignment)


def search(buffers: Sequence[Buffer], alignment: int = 1, rules: Sequence[OverlapRule] = (),
           time_budget: float = 2.0, seed: int = 0, max_iters: int = 20000,
           **_: object) -> list[int]:
    """Hill climbing over placement orders (plateau moves accepted), from the best heuristic.
    Problems of at most 7 buffers are solved exactly instead (`exhaustive`)."""
    if len(buffers) <= 7:
        return exhaustive(buffers, alignment, rules)
    ranked = heuristic_plans(buffers, alignment, rules)
    best_arena, _order_name, start, best_offsets = ranked[0]
    floor = lower_bound(buffers, rules, alignment)
    if len(buffers) < 2 or best_arena <= floor:
        return best_offsets
    conflicts = conflicts_of(buffers, rules)
    rng = random.Random(seed)
    order, arena = list(start), best_arena
    deadline = time.monotonic() + time_budget
    for iteration in range(max_iters):
        if iteration % 64 == 0 and time.monotonic() > deadline:
            break
        candidate = list(order)
        i, j = rng.randrange(len(order)), rng.randrange(len(order))
        if rng.random() < 0.5:
            candidate[i], candidate[j] = candidate[j], candidate[i]
        else:
            candidate.insert(j, candidate.pop(i))
        offsets = place(candidate, buffers, alignment, conflicts)
        size = arena_bytes(buffers, offsets, alignment)
        if size <= arena:
            order, arena = candidate, size
            if size < best_arena:
                best_arena, best_offsets = size, offsets
                if size <= floor:
                    break
    return best_offsets


def exhaustive(buffers: Sequence[Buffer], alignment: int = 1, rules: Sequence[OverlapRule] = (),
               max_buffers: int = 7, **options: Any) -> list[int]:
    """The optimum for tiny problems: lowest-fit decoding of every placement order.

    Exact because any optimal plan is the lowest-fit decoding of the order of its offsets
    (see the module docstring). Larger problems fall back to `search`.
    """
    if len(buffers) > max_buffers:
        return search(buffers, alignment, rules, **options)
    from itertools import permutations

    conflicts = conflicts_of(buffers, rules)
    best, best_size = None, None
    floor = lower_bound(buffers, rules, alignment)
    for order in permutations(range(len(buffers))):
        offsets = place(order, buffers, alignment, conflicts)
        size = arena_bytes(buffers, offsets, alignment)
        if best_size is None or size < best_size:
            best, best_size = offsets, size
            if size <= floor:
                break
    return best if best is not None else []


Planner = Callable[..., list[int]]
PLANNERS: dict[str, Planner] = {
    "greedy_by_size": greedy_by_size,
    "heuristic": heuristic,
    "search": search,
}
