/* AVERAGE_POOL_2D and MAX_POOL_2D, int8, on 4 channels per word (ek_pool_x4.c): the same
 * results as ek_pool.h's loops, for input.c % 4 == 0 and filter_w <= 255. */
#ifndef EK_POOL_X4_H
#define EK_POOL_X4_H

#include "ek_pool.h"

void ek_avgpool_s8_x4(const ek_pool_params_t *p, const int8_t *input, int8_t *output);
void ek_maxpool_s8_x4(const ek_pool_params_t *p, const int8_t *input, int8_t *output);

#endif /* EK_POOL_X4_H */
