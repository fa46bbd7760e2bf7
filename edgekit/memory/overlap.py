"""When may an op's output share bytes with its own input? The proofs, from geometry only.

Two kinds of overlap are allowed; nothing here knows about planners or about ops: an
op's lowering declares which it allows (edgekit.memory.contract.MemoryContract).

in_place (element-wise kernels): the output is written exactly over one input of the same
size, element i after reading element i. Safe when that input is not read after the op.

rows (windowed kernels: convolutions, depthwise convolutions, pools): the kernel contract
(the firmware kernels that declare `rows` follow it) is
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

from edgekit.memory.contract import RowGeometry


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
