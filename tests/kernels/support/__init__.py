"""Shared test support for the kernel tests (tests/kernels/).

tflite_builder  single_op_model(op_type, inputs, outputs, options) -> .tflite bytes;
                TensorSpec; converter_model(build_keras, input_shape) for converter-built models;
                extract_op(graph, op) -> one op of a real model as a single-op model
reference       run_reference (BUILTIN_REF), run_tflm (tflite-micro), run_oracle(model, x, rounding)
harness         run_op(graph, op, inputs, ctx, sanitize, arena=None) -> outputs via the lowering +
                host cc (arena={"in0": off, "out0": off} overlaps activations in one buffer);
                check_model(model, ctx, sanitize, seed) asserts bit-exactness with the oracle
csource         render_case(graph, op, lowering, prefix) -> C declarations + call (shared)
cases           conv_model / depthwise_model / fc_model / pool_model from a few numbers
qemu_harness    run_cases([QemuCase(graph, op, inputs)], ctx) -> [QemuResult(outputs, instructions)]:
                the cases batched into one ELF, run on qemu-cortex-m4 with -DEK_ARM_DSP

Import as `from support.harness import check_model` (tests/kernels is on sys.path under pytest).
"""
