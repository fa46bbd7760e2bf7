"""Fold SPACE_TO_BATCH_ND → conv → BATCH_TO_SPACE_ND back into one dilated convolution.

TF lowers a dilated convolution to a strided-batch trick. The device would shuffle the
whole tensor twice for nothing; a kernel that takes a dilation reads the same inputs in
place. Handles 4-D (Conv2D) and the 3-D form of Keras Conv1D, where the inner
convolution sits between EXPAND_DIMS and SQUEEZE/RESHAPE.

The fold is exact only when the padding and cropping amount to SAME or VALID padding
of the dilated convolution (the two our kernels take); otherwise the ops stay and the
build reports them.
"""

from __future__ import annotations

from edgekit.ir import Graph, Op

_CONVS = {"CONV_2D", "DEPTHWISE_CONV_2D"}
_EXPAND = {"EXPAND_DIMS", "RESHAPE"}
_SQUEEZE = {"SQUEEZE", "RESHAPE"}


def fold_dilated_conv(graph: Graph) -> Graph:
    changed = True
    while changed:
        changed = _fold_one(graph)
    return graph


def _only_reader(graph: Graph, tensor: int) -> Op | None:
    readers = graph.consumers().get(tensor, [])
    if len(readers) != 1 or tensor in graph.outputs:
        return None
    return readers[0]


def _fold_one(graph: Graph) -> bool:
    for s2b in graph.ops:
        if s2b.type != "SPACE_TO_BATCH_ND":
            continue
        chain = [s2b]
        op = _only_reader(graph, s2b.outputs[0])
        expand = squeeze = None
        if op is not None and op.type in _EXPAND:
            expand, op = op, _only_reader(graph, op.outputs[0])
        if op is None or op.type not in _CONVS:
            continue
        conv = op
        op = _only_reader(graph, conv.outputs[0])
        if op is not None and op.type in _SQUEEZE and expand is not None:
            squeeze, op = op, _only_reader(graph, op.outputs[0])
        if op is None or op.type != "BATCH_TO_SPACE_ND":
            continue
        b2s = op
        chain += [x for x in (expand, conv, squeeze, b2s) if x is not None]
        if _rewrite(graph, s2b, expand, conv, squeeze, b2s):
            removed = {s2b.index, b2s.index}
            graph.ops = [o for o in graph.ops if o.index not in removed]
            graph.renumber()
            return True
    return False


def _const(graph: Graph, index: int):
    tensor = graph.tensors[index]
    return None if tensor.data is None else tensor.data


def _same_pad_before(size: int, kernel: int, dilation: int) -> tuple[int, int]:
    """TFLite SAME padding for stride 1: (pad_before, output_size)."""
    effective = (kernel - 1) * dilation + 1
    total = max(effective - 1, 0)
    return total // 2, size


def _rewrite(graph: Graph, s2b: Op, expand: Op | None, conv: Op, squeeze: Op | None, b2s: Op) -> bool:
    block = _const(graph, s2b.inputs[1])
    paddings = _const(graph, s2b.inputs[2])
    block_out = _const(graph, b2s.inputs[1])
    crops = _const(graph, b2s.inputs[2])
    if block is None or paddings is None or block_out is None or crops is None:
        return False
    if list(block.ravel()) != list(block_out.ravel()):
        return False
    o = conv.options
    if (o.get("stride_h", 1), o.get("stride_w", 1)) != (1, 1) or o.get("padding") != "VALID":
        return False
    if (o.get("dilation_h_factor", 1), o.get("dilation_w_factor", 1)) != (1, 1):
        return False
    source = graph.tensors[s2b.inputs[0]]
    result = graph.tensors[b2s.outputs[0]]
    weights = graph.tensors[conv.inputs[1]]
    spatial_in = list(source.shape[1:-1])
    spatial_out = list(result.shape[1:-1])
    kernel = [weights.shape[1], weights.shape[2]]
    block = [int(b) for b in block.ravel()]
    pads = paddings.reshape(-1, 2)
    cuts = crops.reshape(-1, 2)
    if expand is not None:  # Conv1D: the one spatial axis is the conv's width
        if len(spatial_in) != 1 or kernel[0] != 1:
            return False
        kernel = [kernel[1]]
    if len(block) != len(spatial_in) or source.shape[0] != 1:
        return False

    padding = None
    for axis, (size, out, k, d) in enumerate(zip(spatial_in, spatial_out, kernel, block)):
        before = int(pads[axis][0]) - int(cuts[axis][0])
        same_before, same_out = _same_pad_before(size, k, d)
        valid_out = size - (k - 1) * d
        if before == same_before and out == same_out:
            axis_padding = "SAME"
        elif before == 0 and out == valid_out:
            axis_padding = "VALID"
        else:
            return False
        if padding not in (None, axis_padding):
            return False
        padding = axis_padding

    if expand is None:
        o["dilation_h_factor"], o["dilation_w_factor"] = block
        conv.inputs[0] = s2b.inputs[0]
        conv.outputs[0] = b2s.outputs[0]
    else:
        assert squeeze is not None
        o["dilation_h_factor"], o["dilation_w_factor"] = 1, block[0]
        expand.inputs[0] = s2b.inputs[0]
        expanded = graph.tensors[expand.outputs[0]]
        expanded.shape = _expanded_shape(source.shape, expanded.shape)
        conv_out = graph.tensors[conv.outputs[0]]
        conv_out.shape = (1, 1, spatial_out[0], conv_out.shape[-1])
        squeeze.outputs[0] = b2s.outputs[0]
        if expand.type == "RESHAPE" and len(expand.inputs) > 1:
            _replace_shape_operand(graph, expand, expanded.shape)
        if squeeze.type == "RESHAPE" and len(squeeze.inputs) > 1:
            _replace_shape_operand(graph, squeeze, result.shape)
    o["padding"] = padding
    return True


def _expanded_shape(source: tuple[int, ...], old: tuple[int, ...]) -> tuple[int, ...]:
    # [1, L, C] expanded at the axis where the old expanded tensor had its 1.
    return (1, 1, source[1], source[2]) if old[1] == 1 else (1, source[1], 1, source[2])


def _replace_shape_operand(graph: Graph, op: Op, shape: tuple[int, ...]) -> None:
    import numpy as np

    from edgekit.ir import Tensor

    tensor = Tensor(index=len(graph.tensors), name=f"{graph.tensors[op.outputs[0]].name}/shape",
                    shape=(len(shape),), dtype="int32", data=np.asarray(shape, dtype=np.int32))
    graph.tensors.append(tensor)
    op.inputs[1] = tensor.index
