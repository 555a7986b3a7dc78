"""Evaluation metrics on detector outputs: event F1, order accuracy, similarity, Fréchet distance.

Pure functions on labels and arrays (no model inside), so each can be checked on hand-made
examples. ``scoring.py`` feeds them with a detector.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np


def presence_f1(detected: Iterable[str], expected: Iterable[str]) -> float:
    """F1 between the set of detected classes and the set of expected classes of one clip.

    Both empty → 1.0 (nothing to find, nothing claimed); exactly one empty → 0.0.
    """
    detected, expected = set(detected), set(expected)
    if not detected and not expected:
        return 1.0
    true_positives = len(detected & expected)
    return 2.0 * true_positives / (len(detected) + len(expected))


def order_correct(detected_order: Sequence[str], expected_order: Sequence[str]) -> bool | None:
    """Whether the expected classes were detected in the expected order of first onsets.

    The detected order is restricted to the expected classes (an extra class is F1's business,
    not order's); a missed expected class makes the order wrong. None when fewer than two
    classes are expected, where order is undefined.
    """
    if len(set(expected_order)) < 2:
        return None
    expected = _first_occurrences(expected_order)
    detected = [label for label in _first_occurrences(detected_order) if label in expected]
    return detected == expected


def _first_occurrences(labels: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for label in labels:
        if label not in seen:
            seen.append(label)
    return seen


def order_accuracy(results: Iterable[bool | None]) -> float | None:
    """Share of True among the clips where order is defined (None results are skipped);
    None when no clip has a defined order."""
    defined = [result for result in results if result is not None]
    return float(np.mean(defined)) if defined else None


def class_vector(labels: Iterable[str], class_names: Sequence[str]) -> np.ndarray:
    """Multi-hot (num_classes,) float vector of ``labels``; unknown labels are an error."""
    vector = np.zeros(len(class_names))
    for label in labels:
        if label not in class_names:
            raise ValueError(f"unknown class {label!r}; classes: {', '.join(class_names)}")
        vector[list(class_names).index(label)] = 1.0
    return vector


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine of two vectors; 0.0 when either is all zeros, NaN when either holds a NaN."""
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.dot(a, b) / norm) if norm > 0 or np.isnan(norm) else 0.0


def _trace_sqrt_product(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    """Tr((A·B)^½) for symmetric PSD A, B, via the symmetric A^½·B·A^½ (same eigenvalues)."""
    eigenvalues, eigenvectors = np.linalg.eigh(cov_a)
    sqrt_a = (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T
    product = sqrt_a @ cov_b @ sqrt_a
    return float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((product + product.T) / 2), 0, None))))


def frechet_distance_from_statistics(
    mean_a: np.ndarray, cov_a: np.ndarray, mean_b: np.ndarray, cov_b: np.ndarray
) -> float:
    """Fréchet distance of two Gaussians: |μa − μb|² + Tr(Σa + Σb − 2 (Σa Σb)^½)."""
    if mean_a.shape != mean_b.shape or cov_a.shape != cov_b.shape:
        raise ValueError(
            f"statistics must match in shape, got means {mean_a.shape} vs {mean_b.shape} and "
            f"covariances {cov_a.shape} vs {cov_b.shape}"
        )
    mean_term = float(np.sum((mean_a - mean_b) ** 2))
    trace_term = float(np.trace(cov_a) + np.trace(cov_b)) - 2.0 * _trace_sqrt_product(cov_a, cov_b)
    return max(mean_term + trace_term, 0.0)


def frechet_distance(embeddings_a: np.ndarray, embeddings_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two sets of embeddings (N, D) and (M, D)."""
    a, b = np.asarray(embeddings_a, np.float64), np.asarray(embeddings_b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"embeddings must be (N, D) and (M, D), got {a.shape} and {b.shape}")
    if min(a.shape[0], b.shape[0]) < 2:
        raise ValueError(f"each set needs at least 2 embeddings, got {a.shape[0]} and {b.shape[0]}")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("embeddings hold NaN or infinite values; a Fréchet distance needs finite "
                         "ones")
    cov_a, cov_b = (np.atleast_2d(np.cov(x, rowvar=False)) for x in (a, b))  # (D, D)
    return frechet_distance_from_statistics(a.mean(axis=0), cov_a, b.mean(axis=0), cov_b)
