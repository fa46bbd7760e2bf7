"""edgekit: a trained TensorFlow model to a measured int8 model on a microcontroller."""

__version__ = "0.1.0"
