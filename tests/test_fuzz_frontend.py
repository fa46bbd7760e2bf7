"""10,000 mutated .tflite files through load → passes → lowering → plan, in process.

Each mutant (tests/fuzz_frontend.py: schema-level edits of scales, zero points, shapes,
op tensor lists, buffers, opcodes and options, or byte flips/cuts/inserts) must either
build or be refused with an EdgekitError; anything else fails with the mutation that
caused it. Seeds are fixed, so a failure replays with `python tests/fuzz_frontend.py`.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path

from fuzz_frontend import MODELS, fuzz

MUTATIONS = 10_000


def test_front_end_refuses_every_mutant_with_one_line_or_builds_it():
    missing = [str(m) for m in MODELS if not m.is_file()]
    assert not missing, f"models missing: {missing}"
    per_model = -(-MUTATIONS // len(MODELS))
    start = time.perf_counter()
    total, escapes, tally = fuzz(MODELS, per_model, seed=0)
    elapsed = time.perf_counter() - start
    print(f"\n{total} mutants in {elapsed:.1f} s ({total / elapsed:.0f}/s): {tally}")
    assert total >= MUTATIONS
    lines = []
    for e in escapes[:20]:
        assert e.error is not None
        frame = traceback.extract_tb(e.error.__traceback__)[-1]
        lines.append(f"{e.model} (seed {e.seed}) {e.description}: {type(e.error).__name__}: "
                     f"{str(e.error)[:160]} at {Path(frame.filename).name}:{frame.lineno}")
    assert not escapes, f"{len(escapes)} mutants escaped with a traceback:\n" + "\n".join(lines)
    # The mutants must reach every stage: many refused, but also many that still build.
    assert tally.get("built", 0) > total // 20 and tally.get("ModelError", 0) > total // 2, tally
