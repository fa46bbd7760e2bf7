"""Flash and RAM per memory region of a linked ELF, against the board's regions.

A section takes room where it runs (its VMA) and, when it is loaded from elsewhere (the
.data image), where it is stored (its LMA): .data counts in flash and in RAM. The stack
is no section; the linker keeps `stack_bytes` free at the end of the RAM region (the
ASSERT in firmware/bsp/cortexm/ek_cortexm_sections.ld), so it is counted there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from edgekit.errors import EdgekitError, InternalError, ToolError

# objdump -h -w: "  4 .data  00000008  20000000  08000c20  00002000  2**2  CONTENTS, ALLOC, ..."
_SECTION = re.compile(
    r"^\s*\d+\s+(\S+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+([0-9a-fA-F]+)\s+[0-9a-fA-F]+\s+\S+\s+(.*)$")
# GNU ld: "region `SRAM1' overflowed by 1234 bytes"
_OVERFLOW = re.compile(r"region [`'\"]?([A-Za-z0-9_]+)['\"]? overflowed by (\d+) bytes")


class Region(Protocol):
    """What a memory region is here (boards.model.MemoryRegion is one)."""

    @property
    def name(self) -> str: ...

    @property
    def base(self) -> int: ...

    @property
    def size(self) -> int: ...


@dataclass(frozen=True)
class Section:
    name: str
    size: int
    vma: int
    lma: int
    loaded: bool  # has contents in the image (LOAD), so it is stored at its LMA


@dataclass
class RegionUse:
    name: str
    base: int
    size: int
    used: int = 0  # bytes of sections (and the reserved stack) in the region
    stack: int = 0  # of which: the stack the linker keeps free
    sections: dict[str, int] = field(default_factory=dict)

    @property
    def free(self) -> int:
        return self.size - self.used

    @property
    def over(self) -> int:
        return max(self.used - self.size, 0)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "base": self.base, "size": self.size, "used": self.used,
                "free": self.free, "stack": self.stack, "sections": dict(self.sections)}


class RegionOverflow(EdgekitError):
    """The firmware does not fit: which regions lack how many bytes (the stack included)."""

    def __init__(self, board: str, uses: Sequence[RegionUse], elf: Path) -> None:
        self.board = board
        self.uses = list(uses)
        self.elf = elf  # linked with --noinhibit-exec: measurable, not to be flashed
        over = [u for u in self.uses if u.over > 0]
        parts = [f"{u.name} by {u.over:,} bytes ({u.used:,} of {u.size:,}"
                 + (f", {u.stack:,} of them stack" if u.stack else "") + ")" for u in over]
        super().__init__(f"the firmware does not fit on {board}: "
                         + ("; ".join(parts) if parts else "the linker refused it"))

    @property
    def over(self) -> dict[str, int]:
        return {u.name: u.over for u in self.uses if u.over > 0}


def elf_sections(elf: Path | str, objdump: str = "arm-none-eabi-objdump") -> list[Section]:
    """The allocated sections of an ELF (objdump -h)."""
    tool = shutil.which(objdump) or shutil.which("objdump")
    if tool is None:
        raise ToolError(f"{objdump} not found: install binutils for the board's toolchain")
    proc = subprocess.run([tool, "-h", "-w", str(elf)], capture_output=True, text=True,
                          check=False, timeout=30)
    if proc.returncode != 0:
        raise ToolError(f"cannot read {elf}: {proc.stderr.strip() or proc.stdout.strip()}")
    sections = []
    for line in proc.stdout.splitlines():
        m = _SECTION.match(line)
        if m is None:
            continue
        name, size, vma, lma, flags = m.groups()
        if "ALLOC" not in flags or int(size, 16) == 0:
            continue
        sections.append(Section(name, int(size, 16), int(vma, 16), int(lma, 16), "LOAD" in flags))
    return sections


def _region_of(address: int, regions: Sequence[Region]) -> Region | None:
    """The region holding `address`; past every region's end (a link kept with
    --noinhibit-exec overflows), the nearest region below it."""
    for region in regions:
        if region.base <= address < region.base + region.size:
            return region
    below = [r for r in regions if r.base <= address]
    return max(below, key=lambda r: r.base) if below else None


def region_usage(sections: Iterable[Section], regions: Sequence[Region], *,
                 stack_region: str, stack_bytes: int,
                 placement: Mapping[str, str] | None = None) -> list[RegionUse]:
    """Bytes per region, in the board's order; EdgekitError for a section outside them.

    `placement` names the region of output sections whose region the linker script fixes
    (where an overflowing link may have put them past its end, into the next region)."""
    uses = {r.name: RegionUse(r.name, r.base, r.size) for r in regions}
    for section in sections:
        places: list[int | str] = [(placement or {}).get(section.name, section.vma)]
        if section.loaded and section.lma != section.vma:
            places.append(section.lma)
        for place in places:
            region = uses.get(place) if isinstance(place, str) else _region_of(place, regions)
            if region is None:
                raise InternalError(f"section {section.name} at {place!r} lies in no "
                                   "memory region of the board")
            use = uses[region.name]
            use.used += section.size
            use.sections[section.name] = use.sections.get(section.name, 0) + section.size
    if stack_region in uses:
        uses[stack_region].used += stack_bytes
        uses[stack_region].stack = stack_bytes
    return list(uses.values())


def link_overflows(linker_output: str) -> dict[str, int]:
    """{region: bytes} from GNU ld's "region `X' overflowed by N bytes" lines."""
    found: dict[str, int] = {}
    for name, count in _OVERFLOW.findall(linker_output):
        found[name] = max(found.get(name, 0), int(count))
    return found
