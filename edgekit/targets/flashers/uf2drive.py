"""The RP2040 boot ROM's USB drive (RPI-RP2): find it mounted, copy a UF2 file onto it.

The drive's INFO_UF2.TXT names the chip: "Board-ID: RPI-RP2" on an RP2040 (an RP2350
says "Board-ID: RP2350"). Mounts come from /proc/mounts (EDGEKIT_MOUNTS: another file
in that format, for tests).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from edgekit.errors import DeviceError

MOUNTS_ENV = "EDGEKIT_MOUNTS"
RP2040_BOARD_ID = "RPI-RP2"


def _mount_points() -> list[Path]:
    table = Path(os.environ.get(MOUNTS_ENV) or "/proc/mounts")
    try:
        lines = table.read_text().splitlines()
    except OSError:
        return []
    points = []
    for line in lines:
        fields = line.split()
        if len(fields) >= 2:
            points.append(Path(fields[1].replace("\\040", " ")))
    return points


def find_uf2_drives() -> list[tuple[Path, str]]:
    """(mount point, Board-ID) of every mounted UF2 boot drive."""
    drives = []
    for point in _mount_points():
        info = point / "INFO_UF2.TXT"
        try:
            text = info.read_text(errors="replace")
        except OSError:
            continue
        board_id = next((line.split(":", 1)[1].strip() for line in text.splitlines()
                         if line.lower().startswith("board-id:")), "?")
        drives.append((point, board_id))
    return drives


def copy_to_drive(uf2: Path, board: str) -> Path:
    """Copy `uf2` onto the one mounted RPI-RP2 drive; the file written."""
    drives = find_uf2_drives()
    rp2040 = [point for point, board_id in drives if board_id == RP2040_BOARD_ID]
    seen = "; ".join(f"{point} ({board_id})" for point, board_id in drives) or "none"
    if not rp2040:
        other = f"; UF2 drives seen: {seen}" if drives else ""
        raise DeviceError(f"no RPI-RP2 drive mounted for {board}: hold BOOTSEL while plugging "
                          f"the Pico in, and mount the drive{other}")
    if len(rp2040) > 1:
        raise DeviceError(f"{len(rp2040)} RPI-RP2 drives are mounted ({seen}): unplug all "
                          "but one")
    target = rp2040[0] / uf2.name
    try:
        shutil.copyfile(uf2, target)
        os.sync()
    except OSError as exc:
        raise DeviceError(f"copying {uf2.name} to {rp2040[0]} failed: {exc}") from None
    return target
