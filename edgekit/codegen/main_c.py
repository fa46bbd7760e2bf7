"""The firmware's main.c for one build, from templates/firmware/main.c.j2.

It is compiled with firmware/runtime/ek_protocol.c and ek_power.c, the board's BSP and
the generated model.c. Build with -DEK_POWER_SENSOR=1 (INA219) or 2 (INA226) on a board
whose BSP implements ek_bsp_i2c_read/ek_bsp_i2c_write (firmware/runtime/ek_power.h).
"""

from __future__ import annotations

from typing import Any

from edgekit.codegen.render import render


def render_main_c(*, board: str, num_ops: int, build_id: str, mlperf: dict[str, Any] | None = None) -> str:
    """`mlperf`: the MLPerf Tiny DUT's settings (edgekit.mlperf.benchmarks.firmware_context)
    for a firmware that serves that protocol instead of edgekit's own."""
    safe_id = "".join(ch for ch in build_id if ch.isalnum() or ch in "-_.:+")[:64]
    return render("firmware/main.c.j2", {"board": board, "num_ops": num_ops, "build_id": safe_id,
                                         "mlperf": mlperf})
