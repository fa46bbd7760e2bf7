"""Model readers: .tflite → edgekit IR."""

from edgekit.load.tflite import load_tflite, load_tflite_bytes

__all__ = ["load_tflite", "load_tflite_bytes"]
