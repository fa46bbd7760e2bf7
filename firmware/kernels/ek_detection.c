/* TFLite_Detection_PostProcess in float32 (see ek_detection.h). */
#include "ek_detection.h"

#include <math.h>
#include <string.h>

/* Scratch, in 4-byte words: decoded boxes, then the arrays of NMS. */
typedef struct {
    float *decoded;        /* [num_boxes][4] ymin, xmin, ymax, xmax */
    float *candidates;     /* [num_boxes] one score per box (best class, or one class) */
    float *keep_scores;    /* [num_boxes] */
    int32_t *keep_indices; /* [num_boxes] */
    int32_t *order;        /* [num_boxes] the stable sort's result */
    int32_t *merge;        /* [num_boxes] the merge sort's buffer */
    int32_t *selected;     /* [num_boxes] */
    uint8_t *active;       /* [num_boxes] */
    int32_t *class_order;  /* fast: [num_boxes][num_classes]; regular: [num_boxes + max_detections] */
    int32_t *merged;       /* regular: [num_boxes + max_detections] flat score indices */
    float *merged_scores;  /* regular: [num_boxes + max_detections] */
    float *top_scores;     /* regular: [max_detections] */
} ek_detpp_work_t;

static int32_t ek_detpp_class_order_len(const ek_detpp_params_t *p)
{
    return p->use_regular_nms ? p->num_boxes + p->max_detections : p->num_boxes * p->num_classes;
}

static int32_t ek_detpp_words(const ek_detpp_params_t *p)
{
    const int32_t n = p->num_boxes, merged = p->use_regular_nms ? p->num_boxes + p->max_detections : 0;
    return 4 * n + 6 * n + (n + 3) / 4 + ek_detpp_class_order_len(p) + 2 * merged +
           (p->use_regular_nms ? p->max_detections : 0);
}

int32_t ek_detpp_get_buffer_size(const ek_detpp_params_t *p)
{
    return 4 * ek_detpp_words(p);
}

static ek_detpp_work_t ek_detpp_split(const ek_detpp_params_t *p, void *scratch)
{
    const int32_t n = p->num_boxes, merged = p->use_regular_nms ? p->num_boxes + p->max_detections : 0;
    float *f = (float *)scratch;
    ek_detpp_work_t w;
    w.decoded = f;
    w.candidates = f + 4 * n;
    w.keep_scores = f + 5 * n;
    w.keep_indices = (int32_t *)(f + 6 * n);
    w.order = w.keep_indices + n;
    w.merge = w.order + n;
    w.selected = w.merge + n;
    w.active = (uint8_t *)(w.selected + n);
    w.class_order = w.selected + n + (n + 3) / 4;
    w.merged = w.class_order + ek_detpp_class_order_len(p);
    w.merged_scores = (float *)(w.merged + merged);
    w.top_scores = w.merged_scores + merged;
    return w;
}

/* DecodeCenterSizeBoxes: the centre and half sizes in double, rounded to float, then the
 * corners in float. */
static void ek_detpp_decode(const ek_detpp_params_t *p, const float *boxes, float *decoded)
{
    for (int32_t i = 0; i < p->num_boxes; ++i) {
        const float *b = boxes + (int32_t)i * p->box_stride;
        const float *a = p->anchors + 4 * i;
        const float yc = (float)((double)b[0] / (double)p->y_scale * (double)a[2] + (double)a[0]);
        const float xc = (float)((double)b[1] / (double)p->x_scale * (double)a[3] + (double)a[1]);
        const float half_h = (float)(0.5 * exp((double)b[2] / (double)p->h_scale) * (double)a[2]);
        const float half_w = (float)(0.5 * exp((double)b[3] / (double)p->w_scale) * (double)a[3]);
        float *d = decoded + 4 * i;
        d[0] = yc - half_h;
        d[1] = xc - half_w;
        d[2] = yc + half_h;
        d[3] = xc + half_w;
    }
}

/* ---- sorts of indices by decreasing value ---- */

/* Stable (std::stable_sort with values[i] > values[j]): a bottom-up merge sort. */
static void ek_detpp_stable_sort(const float *values, int32_t n, int32_t *idx, int32_t *buf)
{
    for (int32_t i = 0; i < n; ++i) {
        idx[i] = i;
    }
    for (int32_t width = 1; width < n; width *= 2) {
        for (int32_t lo = 0; lo < n; lo += 2 * width) {
            const int32_t mid = lo + width < n ? lo + width : n;
            const int32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int32_t l = lo, r = mid, k = lo;
            while (k < hi) {
                /* the right run goes first only when strictly greater: ties keep order */
                if (l >= mid || (r < hi && values[idx[r]] > values[idx[l]])) {
                    buf[k++] = idx[r++];
                } else {
                    buf[k++] = idx[l++];
                }
            }
        }
        memcpy(idx, buf, (size_t)n * sizeof(int32_t));
    }
}

/* libstdc++'s heap primitives with comp(a, b) = values[a] > values[b]. */
static inline int ek_detpp_comp(const float *values, int32_t a, int32_t b)
{
    return values[a] > values[b];
}

static void ek_detpp_push_heap(const float *values, int32_t *first, int32_t hole, int32_t top, int32_t value)
{
    int32_t parent = (hole - 1) / 2;
    while (hole > top && ek_detpp_comp(values, first[parent], value)) {
        first[hole] = first[parent];
        hole = parent;
        parent = (hole - 1) / 2;
    }
    first[hole] = value;
}

static void ek_detpp_adjust_heap(const float *values, int32_t *first, int32_t hole, int32_t len, int32_t value)
{
    const int32_t top = hole;
    int32_t child = hole;
    while (child < (len - 1) / 2) {
        child = 2 * (child + 1);
        if (ek_detpp_comp(values, first[child], first[child - 1])) {
            child--;
        }
        first[hole] = first[child];
        hole = child;
    }
    if ((len & 1) == 0 && child == (len - 2) / 2) {
        child = 2 * (child + 1);
        first[hole] = first[child - 1];
        hole = child - 1;
    }
    ek_detpp_push_heap(values, first, hole, top, value);
}

static void ek_detpp_pop_heap(const float *values, int32_t *first, int32_t len, int32_t *result)
{
    const int32_t value = *result;
    *result = first[0];
    ek_detpp_adjust_heap(values, first, 0, len, value);
}

/* std::partial_sort(idx, idx + k, idx + n): __heap_select, then __sort_heap. */
static void ek_detpp_partial_sort_tf(const float *values, int32_t n, int32_t k, int32_t *idx)
{
    if (k >= 2) {
        for (int32_t parent = (k - 2) / 2;; --parent) {
            ek_detpp_adjust_heap(values, idx, parent, k, idx[parent]);
            if (parent == 0) {
                break;
            }
        }
    }
    for (int32_t i = k; i < n; ++i) {
        if (ek_detpp_comp(values, idx[i], idx[0])) {
            ek_detpp_pop_heap(values, idx, k, &idx[i]);
        }
    }
    for (int32_t last = k; last > 1;) {
        --last;
        ek_detpp_pop_heap(values, idx, last, &idx[last]);
    }
}

/* TFLite Micro's order: decreasing value, then increasing index (a total order). */
static void ek_detpp_partial_sort_tflm(const float *values, int32_t n, int32_t k, int32_t *idx)
{
    for (int32_t s = 0; s < k; ++s) {
        int32_t best = s;
        for (int32_t i = s + 1; i < n; ++i) {
            const int32_t a = idx[i], b = idx[best];
            if (values[a] > values[b] || (values[a] == values[b] && a < b)) {
                best = i;
            }
        }
        const int32_t t = idx[s];
        idx[s] = idx[best];
        idx[best] = t;
    }
}

/* DecreasingPartialArgSort: the first k of idx[0..n) hold the k largest, in order. */
static void ek_detpp_partial_argsort(int32_t ties, const float *values, int32_t n, int32_t k, int32_t *idx)
{
    if (k == 1) { /* ArgMaxVector (TF), the same as the total order's first */
        int32_t best = 0;
        for (int32_t i = 1; i < n; ++i) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        idx[0] = best;
        return;
    }
    for (int32_t i = 0; i < n; ++i) {
        idx[i] = i;
    }
    if (ties == EK_DETPP_TIES_TF) {
        ek_detpp_partial_sort_tf(values, n, k, idx);
    } else {
        ek_detpp_partial_sort_tflm(values, n, k, idx);
    }
}

/* ---- non-max suppression ---- */

static float ek_detpp_max(float a, float b)
{
    return (a < b) ? b : a;
}

static float ek_detpp_min(float a, float b)
{
    return (b < a) ? b : a;
}

static float ek_detpp_iou(const float *decoded, int32_t i, int32_t j)
{
    const float *bi = decoded + 4 * i, *bj = decoded + 4 * j;
    const float area_i = (bi[2] - bi[0]) * (bi[3] - bi[1]);
    const float area_j = (bj[2] - bj[0]) * (bj[3] - bj[1]);
    if (area_i <= 0 || area_j <= 0) {
        return 0.0f;
    }
    const float ymin = ek_detpp_max(bi[0], bj[0]), xmin = ek_detpp_max(bi[1], bj[1]);
    const float ymax = ek_detpp_min(bi[2], bj[2]), xmax = ek_detpp_min(bi[3], bj[3]);
    const float inter = ek_detpp_max(ymax - ymin, 0.0f) * ek_detpp_max(xmax - xmin, 0.0f);
    return inter / (area_i + area_j - inter);
}

/* NonMaxSuppressionSingleClassHelper on w->candidates: the kept box indices into
 * w->selected, their count returned. */
static int32_t ek_detpp_nms(const ek_detpp_params_t *p, const ek_detpp_work_t *w, int32_t max_out)
{
    int32_t kept = 0;
    for (int32_t i = 0; i < p->num_boxes; ++i) {
        if (w->candidates[i] >= p->score_threshold) {
            w->keep_scores[kept] = w->candidates[i];
            w->keep_indices[kept++] = i;
        }
    }
    ek_detpp_stable_sort(w->keep_scores, kept, w->order, w->merge);
    const int32_t out_size = kept < max_out ? kept : max_out;
    int32_t active_count = kept, count = 0;
    for (int32_t i = 0; i < kept; ++i) {
        w->active[i] = 1;
    }
    for (int32_t i = 0; i < kept; ++i) {
        if (active_count == 0 || count >= out_size) {
            break;
        }
        if (!w->active[i]) {
            continue;
        }
        const int32_t box_i = w->keep_indices[w->order[i]];
        w->selected[count++] = box_i;
        w->active[i] = 0;
        active_count--;
        for (int32_t j = i + 1; j < kept; ++j) {
            if (w->active[j] && ek_detpp_iou(w->decoded, box_i, w->keep_indices[w->order[j]]) > p->iou_threshold) {
                w->active[j] = 0;
                active_count--;
            }
        }
    }
    return count;
}

static void ek_detpp_emit(float *out_boxes, float *out_classes, float *out_scores, int32_t slot,
                          const float *box, float cls, float score)
{
    memcpy(out_boxes + 4 * slot, box, 4 * sizeof(float));
    out_classes[slot] = cls;
    out_scores[slot] = score;
}

static int32_t ek_detpp_fast(const ek_detpp_params_t *p, const ek_detpp_work_t *w, const float *scores,
                             float *out_boxes, float *out_classes, float *out_scores)
{
    const int32_t offset = p->score_columns - p->num_classes;
    const int32_t per_anchor = p->max_classes_per_detection < p->num_classes ? p->max_classes_per_detection
                                                                              : p->num_classes;
    for (int32_t row = 0; row < p->num_boxes; ++row) {
        const float *row_scores = scores + row * p->score_columns + offset;
        int32_t *order = w->class_order + row * p->num_classes;
        ek_detpp_partial_argsort(p->ties, row_scores, p->num_classes, per_anchor, order);
        w->candidates[row] = row_scores[order[0]];
    }
    const int32_t count = ek_detpp_nms(p, w, p->max_detections);
    for (int32_t k = 0; k < count; ++k) {
        const int32_t box = w->selected[k];
        const float *row_scores = scores + box * p->score_columns + offset;
        const int32_t *order = w->class_order + box * p->num_classes;
        for (int32_t c = 0; c < per_anchor; ++c) {
            /* TFLite Micro packs the detections (the lowering allows it only one class
             * per detection: with more its slots run past the outputs) */
            const int32_t slot = p->ties == EK_DETPP_TIES_TFLM ? k : p->max_classes_per_detection * k + c;
            ek_detpp_emit(out_boxes, out_classes, out_scores, slot,
                          w->decoded + 4 * box, (float)order[c], row_scores[order[c]]);
        }
    }
    return count;
}

static int32_t ek_detpp_regular(const ek_detpp_params_t *p, const ek_detpp_work_t *w, const float *scores,
                                float *out_boxes, float *out_classes, float *out_scores)
{
    const int32_t offset = p->score_columns - p->num_classes;
    int32_t size = 0;
    for (int32_t col = 0; col < p->num_classes; ++col) {
        for (int32_t row = 0; row < p->num_boxes; ++row) {
            w->candidates[row] = scores[row * p->score_columns + col + offset];
        }
        const int32_t count = ek_detpp_nms(p, w, p->detections_per_class);
        int32_t n = size;
        for (int32_t k = 0; k < count; ++k) {
            w->merged[n] = w->selected[k] * p->score_columns + col + offset;
            w->merged_scores[n++] = w->candidates[w->selected[k]];
        }
        const int32_t top = n < p->max_detections ? n : p->max_detections;
        /* TF 2.21 merges in the total order too (measured: equal scores keep their order) */
        ek_detpp_partial_argsort(EK_DETPP_TIES_TFLM, w->merged_scores, n, top, w->class_order);
        for (int32_t r = 0; r < top; ++r) {
            const int32_t t = w->class_order[r];
            w->class_order[r] = w->merged[t];
            w->top_scores[r] = w->merged_scores[t];
        }
        for (int32_t r = 0; r < top; ++r) {
            w->merged[r] = w->class_order[r];
            w->merged_scores[r] = w->top_scores[r];
        }
        size = top;
    }
    for (int32_t k = 0; k < size; ++k) {
        const int32_t anchor = w->merged[k] / p->score_columns;
        const int32_t cls = w->merged[k] - anchor * p->score_columns - offset;
        ek_detpp_emit(out_boxes, out_classes, out_scores, k, w->decoded + 4 * anchor, (float)cls,
                      w->merged_scores[k]);
    }
    return size;
}

void ek_f32_detection_postprocess(const ek_detpp_params_t *p, const float *boxes, const float *scores,
                                  float *out_boxes, float *out_classes, float *out_scores,
                                  float *num_detections, void *scratch)
{
    const ek_detpp_work_t w = ek_detpp_split(p, scratch);
    const int32_t slots = p->max_detections * p->max_classes_per_detection;
    memset(out_boxes, 0, (size_t)slots * 4 * sizeof(float));
    memset(out_classes, 0, (size_t)slots * sizeof(float));
    memset(out_scores, 0, (size_t)slots * sizeof(float));
    ek_detpp_decode(p, boxes, w.decoded);
    const int32_t count = p->use_regular_nms ? ek_detpp_regular(p, &w, scores, out_boxes, out_classes, out_scores)
                                             : ek_detpp_fast(p, &w, scores, out_boxes, out_classes, out_scores);
    num_detections[0] = (float)count;
}
