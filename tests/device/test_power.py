"""Power measurement paths: the INA219/INA226 driver in the real firmware (against a
register-level fake chip on the host build's I2C HAL) and the PPK2 byte protocol
(against a fake PPK2 on a socket)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from edgekit.device import ppk2
from edgekit.device.link import DeviceLink
from edgekit.errors import DeviceError
from tests.device import standin
from tests.device.conftest import HostFirmware
from tests.device.fakeppk2 import FakePPK2

# ---- INA219 / INA226 in the firmware ----

SHUNT_RAW = 1234   # shunt-voltage register (signed)
BUS_RAW_219 = (3300 // 4) << 3  # 3.300 V: bits 15..3, 4 mV per LSB
BUS_RAW_226 = 2640  # 3.300 V: 1.25 mV per LSB


def power_firmware(tmp_path, sensor: int, **defines) -> HostFirmware:
    # The fake chip (fake_ina.c) takes its register values from -D flags.
    exe = standin.build_host_firmware(tmp_path, power_sensor=sensor,
                                      extra_sources=(standin.FW_DIR / "fake_ina.c",),
                                      extra_flags=tuple(f"-D{k}={v}" for k, v in defines.items()))
    return HostFirmware(exe)


@pytest.mark.parametrize("sensor,bus_raw,shunt_lsb_uv,bus_lsb_mv,name", [
    (1, BUS_RAW_219, 10.0, 4.0, "INA219"),
    (2, BUS_RAW_226, 2.5, 1.25, "INA226"),
])
def test_power_frame_from_the_sensor_registers(tmp_path, sensor, bus_raw, shunt_lsb_uv,
                                               bus_lsb_mv, name) -> None:
    fw = power_firmware(tmp_path, sensor, FAKE_SHUNT_RAW=SHUNT_RAW, FAKE_BUS_RAW=bus_raw)
    try:
        with DeviceLink.open(fw.path, timeout=1.0) as link:
            fw.release()
            assert link.hello().has_power_sensor
            reading = link.power()
    finally:
        fw.stop()
    # Datasheet conversions with the default 0.1 ohm shunt.
    bus_v = ((bus_raw >> 3) if sensor == 1 else bus_raw) * bus_lsb_mv / 1000
    current_a = SHUNT_RAW * shunt_lsb_uv * 1e-6 / 0.1
    assert reading.sensor == name
    assert reading.bus_mv == pytest.approx(bus_v * 1000)
    assert reading.current_ma == pytest.approx(current_a * 1000)
    assert reading.power_uw == pytest.approx(bus_v * current_a * 1e6, abs=1)


def test_missing_sensor_is_a_clear_error(tmp_path) -> None:
    fw = power_firmware(tmp_path, 1, FAKE_NACK=1)
    try:
        with DeviceLink.open(fw.path, timeout=1.0) as link:
            fw.release()
            with pytest.raises(DeviceError, match="INA219 power sensor did not answer"):
                link.power()
    finally:
        fw.stop()


# ---- PPK2 ----

METADATA = ("Calibrated: 0\nR0: 1031.64\nR1: 101.65\nR2: 10.15\nR3: 0.94\nR4: 0.043\n"
            "GS0: 0\nGS1: 0\nGS2: 0\nGS3: 0\nGS4: 0\nGI0: 1\nGI1: 1\nGI2: 1\nGI3: 1\nGI4: 1\n"
            "O0: 112\nO1: 75\nO2: 66\nO3: 64\nO4: 79\nS0: 0\nS1: 0\nS2: 0\nS3: 0\nS4: 0\n"
            "I0: 0\nI1: 0\nI2: 0\nI3: 0\nI4: 0\nUG0: 1\nUG1: 1\nUG2: 1\nUG3: 1\nUG4: 1\n"
            "HW: 9173\nmode: 2\nIA: 56\nEND\n")


def amps(adc: int, rng: int) -> float:
    r = [1031.64, 101.65, 10.15, 0.94, 0.043][rng]
    o = [112, 75, 66, 64, 79][rng]
    return (4 * adc - o) * (1.8 / 163840) / r


def test_metadata_parse() -> None:
    cal = ppk2.parse_metadata(METADATA)
    assert cal.r[2] == 10.15 and cal.o[4] == 79 and cal.gs == (0.0,) * 5


def test_ppk2_measures_mean_current_while_the_action_runs() -> None:
    samples = [(5000, 2), (9000, 1), (3000, 3)]
    fake = FakePPK2(METADATA, samples)
    try:
        with ppk2.PPK2(fake.url) as meter:
            cal = meter.calibration()
            meter.source_meter(3300)
            mean, count = meter.measure(cal, lambda: time.sleep(0.2))
    finally:
        fake.close()
    assert fake.commands[:4] == [(0x19,), (0x11, 2), (0x0D, 3300 >> 8, 3300 & 0xFF), (0x0C, 1)]
    assert fake.commands[4:] == [(0x06,), (0x07,)]
    assert count >= 100  # the fake streams ~100 samples per ms
    # The fake sends the samples round-robin from the first: the mean of exactly those.
    expected = np.mean([amps(*samples[k % len(samples)]) for k in range(count)])
    assert mean == pytest.approx(expected, rel=1e-9)


def test_ppk2_that_does_not_answer_is_a_clear_error() -> None:
    fake = FakePPK2(METADATA, [(1, 1)], silent=True)
    try:
        with ppk2.PPK2(fake.url, timeout=0.5) as meter, \
                pytest.raises(DeviceError, match="no PPK2 answered"):
            meter.calibration()
    finally:
        fake.close()


def test_ppk2_voltage_out_of_range() -> None:
    fake = FakePPK2(METADATA, [(1, 1)])
    try:
        with ppk2.PPK2(fake.url) as meter, pytest.raises(DeviceError, match="800-5000 mV"):
            meter.set_voltage(6000)
    finally:
        fake.close()


def test_profile_energy_from_ppk2(fake_device, tmp_path) -> None:
    from edgekit.profile.run import profile_build

    build = standin.write_build(tmp_path, "nucleo_f446re", compile_elf=False, model_hash="ab" * 32)
    dev = fake_device(emulated=False, build_id=("ab" * 32)[:12])
    samples = [(4000, 2)]
    fake = FakePPK2(METADATA, samples)
    try:
        result = profile_build(build, port=dev.url, runs=3, ppk2=fake.url, ppk2_mv=3000)
    finally:
        fake.close()
    mw = amps(4000, 2) * 3000
    assert result.energy.mw == pytest.approx(mw)
    assert result.energy.uj == pytest.approx(mw * result.total_us / 1000)
    assert "PPK2" in result.energy.source
