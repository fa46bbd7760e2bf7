"""`edgekit build MODEL --board BOARD [-o DIR] [--calib DATA] [--json]`."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edgekit.commands._common import add_model_options, console, renamed


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="int8 .tflite, or a float model with --calib")
    parser.add_argument("--board", required=True, help="target board (see `edgekit boards`)")
    parser.add_argument("-o", "--output", metavar="DIR", dest="out",
                        help="project folder (default build/<model>-<board>/)")
    renamed(parser, "--out", "--output", "out")
    add_model_options(parser)
    parser.add_argument("--activations", choices=("int8", "int16"), default="int8",
                        help="with --calib: int16 quantizes to int16x8 (int16 activations, int8 weights)")
    parser.add_argument("--power-sensor", choices=["ina219", "ina226"],
                        help="firmware reads this current sensor on the board's I2C (profile energy)")
    parser.add_argument("--sensor-addr", type=lambda v: int(v, 0), default=0x40, help="its I2C address")
    parser.add_argument("--shunt-mohm", type=int, default=100, help="its shunt resistor in milliohms")
    parser.add_argument("--baud", type=int, metavar="N",
                        help="real boards: serial rate of the firmware (default: the board's; with "
                        "--mlperf, the runner's rate for that benchmark); validate and profile use it too")
    parser.add_argument("--framework", choices=["arduino"],
                        help="build the board's Arduino (PlatformIO) project instead of "
                             "edgekit's own bare-metal BSP")
    parser.add_argument("--mlperf", choices=["kws01", "vww01", "ic01", "ad01"],
                        help="firmware for MLPerf Tiny's benchmark runner (its DUT protocol) instead of "
                             "edgekit's own")
    parser.add_argument("--mlperf-energy", action="store_true",
                        help="with --mlperf: energy mode (timestamps are a falling edge on the board's D7, "
                             "9600 baud) for an EEMBC energy monitor")
    parser.add_argument("--int8-only", action="store_true",
                        help="refuse ops that would run on the float32 fallback (exit 2, naming the first)")
    parser.add_argument("--json", action="store_true", help="print report.json's object on stdout")


def _kb(n: int) -> str:
    return f"{n:,}"


def _float_line(report: dict) -> str:
    ops = report["float_ops"]
    code = report.get("float_code_bytes")
    names = ", ".join(f"{o['type']} #{o['index']}" for o in ops)
    return (f"float32 fallback: {len(ops)} op{'s' if len(ops) != 1 else ''} "
            f"({names}), {report['float_elements']:,} elements, "
            f"{report['float_macs']:,} MACs in float"
            + (f", {code:,} B of float kernel code" if code is not None else "")
            + " (--int8-only refuses them)")


def run(args: argparse.Namespace) -> int:
    from edgekit.build import build, ram_budget, require_fit

    result = build(args.model, args.board, args.out, calib=args.calib, rounding=args.rounding,
                   planner=args.planner, power_sensor=args.power_sensor, sensor_i2c_addr=args.sensor_addr,
                   shunt_mohm=args.shunt_mohm, baud=args.baud, framework=args.framework,
                   mlperf=args.mlperf, mlperf_energy=args.mlperf_energy, activations=args.activations,
                   int8_only=args.int8_only)
    report = result.report
    if args.json:
        print(json.dumps(report))
    else:
        from rich.table import Table

        estimate = "" if report["size_source"] == "elf" else " (estimate)"
        table = Table(title=f"{Path(report['model']).name} → {report['board']} "
                      f"({report['kernel_variant']} kernels)")
        for column in ("", "bytes", "board limit", "use"):
            table.add_column(column, justify="right" if column else "left")
        limit = report["ram_limit_bytes"]

        def use(n: int, of: int) -> str:
            return f"{100 * n / of:.1f}%" if of else ""

        arena_checked = report["ram_checked"] == "arena_bytes"
        table.add_row("arena (activations + kernel scratch)", _kb(report["arena_bytes"]),
                      _kb(limit) if arena_checked else "",
                      use(report["arena_bytes"], limit) if arena_checked else "")
        if report.get("lower_bound_bytes"):
            table.add_row("  liveness lower bound", _kb(report["lower_bound_bytes"]), "", "")
        table.add_row("weights + params", _kb(report["weights_bytes"]), "", "")
        table.add_row("  .tflite weights (inspect)", _kb(report["model_weights_bytes"]), "", "")
        table.add_row("code" + estimate, _kb(report["code_bytes"]), "", "")
        table.add_row("flash total" + estimate, _kb(report["flash_bytes"]), _kb(report["board_flash_bytes"]),
                      use(report["flash_bytes"], report["board_flash_bytes"]))
        table.add_row("RAM total" + estimate, _kb(report["ram_bytes"]),
                      "" if arena_checked else _kb(limit),
                      "" if arena_checked else use(report["ram_bytes"], limit))
        for region in report.get("regions") or ():  # the linked ELF, per memory region
            stack = f" (stack {_kb(region['stack'])})" if region["stack"] else ""
            table.add_row(f"  {region['name']}{stack}", _kb(region["used"]), _kb(region["size"]),
                          use(region["used"], region["size"]))
        out = console()
        out.print(table)
        if report.get("size_note"):
            out.print(f"sizes are an {report['size_note']}", markup=False, highlight=False)
        out.print(f"RAM check: {ram_budget(report)}", markup=False, highlight=False)
        out.print("weights + params: the model's weights as the kernels read them, with the "
                  "prepared constants (biases with folded zero points, multipliers and shifts, "
                  "and the int16 copies of the Arm DSP path), more than the .tflite's own "
                  "weights that `edgekit inspect` shows", markup=False, highlight=False)
        out.print(f"{len(report['ops'])} ops, {report['macs']:,} MACs, plan: {report['planner']} "
                  f"(chart: {result.out_dir / 'memory_plan.txt'}); project: {result.out_dir}; "
                  f"build id {report['build_id']}", markup=False, highlight=False)
        if report["float_ops"]:
            out.print(_float_line(report), markup=False, highlight=False)
    require_fit(result)
    return 0
