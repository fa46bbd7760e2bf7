/* A hand-written stand-in for a generated model.c: implements ek_model_api.h honestly
 * with EK_STANDIN_OPS cheap "ops" on a static arena, so the protocol and the device
 * commands can be tested before (and independently of) codegen.
 *
 *   op 0:      y[i] = (int8)(x[i] * 3 + 7)            (wrapping)
 *   op k>=1:   y[i] = (int8)(y[i] + k)                (wrapping), except the last op:
 *   last op:   out[j] = y[j % IN] ^ (j & 0x7F)
 * tests/device/standin.py computes the same function with NumPy.
 */
#include <stdint.h>

#include "ek_model_api.h"

#ifndef EK_STANDIN_OPS
#define EK_STANDIN_OPS 3
#endif
#ifndef EK_STANDIN_IN
#define EK_STANDIN_IN 600
#endif
#ifndef EK_STANDIN_OUT
#define EK_STANDIN_OUT 700
#endif
#if EK_STANDIN_OPS < 2
#error "the stand-in needs at least 2 ops"
#endif
#ifndef EK_STANDIN_HASH
#define EK_STANDIN_HASH "0000000000000000000000000000000000000000000000000000000000000000"
#endif

static int8_t arena[EK_STANDIN_IN * 2 + EK_STANDIN_OUT];
static const int32_t in_shape[2] = {1, EK_STANDIN_IN};
static const int32_t out_shape[2] = {1, EK_STANDIN_OUT};

const uint32_t ek_model_num_inputs = 1;
const uint32_t ek_model_num_outputs = 1;
const ek_tensor_info_t ek_model_inputs[1] = {
    {arena, EK_STANDIN_IN, 2, in_shape, 0.5f, -3},
};
const ek_tensor_info_t ek_model_outputs[1] = {
    {arena + EK_STANDIN_IN * 2, EK_STANDIN_OUT, 2, out_shape, 0.25f, 5},
};
const uint32_t ek_model_num_ops = EK_STANDIN_OPS;
/* Only the first name is spelled out; the runtime never reads these. */
const char *const ek_model_op_types[EK_STANDIN_OPS] = {"STANDIN_OP"};
const uint32_t ek_model_arena_bytes = sizeof arena;
const char ek_model_hash[] = EK_STANDIN_HASH;
const uint32_t ek_model_state_bytes = 0u;
void ek_model_reset_state(void) {}

static void run_op(uint32_t k) {
    const int8_t *x = arena;
    int8_t *y = arena + EK_STANDIN_IN;
    int8_t *out = arena + EK_STANDIN_IN * 2;
    if (k == EK_STANDIN_OPS - 1u && k != 0u) {
        for (uint32_t j = 0; j < EK_STANDIN_OUT; ++j) {
            out[j] = (int8_t)(uint8_t)((uint8_t)y[j % EK_STANDIN_IN] ^ (uint8_t)(j & 0x7Fu));
        }
    } else if (k == 0u) {
        for (uint32_t i = 0; i < EK_STANDIN_IN; ++i) {
            y[i] = (int8_t)(uint8_t)((uint32_t)(uint8_t)x[i] * 3u + 7u);
        }
    } else {
        for (uint32_t i = 0; i < EK_STANDIN_IN; ++i) {
            y[i] = (int8_t)(uint8_t)((uint32_t)(uint8_t)y[i] + k);
        }
    }
}

int ek_model_invoke(ek_clock_fn clock, uint32_t *op_ticks) {
    for (uint32_t k = 0; k < EK_STANDIN_OPS; ++k) {
        uint32_t start = clock ? clock() : 0u;
        run_op(k);
        if (clock && op_ticks) op_ticks[k] = clock() - start;
    }
    return 0;
}
