"""The LSTM cell variants of TF's integer kernel: peephole, projection, CIFG, layer norm.

No Keras layer converts to them, so tests/kernels/support/lstm_variants.py edits the
converter's own int8 LSTMs (tests/corpus/lstm) through the TFLite schema. TF's reference
kernels are the oracle; TFLite Micro refuses these cells in Prepare, and so does edgekit
under --rounding tflm, with one line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from edgekit.boards import load_board
from edgekit.errors import UnsupportedOpError
from edgekit.pipeline import compile_model
from edgekit.reference import reference_outputs
from edgekit.verify import verify_model

sys.path.insert(0, str(Path(__file__).resolve().parent / "kernels"))
from support.lstm_variants import lstm_variant  # noqa: E402

VARIANTS = {
    "peephole": dict(peephole=True),
    "cifg": dict(cifg=True),
    "cifg_peephole": dict(cifg=True, peephole=True),
    "projection": dict(projection=8),
    "projection_clip": dict(projection=8, proj_clip=0.3),
    "projection_no_bias": dict(projection=8, projection_bias=False),
    "projection_wider": dict(projection=12, seed=4),
    "peephole_projection_same_size": dict(peephole=True, projection=12, seed=2),
    "all_three": dict(cifg=True, peephole=True, projection=12, seed=3),
    "layer_norm": dict(layer_norm=True, seed=6),
    "layer_norm_cifg_peephole": dict(layer_norm=True, cifg=True, peephole=True, seed=8),
    "layer_norm_projection": dict(layer_norm=True, projection=8, seed=9),
    "all_four": dict(layer_norm=True, cifg=True, peephole=True, projection=12, seed=10),
}


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    return path


CASES = [(base, variant) for base in ("lstm_time_major", "mnist_lstm") for variant in sorted(VARIANTS)
         if not (base == "mnist_lstm" and VARIANTS[variant].get("projection") == 12)]  # mnist: 20 units


@pytest.mark.parametrize("base, variant", CASES)
def test_variant_bit_exact_with_tf_reference(base, variant, tmp_path):
    path = _write(tmp_path, variant, lstm_variant(base, **VARIANTS[variant]))
    result = verify_model(path, samples=4, rounding="tflite", work_dir=tmp_path / "build", seed=7)
    assert (result.samples, result.bit_exact, result.max_abs_diff) == (4, 4, 0), result


def test_mnist_peephole_projection_20_wide(tmp_path):
    path = _write(tmp_path, "mnist_pp", lstm_variant("mnist_lstm", peephole=True, projection=20, seed=5))
    result = verify_model(path, samples=3, rounding="tflite", work_dir=tmp_path / "build", seed=2)
    assert (result.samples, result.bit_exact) == (3, 3), result


def test_identity_projection_saturates_like_tf(tmp_path):
    """An identity projection passes the hidden vector through, so only the zero-point
    convention of TF's projection shows: TF's outputs clip where its hidden vector saturates."""
    data = lstm_variant("lstm_time_major", projection=12, projection_bias=False,
                        projection_weights=np.eye(12, dtype=np.float32))
    result = verify_model(_write(tmp_path, "eye", data), samples=4, work_dir=tmp_path / "build", seed=7)
    assert (result.samples, result.bit_exact) == (4, 4), result


def test_variants_change_the_output(tmp_path):
    """Each edit is live: TF's outputs differ from the standard cell's on the same input."""
    base = (lstm_variant("lstm_time_major"))
    compiled = compile_model(_write(tmp_path, "base", base), base, load_board("host"))
    from edgekit.reference import random_inputs

    samples = random_inputs(compiled.graph, 1, seed=1)
    reference = list(reference_outputs(base, samples, "tflite")[0].values())[0]
    for name in ("peephole", "cifg", "layer_norm"):
        other = list(reference_outputs(lstm_variant("lstm_time_major", **VARIANTS[name]), samples,
                                       "tflite")[0].values())[0]
        assert (other != reference).any(), name


def test_variant_sanitized_host_build(tmp_path):
    path = _write(tmp_path, "all", lstm_variant("lstm_time_major", **VARIANTS["all_four"]))
    result = verify_model(path, samples=3, sanitize=True, work_dir=tmp_path / "build")
    assert (result.samples, result.bit_exact) == (3, 3), result


@pytest.mark.parametrize("variant, named", [("peephole", "peephole"), ("cifg", "CIFG"),
                                            ("projection", "projection"), ("layer_norm", "layer normalisation")])
def test_tflm_rounding_refuses_variants_in_one_line(variant, named, tmp_path):
    data = lstm_variant("lstm_time_major", **VARIANTS[variant])
    with pytest.raises(RuntimeError):  # TFLite Micro itself refuses the cell in Prepare
        reference_outputs(data, [], "tflm")
    with pytest.raises(UnsupportedOpError) as caught:
        compile_model(_write(tmp_path, variant, data), data, load_board("host"), rounding="tflm")
    message = str(caught.value)
    assert "UNIDIRECTIONAL_SEQUENCE_LSTM" in message and named in message and "\n" not in message


def test_peephole_with_a_narrower_projection_is_refused(tmp_path):
    data = lstm_variant("lstm_time_major", peephole=True, projection=8)
    with pytest.raises(UnsupportedOpError, match="peephole cell with a projection"):
        compile_model(_write(tmp_path, "pp8", data), data, load_board("host"))


def test_layer_norm_without_intermediate_scales_is_refused(tmp_path):
    import ai_edge_litert.schema_py_generated as schema
    import flatbuffers

    model = schema.ModelT.InitFromPackedBuf(bytearray(lstm_variant("lstm_time_major", layer_norm=True)), 0)
    op = model.subgraphs[0].operators[0]
    model.subgraphs[0].tensors[op.intermediates[2]].quantization = None
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    data = bytes(builder.Output())
    with pytest.raises(UnsupportedOpError, match=r"needs the scale of intermediate tensor .* \(cell gate\)"):
        compile_model(_write(tmp_path, "ln", data), data, load_board("host"))


@pytest.mark.slow
def test_variant_on_qemu_cortex_m4(tmp_path):
    path = _write(tmp_path, "all", lstm_variant("lstm_time_major", **VARIANTS["all_four"]))
    result = verify_model(path, board="qemu-cortex-m4", samples=3, work_dir=tmp_path / "build")
    assert (result.samples, result.bit_exact) == (3, 3), result
