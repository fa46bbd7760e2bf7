"""How the MLPerf Tiny runner scores a run (benchmark/runner/main.py), without sklearn.

Accuracy: a classifier's scores are normalised to sum to one, Top-1 is the share of
files whose largest score is the label; AUC is one-vs-rest, averaged over the classes
(the positive class alone for two), as sklearn's roc_auc_score computes it. ad01's score
is one anomaly value (the reconstruction error) per file, averaged over its windows.
Performance: the median throughput over the windows.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import numpy as np


def normalize(scores: Sequence[float]) -> list[float]:
    total = float(sum(scores))
    return [s / total for s in scores] if total else [float(s) for s in scores]


def top1(scores: np.ndarray, labels: np.ndarray) -> float:
    """Percent of rows whose argmax is the label."""
    return 100.0 * float(np.mean(np.argmax(scores, axis=1) == labels))


def binary_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """Area under the ROC curve: the chance that a positive outranks a negative, ties
    counted half (equal to the trapezoidal ROC area)."""
    pos, neg = scores[positive], scores[~positive]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """The runner's AUC: one column (ad01) or two (binary), else one-vs-rest macro average."""
    if scores.shape[1] == 1:
        return binary_auc(scores[:, 0], labels == 1)
    if scores.shape[1] == 2:
        return binary_auc(scores[:, 1], labels == 1)
    per_class = [binary_auc(scores[:, k], labels == k) for k in range(scores.shape[1])
                 if np.any(labels == k)]
    return float(np.mean(per_class))


def anomaly_accuracy(scores: np.ndarray, labels: np.ndarray) -> float:
    """The runner's "Top 1%" for ad01: the best mean of precision and recall over 100
    thresholds between the lowest and highest score."""
    lo, hi = float(np.min(scores)), float(np.max(scores))
    best = 0.0
    for threshold in lo + np.arange(0.0, 1.0, 0.01) * (hi - lo):
        predicted = scores > threshold
        tp = np.sum(predicted & (labels == 1))
        fp = np.sum(predicted & (labels == 0))
        fn = np.sum(~predicted & (labels == 1))
        precision = tp / (tp + fp + 1e-8)
        recall = tp / (tp + fn + 1e-8)
        best = max(best, 100.0 * float(precision + recall) / 2)
    return best


def median_throughput(throughputs: Sequence[float]) -> float:
    return float(statistics.median(throughputs))
