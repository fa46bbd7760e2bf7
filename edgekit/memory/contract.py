"""An op's memory contract: what its kernel promises about the bytes it reads and writes.

The lowering family of each op declares it (edgekit.kernels.lowering.register(...,
memory=...)); the planner uses only what is declared here and the plan checker re-proves
every use of it. Nothing in edgekit/memory knows an op by name.

Four promises, each optional:

* in_place: the output may be written exactly over one of these inputs (positions in
  op.inputs) when that input dies at the op: element i is written after element i is read
  and nothing else of the input is read later. The planner still requires equal sizes.
* rows: the output may overlap the tail of its first input (op.inputs[0]) under the row
  (or pixel-block) contract of edgekit.memory.overlap; the geometry is what the proof needs.
* view_of: the output *is* this input's bytes (reshape-like: no data moves).
* parts: the output is its inputs laid end to end, input k starting at byte parts[k]; each
  input's producer may write straight into its slice (concatenation in place).

And one promise about time rather than bytes:

* sequenced: the op reads or writes state outside the graph (a variable in the persistent
  state region, a run-once flag). Such ops keep their relative order in every op order
  the planner tries, and the checker re-proves that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from edgekit.ir import Op


@dataclass(frozen=True)
class RowGeometry:
    """What the rows proof needs to know about one windowed op (NHWC, 4-D)."""

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


@dataclass(frozen=True)
class MemoryContract:
    """See the module docstring. The default promises nothing: a buffer of its own."""

    in_place: tuple[int, ...] = ()
    rows: RowGeometry | None = None
    view_of: int | None = None
    parts: tuple[int, ...] | None = None
    sequenced: bool = False


NO_CONTRACT = MemoryContract()

ContractFn = Callable[[Op], MemoryContract]


def no_contracts(op: Op) -> MemoryContract:
    """For graphs planned without kernels: every tensor gets a buffer of its own."""
    return NO_CONTRACT
