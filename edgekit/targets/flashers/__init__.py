"""Flashers of gcc-bare-metal boards: one module per board `upload` value, each with
`flash(board, elf, port) -> Flashed` (docs/targets.md).

openocd, picotool, teensy_cli and bossac run the system's program (found on PATH) with
the shared sequence of program.py: the one probe or boot loader found by USB id
(usb.py), the image in the tool's format, each step bounded in time (run.py), the chip
checked before anything is written. The new firmware's HELLO is then checked by
`edgekit flash` (device/flash.py) on the returned link_url.
"""
