"""Planners on random buffer sets (no graph): valid, bounded, ordered by quality."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edgekit.memory import PLANNERS, Buffer, OverlapRule, check_offsets
from edgekit.memory.planners import arena_bytes, greedy_by_size, heuristic, lower_bound, search


@st.composite
def buffer_sets(draw: st.DrawFn, with_rules: bool = False):
    steps = draw(st.integers(1, 12))
    buffers = []
    for i in range(draw(st.integers(1, 14))):
        first = draw(st.integers(0, steps - 1))
        last = draw(st.integers(first, steps - 1))
        buffers.append(Buffer(f"b{i}", draw(st.integers(0, 300)), first, last))
    rules = []
    if with_rules:
        # An op's output (born at s) may overlap its input (dying at s) from min_delta on.
        for lo, out in enumerate(buffers):
            for up, inp in enumerate(buffers):
                free = all(r.upper != up and r.lower != lo for r in rules)
                if (lo != up and out.size and inp.size and inp.last_use == out.first_use and free
                        and draw(st.booleans())):
                    rules.append(OverlapRule(lo, up, draw(st.integers(1, out.size))))
    alignment = draw(st.sampled_from([1, 4, 16]))
    return buffers, rules, alignment


def _live_peak(buffers) -> int:
    steps = max(b.last_use for b in buffers) + 1
    return max(sum(b.size for b in buffers if b.first_use <= s <= b.last_use) for s in range(steps))


@settings(max_examples=150, deadline=None)
@given(buffer_sets())
def test_every_planner_is_valid_and_at_least_the_live_peak(case) -> None:
    buffers, _, alignment = case
    sizes = {}
    for name, planner in PLANNERS.items():
        offsets = planner(buffers, alignment, (), time_budget=0.2, max_iters=300)
        check_offsets(buffers, offsets, alignment)
        sizes[name] = arena_bytes(buffers, offsets, alignment)
        assert sizes[name] >= _live_peak(buffers)
    assert sizes["search"] <= sizes["heuristic"] <= sizes["greedy_by_size"]


@settings(max_examples=150, deadline=None)
@given(buffer_sets(with_rules=True))
def test_planners_respect_overlap_rules(case) -> None:
    buffers, rules, alignment = case
    floor = lower_bound(buffers, rules, alignment)
    for planner in (greedy_by_size, heuristic, search):
        offsets = planner(buffers, alignment, rules, time_budget=0.2, max_iters=300)
        check_offsets(buffers, offsets, alignment, rules)
        assert arena_bytes(buffers, offsets, alignment) >= floor


def test_greedy_by_size_is_tflite_micro_order_and_search_beats_it() -> None:
    # The README's VWW story in miniature: the largest buffer and the input share offset 0,
    # then the two middle buffers no longer both fit below the largest one.
    buffers = [Buffer("in", 27, 0, 0), Buffer("a", 18, 0, 1), Buffer("b", 18, 1, 2), Buffer("big", 36, 2, 3)]
    greedy = greedy_by_size(buffers)
    assert greedy[3] == 0 and greedy[0] == 0  # largest first at 0, the input also at 0
    best = search(buffers, 1, (), max_iters=2000)
    check_offsets(buffers, best)
    assert arena_bytes(buffers, best) == _live_peak(buffers) < arena_bytes(buffers, greedy)


def test_search_is_deterministic_for_a_seed() -> None:
    buffers = [Buffer(f"b{i}", 10 + (i * 37) % 50, i % 5, i % 5 + i % 3) for i in range(14)]
    runs = [search(buffers, 4, (), time_budget=5.0, seed=3, max_iters=500) for _ in range(2)]
    assert runs[0] == runs[1]


@settings(max_examples=80, deadline=None)
@given(buffer_sets(with_rules=True))
def test_exhaustive_is_optimal_on_tiny_sets(case) -> None:
    from edgekit.memory.planners import exhaustive

    buffers, rules, alignment = case
    buffers = buffers[:6]
    rules = [r for r in rules if r.lower < 6 and r.upper < 6]
    exact = exhaustive(buffers, alignment, rules)
    check_offsets(buffers, exact, alignment, rules)
    best = arena_bytes(buffers, exact, alignment)
    assert lower_bound(buffers, rules, alignment) <= best
    for planner in (greedy_by_size, heuristic, search):
        assert arena_bytes(buffers, planner(buffers, alignment, rules, max_iters=300), alignment) >= best
