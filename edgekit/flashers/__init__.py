"""Programming real boards without PlatformIO: OpenOCD, picotool (or a UF2 copy),
teensy_loader_cli and bossac, each found on PATH, each probe found by its USB id.

`flash_image` (program.py) is the entry point: it finds the one probe or boot loader,
turns the ELF into the image the tool takes, runs the tool with a timeout, checks what
the tool says about the chip, and then waits for the new firmware's HELLO.
"""
