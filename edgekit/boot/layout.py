"""Checks that a linked image is one the chip's ROM (or boot loader) will start.

Read from the flat flash image (objcopy -O binary, which starts at the ELF's lowest load
address): the vector table's initial SP must point into RAM and its reset vector into
flash, in Thumb state; an RP2040 image must start with a boot2 block whose CRC the ROM
accepts, then the vectors at +0x100; an i.MX RT image must carry the FlexSPI block
("FCFB") at +0 and an IVT at +0x1000 whose pointers lead to a vector table.
"""

from __future__ import annotations

import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from edgekit.boot.rp2040 import BOOT2_CODE_BYTES, crc32_mpeg2
from edgekit.errors import BoardError, InternalError, ToolError

IVT_HEADER = 0x412000D1
FCFB_TAG = 0x42464346


@dataclass(frozen=True)
class Region:
    base: int
    size: int

    def holds(self, address: int) -> bool:
        return self.base <= address <= self.base + self.size  # an SP may sit at the end


def flat_image(elf: Path, objcopy: str = "arm-none-eabi-objcopy") -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "image.bin"
        proc = subprocess.run([objcopy, "-O", "binary", str(elf), str(out)], capture_output=True,
                              text=True, check=False, timeout=60)
        if proc.returncode != 0:
            raise ToolError(f"objcopy of {elf} failed: {proc.stderr.strip()}")
        return out.read_bytes()


def _word(image: bytes, offset: int) -> int:
    return int(struct.unpack_from("<I", image, offset)[0])


def check_vectors(image: bytes, offset: int, flash: Region, ram: Region, what: str) -> None:
    sp, reset = _word(image, offset), _word(image, offset + 4)
    if not ram.holds(sp):
        raise InternalError(f"{what}: initial SP 0x{sp:08x} is not in RAM")
    if not (reset & 1 and flash.holds(reset & ~1)):
        raise InternalError(f"{what}: reset vector 0x{reset:08x} is not Thumb code in flash")


def check_image(elf: Path, boot: str, flash: Region, ram: Region) -> None:
    """`boot`: "plain" (vectors at the start), "rp2040-boot2" or "imxrt-flexspi"."""
    check_flat_image(flat_image(elf), boot, flash, ram)


def check_flat_image(image: bytes, boot: str, flash: Region, ram: Region) -> None:
    """check_image on the bytes of flash from flash.base."""
    if boot == "plain":
        check_vectors(image, 0, flash, ram, "vector table")
    elif boot == "rp2040-boot2":
        crc = _word(image, BOOT2_CODE_BYTES)
        if crc != crc32_mpeg2(image[:BOOT2_CODE_BYTES]):
            raise InternalError("RP2040 image: the boot2 CRC does not match: the ROM would not run it")
        check_vectors(image, 0x100, flash, ram, "RP2040 vector table at +0x100")
    elif boot == "imxrt-flexspi":
        if _word(image, 0) != FCFB_TAG:
            raise InternalError("i.MX RT image: no FlexSPI configuration block (FCFB) at +0")
        ivt = struct.unpack_from("<8I", image, 0x1000)
        header, entry, _r, _dcd, boot_data, self_addr = ivt[:6]
        if header != IVT_HEADER or self_addr != flash.base + 0x1000:
            raise InternalError("i.MX RT image: no valid IVT at +0x1000")
        start = _word(image, boot_data - flash.base)
        if start != flash.base:
            raise InternalError(f"i.MX RT image: boot data starts at 0x{start:08x}, not flash")
        ocram = Region(0x20200000, 0x80000)  # the ROM's entry vectors use OCRAM2's stack
        check_vectors(image, entry - flash.base, flash, ocram, "i.MX RT entry vectors")
        check_vectors(image, 0x2000, flash, ram, "i.MX RT vector table at +0x2000")
    else:
        raise BoardError(f"unknown boot layout {boot!r}")
