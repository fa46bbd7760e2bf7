"""The C names of exported models: identifiers that cannot collide in one image."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from edgekit.errors import UsageError

_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Prefixes the kernels and their headers use: a model called "ek" would shadow them.
_RESERVED = ("ek", "edgekit")


def default_name(model: Path) -> str:
    """A C identifier from the model's file name: kws_ds_cnn_int8.tflite -> kws_ds_cnn_int8."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", model.stem).strip("_").lower()
    if not name or not name[0].isalpha():
        name = f"model_{name}"
    return name


def check_names(names: Sequence[str]) -> None:
    """Each name is a C identifier, none is reserved, and no two can collide: equal up to
    case (one header file on a case-insensitive disk), or one the other plus "_..."
    (kws_small_init would be both model kws_small's init and a symbol of kws)."""
    for name in names:
        if not _IDENTIFIER.match(name):
            raise UsageError(f"model name {name!r} is not a C identifier (letters, digits, _; a letter first)")
        if name.lower() in _RESERVED or name.lower().startswith("ek_"):
            raise UsageError(f"model name {name!r} is reserved (ek_* are the kernels' symbols): pick another --name")
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            if a.lower() == b.lower():
                raise UsageError(f"two models are named {a!r}{'' if a == b else f' and {b!r}'}: "
                                 "give each its own --name")
            short, long = sorted((a, b), key=len)
            if long.lower().startswith(short.lower() + "_"):
                raise UsageError(f"model names {short!r} and {long!r} clash ({long}_* symbols could be "
                                 f"{short}'s): pick names where neither starts with the other plus '_'")
