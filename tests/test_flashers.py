"""edgekit/targets/flashers: probe discovery, command lines and every error path, with fake
flasher programs on PATH (shell scripts that print what the real tools print and exit
with their codes) and a fake sysfs USB tree. Only the USB transfer itself is not run.
"""

from __future__ import annotations

import os
import struct
import subprocess
import time
from pathlib import Path

import pytest

from edgekit.boards import load_board
from edgekit.boot.rp2040 import crc32_mpeg2
from edgekit.device.flash import flash_build
from edgekit.errors import DeviceError
from edgekit.targets.flashers import bossac, openocd, picotool, program, teensy_cli, usb
from tests.device.fakepeer import FakeDevice

MODEL_HASH = "ab" * 32
BUILD_ID = "abababababab"

# What the real tools print (OpenOCD 0.12 with the nrf5 driver, picotool 1.1).
OPENOCD_NRF52840 = """Open On-Chip Debugger 0.12.0
Info : J-Link OB-nRF5340-NordicSemi compiled Nov  7 2022 16:22:01
Info : SWD DPIDR 0x2ba01477
Info : nRF52840-QIAA(build code: D0) 1024kB Flash, 256kB RAM
"""
OPENOCD_NRF52832 = """Open On-Chip Debugger 0.12.0
Info : SWD DPIDR 0x2ba01477
Info : nRF52832-QFAA(build code: E1) 512kB Flash, 64kB RAM
"""
OPENOCD_NO_PROBE = """Open On-Chip Debugger 0.12.0
Error: No J-Link device found.
"""
PICOTOOL_INFO = """Device Information
 type:                  RP2040
 flash size:            2048K
"""


def fake_tool(bin_dir: Path, name: str, outputs: dict[str, tuple[str, int]]) -> None:
    """A shell script `name`: logs its argv, then prints/exits per $FAKE_MODE (or by the
    first argument that matches a key, for multi-step tools)."""
    cases = []
    for key, (text, code) in outputs.items():
        quoted = text.replace("'", "'\\''")
        action = "sleep 30" if key == "hang" else f"printf '%s' '{quoted}'; exit {code}"
        cases.append(f"  *{key}*) {action} ;;")
    script = (
        "#!/bin/sh\n"
        f'printf "%s\\n" "{name} $*" >> "$FAKE_LOG"\n'
        'case "$FAKE_MODE $*" in\n' + "\n".join(cases) + "\n  *) exit 0 ;;\nesac\n"
    )
    path = bin_dir / name
    path.write_text(script)
    path.chmod(0o755)


def usb_device(root: Path, name: str, ids: str, product: str = "", serial: str = "",
               bus: int = 1, address: int = 5, tty: str | None = None) -> None:
    d = root / name
    d.mkdir(parents=True)
    vid, pid = ids.lower().split(":")
    for field, value in (("idVendor", vid), ("idProduct", pid), ("product", product),
                         ("serial", serial), ("busnum", str(bus)), ("devnum", str(address))):
        (d / field).write_text(value + "\n")
    if tty:
        (d / f"{name}:1.0" / "tty" / tty).mkdir(parents=True)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A fake bin dir first on PATH, a fake sysfs, a log of every tool call."""
    bin_dir, sysfs, log = tmp_path / "bin", tmp_path / "sysfs", tmp_path / "calls.log"
    bin_dir.mkdir()
    sysfs.mkdir()
    log.write_text("")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv(usb.SYSFS_ENV, str(sysfs))
    monkeypatch.setenv("FAKE_LOG", str(log))
    monkeypatch.setenv("FAKE_MODE", "ok")
    return {"bin": bin_dir, "sysfs": sysfs, "log": log, "tmp": tmp_path}


@pytest.fixture(scope="module")
def elf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny real ELF in RP2040 flash: 600 bytes of code from 0x10000000."""
    out = tmp_path_factory.mktemp("elf")
    src = out / "t.S"
    src.write_text(".section .text\n.global _start\n_start:\n"
                   + "".join(f".word {i}\n" for i in range(150)))
    path = out / "fw.elf"
    subprocess.run(["arm-none-eabi-gcc", "-mcpu=cortex-m0plus", "-nostdlib",
                    "-Wl,-Ttext=0x10000000", str(src), "-o", str(path)], check=True)
    return path


MODULES = {"openocd": openocd, "picotool": picotool, "teensy-cli": teensy_cli, "bossac": bossac}
PORT = "/dev/ttyFAKE0"  # the serial port the new firmware would answer on (--port)


def flash(board_name: str, elf: Path, port: str | None = PORT):
    """The board's flasher module, as GccBareMetalTarget.flash calls it."""
    board = load_board(board_name)
    return MODULES[board.upload].flash(board, elf, port)


def make_build(tmp: Path, board_name: str, elf: Path) -> Path:
    """A build folder as `edgekit build` leaves it: report.json and the ELF."""
    import json
    import shutil

    project = tmp / "build"
    (project / ".edgekit-build").mkdir(parents=True)
    shutil.copyfile(elf, project / ".edgekit-build" / "firmware.elf")
    (project / "report.json").write_text(json.dumps(
        {"board": board_name, "model_sha256": MODEL_HASH, "build_id": BUILD_ID}))
    return project


def calls(env: dict[str, Path]) -> list[str]:
    return env["log"].read_text().splitlines()


def test_openocd_probe_then_program_then_hello(env, elf) -> None:
    board = load_board("nrf52840dk")
    usb_device(env["sysfs"], "1-2", "1366:1015", "J-Link", "000683123456", tty="ttyACM0")
    usb_device(env["sysfs"], "1-3", "046D:C52B", "USB Receiver")
    fake_tool(env["bin"], "openocd", {"ok": (OPENOCD_NRF52840, 0)})
    device = FakeDevice(model_hash=MODEL_HASH, board="nrf52840dk", build_id=BUILD_ID)
    try:
        result = flash_build(make_build(env["tmp"], board.name, elf), port=device.url)
    finally:
        device.close()
    probe_call, program_call = calls(env)
    common = ("openocd -f interface/jlink.cfg -c transport select swd -c adapter serial "
              "000683123456 -f target/nrf52.cfg")
    assert probe_call == f"{common} -c init -c flash probe 0 -c exit"
    flashed_elf = env["tmp"] / "build" / ".edgekit-build" / "firmware.elf"
    assert program_call == f"{common} -c program {flashed_elf} verify reset exit"
    assert (result.model_sha256, result.port, result.kind) == (MODEL_HASH, device.url, "real")


def test_no_probe_lists_what_was_seen(env, elf) -> None:
    usb_device(env["sysfs"], "1-3", "046D:C52B", "USB Receiver")
    fake_tool(env["bin"], "openocd", {"ok": (OPENOCD_NRF52840, 0)})
    with pytest.raises(DeviceError) as err:
        flash("nrf52840dk", elf)
    message = str(err.value)
    assert message.startswith("no debug probe found (USB id 1366:1015, 1366:0105")
    assert "USB devices seen: 046D:C52B (USB Receiver)" in message
    assert "\n" not in message and calls(env) == []


def test_two_probes_are_refused(env, elf) -> None:
    usb_device(env["sysfs"], "1-2", "1366:1015", "J-Link", "111")
    usb_device(env["sysfs"], "1-4", "1366:0105", "J-Link", "222")
    fake_tool(env["bin"], "openocd", {"ok": (OPENOCD_NRF52840, 0)})
    with pytest.raises(DeviceError, match=r"^2 devices look like the debug probe .*serial 111"
                                          r".*serial 222.*Unplug all but one$"):
        flash("nrf52840dk", elf)
    assert calls(env) == []


def test_wrong_chip_stops_before_writing(env, elf) -> None:
    usb_device(env["sysfs"], "1-2", "1366:1015", "J-Link", "111")
    fake_tool(env["bin"], "openocd", {"ok": (OPENOCD_NRF52832, 0)})
    with pytest.raises(DeviceError) as err:
        flash("nrf52840dk", elf)
    assert str(err.value) == (
        "wrong chip: openocd does not report an nRF52840, which nrf52840dk has (it said: "
        "Info : nRF52832-QFAA(build code: E1) 512kB Flash, 64kB RAM); is the probe on the "
        "right board?")
    assert len(calls(env)) == 1 and "flash probe" in calls(env)[0]  # nothing programmed


def test_failing_flasher_gives_its_error_line(env, elf, monkeypatch) -> None:
    usb_device(env["sysfs"], "1-2", "1366:1015", "J-Link", "111")
    fake_tool(env["bin"], "openocd", {"fail": (OPENOCD_NO_PROBE, 1)})
    monkeypatch.setenv("FAKE_MODE", "fail")
    with pytest.raises(DeviceError) as err:
        flash("nrf52840dk", elf)
    assert str(err.value) == ("probing the chip nrf52840dk: openocd failed (exit 1): "
                              "Error: No J-Link device found.")


def test_hanging_flasher_is_killed_at_the_timeout(env, elf, monkeypatch) -> None:
    usb_device(env["sysfs"], "1-2", "1366:1015", "J-Link", "111")
    fake_tool(env["bin"], "openocd", {"hang": ("", 0)})
    monkeypatch.setenv("FAKE_MODE", "hang")
    start = time.monotonic()
    monkeypatch.setattr(program, "TOOL_TIMEOUT_S", 1.0)
    with pytest.raises(DeviceError, match=r"openocd did not finish within 1 s \(killed\)"):
        flash("nrf52840dk", elf)
    assert time.monotonic() - start < 10


def test_missing_tool_names_its_package(env, elf, monkeypatch) -> None:
    usb_device(env["sysfs"], "1-2", "16C0:0478", "HalfKay")
    monkeypatch.setenv("PATH", str(env["bin"]) + os.pathsep + "/usr/bin")  # no teensy_loader_cli
    with pytest.raises(DeviceError, match=r"^teensy_loader_cli not found on PATH: install it "
                                          r"\(Debian/Ubuntu: apt install teensy-loader-cli\)$"):
        flash("teensy41", elf)


def uf2_blocks(data: bytes) -> list[tuple[int, int, int, int, bytes]]:
    blocks = []
    for i in range(0, len(data), 512):
        block = data[i:i + 512]
        m0, m1, flags, addr, size, number, total, family = struct.unpack("<8I", block[:32])
        assert (m0, m1, struct.unpack("<I", block[508:])[0]) == (0x0A324655, 0x9E5D5157,
                                                                 0x0AB16F30)
        assert flags == 0x2000 and family == 0xE48BFF56
        blocks.append((addr, size, number, total, block[32:32 + size]))
    return blocks


def test_picotool_checks_the_chip_and_loads_a_uf2(env, elf) -> None:
    usb_device(env["sysfs"], "3-1", "2E8A:0003", "RP2 Boot", bus=3, address=17)
    fake_tool(env["bin"], "picotool", {"info": (PICOTOOL_INFO, 0),
                                       "load": ("Loading into Flash: [====] 100%\n", 0)})
    flash("rpi_pico", elf)
    uf2 = elf.with_suffix(".uf2")
    assert calls(env) == ["picotool info -d --bus 3 --address 17",
                          f"picotool load -v -x {uf2} --bus 3 --address 17"]
    blocks = uf2_blocks(uf2.read_bytes())
    flat = b"".join(b[4] for b in blocks)
    assert [b[0] for b in blocks] == [0x10000000 + 256 * i for i in range(len(blocks))]
    assert {b[3] for b in blocks} == {len(blocks)} and len(blocks) == 3  # 600 bytes of code
    assert flat[:600] == b"".join(struct.pack("<I", i) for i in range(150))


def test_picotool_on_another_chip_is_refused(env, elf, monkeypatch) -> None:
    usb_device(env["sysfs"], "3-1", "2E8A:0003", "RP2 Boot")
    fake_tool(env["bin"], "picotool", {"info": ("Device Information\n type: RP2350\n", 0)})
    with pytest.raises(DeviceError, match=r"^wrong chip: picotool does not report an RP2040"):
        flash("rpi_pico", elf)
    assert all("load" not in c for c in calls(env))


def test_uf2_copy_when_picotool_is_missing(env, elf, monkeypatch) -> None:
    drive = env["tmp"] / "media" / "RPI-RP2"
    drive.mkdir(parents=True)
    (drive / "INFO_UF2.TXT").write_text("UF2 Bootloader v3.0\nModel: Raspberry Pi RP2\n"
                                        "Board-ID: RPI-RP2\n")
    mounts = env["tmp"] / "mounts"
    mounts.write_text(f"/dev/sda1 {drive} vfat rw 0 0\nproc /proc proc rw 0 0\n")
    monkeypatch.setenv("EDGEKIT_MOUNTS", str(mounts))
    monkeypatch.setenv("PATH", str(env["bin"]) + os.pathsep + "/usr/bin")  # no picotool
    result = flash("rpi_pico", elf)
    assert calls(env) == [] and result.link_url == PORT
    assert (drive / "fw.uf2").read_bytes() == elf.with_suffix(".uf2").read_bytes()


def test_no_uf2_drive_and_no_picotool(env, elf, monkeypatch) -> None:
    mounts = env["tmp"] / "mounts"
    mounts.write_text("proc /proc proc rw 0 0\n")
    monkeypatch.setenv("EDGEKIT_MOUNTS", str(mounts))
    monkeypatch.setenv("PATH", str(env["bin"]) + os.pathsep + "/usr/bin")
    with pytest.raises(DeviceError, match=r"^picotool not found on PATH"):
        flash("rpi_pico", elf)


def test_teensy_loader_gets_an_intel_hex(env, elf) -> None:
    usb_device(env["sysfs"], "1-1", "16C0:0478", "HalfKay")
    fake_tool(env["bin"], "teensy_loader_cli", {"ok": ("Teensy Loader, Command Line, Version 2.2\n"
                                                       "Found HalfKay Bootloader\nBooting\n", 0)})
    flash("teensy41", elf)
    image = elf.with_suffix(".hex")
    assert calls(env) == [f"teensy_loader_cli --mcu=TEENSY41 -v {image}"]
    assert image.read_text().startswith(":02000004")  # extended address record


def test_bossac_uses_the_boot_loaders_serial_port(env, elf) -> None:
    usb_device(env["sysfs"], "1-1", "2341:005A", "Nano 33 BLE", tty="ttyACM3")
    fake_tool(env["bin"], "bossac", {"ok": ("Erase flash\nWrite 600 bytes to flash\n", 0)})
    flash("nano33ble", elf)
    image = elf.with_suffix(".bin")
    assert calls(env) == [f"bossac --port=ttyACM3 -U -i -e -w {image} -R"]
    assert image.stat().st_size == 600


def test_hello_from_another_build_is_an_error(env, elf) -> None:
    usb_device(env["sysfs"], "1-2", "1366:1015", "J-Link", "111")
    fake_tool(env["bin"], "openocd", {"ok": (OPENOCD_NRF52840, 0)})
    device = FakeDevice(model_hash=MODEL_HASH, board="nrf52840dk", build_id="0123456789ab")
    try:
        with pytest.raises(DeviceError, match=r"^nrf52840dk was flashed, but the new firmware did not "
                                              r"answer as expected on .*another build of this model "
                                              r"\(device runs build 0123456789ab, this build is abababababab"):
            flash_build(make_build(env["tmp"], "nrf52840dk", elf), port=device.url)
    finally:
        device.close()


def test_no_hello_after_flashing_times_out(env, elf, monkeypatch) -> None:
    usb_device(env["sysfs"], "1-2", "1366:1015", "J-Link", "111")
    fake_tool(env["bin"], "openocd", {"ok": (OPENOCD_NRF52840, 0)})
    device = FakeDevice(faults={0: "dead"})
    start = time.monotonic()
    try:
        with pytest.raises(DeviceError, match=r"^nrf52840dk was flashed, but the new firmware "
                                              r"did not answer as expected on socket://"):
            flash_build(make_build(env["tmp"], "nrf52840dk", elf), port=device.url)
    finally:
        device.close()
    assert time.monotonic() - start < 40  # DeviceLink: 5 attempts of 5 s


def test_serial_port_found_by_the_adapters_usb_id(env) -> None:
    usb_device(env["sysfs"], "1-5", "0403:6001", "FT232R USB UART", tty="ttyUSB0")
    assert program.serial_port(load_board("teensy41"), None) == "/dev/ttyUSB0"


def test_boot2_block_carries_its_crc() -> None:
    from edgekit.boot.rp2040 import assemble_boot2
    from edgekit.resources import data_dir

    bsp = data_dir("firmware") / "bsp" / "rp2040"
    block = assemble_boot2(bsp / "ek_rp2040_boot2.S")
    assert len(block) == 256
    assert struct.unpack("<I", block[252:])[0] == crc32_mpeg2(block[:252])
    assert crc32_mpeg2(b"123456789") == 0x0376E6E7  # the CRC-32/MPEG-2 check value
    # The committed C array is the assembled source (regenerate with boot2_c_source).
    text = (bsp / "ek_rp2040_boot2.c").read_text()
    assert bytes(int(tok, 16) for tok in text.split("{", 1)[1].split("}")[0].split(",")) == block


def test_bossac_asks_a_running_sketch_for_its_boot_loader(env, elf, monkeypatch) -> None:
    usb_device(env["sysfs"], "1-1", "2341:805A", "Nano 33 BLE", tty="ttyACM0")
    fake_tool(env["bin"], "bossac", {"ok": ("Write 600 bytes to flash\n", 0)})
    touched = []

    def reboot_into_boot_loader(tty: str) -> None:  # what the board does on a 1200-baud open
        touched.append(tty)
        import shutil

        shutil.rmtree(env["sysfs"] / "1-1")
        usb_device(env["sysfs"], "1-1", "2341:005A", "Nano 33 BLE", tty="ttyACM1")

    monkeypatch.setattr(bossac, "touch_1200", reboot_into_boot_loader)
    flash("nano33ble", elf)
    assert touched == ["/dev/ttyACM0"]
    assert calls(env) == [f"bossac --port=ttyACM1 -U -i -e -w {elf.with_suffix('.bin')} -R"]


@pytest.mark.parametrize("case", ["no probe", "two probes", "wrong chip", "tool fails", "hang"])
def test_cli_flash_errors_are_one_line_exit_2(case, env, elf, capsys, monkeypatch) -> None:
    from edgekit.cli import main

    if case != "no probe":
        usb_device(env["sysfs"], "1-2", "1366:1015", "J-Link", "111")
    if case == "two probes":
        usb_device(env["sysfs"], "1-4", "1366:0105", "J-Link", "222")
    output = {"wrong chip": (OPENOCD_NRF52832, 0), "tool fails": (OPENOCD_NO_PROBE, 1)}
    fake_tool(env["bin"], "openocd", {"ok": output.get(case, (OPENOCD_NRF52840, 0)),
                                      "hang": ("", 0)})
    if case == "hang":
        monkeypatch.setenv("FAKE_MODE", "hang")
        monkeypatch.setattr(program, "TOOL_TIMEOUT_S", 1.0)
    code = main(["flash", str(make_build(env["tmp"], "nrf52840dk", elf)), "--port", PORT])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1, (out, err)
    expected = {"no probe": "no debug probe found", "two probes": "2 devices look like",
                "wrong chip": "wrong chip: openocd", "tool fails": "Error: No J-Link device found.",
                "hang": "did not finish within 1 s"}[case]
    assert expected in err and "Traceback" not in err


OPENOCD_STM32L4R5 = """Open On-Chip Debugger 0.12.0
Info : STLINK V2J39M27 (API v2) VID:PID 0483:374B
Info : device idcode = 0x10076470 (STM32L4R/L4Sxx - Rev Y : 0x1001)
Info : flash size = 2048 KiB
"""


def test_stm32_boards_flash_through_the_st_link_with_openocd(env, elf) -> None:
    usb_device(env["sysfs"], "1-2", "0483:374B", "STM32 STLink", "0670FF3631", tty="ttyACM0")
    fake_tool(env["bin"], "openocd", {"ok": (OPENOCD_STM32L4R5, 0)})
    device = FakeDevice(model_hash=MODEL_HASH, board="nucleo_l4r5zi", build_id=BUILD_ID)
    try:
        result = flash_build(make_build(env["tmp"], "nucleo_l4r5zi", elf), port=device.url)
    finally:
        device.close()
    probe_call, program_call = calls(env)
    common = "openocd -f interface/stlink.cfg -c adapter serial 0670FF3631 -f target/stm32l4x.cfg"
    assert probe_call == f"{common} -c init -c flash probe 0 -c exit"
    assert program_call.startswith(f"{common} -c program ") and program_call.endswith(" verify reset exit")
    assert (result.model_sha256, result.kind) == (MODEL_HASH, "real")


def test_an_stm32_board_with_another_chip_is_not_written(env, elf) -> None:
    usb_device(env["sysfs"], "1-2", "0483:374B", "STM32 STLink", "0670FF3631")
    fake_tool(env["bin"], "openocd", {"ok": (OPENOCD_STM32L4R5, 0)})
    with pytest.raises(DeviceError, match=r"^wrong chip: openocd does not report an STM32L47/L48xx"):
        flash("disco_l475vg_iot01a", elf)
    assert len(calls(env)) == 1  # the probe ran; nothing was programmed
