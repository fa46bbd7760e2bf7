/* TFLite_Detection_PostProcess (DETECTION_POSTPROCESS), float32: the SSD post-processing
 * custom op of TF's object-detection export, as TF's kernel (kernels/detection_postprocess.cc)
 * and TFLite Micro's compute it.
 *
 * Box decoding is TF's double-precision expression (double divide, multiply, add and exp,
 * rounded to float once per coordinate), then float corner arithmetic. Non-max suppression
 * is TF's: candidates at or above the score threshold in a stable decreasing sort, a
 * candidate dropped when its IoU with a kept one exceeds the threshold. Fast NMS (the
 * export's default) suppresses on each anchor's best class score; regular NMS runs per
 * class and merges the classes' best. Where scores tie, fast NMS's per-anchor top-k class
 * sort differs between TF and TFLite Micro: `ties` picks TF's (libstdc++'s
 * std::partial_sort, reproduced step for step) or TFLite Micro's ((score, index) total
 * order). Regular NMS's merge keeps equal scores in order in both (TF 2.21's interpreter,
 * measured), which is that total order. Output slots past the detections found are zero
 * (TF leaves them unwritten in fast NMS). */
#ifndef EK_DETECTION_H
#define EK_DETECTION_H

#include <stdint.h>

#define EK_DETPP_TIES_TF 0
#define EK_DETPP_TIES_TFLM 1

typedef struct {
    int32_t num_boxes;      /* anchors */
    int32_t box_stride;     /* floats per box encoding (>= 4; the first 4 are y, x, h, w) */
    int32_t num_classes;    /* without background */
    int32_t score_columns;  /* num_classes + label offset (0 or 1) */
    int32_t max_detections;
    int32_t max_classes_per_detection; /* fast NMS */
    int32_t detections_per_class;      /* regular NMS */
    int32_t use_regular_nms;
    int32_t ties;           /* fast NMS: EK_DETPP_TIES_TF or EK_DETPP_TIES_TFLM */
    float score_threshold, iou_threshold;
    float y_scale, x_scale, h_scale, w_scale;
    const float *anchors;   /* [num_boxes][4]: y, x, h, w */
} ek_detpp_params_t;

/* boxes [num_boxes][box_stride], scores [num_boxes][score_columns]; outputs: out_boxes
 * [max_detections * max_classes_per_detection][4] (ymin, xmin, ymax, xmax), out_classes and
 * out_scores [that many], num_detections [1]. scratch: ek_detpp_get_buffer_size bytes,
 * 4-byte aligned. */
void ek_f32_detection_postprocess(const ek_detpp_params_t *p, const float *boxes, const float *scores,
                                  float *out_boxes, float *out_classes, float *out_scores,
                                  float *num_detections, void *scratch);
int32_t ek_detpp_get_buffer_size(const ek_detpp_params_t *p);

#endif
