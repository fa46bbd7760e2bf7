"""README's op table is the registry's (python -m edgekit.docs_table): a stale table fails
here, so it cannot drift; and what the table claims is checked against the registry."""

from __future__ import annotations

from pathlib import Path

from edgekit.docs_table import BEGIN, END, README, main, op_table, render
from edgekit.ir.ops import KNOWN_OPS
from edgekit.ir.signatures import SIGNATURES
from edgekit.kernels.lowering import float_op_types, supported_op_types
from edgekit.kernels.variants import VARIANTS


def test_readme_table_is_the_generated_one() -> None:
    assert main(["--check"]) == 0, "README's op table is stale: run `python -m edgekit.docs_table`"


def test_check_fails_on_a_stale_table_and_regeneration_fixes_it(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{BEGIN}\n| op | int8 |\n| ADD | yes |\n{END}\n\nmore\n")
    assert main(["--check", "--readme", str(readme)]) == 1
    assert main(["--readme", str(readme)]) == 0
    assert main(["--check", "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# x\n\n") and text.endswith("\n\nmore\n") and op_table() in text
    assert render(text) == text


def test_table_rows_follow_the_registry() -> None:
    rows = {line.split(" | ")[0].strip("| "): line for line in op_table().splitlines()[2:] if line.startswith("| ")}
    assert rows["CONV_2D"] == "| CONV_2D | yes | — | arm-dsp, arm-mve |"
    assert rows["FLOOR"] == "| FLOOR | — | yes | — |"
    assert rows["RESHAPE"].startswith("| RESHAPE | yes | copy |")
    assert set(rows) >= supported_op_types() - {"LOOKUP_TABLE", "RESIDUAL_BLOCK"}  # edgekit's own, made by passes


def test_fast_ops_and_float_ops_are_real_ops() -> None:
    for variant in VARIANTS.values():
        assert set(variant.fast_ops) <= supported_op_types(), variant.name
    for op_type in float_op_types():
        assert op_type in SIGNATURES and op_type in KNOWN_OPS, op_type


def test_readme_has_one_table() -> None:
    text = README.read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1
