"""`edgekit build MODEL --board BOARD [-o DIR] [--calib DATA] [--json]`."""

from __future__ import annotations

import argparse
import json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="int8 .tflite, or a float model with --calib")
    parser.add_argument("--board", required=True, help="target board (see `edgekit boards`)")
    parser.add_argument("-o", "--out", metavar="DIR", help="project folder (default build/<model>-<board>/)")
    parser.add_argument("--calib", metavar="DATA", help="calibration data to quantize a float model")
    parser.add_argument("--rounding", choices=["tflite", "tflm"], default="tflite",
                        help="match TF's reference kernels (default) or TFLite Micro bit for bit")
    parser.add_argument("--planner", default="best", help="memory planner (default: the smallest plan found)")
    parser.add_argument("--power-sensor", choices=["ina219", "ina226"],
                        help="firmware reads this current sensor on the board's I2C (profile energy)")
    parser.add_argument("--sensor-addr", type=lambda v: int(v, 0), default=0x40, help="its I2C address")
    parser.add_argument("--shunt-mohm", type=int, default=100, help="its shunt resistor in milliohms")
    parser.add_argument("--mlperf", choices=["kws01", "vww01", "ic01", "ad01"],
                        help="firmware for MLPerf Tiny's benchmark runner (its DUT protocol) instead of "
                             "edgekit's own")
    parser.add_argument("--json", action="store_true", help="print report.json's object on stdout")


def _kb(n: int) -> str:
    return f"{n:,}"


def run(args: argparse.Namespace) -> int:
    from edgekit.build import build, require_fit

    result = build(args.model, args.board, args.out, calib=args.calib, rounding=args.rounding,
                   planner=args.planner, power_sensor=args.power_sensor, sensor_i2c_addr=args.sensor_addr,
                   shunt_mohm=args.shunt_mohm, mlperf=args.mlperf)
    report = result.report
    if args.json:
        print(json.dumps(report))
    else:
        from rich.console import Console
        from rich.table import Table

        estimate = "" if report["size_source"] == "elf" else " (estimate)"
        table = Table(title=f"{report['model']} → {report['board']} ({report['kernel_variant']} kernels)")
        for column in ("", "bytes", "board limit", "use"):
            table.add_column(column, justify="right" if column else "left")
        table.add_row("arena (activations)", _kb(report["arena_bytes"]), "", "")
        if report.get("lower_bound_bytes"):
            table.add_row("  liveness lower bound", _kb(report["lower_bound_bytes"]), "", "")
        table.add_row("weights + params", _kb(report["weights_bytes"]), "", "")
        table.add_row("code" + estimate, _kb(report["code_bytes"]), "", "")
        table.add_row("flash total" + estimate, _kb(report["flash_bytes"]), _kb(report["board_flash_bytes"]),
                      f"{100 * report['flash_bytes'] / report['board_flash_bytes']:.1f}%")
        table.add_row("RAM total" + estimate, _kb(report["ram_bytes"]), _kb(report["board_ram_bytes"]),
                      f"{100 * report['ram_bytes'] / report['board_ram_bytes']:.1f}%")
        console = Console()
        console.print(table)
        console.print(f"{len(report['ops'])} ops, {report['macs']:,} MACs, plan: {report['planner']} "
                      f"(chart: {result.out_dir / 'memory_plan.txt'}); project: {result.out_dir}")
    require_fit(result)
    return 0
