/* Host verification driver: runs a generated model on samples read from stdin.
 *
 * For each sample: reads every input tensor's bytes (in model order), invokes the
 * model, writes every output tensor's bytes to stdout. Built with
 * -DEK_MODEL_DEBUG_HOOK it also writes, before a sample's outputs, the bytes each op
 * produced, in schedule order, so the host can find the first op that differs.
 */
#include <stdio.h>
#include <stdlib.h>

#include "ek_model_api.h"

#ifdef EK_MODEL_DEBUG_HOOK
void ek_model_debug_hook(uint32_t op, const int8_t *data, uint32_t bytes);
void ek_model_debug_hook(uint32_t op, const int8_t *data, uint32_t bytes)
{
    (void)op;
    if (fwrite(data, 1, bytes, stdout) != bytes) {
        exit(3);
    }
}
#endif

int main(void)
{
    for (;;) {
        for (uint32_t i = 0; i < ek_model_num_inputs; ++i) {
            const ek_tensor_info_t *in = &ek_model_inputs[i];
            size_t got = fread(in->data, 1, in->bytes, stdin);
            if (got == 0 && i == 0 && feof(stdin)) {
                return 0;
            }
            if (got != in->bytes) {
                fprintf(stderr, "short input: %zu of %u bytes\n", got, (unsigned)in->bytes);
                return 2;
            }
        }
        if (ek_model_invoke(NULL, NULL) != 0) {
            return 4;
        }
        for (uint32_t i = 0; i < ek_model_num_outputs; ++i) {
            const ek_tensor_info_t *out = &ek_model_outputs[i];
            if (fwrite(out->data, 1, out->bytes, stdout) != out->bytes) {
                return 3;
            }
        }
        fflush(stdout);
    }
}
