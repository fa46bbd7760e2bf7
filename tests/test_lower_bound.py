"""The activation liveness lower bound reported by inspect equals the README's figures."""

from edgekit.inspect import inspect_model

LOWER_BOUNDS = {"kws": 16_000, "vww": 55_296, "ic": 49_152, "ad": 768}


def test_lower_bounds(mlperf_models):
    for key, path in mlperf_models.items():
        assert inspect_model(path).activation_lower_bound_bytes == LOWER_BOUNDS[key]
