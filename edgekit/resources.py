"""Where templates/, boards/ and firmware/ live: inside the wheel, or in the source tree."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder `name` (templates, boards or firmware).

    A built wheel carries them in edgekit/_data/; an editable install reads them from
    the top of the source tree, beside the package.
    """
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"edgekit data folder {name!r} is missing from the installation")
