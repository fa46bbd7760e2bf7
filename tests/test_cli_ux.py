"""The command line as a user meets it (issues 12 and 19): whose fault an error is, one
line for every user error, consistent options, honest numbers. Real commands on the
MLPerf KWS model; device commands on the host board (the firmware as a local process)."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from edgekit import cli
from edgekit.errors import EdgekitError, InternalError

ROOT = Path(__file__).resolve().parents[1]
KWS = Path("/work/shared/models/kws_ds_cnn_int8.tflite")
if not KWS.is_file():
    KWS = ROOT.parent / "shared" / "models" / "kws_ds_cnn_int8.tflite"

pytestmark = pytest.mark.xdist_group("cli_ux")


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_process(*argv: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m edgekit ...` with stdout and stderr piped (not a terminal)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "edgekit", *argv], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=600, check=False)


@pytest.fixture(scope="module")
def host_build(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ux") / "kws-host"
    code = cli.main(["build", str(KWS), "--board", "host", "-o", str(out), "-q"])
    assert code == 0
    return out


# --- A. whose fault: exit 2 user, 1 check, 3 edgekit's bug ---------------------------------


def test_no_raise_of_the_bare_base_class() -> None:
    bare = [f"{p.relative_to(ROOT)}:{n}" for p in (ROOT / "edgekit").rglob("*.py")
            for n, line in enumerate(p.read_text().splitlines(), 1) if "raise EdgekitError(" in line]
    assert bare == []


def _assert_internal(code: int, err: str, tmp_path: Path, needle: str) -> None:
    assert code == 3, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "internal error" in lines[0] and "bug in edgekit" in lines[0] and "report" in lines[0]
    log = Path(re.search(r"traceback is in (\S+?)[;.]? Please", lines[0]).group(1))
    assert log.parent == tmp_path and "Traceback (most recent call last)" in log.read_text()
    assert needle in log.read_text()


def test_an_unexpected_exception_is_an_internal_error_with_a_log(capsys, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("EDGEKIT_LOG_DIR", str(tmp_path))

    def broken(path):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr("edgekit.inspect.inspect_model", broken)
    code, _, err = run_cli(capsys, "inspect", str(KWS))
    _assert_internal(code, err, tmp_path, "ZeroDivisionError: a bug")


def test_a_pass_that_breaks_the_graph_is_an_internal_error(capsys, tmp_path, monkeypatch) -> None:
    import edgekit.passes as passes

    monkeypatch.setenv("EDGEKIT_LOG_DIR", str(tmp_path))

    def drop_first_op(graph):  # the ops after it now read a tensor nothing writes
        graph.ops = graph.ops[1:]
        for k, op in enumerate(graph.ops):
            op.index = k
        return graph

    monkeypatch.setattr(passes, "DEFAULT_PASSES", [drop_first_op])
    code, _, err = run_cli(capsys, "build", str(KWS), "--board", "qemu-cortex-m4",
                           "-o", str(tmp_path / "b"))
    _assert_internal(code, err, tmp_path, "pass drop_first_op left an invalid graph")


def test_a_plan_the_checker_rejects_is_an_internal_error(capsys, tmp_path, monkeypatch) -> None:
    import edgekit.memory as memory

    monkeypatch.setenv("EDGEKIT_LOG_DIR", str(tmp_path))
    real = memory.plan_graph

    def overlapping(graph, **kwargs):  # every tensor at offset 0: live buffers collide
        plan = real(graph, **kwargs)
        plan.offsets = {t: 0 for t in plan.offsets}
        return plan

    monkeypatch.setattr(memory, "plan_graph", overlapping)
    code, _, err = run_cli(capsys, "build", str(KWS), "--board", "qemu-cortex-m4", "--planner",
                           "greedy_by_size", "-o", str(tmp_path / "b"))
    _assert_internal(code, err, tmp_path, "memory plan check failed")


def test_generated_c_that_does_not_compile_is_an_internal_error(capsys, tmp_path, monkeypatch) -> None:
    import edgekit.pipeline as pipeline

    monkeypatch.setenv("EDGEKIT_LOG_DIR", str(tmp_path))
    real = pipeline.generate_model

    def broken_c(*args, **kwargs):
        generated = real(*args, **kwargs)
        generated.sources["model.c"] += "\nint ek_broken = ;\n"
        return generated

    monkeypatch.setattr(pipeline, "generate_model", broken_c)
    code, _, err = run_cli(capsys, "build", str(KWS), "--board", "qemu-cortex-m4",
                           "-o", str(tmp_path / "b"))
    _assert_internal(code, err, tmp_path, "model.c")
    assert (tmp_path / "b" / "src").is_dir()  # kept for the bug report


def test_internal_error_is_an_edgekit_error_with_exit_3() -> None:
    from edgekit.memory import PlanCheckError

    assert issubclass(InternalError, EdgekitError) and InternalError.exit_code == 3
    assert issubclass(PlanCheckError, InternalError)


# --- B. one line instead of a traceback --------------------------------------------------


@pytest.mark.parametrize("command", ["flash", "validate", "profile"])
def test_a_model_where_a_build_folder_is_expected(capsys, command) -> None:
    code, out, err = run_cli(capsys, command, str(KWS))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "is a file, not a build folder" in err and "edgekit build" in err


def test_profile_outputs_into_missing_folders(host_build, tmp_path, capsys) -> None:
    files = {k: tmp_path / "nodir" / k / f"p.{k}" for k in ("json", "csv", "png", "html")}
    code, out, err = run_cli(capsys, "profile", str(host_build), "--runs", "2",
                             "--json-file", str(files["json"]), "--csv", str(files["csv"]),
                             "--png", str(files["png"]), "--html", str(files["html"]))
    assert code == 0, err
    data = json.loads(files["json"].read_text())
    report = json.loads((host_build / "report.json").read_text())
    # The JSON names what it measured; counts are integers under a unit-neutral name.
    assert (data["model"], data["board"], data["build_id"]) == (report["model"], "host", report["build_id"])
    assert isinstance(data["total_counts"], int) and data["unit"] == "us"
    assert all(isinstance(la["counts"], int) for la in data["layers"])
    assert "total_cycles" not in data and "cycles" not in data["layers"][0]
    # No MACs: no MACs per count, the same (null) for every such op.
    assert {la["macs_per_count"] for la in data["layers"] if la["macs"] == 0} <= {None}
    rows = list(csv.reader(files["csv"].open()))
    assert rows[0][:5] == ["index", "type", "macs", "counts", "unit"]
    assert all(re.fullmatch(r"\d+", row[3]) for row in rows[1:])
    page = files["html"].read_text()
    assert KWS.name in page and report["build_id"] in page and "weights + params" in page
    assert "legend" in page
    assert files["png"].read_bytes()[:4] == b"\x89PNG"


def test_validate_json_file_into_missing_folder(host_build, tmp_path, capsys) -> None:
    target = tmp_path / "nodir" / "v.json"
    code, out, err = run_cli(capsys, "validate", str(host_build), "--samples", "2",
                             "--json-file", str(target))
    assert code == 0, err
    assert json.loads(target.read_text())["bit_exact"] == 2
    assert "2/2 samples bit-exact with TFLite's reference kernels" in out


@pytest.mark.parametrize("command", ["validate", "profile"])
def test_json_leaves_stderr_empty(host_build, command) -> None:
    count = "--samples" if command == "validate" else "--runs"
    proc = run_process(command, str(host_build), count, "1", "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    json.loads(proc.stdout)


def test_profile_json_flag_no_longer_swallows_the_folder(host_build, tmp_path) -> None:
    # `profile --json DIR` used to take DIR as the JSON file to write.
    proc = run_process("profile", "--json", str(host_build), "--runs", "1", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["board"] == "host"


# --- dead ends: oracle name, build id --------------------------------------------------------


def test_build_id_changes_with_what_changes_the_firmware(tmp_path) -> None:
    from edgekit.boards import load_board
    from edgekit.build import build_id

    data = KWS.read_bytes()
    board = load_board("qemu-cortex-m4")
    base = build_id(data, board, "tflite", "best", {})
    others = {build_id(data, board, "tflm", "best", {}),
              build_id(data, board, "tflite", "greedy_by_size", {}),
              build_id(data, load_board("qemu-cortex-m7"), "tflite", "best", {}),
              build_id(data, board, "tflite", "best", {"EK_POWER_SENSOR": "1"}),
              build_id(data + b"\0", board, "tflite", "best", {})}
    assert base == build_id(data, board, "tflite", "best", {})  # stable
    assert base not in others and len(others) == 5


def test_validate_refuses_another_build_of_the_same_model(host_build, tmp_path, capsys) -> None:
    other = tmp_path / "kws-host-greedy"
    assert cli.main(["build", str(KWS), "--board", "host", "-o", str(other), "--planner",
                     "greedy_by_size", "-q"]) == 0
    a = json.loads((host_build / "report.json").read_text())
    b = json.loads((other / "report.json").read_text())
    assert a["model_sha256"] == b["model_sha256"] and a["build_id"] != b["build_id"]
    # Run the other build's firmware, then ask for this build on it.
    from edgekit.device.session import read_build
    from edgekit.targets import target_for
    from edgekit.targets.host import host_process

    build = read_build(other)
    with host_process(target_for(build.board).firmware(build.dir)) as url:
        code, out, err = run_cli(capsys, "validate", str(host_build), "--samples", "1", "--port", url)
    assert code == 2 and "another build of this model" in err and err.count("\n") == 1


# --- consistency -------------------------------------------------------------------------


def test_version_and_overview(capsys) -> None:
    from edgekit import __version__

    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"edgekit {__version__}"
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for words in ("quantize", "build", "flash", "validate", "profile", "example", "edgekit build ",
                  "exit status", "internal error"):
        assert words in text


def test_board_names_are_case_insensitive(capsys) -> None:
    code, out, err = run_cli(capsys, "boards", "QEMU-Cortex-M4", "--json")
    assert code == 0, err
    assert json.loads(out)["boards"][0]["name"] == "qemu-cortex-m4"


def test_piped_tables_keep_full_op_names() -> None:
    proc = run_process("inspect", str(KWS))
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if re.search(r"│\s+1\s+│", line)]
    assert rows and "DEPTHWISE_CONV_2D" in rows[0], proc.stdout[:2000]


def test_old_option_names_still_work_for_one_release(tmp_path, capsys) -> None:
    code, out, err = run_cli(capsys, "build", str(KWS), "--board", "host", "--out", str(tmp_path / "o"),
                             "--json")
    assert code == 0, err
    assert json.loads(out)["board"] == "host" and (tmp_path / "o" / "report.json").is_file()
    assert "--out is now --output" in err


def test_failed_build_leaves_no_folder(tmp_path, capsys) -> None:
    float_model = tmp_path / "float.tflite"
    float_model.write_bytes(b"not a model at all")
    for model, board in ((KWS, "no-such-board"), (float_model, "host")):
        out = tmp_path / f"never-{board}"
        code, _, err = run_cli(capsys, "build", str(model), "--board", board, "-o", str(out))
        assert code == 2 and err.count("\n") == 1, err
        assert not out.exists()


def test_verbose_shows_the_compiler_and_quiet_shows_nothing(tmp_path) -> None:
    proc = run_process("-v", "build", str(KWS), "--board", "qemu-cortex-m4", "-o", str(tmp_path / "v"))
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"^edgekit: \$ \S*arm-none-eabi-gcc .* -c src/model\.c", proc.stderr, re.M)
    proc = run_process("build", str(KWS), "--board", "qemu-cortex-m4", "-o", str(tmp_path / "q"), "-q")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")


# --- numbers that agree ----------------------------------------------------------------------


def test_inspect_json_quantization_is_numbers(capsys) -> None:
    code, out, _ = run_cli(capsys, "inspect", str(KWS), "--json")
    assert code == 0
    ops = json.loads(out)["ops"]
    first_out = ops[0]["outputs"][0]
    assert isinstance(first_out["scale"][0], float) and isinstance(first_out["zero_point"][0], int)
    assert first_out["quantized_dimension"] is None


def test_ram_budget_names_the_limit_it_checks() -> None:
    from edgekit.build import ram_budget

    report = {"board_ram_bytes": 4194304, "board_usable_ram_bytes": 4128768, "arena_bytes": 5000000,
              "ram_bytes": 0, "ram_checked": "arena_bytes"}
    text = ram_budget(report)
    assert "usable 4,128,768 B" in text and "65,536 B kept for the stack" in text


def test_build_report_paths_are_absolute(host_build) -> None:
    report = json.loads((host_build / "report.json").read_text())
    for key in ("model", "model_int8", "project"):
        assert Path(report[key]).is_absolute(), key


# --- C. the README matches --help ----------------------------------------------------------


def test_readme_command_table_matches_help() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## Commands"):]
    rows = re.findall(r"^\| `edgekit (\w+)([^`]*)` \|", table, re.M)
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert [name for name, _ in rows] == [name for name, _, _ in cli.COMMANDS]
    for name, usage in rows:
        options = {s for a in sub.choices[name]._actions for s in a.option_strings
                   if a.help != "==SUPPRESS=="}
        for option in re.findall(r"(--?[a-z][a-z0-9-]*)", usage):
            assert option in options, f"README shows `{option}` for {name}; --help does not"
    for status in ("0 ok", "1 a check failed", "2 a user error", "3 an internal error"):
        assert status in readme


def test_build_shows_both_weight_figures(tmp_path, capsys) -> None:
    code, out, _ = run_cli(capsys, "build", str(KWS), "--board", "qemu-cortex-m4", "-o", str(tmp_path / "b"))
    assert code == 0
    code, inspected, _ = run_cli(capsys, "inspect", str(KWS), "--json")
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    assert report["model_weights_bytes"] == json.loads(inspected)["weights_bytes"] == 24_376
    assert report["weights_bytes"] > report["model_weights_bytes"]
    assert f"{report['weights_bytes']:,}" in out and "24,376" in out and "int16 copies" in out
    assert "RAM check:" in out


# --- friction: ports, monitor, plan picture, quantize flags ------------------------------------


def test_ports_name_the_boards_they_match() -> None:
    from serial.tools.list_ports_common import ListPortInfo

    from edgekit.commands.ports import port_rows

    nucleo = ListPortInfo("/dev/ttyACM7")
    nucleo.vid, nucleo.pid, nucleo.description = 0x0483, 0x374B, "STM32 STLink"
    plain = ListPortInfo("/dev/ttyS3")
    rows = {r["device"]: r for r in port_rows([nucleo, plain])}
    assert rows["/dev/ttyACM7"]["usb_id"] == "0483:374B"
    assert "nucleo_f446re" in rows["/dev/ttyACM7"]["boards"]
    assert rows["/dev/ttyS3"] == {"device": "/dev/ttyS3", "usb_id": None, "description": None, "boards": []}


def test_ports_command_runs(capsys) -> None:
    code, out, _ = run_cli(capsys, "ports", "--json")
    assert code == 0 and isinstance(json.loads(out)["ports"], list)


def test_monitor_prints_the_console_and_stops_after_silence() -> None:
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def board() -> None:
        conn, _ = server.accept()
        threading.Event().wait(0.5)  # opening the port flushes what came before
        for k in range(5):
            conn.sendall(f"tick {k}\r\n".encode())
            threading.Event().wait(0.1)
        threading.Event().wait(3.0)  # then silence, longer than --timeout
        conn.close()

    threading.Thread(target=board, daemon=True).start()
    url = f"socket://127.0.0.1:{server.getsockname()[1]}"
    proc = run_process("monitor", url, "--timeout", "1")
    server.close()
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "".join(f"tick {k}\n" for k in range(5))  # text mode folds \r\n
    assert "Ctrl-C" in proc.stderr


def test_monitor_with_no_device_is_one_line(capsys) -> None:
    code, _, err = run_cli(capsys, "monitor", "socket://127.0.0.1:1", "--timeout", "1")
    assert code == 2 and err.count("\n") == 1 and "cannot open" in err


def test_plan_png_colours_are_distinct_for_many_tensors() -> None:
    from edgekit.memory.report import _colors

    for n in (13, 31, 60, 90):
        assert len(set(map(tuple, _colors(n)))) == n


def test_plan_png_has_a_legend_and_op_indices(tmp_path, capsys) -> None:
    png = tmp_path / "plan.png"
    code, out, _ = run_cli(capsys, "plan", str(KWS), "--png", str(png), "--time-budget", "0.2")
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG"
    assert "activations only" in out
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from edgekit.kernels.lowering import memory_contracts
    from edgekit.load import load_tflite
    from edgekit.memory.plan import plan_best
    from edgekit.memory.report import save_png

    graph = load_tflite(KWS)
    plan = plan_best(graph, alignment=16, time_budget=0.1, contracts=memory_contracts(graph))
    texts: list[str] = []
    real_savefig = plt.Figure.savefig

    def keep_texts(fig, *args, **kwargs):
        texts.extend(t.get_text() for ax in fig.axes for t in ax.texts + ax.get_xticklabels())
        return real_savefig(fig, *args, **kwargs)

    plt.Figure.savefig = keep_texts
    try:
        save_png(plan, graph, tmp_path / "again.png")
    finally:
        plt.Figure.savefig = real_savefig
    assert any(t.startswith("A: ") and graph.tensors[graph.inputs[0]].name[:10] in t for t in texts)
    assert "0 CONV" in texts and any(t.startswith("12 SOFTMAX") for t in texts)


def test_quantize_flags_layers_below_a_threshold_not_by_rank() -> None:
    from edgekit.quantize.report import LayerError, LayerReport, flag_low_sqnr

    def layer(i: int, db: float) -> LayerError:
        return LayerError(i, "CONV_2D", f"t{i}", (1,), 0.1, 0, db, 0.0, 0.0)

    fine = LayerReport(10, [layer(0, 44.0), layer(1, 51.0), layer(2, 60.0), layer(3, 38.0)])
    flag_low_sqnr(fine)
    assert fine.worst() == []  # every layer is fine: nothing is "worst"
    mixed = LayerReport(10, [layer(0, 44.0), layer(1, 12.0), layer(2, 24.9)])
    flag_low_sqnr(mixed)
    assert [la.index for la in mixed.worst()] == [1, 2]


def test_validate_names_tflite_micro_for_a_tflm_build(tmp_path, capsys) -> None:
    out = tmp_path / "kws-tflm"
    assert cli.main(["build", str(KWS), "--board", "host", "--rounding", "tflm", "-o", str(out), "-q"]) == 0
    code, text, err = run_cli(capsys, "validate", str(out), "--samples", "1")
    assert code == 0, err
    assert "1/1 samples bit-exact with TFLite Micro" in text and "reference kernels" not in text
    code, data, _ = run_cli(capsys, "validate", str(out), "--samples", "1", "--json")
    assert json.loads(data)["oracle"] == "tflite-micro"


def test_json_paths_are_absolute(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.chdir(KWS.parent)
    code, out, _ = run_cli(capsys, "inspect", KWS.name, "--json")
    assert code == 0 and json.loads(out)["model"] == str(KWS)
    code, out, _ = run_cli(capsys, "plan", KWS.name, "--json", "--time-budget", "0.1")
    assert code == 0 and json.loads(out)["model"] == str(KWS)
