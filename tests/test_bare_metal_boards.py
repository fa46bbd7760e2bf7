"""The real boards on edgekit's own BSPs (nRF52840, RP2040, i.MX RT1062): KWS and VWW
firmware compiled and linked here, sized from the ELF, and the image laid out the way
the chip's ROM or boot loader starts it. Nothing here runs the firmware: no QEMU
machine emulates these chips (docs/targets.md says what was proven where).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from edgekit.boards import load_board
from edgekit.boot.layout import Region, check_image
from edgekit.build import build

# Board → the ROM's view of the image (edgekit/boot/layout.py).
BOOT_LAYOUT = {"nrf52840dk": "plain", "nano33ble": "plain", "rpi_pico": "rp2040-boot2",
               "teensy41": "imxrt-flexspi"}


@pytest.mark.parametrize("model", ["kws", "vww"])
@pytest.mark.parametrize("board_name", sorted(BOOT_LAYOUT))
def test_firmware_links_and_boots_by_the_rom_rules(board_name, model, mlperf_models, tmp_path):
    result = build(mlperf_models[model], board_name, tmp_path)
    report = result.report
    board = load_board(board_name)
    assert report["size_source"] == "elf" and report["fits"], report
    sections = report["sections"]
    assert report["flash_bytes"] == sections["text"] + sections["rodata"] + sections["data"]
    assert sections["rodata"] >= report["weights_bytes"]  # the weights are in flash
    assert report["ram_bytes"] >= report["arena_bytes"]  # the arena is in RAM
    regions = {r.name: r for r in board.regions}
    code, ram = regions["code"], regions["ram"]
    check_image(Path(report["elf"]), BOOT_LAYOUT[board_name], Region(code.base, code.size),
                Region(ram.base, ram.size))


def _vectors(sp: int, reset: int) -> bytes:
    import struct

    return struct.pack("<2I", sp, reset)


def test_layout_check_refuses_a_bad_boot2_crc() -> None:
    from edgekit.boot.layout import check_flat_image
    from edgekit.boot.rp2040 import pad_boot2
    from edgekit.errors import EdgekitError

    flash, ram = Region(0x10000000, 0x200000), Region(0x20000000, 0x42000)
    good = pad_boot2(b"\x00\xbf" * 10) + _vectors(0x20042000, 0x10000111)
    check_flat_image(good, "rp2040-boot2", flash, ram)
    bad = bytes([good[0] ^ 1]) + good[1:]
    with pytest.raises(EdgekitError, match="boot2 CRC does not match"):
        check_flat_image(bad, "rp2040-boot2", flash, ram)
    with pytest.raises(EdgekitError, match="reset vector 0x10000110 is not Thumb"):
        check_flat_image(good[:-4] + (0x10000110).to_bytes(4, "little"), "rp2040-boot2", flash, ram)


def test_layout_check_refuses_vectors_outside_the_memory_map() -> None:
    from edgekit.boot.layout import check_flat_image
    from edgekit.errors import EdgekitError

    flash, ram = Region(0x10000, 0xF0000), Region(0x20000000, 0x40000)
    check_flat_image(_vectors(0x20040000, 0x10101), "plain", flash, ram)
    with pytest.raises(EdgekitError, match="initial SP 0x20080000 is not in RAM"):
        check_flat_image(_vectors(0x20080000, 0x10101), "plain", flash, ram)
    with pytest.raises(EdgekitError, match="FlexSPI configuration block"):
        check_flat_image(bytes(0x3000), "imxrt-flexspi", Region(0x60000000, 0x7C0000), ram)
