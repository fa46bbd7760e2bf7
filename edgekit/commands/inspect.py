"""`edgekit inspect` (being written)."""
from __future__ import annotations
import argparse
from edgekit.errors import EdgekitError
def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass
def run(args: argparse.Namespace) -> int:
    raise EdgekitError("'edgekit inspect' is not implemented yet")
