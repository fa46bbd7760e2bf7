"""Memory regions of an export: the arena split over two sections, per-section bytes in
the report, and the one-line errors (unknown section, section too small, name clashes)."""

from __future__ import annotations

import dataclasses
import re
import subprocess

import pytest

from edgekit.boards import load_board
from edgekit.boards.model import Memory, MemorySection
from edgekit.cli import main
from edgekit.errors import UsageError
from edgekit.export import ExportRequest, export_models

from .app import host_app, run_host, sample_bytes
from .test_export_host import references

DTCM = 4096


def board_with_dtcm(dtcm_bytes: int = DTCM):
    """qemu-cortex-m4 with a small fast section in front of its SRAM (as a DTCM would be)."""
    board = load_board("qemu-cortex-m4")
    sections = (MemorySection("dtcm", ".ek_dtcm", dtcm_bytes, "ram", speed=0),
                MemorySection("sram", ".ek_sram", 1 << 20, "ram", speed=1),
                MemorySection("flash", "", 1 << 22, "flash"))
    return dataclasses.replace(board, memory=Memory(sections, arena="sram", weights="flash"))


def test_arena_split_over_two_sections_runs_bit_exact(mlperf_models, tmp_path):
    model = mlperf_models["kws"]
    out = tmp_path / "kws"
    report = export_models(ExportRequest(models=[model], board=board_with_dtcm(), out_dir=out, format="cmake",
                                         names=["kws"], arena_sections=["dtcm", "sram"])).report
    parts = report["models"][0]["arena_parts"]
    assert [p["section"] for p in parts] == ["dtcm", "sram"]
    arena = report["models"][0]["arena_bytes"]
    assert 0 < parts[0]["bytes"] <= DTCM and parts[0]["bytes"] + parts[1]["bytes"] == arena
    assert report["regions"]["dtcm"]["arena_bytes"] == parts[0]["bytes"]
    assert report["regions"]["sram"]["arena_bytes"] >= parts[1]["bytes"]
    header = (out / "include" / "kws.h").read_text()
    assert f"#define KWS_ARENA_DTCM_BYTES {parts[0]['bytes']}u" in header
    inputs, expected = references(model, seed=2)
    exe = host_app(tmp_path, out, ["kws"], "kws", len(inputs))
    assert run_host(exe, tmp_path, sample_bytes([[s] for s in inputs])) == b"".join(expected)
    # The linker put each arena buffer in the section asked for, at the size reported.
    symbols = subprocess.run(["objdump", "-t", str(exe)], capture_output=True, text=True, timeout=60).stdout
    for section, symbol in ((".ek_dtcm", "kws_arena_dtcm"), (".ek_sram", "kws_arena_sram")):
        line = next(line for line in symbols.splitlines() if line.endswith(" " + symbol))
        assert f" {section}\t" in line, line
        assert int(line.split("\t")[1].split()[0], 16) == report["regions"][section[4:]]["arena_bytes"]


def test_section_too_small_names_it_and_the_bytes(mlperf_models, tmp_path):
    with pytest.raises(UsageError, match=r"section 'dtcm' is too small: the arena of ad needs 768 bytes there, "
                                         r"it has 512"):
        export_models(ExportRequest(models=[mlperf_models["ad"]], board=board_with_dtcm(512),
                                    out_dir=tmp_path, names=["ad"], arena_sections=["dtcm"]))
    with pytest.raises(UsageError, match=r"section 'dtcm' is too small: the weights need 270960 bytes"):
        export_models(ExportRequest(models=[mlperf_models["ad"]], board=board_with_dtcm(512),
                                    out_dir=tmp_path, names=["ad"], weights_section="dtcm"))


@pytest.mark.parametrize("args, message", [
    (["--arena-section", "dtcm"], "unknown section 'dtcm' for the arena on qemu-cortex-m4"),
    (["--weights-section", "nowhere"], "unknown section 'nowhere' for the weights"),
    (["--arena-section", "flash"], "section 'flash' is flash: the arena needs a ram section"),
    (["--name", "kws", "--name", "KWS"], "two models are named 'kws' and 'KWS'"),
    (["--name", "kws", "--name", "kws_small"], "model names 'kws' and 'kws_small' clash"),
    (["--name", "kws"], "--name gives 1 name(s) for 2 model(s)"),
    (["--name", "2fast", "--name", "b"], "model name '2fast' is not a C identifier"),
    (["--concurrent", "a,zz"], "--concurrent names 'a'"),
])
def test_bad_export_options_are_one_line_and_exit_2(mlperf_models, tmp_path, capsys, args, message):
    models = [str(mlperf_models["ad"]), str(mlperf_models["kws"])]
    assert main(["export", *models, "--board", "qemu-cortex-m4", "-o", str(tmp_path), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("change, field", [
    (('kind = "flash"', 'kind = "rom"'), "memory.sections[2].kind"),
    (('arena = "sram"', 'arena = "tcm"'), "memory.arena"),
    (('arena = "sram"', 'arena = "flash"'), "memory.arena"),
    (('name = "psram"\nsection', 'name = "sram"\nsection'), "memory.sections"),
    (('section = ".ek_psram"', 'section = "bad name"'), "memory.sections[1].section"),
])
def test_board_memory_table_is_checked(tmp_path, change, field):
    from edgekit.boards import load_board as load
    from edgekit.boards.catalog import read_board
    from edgekit.errors import BoardError

    text = load("qemu-cortex-m4").path.read_text()  # type: ignore[union-attr]
    assert change[0] in text
    path = tmp_path / "qemu-cortex-m4.toml"
    path.write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(BoardError, match=re.escape(field)):
        read_board(path)


def test_split_between_sections_of_equal_speed_keeps_the_order_given(mlperf_models, tmp_path):
    board = board_with_dtcm(512)
    sections = tuple(dataclasses.replace(s, speed=0) for s in board.memory.sections)  # type: ignore[union-attr]
    board = dataclasses.replace(board, memory=dataclasses.replace(board.memory, sections=sections))
    report = export_models(ExportRequest(models=[mlperf_models["ad"]], board=board, out_dir=tmp_path,
                                         names=["ad"], arena_sections=["dtcm", "sram"])).report
    parts = report["models"][0]["arena_parts"]
    assert [p["section"] for p in parts] == ["dtcm", "sram"] and parts[0]["bytes"] <= 512
