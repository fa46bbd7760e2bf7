"""The arduino, espidf, zephyr and platformio exports: the files each tool needs, valid
manifests, and a C compile of the sources as each manifest lists them, with that tool's
defines. These layouts are NOT built by the Arduino IDE/CLI, ESP-IDF, west or PlatformIO
here (none of them is installed): only by gcc, with the include paths and sources the
manifests name."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from edgekit.boards import load_board
from edgekit.export import ExportRequest, export_models

ARDUINO_FIELDS = ("name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url",
                  "architectures")
ARDUINO_CATEGORIES = ("Display", "Communication", "Signal Input/Output", "Sensors", "Device Control", "Timing",
                      "Data Storage", "Data Processing", "Other")
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


@pytest.fixture(scope="module")
def exports(mlperf_models, tmp_path_factory):
    """AD and KWS exported in each format (one library, shared arena)."""
    root = tmp_path_factory.mktemp("formats")
    models = [mlperf_models["ad"], mlperf_models["kws"]]
    return {fmt: export_models(ExportRequest(models=models, board="qemu-cortex-m4", out_dir=root / fmt,
                                             format=fmt, names=["ad", "kws"])).out_dir
            for fmt in ("c", "arduino", "espidf", "zephyr", "platformio")}


def compile_sources(sources: list[Path], includes: list[Path], defines: list[str], work: Path,
                    cc: str = "cc", cflags: tuple[str, ...] = ()) -> None:
    """Every source compiles with -Wall -Wextra -Werror, and the objects link into one
    relocatable object (no symbol defined twice across the models)."""
    work.mkdir(parents=True, exist_ok=True)
    objects = []
    for source in sources:
        obj = work / (source.stem + ".o")
        command = [cc, *cflags, "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", *[f"-D{d}" for d in defines],
                   *[f"-I{i}" for i in includes], "-c", str(source), "-o", str(obj)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        objects.append(obj)
    result = subprocess.run([cc, *cflags, "-nostdlib", "-r", *map(str, objects), "-o", str(work / "all.o")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]


def test_arduino_library(exports, tmp_path):
    out = exports["arduino"]
    props = dict(line.split("=", 1) for line in (out / "library.properties").read_text().splitlines() if line)
    assert all(props.get(f) for f in ARDUINO_FIELDS), props
    assert props["category"] in ARDUINO_CATEGORIES and SEMVER.match(props["version"])
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.\- ]*", props["name"])
    src = out / "src"
    for header in props["includes"].split(","):
        assert (src / header.strip()).is_file()
    assert not (out / "include").exists()  # Arduino compiles src/ only
    sketches = list((out / "examples").iterdir())
    assert len(sketches) == 1 and (sketches[0] / f"{sketches[0].name}.ino").is_file()  # folder = sketch name
    sketch = (sketches[0] / f"{sketches[0].name}.ino").read_text()
    header = (src / "ad.h").read_text()
    for call in set(re.findall(r"\b(ad_\w+)\(", sketch)):
        assert re.search(rf"\b{call}\(", header), call  # the sketch calls the public API only
    compile_sources(sorted(src.glob("*.c")), [src], ["ARDUINO=10819", "ARDUINO_ARCH_SAMD"], tmp_path / "host")
    board = load_board("qemu-cortex-m4")
    compile_sources(sorted(src.glob("*.c")), [src], ["ARDUINO=10819", "ARDUINO_ARCH_SAMD"], tmp_path / "arm",
                    cc="arm-none-eabi-gcc", cflags=board.cflags)


def _cmake_list(text: str, keyword: str) -> list[str]:
    """The arguments after KEYWORD in a CMake call, up to the next upper-case keyword."""
    match = re.search(rf"\b{keyword}\b(.*?)(?=\b[A-Z_]{{4,}}\b|\))", text, re.S)
    assert match, keyword
    return [w.strip('"(') for w in match.group(1).split() if w.strip('"(')]


def test_espidf_component(exports, tmp_path):
    out = exports["espidf"]
    cmake = (out / "CMakeLists.txt").read_text()
    assert "idf_component_register(" in cmake and "project(" not in cmake  # a component, not a project
    sources = _cmake_list(cmake, "SRCS")
    assert sorted(sources) == sorted(f"src/{p.name}" for p in (out / "src").glob("*.c"))
    includes = _cmake_list(cmake, "INCLUDE_DIRS") + _cmake_list(cmake, "PRIV_INCLUDE_DIRS")
    assert (out / "include" / "ad.h").is_file() and (out / "include" / "kws.h").is_file()
    manifest = yaml.safe_load((out / "idf_component.yml").read_text())
    assert SEMVER.match(manifest["version"]) and "idf" in manifest["dependencies"]
    compile_sources([out / s for s in sources], [out / i for i in includes],
                    ["ESP_PLATFORM=1", 'IDF_VER="v5.2"'], tmp_path)


def test_zephyr_module(exports, tmp_path):
    out = exports["zephyr"]
    module = yaml.safe_load((out / "zephyr" / "module.yml").read_text())
    assert module["name"] == "ad_shared"
    assert (out / module["build"]["cmake"] / "CMakeLists.txt").is_file()
    kconfig = (out / module["build"]["kconfig"]).read_text()
    symbol = re.search(r"^config (\w+)$", kconfig, re.M)
    assert symbol and "bool" in kconfig
    cmake = (out / "CMakeLists.txt").read_text()
    assert f"if(CONFIG_{symbol.group(1)})" in cmake and "zephyr_library()" in cmake
    sources = _cmake_list(cmake, "zephyr_library_sources")
    assert sorted(sources) == sorted(f"src/{p.name}" for p in (out / "src").glob("*.c"))
    includes = re.findall(r"zephyr_(?:library_)?include_directories\((\w+)\)", cmake)
    assert sorted(includes) == ["include", "src"]
    compile_sources([out / s for s in sources], [out / i for i in includes],
                    ["__ZEPHYR__=1", f"CONFIG_{symbol.group(1)}=1"], tmp_path)


def test_platformio_library(exports, tmp_path):
    out = exports["platformio"]
    manifest = json.loads((out / "library.json").read_text())
    assert manifest["name"] == "ad_shared" and SEMVER.match(manifest["version"])
    src, include = out / manifest["build"]["srcDir"], out / manifest["build"]["includeDir"]
    assert (include / "ad.h").is_file() and any(src.glob("*.c"))
    compile_sources(sorted(src.glob("*.c")), [include, src], ["PLATFORMIO=60111"], tmp_path)


def test_c_export_is_files_only(exports):
    out = exports["c"]
    assert sorted(p.name for p in out.iterdir()) == ["export.json", "include", "src"]
