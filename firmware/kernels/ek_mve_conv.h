/* CONV_2D int8 (ungrouped, any window) for MVE: per output pixel one column of
 * K = filter_h * filter_w * in_c values, then ek_mve_dot_rows_s8 over the output channels
 * (weights [cout][K] packed as ek_mve_fc.h says, zero point folded into the bias).
 * `direct` (1x1 filter, no padding): the input pixel is the column, read in place; else the
 * column is gathered into the scratch, padded taps holding the input zero point (so that
 * the folded bias cancels them exactly). Scratch: K bytes (0 when direct). */
#ifndef EK_MVE_CONV_H
#define EK_MVE_CONV_H

#include "ek_common.h"
#include "ek_mve_fc.h"

typedef struct {
    ek_dims_t input, output;
    int32_t filter_h, filter_w;
    ek_window_t win;
    int32_t input_zero_point;
    int32_t direct;
    ek_mve_fc_params_t rows; /* in_features = K, out_c = output channels */
} ek_mve_conv_params_t;

void ek_mve_conv_s8(const ek_mve_conv_params_t *p, const int8_t *input, int8_t *output, int8_t *scratch);

#endif /* EK_MVE_CONV_H */
