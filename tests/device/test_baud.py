"""`build --baud N` for real boards: the firmware opens its UART at N and validate and
profile talk at N (issue 19: at 115200 a VWW input takes 2.4 s)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from edgekit import cli
from edgekit.device.link import DeviceLink

KWS = Path("/work/shared/models/kws_ds_cnn_int8.tflite")
if not KWS.is_file():
    KWS = Path(__file__).resolve().parents[3] / "shared" / "models" / "kws_ds_cnn_int8.tflite"
KWS_IN, KWS_OUT = 490, 12


def test_build_baud_reaches_firmware_and_link(tmp_path, fake_device, capsys, monkeypatch) -> None:
    out = tmp_path / "kws-f446"
    assert cli.main(["build", str(KWS), "--board", "nucleo_f446re", "--baud", "921600", "-o", str(out),
                     "-q"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["baud"] == 921600
    project_text = "\n".join(p.read_text(errors="replace") for p in out.rglob("*")
                             if p.is_file() and p.suffix in (".h", ".ini", ".json"))
    assert "#define EK_BSP_BAUD 921600u" in project_text  # the bare-metal BSP's UART rate
    arduino = tmp_path / "kws-f446-arduino"
    assert cli.main(["build", str(KWS), "--board", "nucleo_f446re", "--baud", "921600", "--framework",
                     "arduino", "-o", str(arduino), "-q"]) == 0
    ini = (arduino / "platformio.ini").read_text()
    header = (arduino / "src" / "bsp" / "ek_bsp_board.h").read_text()
    assert "monitor_speed = 921600" in ini and "921600u" in header

    opened: list[int] = []
    real_open = DeviceLink.open.__func__

    def spy(cls, url, *, baudrate=115200, **kwargs):
        opened.append(baudrate)
        return real_open(cls, url, baudrate=baudrate, **kwargs)

    monkeypatch.setattr(DeviceLink, "open", classmethod(spy))
    dev = fake_device(model_hash=report["model_sha256"], build_id=report["build_id"], in_bytes=KWS_IN,
                      out_bytes=KWS_OUT, emulated=False, num_ops=len(report["ops"]))
    code = cli.main(["profile", str(out), "--runs", "1", "--json", "--port", dev.url])
    assert code == 0, capsys.readouterr().err
    assert opened == [921600]
    # Another rate is another firmware: its build id differs.
    other = tmp_path / "kws-f446-default"
    assert cli.main(["build", str(KWS), "--board", "nucleo_f446re", "-o", str(other), "-q"]) == 0
    assert json.loads((other / "report.json").read_text())["build_id"] != report["build_id"]


@pytest.mark.parametrize("board", ["qemu-cortex-m4", "host"])
def test_baud_is_refused_where_there_is_no_serial_rate(tmp_path, capsys, board) -> None:
    code = cli.main(["build", str(KWS), "--board", board, "--baud", "921600", "-o", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and "--baud is for real boards" in err
    assert not (tmp_path / "x").exists()
