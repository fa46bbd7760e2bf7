"""The rows-overlap proof: sound against a kernel that follows the contract, and tight."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from edgekit.memory import min_rows_delta, prove_rows, row_geometry
from edgekit.memory.overlap import prove_in_place

from .graphs import GraphBuilder


def _window_op(memory: np.ndarray, in_off: int, out_off: int, x_shape: tuple, y_shape: tuple,
               kh: int, kw: int, stride: int, dilation: int, pad_top: int, pad_left: int,
               whole_rows: bool) -> None:
    """A kernel obeying the contract, working in one shared byte array.

    Output pixel = (sum of its input window over all channels + channel) mod 256. Output
    rows are produced in raster order; with whole_rows each row is computed from its input
    window and then written, otherwise every pixel is written right after its own reads.
    """
    n_, ih, iw, ic = x_shape
    _, oh, ow, oc = y_shape
    for n in range(n_):
        for r in range(oh):
            row_values = []
            for c in range(ow):
                total = 0
                for i in range(kh):
                    for j in range(kw):
                        y, x = r * stride - pad_top + i * dilation, c * stride - pad_left + j * dilation
                        if 0 <= y < ih and 0 <= x < iw:
                            base = in_off + ((n * ih + y) * iw + x) * ic
                            total += int(memory[base:base + ic].sum())
                values = (total + np.arange(oc)) % 256
                out = out_off + ((n * oh + r) * ow + c) * oc
                if whole_rows:
                    row_values.append((out, values))
                else:
                    memory[out:out + oc] = values
            for out, values in row_values:
                memory[out:out + oc] = values


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
    return graph, row_geometry(graph, graph.ops[0]), (pad_top, pad_left)


@settings(max_examples=60, deadline=None)
@given(conv_cases(), st.booleans(), st.integers(0, 2**32 - 1))
def test_min_delta_is_safe_for_a_contract_kernel_and_one_byte_less_is_rejected(case, whole_rows, seed):
    _, geo, (pad_top, pad_left) = _graph_and_geometry(case)
    n, ih, iw, ic, oc, kh, kw, stride, dilation, _ = case
    assert geo is not None and geo.pad_top == pad_top
    delta = min_rows_delta(geo)
    x_bytes, y_bytes = n * ih * iw * ic, geo.out_bytes
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 256, x_bytes).astype(np.uint8)

    # Reference: separate buffers.
    memory = np.zeros(x_bytes + y_bytes, np.uint8)
    memory[:x_bytes] = data
    _window_op(memory, 0, x_bytes, (n, ih, iw, ic), geo_shape := (n, geo.out_height, geo.out_row_bytes // oc, oc),
               kh, kw, stride, dilation, pad_top, pad_left, whole_rows)
    expected = memory[x_bytes:].copy()

    # Overlapped: output starts `delta` bytes below the input.
    in_off = delta
    assert prove_rows(geo, in_off, in_off - delta) is None
    memory = np.zeros(in_off + max(x_bytes, y_bytes - delta), np.uint8)
    memory[in_off:in_off + x_bytes] = data
    _window_op(memory, in_off, 0, (n, ih, iw, ic), geo_shape, kh, kw, stride, dilation, pad_top,
               pad_left, whole_rows)
    assert np.array_equal(memory[:y_bytes], expected)

    # One byte closer overlaps input that is still needed: the proof must say no.
    assert prove_rows(geo, in_off, in_off - delta + 1) is not None
    # Output wholly above the input never conflicts; starting inside it always does.
    assert prove_rows(geo, 0, x_bytes) is None
    assert prove_rows(geo, 0, 1) is not None or x_bytes <= 1


def test_depthwise_3x3_and_pointwise_cost_two_and_one_rows() -> None:
    b = GraphBuilder()
    x = b.input((1, 25, 5, 64))
    dw = b.conv(x, 0, 3, 3, 1, "SAME", depthwise=True)
    pw = b.conv(dw, 64, 1, 1)
    strided = b.conv(pw, 32, 3, 3, 2)
    graph = b.build([strided])
    geos = [row_geometry(graph, op) for op in graph.ops]
    assert [min_rows_delta(g) for g in geos[:2]] == [2 * 320, 320]
    # Stride 2, 3x3 SAME, 25 -> 13 rows: padding 2 in total, 1 on top; output row r
    # (3 x 32 = 96 B) needs input rows from 2r - 1.
    assert (geos[2].pad_top, geos[2].out_row_bytes) == (1, 96)
    assert min_rows_delta(geos[2]) == max((r + 1) * 96 - max(0, 2 * r - 1) * 320 for r in range(13))


def test_in_place_proof() -> None:
    assert prove_in_place(64, 100, 64, 100, 1, 1) is None
    assert prove_in_place(64, 100, 48, 100, 1, 1) is not None
    assert prove_in_place(64, 100, 64, 50, 1, 2) is not None
