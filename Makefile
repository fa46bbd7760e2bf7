# `make demo` and `make test` each set themselves up on a fresh Debian machine:
# a .venv with edgekit installed (pip install -e .[dev]) and, when missing, the Arm and
# RISC-V cross toolchains and QEMU from Debian's packages.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.edgekit-installed
APT_PACKAGES := gcc-arm-none-eabi libnewlib-arm-none-eabi \
	gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
# QEMU >= 9 emulates real STM32 chips (b-l475e-iot01a, netduinoplus2): Debian 13 has it,
# Debian 12 takes it from bookworm-backports.
APT_QEMU := qemu-system-arm qemu-system-misc
DEBIAN_CODENAME := $(shell . /etc/os-release 2>/dev/null && echo $$VERSION_CODENAME)
ifeq ($(DEBIAN_CODENAME),bookworm)
APT_QEMU_SOURCE := echo 'deb http://deb.debian.org/debian bookworm-backports main' > /etc/apt/sources.list.d/edgekit-backports.list &&
APT_QEMU_RELEASE := -t bookworm-backports
endif
qemu_major = qemu-system-arm --version 2>/dev/null | sed -n 's/.*version \([0-9]*\)\..*/\1/p'
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
	@if command -v arm-none-eabi-gcc >/dev/null && command -v riscv64-unknown-elf-gcc >/dev/null \
	    && command -v qemu-system-riscv32 >/dev/null && [ "$$($(qemu_major))" -ge 9 ] 2>/dev/null; then \
	  :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing the cross toolchains and QEMU >= 9 (apt-get)"; \
	  $(APT_QEMU_SOURCE) \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(APT_PACKAGES) >/dev/null && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $(APT_QEMU_RELEASE) $(APT_QEMU) >/dev/null; \
	else \
	  echo "error: missing toolchain or QEMU < 9; as root run: apt-get update && apt-get install -y --no-install-recommends $(APT_PACKAGES) $(APT_QEMU) (QEMU >= 9: bookworm-backports on Debian 12)" >&2; \
	  exit 2; \
	fi

demo: setup
	$(BIN)/python examples/demo.py

test: setup
	$(BIN)/ruff check edgekit tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -q

test-fast: setup
	$(BIN)/python -m pytest -n $(JOBS) --dist loadgroup -q -m "not slow"

lint: setup
	$(BIN)/ruff check edgekit tests benchmarks examples
	$(BIN)/mypy

clean:
	rm -rf build .pytest_cache
