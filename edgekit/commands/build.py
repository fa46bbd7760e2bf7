"""`edgekit build` (not implemented yet)."""

from __future__ import annotations

import argparse

from edgekit.errors import EdgekitError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace) -> int:
    raise EdgekitError("'edgekit build' is not implemented yet")
