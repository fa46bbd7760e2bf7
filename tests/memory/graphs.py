"""Build IR graphs directly (no TFLite file) for the memory planner's tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from edgekit.ir import Graph, Op, QuantParams, Tensor, validate


def _out_size(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return -(-size // stride)
    return (size - effective) // stride + 1


class GraphBuilder:
    def __init__(self, name: str = "test") -> None:
        self.tensors: list[Tensor] = []
        self.ops: list[Op] = []
        self.inputs: list[int] = []
        self._quant = QuantParams(np.array([0.05], np.float32), np.array([0], np.int64))

    def tensor(self, shape: tuple[int, ...], dtype: str = "int8", data: np.ndarray | None = None) -> int:
        index = len(self.tensors)
        self.tensors.append(Tensor(index, f"t{index}", tuple(shape), dtype, self._quant, data))
        return index

    def const(self, shape: tuple[int, ...], dtype: str = "int8") -> int:
        return self.tensor(shape, dtype, np.zeros(shape, dtype=dtype))

    def input(self, shape: tuple[int, ...]) -> int:
        t = self.tensor(shape)
        self.inputs.append(t)
        return t

    def op(self, kind: str, inputs: list[int], out_shape: tuple[int, ...], **options: object) -> int:
        out = self.tensor(out_shape)
        self.ops.append(Op(len(self.ops), kind, inputs, [out], dict(options)))
        return out

    def shape(self, t: int) -> tuple[int, ...]:
        return self.tensors[t].shape

    def conv(self, x: int, out_c: int, kh: int = 3, kw: int = 3, stride: int = 1,
             padding: str = "SAME", dilation: int = 1, depthwise: bool = False) -> int:
        n, h, w, c = self.shape(x)
        oh = _out_size(h, kh, stride, dilation, padding)
        ow = _out_size(w, kw, stride, dilation, padding)
        options = {"padding": padding, "stride_h": stride, "stride_w": stride,
                   "dilation_h_factor": dilation, "dilation_w_factor": dilation,
                   "fused_activation_function": "RELU"}
        if depthwise:
            weights = self.const((1, kh, kw, c))
            bias = self.const((c,), "int32")
            return self.op("DEPTHWISE_CONV_2D", [x, weights, bias], (n, oh, ow, c),
                           depth_multiplier=1, **options)
        weights = self.const((out_c, kh, kw, c))
        bias = self.const((out_c,), "int32")
        return self.op("CONV_2D", [x, weights, bias], (n, oh, ow, out_c), **options)

    def pool(self, x: int, k: int = 2, stride: int = 2, padding: str = "VALID", kind: str = "MAX_POOL_2D") -> int:
        n, h, w, c = self.shape(x)
        oh, ow = _out_size(h, k, stride, 1, padding), _out_size(w, k, stride, 1, padding)
        return self.op(kind, [x], (n, oh, ow, c), padding=padding, stride_h=stride, stride_w=stride,
                       filter_height=k, filter_width=k, fused_activation_function="NONE")

    def add(self, a: int, b: int) -> int:
        return self.op("ADD", [a, b], self.shape(a), fused_activation_function="NONE")

    def unary(self, x: int, kind: str = "RELU") -> int:
        return self.op(kind, [x], self.shape(x))

    def reshape(self, x: int, shape: tuple[int, ...]) -> int:
        return self.op("RESHAPE", [x, self.const((len(shape),), "int32")], shape)

    def concat(self, xs: list[int], axis: int = -1) -> int:
        shape = list(self.shape(xs[0]))
        shape[axis] = sum(self.shape(x)[axis] for x in xs)
        return self.op("CONCATENATION", list(xs), tuple(shape), axis=axis, fused_activation_function="NONE")

    def fc(self, x: int, units: int) -> int:
        size = int(np.prod(self.shape(x)))
        weights = self.const((units, size))
        return self.op("FULLY_CONNECTED", [x, weights, -1], (1, units), fused_activation_function="NONE")

    def build(self, outputs: list[int], name: str = "test") -> Graph:
        graph = Graph(self.tensors, self.ops, self.inputs, outputs, name)
        validate(graph)
        return graph


@st.composite
def random_graphs(draw: st.DrawFn, max_ops: int = 10) -> Graph:
    """Random small DAGs of conv/depthwise/pool/add/relu/reshape/concat/fc ops."""
    b = GraphBuilder()
    h = draw(st.integers(2, 9))
    w = draw(st.integers(1, 6))
    c = draw(st.sampled_from([1, 2, 3, 4, 8]))
    pool = [b.input((1, h, w, c))]
    readers: dict[int, int] = {}
    for _ in range(draw(st.integers(1, max_ops))):
        x = draw(st.sampled_from(pool[-4:]))
        readers[x] = readers.get(x, 0) + 1
        shape = b.shape(x)
        kind = draw(st.sampled_from(["conv", "dw", "pool", "add", "relu", "reshape", "concat", "fc"]))
        if len(shape) != 4 and kind in ("conv", "dw", "pool", "concat"):
            kind = "relu"
        if kind == "conv":
            k = draw(st.sampled_from([1, 3]))
            y = b.conv(x, draw(st.sampled_from([1, 2, 4, 8])), k, k, draw(st.sampled_from([1, 2])),
                       draw(st.sampled_from(["SAME", "VALID"])) if k <= min(shape[1:3]) else "SAME",
                       draw(st.sampled_from([1, 2])) if k == 3 and min(shape[1:3]) >= 5 else 1)
        elif kind == "dw":
            y = b.conv(x, 0, 3, 3, draw(st.sampled_from([1, 2])), "SAME", depthwise=True)
        elif kind == "pool":
            k = min(2, shape[1], shape[2])
            y = b.pool(x, k, k, "VALID", draw(st.sampled_from(["MAX_POOL_2D", "AVERAGE_POOL_2D"])))
        elif kind == "add":
            same = [t for t in pool if b.shape(t) == shape]
            y = b.add(x, draw(st.sampled_from(same)))
        elif kind == "relu":
            y = b.unary(x, draw(st.sampled_from(["RELU", "LOGISTIC", "QUANTIZE"])))
        elif kind == "reshape":
            y = b.reshape(x, (1, int(np.prod(shape))))
        elif kind == "concat":
            flat = b.reshape(x, (1, 1, 1, int(np.prod(shape))))
            other = b.conv(flat, draw(st.sampled_from([1, 3])), 1, 1)
            y = b.concat([flat, other] if draw(st.booleans()) else [other, flat], axis=3)
        else:
            y = b.fc(x, draw(st.sampled_from([1, 5, 16])))
        pool.append(y)
    outputs = [pool[-1]] + draw(st.lists(st.sampled_from(pool[1:]), max_size=1))
    return b.build(list(dict.fromkeys(outputs)))
