# `make demo` and `make test` each set themselves up on a fresh Debian machine:
# a .venv with edgekit installed (pip install -e .[dev]) and, when missing, the Arm and
# RISC-V cross toolchains and QEMU from Debian's packages.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.edgekit-installed
APT_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm \
	gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf qemu-system-misc
JOBS ?= 2
# Keep PlatformIO offline and out of ~/.platformio (see EMULATION.md).
export PLATFORMIO_SETTING_ENABLE_TELEMETRY := no
export PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL := 36500
export PLATFORMIO_DISABLE_UPGRADE_CHECK := true
export TF_CPP_MIN_LOG_LEVEL := 2

.PHONY: setup toolchain demo test test-fast lint clean

setup: $(STAMP) toolchain

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
# edgekit optimize/.h5: tf-keras and TFMOT without their deps (they would pull the full tensorflow wheel over tensorflow-cpu)
	$(BIN)/pip install --quiet --no-deps 'tf-keras~=2.21.0' 'tensorflow-model-optimization==0.8.1' 'dm-tree>=0.1.8' mock attrs
	touch $(STAMP)

toolchain:
	@if command -v arm-none-eabi-gcc >/dev/null && command -v qemu-system-arm >/dev/null \
	    && command -v riscv64-unknown-elf-gcc >/dev/null && command -v qemu-system-riscv32 >/dev/null; then \
	  :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing the cross toolchains and QEMU (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(APT_PACKAGES) >/dev/null; \
	else \
	  echo "error: missing toolchain; as root run: apt-get update && apt-get install -y --no-install-recommends $(APT_PACKAGES)" >&2; \
	  exit 2; \
	fi

demo: setup
	$(BIN)/python examples/demo.py

test: setup
	$(BIN)/ruff check edgekit tests benchmarks examples
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -q

test-fast: setup
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -q -m "not slow"

lint: setup
	$(BIN)/ruff check edgekit tests benchmarks examples

clean:
	rm -rf build .pytest_cache
