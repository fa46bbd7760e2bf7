"""Flashers of gcc-bare-metal boards: one module per board `upload` value, each with
`flash(board, elf, port) -> Flashed` (docs/targets.md). None exists yet."""
