"""MLPerf Tiny data sets in the benchmark runner's layout.

A folder holds y_labels.csv and the binary input files it names. Each row of
y_labels.csv is `file, classes, class` and, for ad01, `bytes_to_send, stride`: one file
is then cut into windows of bytes_to_send bytes every stride bytes (benchmark/runner/
datasets.py and script.py). Either the folder itself or FOLDER/<model id>/ may hold it.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from edgekit.errors import DataError

TRUTH_FILE = "y_labels.csv"


@dataclass(frozen=True)
class Sample:
    file: Path
    label: int
    windows: tuple[bytes, ...]  # what the DUT receives, one `db load` each


def dataset_dir(folder: Path, model_id: str) -> Path:
    for candidate in (folder, folder / model_id):
        if (candidate / TRUTH_FILE).is_file():
            return candidate
    raise DataError(f"{folder} has no {TRUTH_FILE} (nor {folder / model_id / TRUTH_FILE}): "
                    "an MLPerf Tiny data set is y_labels.csv and the input files it names")


def _int(row: dict[str, str | None], key: str, where: str) -> int:
    value = (row.get(key) or "").strip()
    try:
        return int(value)
    except ValueError:
        raise DataError(f"{where}: column {key!r} is {value!r}, not a whole number") from None


def read_dataset(folder: str | Path, model_id: str, window_bytes: int) -> list[Sample]:
    """Every sample of the data set, cut into the windows the DUT is sent.

    `window_bytes` is one input's size; ad01 rows give their own bytes_to_send and stride.
    """
    root = dataset_dir(Path(folder), model_id)
    with open(root / TRUTH_FILE, newline="") as f:
        rows = list(csv.DictReader(f, fieldnames=["file", "classes", "class", "bytes_to_send", "stride"]))
    if not rows:
        raise DataError(f"{root / TRUTH_FILE} is empty")
    samples = []
    for number, row in enumerate(rows, 1):
        where = f"{root / TRUTH_FILE} line {number}"
        name = (row.get("file") or "").strip()
        path = root / name
        if not name or not path.is_file():
            raise DataError(f"{where}: input file {name!r} not found in {root}")
        data = path.read_bytes()
        label = _int(row, "class", where)
        if row.get("bytes_to_send"):
            size, stride = _int(row, "bytes_to_send", where), _int(row, "stride", where)
            if size != window_bytes or stride <= 0:
                raise DataError(f"{where}: windows of {size} bytes every {stride}; the model takes "
                                f"{window_bytes} bytes")
            windows = tuple(data[s:s + size] for s in range(0, len(data) - size + 1, stride))
        else:
            windows = (data,)
        if not windows or any(len(w) != window_bytes for w in windows):
            raise DataError(f"{where}: {path.name} has {len(data)} bytes; the model takes "
                            f"{window_bytes} bytes an input")
        samples.append(Sample(path, label, windows))
    return samples
