"""The TFMOT side of `edgekit optimize`, run in its own process.

tensorflow-model-optimization 0.8.1 only works on tf_keras (Keras 2) models, and
importing it sets TF_USE_LEGACY_KERAS=1 for the whole process, which would turn every
later `tf.keras` into tf_keras. So this module only ever runs as

    python -m edgekit.quantize.tfmot_worker SPEC.json

with SPEC written by edgekit.optimize. It fine-tunes the variants, converts
each to .tflite with edgekit's own converter path (batch 1, full int8, checked), scores
them with TFLite's reference kernels and writes OUT_DIR/variants.json. A user error is
printed as one line prefixed with ERROR_PREFIX and exit status 2.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from edgekit.errors import DataError, EdgekitError, ModelError, ToolError

ERROR_PREFIX = "EDGEKIT-ERROR: "
# Keras activations TFMOT 0.8.1's default 8-bit scheme quantizes inside a layer.
QAT_ACTIVATIONS = {"relu", "linear", "softmax", "sigmoid", "tanh", "swish", "gelu", "elu", None}


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:300]


def load_model(path: Path) -> Any:
    import tf_keras

    try:
        return tf_keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - loaders raise many types
        raise ModelError(f"cannot load {path} as a tf_keras model: {_first_line(exc)}") from None


def check_qat_activations(model: Any) -> None:
    """TFMOT's QAT rejects e.g. activation="relu6" inside Conv/Dense (measured, 0.8.1)."""
    for layer in model.layers:
        activation = getattr(layer, "activation", None)
        name = getattr(activation, "__name__", None)
        if activation is not None and name not in QAT_ACTIVATIONS:
            raise ModelError(
                f"QAT: layer '{layer.name}' uses activation='{name}' inside the layer, which TFMOT "
                "cannot quantize; build it with activation=None followed by a separate "
                f"layers.ReLU({'6.0' if name == 'relu6' else ''}) layer")


def compile_for(model: Any, x: np.ndarray, y: np.ndarray) -> None:
    """Adam + a loss matching the labels: class indices (probabilities or logits) or MSE."""
    import tf_keras

    if np.issubdtype(y.dtype, np.integer) and y.ndim == 1:
        probe = np.asarray(model(x[:32], training=False))
        probabilities = probe.min() >= 0 and np.allclose(probe.sum(axis=-1), 1.0, atol=1e-3)
        loss = tf_keras.losses.SparseCategoricalCrossentropy(from_logits=not probabilities)
        metrics = ["accuracy"]
    else:
        loss, metrics = "mse", []
    model.compile(optimizer=tf_keras.optimizers.Adam(1e-3), loss=loss, metrics=metrics)


def fine_tune(model: Any, x: np.ndarray, y: np.ndarray, epochs: int, callbacks: list | None = None) -> None:
    compile_for(model, x, y)
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0, shuffle=True, callbacks=callbacks or [])


def prune(model: Any, x: np.ndarray, y: np.ndarray, sparsity: float, epochs: int) -> Any:
    import tensorflow_model_optimization as tfmot

    steps = max(1, int(np.ceil(len(x) / 32)))
    schedule = tfmot.sparsity.keras.ConstantSparsity(sparsity, begin_step=0, frequency=max(1, steps // 2))
    wrapped = tfmot.sparsity.keras.prune_low_magnitude(model, pruning_schedule=schedule)
    fine_tune(wrapped, x, y, epochs, [tfmot.sparsity.keras.UpdatePruningStep()])
    return tfmot.sparsity.keras.strip_pruning(wrapped)


def cluster(model: Any, x: np.ndarray, y: np.ndarray, clusters: int, epochs: int,
            preserve_sparsity: bool = False) -> Any:
    import tensorflow_model_optimization as tfmot

    ck = tfmot.clustering.keras
    params: dict[str, Any] = {"number_of_clusters": clusters,
                                  "cluster_centroids_init": ck.CentroidInitialization.KMEANS_PLUS_PLUS}
    if preserve_sparsity:
        params["preserve_sparsity"] = True
    wrapped = ck.cluster_weights(model, **params)
    fine_tune(wrapped, x, y, epochs)
    return ck.strip_clustering(wrapped)


def qat(model: Any, x: np.ndarray, y: np.ndarray, epochs: int, preserve: str | None = None) -> Any:
    """Quantization-aware training; `preserve` "cluster"/"sparsity" keeps earlier steps' structure."""
    import tensorflow_model_optimization as tfmot

    check_qat_activations(model)
    qk = tfmot.quantization.keras
    if preserve is None:
        wrapped = qk.quantize_model(model)
    else:
        combine = tfmot.experimental.combine
        scheme = (combine.Default8BitClusterPreserveQuantizeScheme(preserve_sparsity=True)
                  if preserve == "cluster" else combine.Default8BitPrunePreserveQuantizeScheme())
        wrapped = qk.quantize_apply(qk.quantize_annotate_model(model), scheme)
    fine_tune(wrapped, x, y, epochs)
    return wrapped


def technique(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one TFMOT step; its rejections of the model (unsupported layer...) are user errors."""
    try:
        return fn(*args, **kwargs)
    except EdgekitError:
        raise
    except (ValueError, RuntimeError, TypeError) as exc:
        raise ToolError(f"{name} failed: {_first_line(exc)}") from None


def weight_stats(model: Any) -> str:
    """Measured structure of the kernels: zero fraction and most unique values per kernel."""
    kernels = [w.numpy() for layer in model.layers for w in layer.weights
               if "kernel" in w.name and "quantize" not in w.name]
    if not kernels:
        return ""
    zeros = sum(int(np.sum(k == 0)) for k in kernels) / sum(k.size for k in kernels)
    unique = max(len(np.unique(k)) for k in kernels)
    return f"{100 * zeros:.0f}% zeros, <={unique} values/kernel"


def to_tflite(model: Any, calib: np.ndarray, workdir: Path, name: str, int8: bool) -> bytes:
    """Through edgekit's converter path: batch-1 SavedModel, then float or checked full int8."""
    from edgekit.quantize import check, convert, source

    export = workdir / f"{name}_saved_model"
    shape, input_name = source._export_tf_keras(model, export)
    float_model = source.FloatModel(Path(name), "h5", shape, input_name, saved_model_dir=export)
    if not int8:
        return convert.to_float(float_model)
    data = convert.to_int8(float_model, calib)
    check.check_integer_only(data, name)
    return data


def run(spec: dict[str, Any]) -> list[dict[str, Any]]:
    from edgekit.quantize import convert
    from edgekit.quantize.calib import load_labelled
    from edgekit.quantize.evaluate import predict, score

    convert.import_tensorflow()
    import tf_keras

    tf_keras.utils.set_random_seed(int(spec.get("seed", 0)))
    out_dir = Path(spec["out_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    base = load_model(Path(spec["model"]))
    if len(base.inputs) != 1:
        raise ModelError(f"the model has {len(base.inputs)} inputs; optimize supports one")
    if spec.get("qat"):
        check_qat_activations(base)  # before minutes of fine-tuning the other variants
    sample_shape = tuple(int(d) for d in base.inputs[0].shape[1:])
    x, y = load_labelled(spec["data"], sample_shape)
    if spec.get("eval"):
        x_eval, y_eval = load_labelled(spec["eval"], sample_shape)
    else:  # hold out the last fifth of a shuffled copy
        order = np.random.default_rng(0).permutation(len(x))
        x, y = x[order], y[order]
        cut = max(1, len(x) * 4 // 5)
        x, y, x_eval, y_eval = x[:cut], y[:cut], x[cut:], y[cut:]
        if len(x_eval) == 0:
            raise DataError("--data has too few samples to hold out an evaluation split; pass --eval")
    calib = x[:200]
    epochs = int(spec["epochs"])
    rows: list[dict[str, Any]] = []

    def add(name: str, model: Any, int8: bool, note: str = "") -> None:
        data = to_tflite(model, calib, Path(tmp), name, int8)
        path = out_dir / f"{name}.tflite"
        path.write_bytes(data)
        _, metric, value = score(predict(data, x_eval), y_eval)
        rows.append({"name": name, "tflite": str(path), "int8": int8, "metric": metric, "value": value,
                         "bytes": len(data), "note": note})
        print(f"optimize: {name}: {metric} {value:.4f}, {len(data)} bytes", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="edgekit-optimize-") as tmp:
        add("float", base, int8=False, note="as given")
        add("ptq", base, int8=True, note="int8 PTQ")
        techniques = []
        if spec.get("qat"):
            techniques.append("qat")
            add("qat", technique("QAT", qat, load_model(Path(spec["model"])), x, y, epochs), int8=True,
                note=f"{epochs} epochs")
        if spec.get("prune"):
            techniques.append("prune")
            pruned = technique("pruning", prune, load_model(Path(spec["model"])), x, y,
                               float(spec["prune"]), epochs)
            add("pruned", pruned, int8=True, note=f"{weight_stats(pruned)}; int8")
        if spec.get("cluster"):
            techniques.append("cluster")
            clustered = technique("clustering", cluster, load_model(Path(spec["model"])), x, y,
                                  int(spec["cluster"]), epochs)
            add("clustered", clustered, int8=True, note=f"{weight_stats(clustered)}; int8")
        if len(techniques) > 1:
            # Collaborative optimization: prune -> sparsity-preserving cluster -> preserving QAT.
            model = load_model(Path(spec["model"]))
            steps = []
            if "prune" in techniques:
                model = technique("pruning", prune, model, x, y, float(spec["prune"]), epochs)
                steps.append("prune")
            if "cluster" in techniques:
                model = technique("clustering", cluster, model, x, y, int(spec["cluster"]), epochs,
                                  preserve_sparsity="prune" in techniques)
                steps.append("cluster")
            stats = weight_stats(model)
            if "qat" in techniques:
                preserve = "cluster" if "cluster" in steps else "sparsity" if steps else None
                model = technique("QAT", qat, model, x, y, epochs, preserve=preserve)
                steps.append("qat")
            add("combined", model, int8=True, note=f"{'+'.join(steps)}; {stats}")
    (out_dir / "variants.json").write_text(json.dumps(rows, indent=2))
    return rows


def main(argv: list[str]) -> int:
    spec = json.loads(Path(argv[0]).read_text())
    try:
        run(spec)
    except EdgekitError as exc:
        print(f"{ERROR_PREFIX}{exc.message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
