"""Shared test support for the kernel tests (tests/kernels/).

tflite_builder  single_op_model(op_type, inputs, outputs, options) -> .tflite bytes;
                TensorSpec; converter_model(build_keras, input_shape) for converter-built models
reference       run_reference (BUILTIN_REF), run_tflm (tflite-micro), run_oracle(model, x, rounding)
harness         run_op(graph, op, inputs, ctx, sanitize) -> outputs via the lowering + host cc;
                check_model(model, ctx, sanitize, seed) asserts bit-exactness with the oracle
qemu_harness    the same cases batched into one ELF, run on qemu-cortex-m4 with -DEK_ARM_DSP

Import as `from support.harness import check_model` (tests/kernels is on sys.path under pytest).
"""
