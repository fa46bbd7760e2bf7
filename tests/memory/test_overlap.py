"""The rows-overlap proof: sound against a kernel that follows the contract, and tight."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edgekit.kernels.lowering import memory_contract
from edgekit.memory import min_rows_delta, prove_rows
from edgekit.memory.overlap import prove_in_place

from .graphs import GraphBuilder


def _clobbered_reads(x_shape: tuple, y_shape: tuple, kh: int, kw: int, stride: int,
                     dilation: int, pad_top: int, pad_left: int, in_off: int, out_off: int,
                     block: int, phase: int = 0) -> int:
    """Input reads that find their byte already overwritten by the output, for the worst
    kernel the contract allows: each unit's output is written *before* the unit reads any
    input. Units are output rows (block 0) or runs of `block` pixels in raster order, the
    first run `phase` pixels long (so every pixel starts a run for some phase)."""
    n_, ih, iw, ic = x_shape
    _, oh, ow, oc = y_shape
    base = max(0, -min(in_off, out_off))
    written = np.zeros(base + max(in_off + ih * iw * ic * n_, out_off + oh * ow * oc * n_), bool)
    pixels = [(n, r, c) for n in range(n_) for r in range(oh) for c in range(ow)]
    if block:
        cuts = [0] + list(range(phase or block, len(pixels), block)) + [len(pixels)]
    else:
        cuts = list(range(0, len(pixels) + 1, ow))
    bad = 0
    for start, stop in itertools.pairwise(cuts):
        unit = pixels[start:stop]
        for n, r, c in unit:  # write first ...
            at = base + out_off + ((n * oh + r) * ow + c) * oc
            written[at:at + oc] = True
        for n, r, c in unit:  # ... then read the windows
            for i in range(kh):
                for j in range(kw):
                    y, x = r * stride - pad_top + i * dilation, c * stride - pad_left + j * dilation
                    if 0 <= y < ih and 0 <= x < iw:
                        at = base + in_off + ((n * ih + y) * iw + x) * ic
                        bad += int(written[at:at + ic].any())
    return bad


@st.composite
def conv_cases(draw: st.DrawFn) -> tuple:
    n = draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    stride, dilation = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    padding = draw(st.sampled_from(["SAME", "VALID"]))
    ih = draw(st.integers((kh - 1) * dilation + 1, 10))
    iw = draw(st.integers((kw - 1) * dilation + 1, 5))
    ic, oc = draw(st.integers(1, 4)), draw(st.integers(1, 8))
    return n, ih, iw, ic, oc, kh, kw, stride, dilation, padding


def _graph_and_geometry(case: tuple):
    n, ih, iw, ic, oc, kh, kw, stride, dilation, padding = case
    b = GraphBuilder()
    x = b.input((n, ih, iw, ic))
    weights = b.const((oc, kh, kw, ic))
    y = b.op("CONV_2D", [x, weights, -1], (0,), padding=padding, stride_h=stride, stride_w=stride,
             dilation_h_factor=dilation, dilation_w_factor=dilation)
    eff_h, eff_w = (kh - 1) * dilation + 1, (kw - 1) * dilation + 1
    if padding == "SAME":
        oh, ow = -(-ih // stride), -(-iw // stride)
        pad_top = max((oh - 1) * stride + eff_h - ih, 0) // 2
        pad_left = max((ow - 1) * stride + eff_w - iw, 0) // 2
    else:
        oh, ow = (ih - eff_h) // stride + 1, (iw - eff_w) // stride + 1
        pad_top = pad_left = 0
    b.tensors[y].shape = (n, oh, ow, oc)
    graph = b.build([y])
    return graph, memory_contract(graph, graph.ops[0]).rows, (pad_top, pad_left)


@settings(max_examples=80, deadline=None)
@given(conv_cases(), st.sampled_from([0, 1, 2, 3]))
def test_min_delta_is_safe_for_the_worst_contract_kernel_and_tight(case, block) -> None:
    """block 0: the row contract; block P: the pixel-block contract with P pixels."""
    _, geo, (pad_top, pad_left) = _graph_and_geometry(case)
    n, ih, iw, ic, oc, kh, kw, stride, dilation, _ = case
    assert geo is not None and geo.pad_top == pad_top and geo.pad_left == pad_left
    shapes = ((n, ih, iw, ic), (n, geo.out_height, geo.out_width, oc))
    delta = min_rows_delta(geo, block)
    phases = range(block) if block else [0]

    def clobbered(gap: int) -> int:  # the output starts `gap` bytes below the input
        return sum(_clobbered_reads(*shapes, kh, kw, stride, dilation, pad_top, pad_left,
                                    gap, 0, block, phase) for phase in phases)

    assert prove_rows(geo, delta, 0, block) is None
    assert clobbered(delta) == 0
    # One byte closer: the proof says no, and (without dilation's skipped rows and
    # columns, which the proof conservatively counts as read) the worst kernel really
    # reads a byte it has already overwritten.
    assert prove_rows(geo, delta - 1, 0, block) is not None
    if dilation == 1:
        assert clobbered(delta - 1) > 0
    # Output wholly above the input never conflicts; starting inside it always does.
    x_bytes = n * ih * iw * ic
    assert prove_rows(geo, 0, x_bytes, block) is None
    assert prove_rows(geo, 0, 1, block) is not None or x_bytes <= 1


def test_depthwise_3x3_and_pointwise_cost_two_and_one_rows() -> None:
    b = GraphBuilder()
    x = b.input((1, 25, 5, 64))
    dw = b.conv(x, 0, 3, 3, 1, "SAME", depthwise=True)
    pw = b.conv(dw, 64, 1, 1)
    strided = b.conv(pw, 32, 3, 3, 2)
    graph = b.build([strided])
    geos = [memory_contract(graph, op).rows for op in graph.ops]
    assert [min_rows_delta(g) for g in geos[:2]] == [2 * 320, 320]
    # Stride 2, 3x3 SAME, 25 -> 13 rows: padding 2 in total, 1 on top; output row r
    # (3 x 32 = 96 B) needs input rows from 2r - 1.
    assert (geos[2].pad_top, geos[2].out_row_bytes) == (1, 96)
    assert min_rows_delta(geos[2]) == max((r + 1) * 96 - max(0, 2 * r - 1) * 320 for r in range(13))


def test_in_place_proof() -> None:
    assert prove_in_place(64, 100, 64, 100, 1, 1) is None
    assert prove_in_place(64, 100, 48, 100, 1, 1) is not None
    assert prove_in_place(64, 100, 64, 50, 1, 2) is not None
