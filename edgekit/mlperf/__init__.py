"""MLPerf Tiny: the DUT firmware's settings per benchmark and a host side of its protocol.

`edgekit build --mlperf kws01|vww01|ic01|ad01` builds a firmware that MLCommons' benchmark
runner can score (firmware/runtime/ek_mlperf.c); `edgekit mlperf` is our own host side of
the same protocol, for users without the runner.
"""
