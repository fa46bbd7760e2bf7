/* AVERAGE_POOL_2D and MAX_POOL_2D, int8, TFLite reference semantics: the window is clipped
 * to the input (padding never counts), the average rounds half away from zero, and the
 * fused activation clamps. Output in NHWC raster order, one output row at a time. */
#ifndef EK_POOL_H
#define EK_POOL_H

#include "ek_common.h"

typedef struct {
    ek_dims_t input;
    ek_dims_t output;
    int32_t filter_h, filter_w;
    ek_window_t win; /* dilations are 1 */
    ek_act_t act;
} ek_pool_params_t;

void ek_avgpool_s8(const ek_pool_params_t *p, const int8_t *input, int8_t *output);
void ek_maxpool_s8(const ek_pool_params_t *p, const int8_t *input, int8_t *output);
/* int16x8 forms: the same loops over int16 elements. */
void ek_avgpool_s16(const ek_pool_params_t *p, const int16_t *input, int16_t *output);
void ek_maxpool_s16(const ek_pool_params_t *p, const int16_t *input, int16_t *output);

#endif /* EK_POOL_H */
