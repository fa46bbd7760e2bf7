"""`edgekit flash`: flash a built project to a board, or start it in QEMU."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", nargs="?", default=".", help="build directory (default: .)")
    parser.add_argument("--board", help="board (default: the build's)")
    parser.add_argument("--port", help="upload port (default: found by the board's USB id)")
    parser.add_argument("--emulate", action="store_true",
                        help="run the image built for the real board in QEMU's model of its chip"
                             " (disco_l475vg_iot01a, netduinoplus2)")
    parser.add_argument("--stop", action="store_true",
                        help="stop the QEMU that an earlier flash left running")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args: argparse.Namespace) -> int:
    from edgekit import api
    from edgekit.commands._common import build_dir

    build_dir(args.dir)
    if args.stop:
        stopped = api.flash_stop(args.dir)
        if args.json:
            print(json.dumps({"stopped": stopped}))
        else:
            print("stopped QEMU" if stopped else "no QEMU was running for this build")
        return 0
    result = api.flash(args.dir, board=args.board, port=args.port, emulate=args.emulate)
    if args.json:
        json.dump(result.to_json(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif result.kind == "emulated":
        print(f"{result.board}: running in QEMU (pid {result.pid}), serial {result.port}; "
              f"model {str(result.model_sha256)[:12]} answered. Stop with `edgekit flash "
              f"{args.dir} --stop`")
    else:
        print(f"{result.board}: flashed through {result.port}")
    return 0
