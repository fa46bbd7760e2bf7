"""When may an op's output share bytes with its own input? The proofs, from geometry only.

Two kinds of overlap are allowed; nothing here knows about planners.

in_place (element-wise ops): the output is written exactly over one input of the same
size, element i after reading element i. Safe when that input is not read after the op.

rows (CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D): the kernel contract
(firmware kernels follow it) is
  * the output is written in NHWC raster order at increasing addresses, one output row
    (all W*C values of one (n, h)) at a time;
  * while producing output row r of batch n the kernel reads only input rows
    r*stride_h - pad_top ... r*stride_h - pad_top + (kh-1)*dilation_h (clamped to the
    image) of batch n, and never goes back to earlier input rows.
Conservatively we treat a whole output row as written before any input it needs is read.
So with the output at out_off and the input at in_off the op is safe iff, for every
output row g (batches flattened, g = n*OH + r):

    bytes written by the end of row g:      [out_off, out_off + (g+1)*out_row)
    input still needed by rows g, g+1, ...: [in_off + first_row(g)*in_row, in_off + in_size)
    are disjoint,

where first_row(g) = n*IH + max(0, r*stride_h - pad_top) is the first input row that rows
>= g may read (it never decreases with g). Rows the window skips because of dilation are
counted as needed, which only makes the proof stricter. `prove_rows` checks exactly this,
row by row; `min_rows_delta` is the closed form the planners use and `prove_rows` is what
the plan checker trusts.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from edgekit.ir import DTYPE_BYTES, Graph, Op

ELEMENTWISE_OPS = frozenset({
    "ADD", "SUB", "MUL", "LOGISTIC", "TANH", "RELU", "RELU6", "LEAKY_RELU", "HARD_SWISH",
    "QUANTIZE",
})
ROW_OPS = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D"})


@dataclass(frozen=True)
class RowGeometry:
    """What the rows proof needs to know about one CONV/DEPTHWISE/POOL op."""

    batches: int
    in_height: int
    in_row_bytes: int  # IW * IC * element size
    out_height: int
    out_row_bytes: int  # OW * OC * element size
    stride_h: int
    pad_top: int

    @property
    def in_bytes(self) -> int:
        return self.batches * self.in_height * self.in_row_bytes

    @property
    def out_bytes(self) -> int:
        return self.batches * self.out_height * self.out_row_bytes

    def first_input_row(self, g: int) -> int:
        """First (flattened) input row that output rows g, g+1, ... may still read."""
        n, r = divmod(g, self.out_height)
        return n * self.in_height + min(max(0, r * self.stride_h - self.pad_top), self.in_height)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _pad_top(padding: str, in_h: int, out_h: int, stride: int, kernel: int, dilation: int) -> int:
    """TFLite's SAME padding puts the smaller half on top; VALID pads nothing."""
    if padding != "SAME":
        return 0
    effective = (kernel - 1) * dilation + 1
    total = max((out_h - 1) * stride + effective - in_h, 0)
    return total // 2


def row_geometry(graph: Graph, op: Op) -> RowGeometry | None:
    """The rows geometry of `op`, or None when the op is not a 4-D NHWC row op."""
    if op.type not in ROW_OPS or not op.inputs or not op.outputs:
        return None
    x = graph.tensors[op.inputs[0]]
    y = graph.tensors[op.outputs[0]]
    if x.is_constant or len(x.shape) != 4 or len(y.shape) != 4 or x.shape[0] != y.shape[0]:
        return None
    opts = op.options
    if op.type in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        if len(op.inputs) < 2 or op.inputs[1] < 0:
            return None
        kernel_h = graph.tensors[op.inputs[1]].shape[1]  # OHWI / 1HWO: height is dim 1
        dilation = int(opts.get("dilation_h_factor", 1) or 1)
    else:
        kernel_h = int(opts["filter_height"])
        dilation = 1
    stride = int(opts.get("stride_h", 1) or 1)
    n, ih, iw, ic = x.shape
    _, oh, ow, oc = y.shape
    return RowGeometry(
        batches=n, in_height=ih, in_row_bytes=iw * ic * DTYPE_BYTES[x.dtype],
        out_height=oh, out_row_bytes=ow * oc * DTYPE_BYTES[y.dtype], stride_h=stride,
        pad_top=_pad_top(str(opts.get("padding", "VALID")), ih, oh, stride, kernel_h, dilation),
    )


def min_rows_delta(geo: RowGeometry) -> int:
    """Smallest in_off - out_off for which the output may overlap the input's tail.

    Any in_off - out_off >= this value passes `prove_rows` (each row's condition is
    `(g+1)*out_row - first_input_row(g)*in_row <= in_off - out_off`); smaller values
    that do not put the output wholly above the input fail it.
    """
    rows = geo.batches * geo.out_height
    all_rows = geo.batches * geo.in_height
    return max(((g + 1) * geo.out_row_bytes - geo.first_input_row(g) * geo.in_row_bytes
                for g in range(rows) if geo.first_input_row(g) < all_rows), default=0)


def prove_rows(geo: RowGeometry, in_off: int, out_off: int) -> str | None:
    """None if the placement is safe under the kernel contract, else why it is not."""
    in_end = in_off + geo.in_bytes
    for g in range(geo.batches * geo.out_height):
        written_end = out_off + (g + 1) * geo.out_row_bytes
        needed_start = in_off + geo.first_input_row(g) * geo.in_row_bytes
        if out_off < in_end and needed_start < in_end and written_end > needed_start:
            return (f"output row {g} ends at byte {written_end} but input bytes from "
                    f"{needed_start} are still needed")
    return None


def prove_in_place(in_off: int, in_bytes: int, out_off: int, out_bytes: int,
                   in_elem: int, out_elem: int) -> str | None:
    """An element-wise op may write exactly over a same-size, same-element-size input."""
    if in_bytes != out_bytes or in_elem != out_elem:
        return f"input has {in_bytes} bytes of {in_elem}-byte elements, output {out_bytes} of {out_elem}"
    if in_off != out_off:
        return f"in-place output at {out_off} is not at its input's offset {in_off}"
    return None
