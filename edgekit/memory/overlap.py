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

Finer, optional contract (pixel blocks of P, `pixel_block=P`): the output is written in
raster order one pixel (all channels) after another, and while the kernel works on any
block of at most P consecutive output pixels it reads only those pixels' windows (rows
AND columns: input columns c*stride_w - pad_left ... + (kw-1)*dilation_w, clamped). A
kernel computing 2 pixels x 2 channels at a time satisfies it with P = 2; reading input
earlier than that (copying rows ahead into a ring buffer) is always fine. The proof is
the same with pixels instead of rows and conservative in the same way: for every output
pixel p, bytes of pixels 0 .. p+P-1 must not meet input bytes from the lowest one that
pixels >= p may read. This costs about one input row plus a few pixels instead of two
rows. Plans say which contract they rely on (MemoryPlan.pixel_block; 0 = rows), and the
kernels that codegen calls must honour it.
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
    # Columns, used only by the pixel-block contract.
    in_width: int = 1
    out_width: int = 1
    stride_w: int = 1
    pad_left: int = 0

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

    def first_input_byte(self, p: int) -> int:
        """Lowest input byte that output pixels p, p+1, ... (raster order) may still read."""
        n, rest = divmod(p, self.out_height * self.out_width)
        r, c = divmod(rest, self.out_width)
        in_pixel = self.in_row_bytes // self.in_width
        col = min(max(0, c * self.stride_w - self.pad_left), self.in_width)
        here = (self.first_input_row(n * self.out_height + r) * self.in_width + col) * in_pixel
        # Later output rows restart at column 0 (their first input row may be this one).
        if r + 1 < self.out_height:
            below = self.first_input_row(n * self.out_height + r + 1) * self.in_row_bytes
        else:  # the next pixel belongs to the next batch, or there is none
            below = (n + 1) * self.in_height * self.in_row_bytes
        return min(here, below)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def _pad_top(padding: str, in_h: int, out_h: int, stride: int, kernel: int, dilation: int) -> int:
    """TFLite's SAME padding puts the smaller half on top (and left); VALID pads nothing."""
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
        if len(op.inputs) < 2 or op.inputs[1] < 0 or len(graph.tensors[op.inputs[1]].shape) != 4:
            return None
        _, kernel_h, kernel_w, _ = graph.tensors[op.inputs[1]].shape  # OHWI / 1HWO
        dilation = int(opts.get("dilation_h_factor", 1) or 1)
        dilation_w = int(opts.get("dilation_w_factor", 1) or 1)
    elif "filter_height" in opts and "filter_width" in opts:
        kernel_h, kernel_w = int(opts["filter_height"]), int(opts["filter_width"])
        dilation = dilation_w = 1
    else:
        return None
    stride = int(opts.get("stride_h", 1) or 1)
    stride_w = int(opts.get("stride_w", 1) or 1)
    padding = str(opts.get("padding", "VALID"))
    n, ih, iw, ic = x.shape
    _, oh, ow, oc = y.shape
    return RowGeometry(
        batches=n, in_height=ih, in_row_bytes=iw * ic * DTYPE_BYTES[x.dtype],
        out_height=oh, out_row_bytes=ow * oc * DTYPE_BYTES[y.dtype], stride_h=stride,
        pad_top=_pad_top(padding, ih, oh, stride, kernel_h, dilation),
        in_width=iw, out_width=ow, stride_w=stride_w,
        pad_left=_pad_top(padding, iw, ow, stride_w, kernel_w, dilation_w),
    )


def min_rows_delta(geo: RowGeometry, pixel_block: int = 0) -> int:
    """Smallest in_off - out_off for which the output may overlap the input's tail.

    Any in_off - out_off >= this value passes `prove_rows` (each row's condition is
    `(g+1)*out_row - first_input_row(g)*in_row <= in_off - out_off`); smaller values
    that do not put the output wholly above the input fail it.
    """
    if pixel_block:
        pixels = geo.batches * geo.out_height * geo.out_width
        out_pixel = geo.out_row_bytes // geo.out_width
        return max((min(p + pixel_block, pixels) * out_pixel - geo.first_input_byte(p)
                    for p in range(pixels) if geo.first_input_byte(p) < geo.in_bytes), default=0)
    rows = geo.batches * geo.out_height
    all_rows = geo.batches * geo.in_height
    return max(((g + 1) * geo.out_row_bytes - geo.first_input_row(g) * geo.in_row_bytes
                for g in range(rows) if geo.first_input_row(g) < all_rows), default=0)


def prove_rows(geo: RowGeometry, in_off: int, out_off: int, pixel_block: int = 0) -> str | None:
    """None if the placement is safe under the kernel contract, else why it is not."""
    in_end = in_off + geo.in_bytes
    if pixel_block:
        pixels = geo.batches * geo.out_height * geo.out_width
        out_pixel = geo.out_row_bytes // geo.out_width
        for p in range(pixels):
            written_end = out_off + min(p + pixel_block, pixels) * out_pixel
            needed_start = in_off + geo.first_input_byte(p)
            if out_off < in_end and needed_start < in_end and written_end > needed_start:
                return (f"output pixels up to {p + pixel_block - 1} end at byte {written_end} but "
                        f"input bytes from {needed_start} are still needed")
        return None
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
