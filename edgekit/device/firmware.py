"""The firmware's main.c: rendered from templates/firmware/main.c.j2 for one build.

codegen's project writer calls `render_main_c` and compiles the result together with
firmware/runtime/ek_protocol.c and ek_power.c, the board's BSP and the generated
model.c. Build with -DEK_POWER_SENSOR=1 (INA219) or 2 (INA226) on a board whose BSP
implements ek_bsp_i2c_read/ek_bsp_i2c_write (see firmware/runtime/ek_power.h).
"""

from __future__ import annotations

import jinja2

from edgekit.resources import data_dir

RUNTIME_SOURCES = ("runtime/ek_protocol.c", "runtime/ek_power.c")  # relative to firmware/


def render_main_c(*, board: str, num_ops: int, build_id: str) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(data_dir("templates") / "firmware")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    safe_id = "".join(ch for ch in build_id if ch.isalnum() or ch in "-_.:+")[:64]
    return env.get_template("main.c.j2").render(board=board, num_ops=num_ops, build_id=safe_id)
