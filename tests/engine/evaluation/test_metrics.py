"""Metrics on hand-made examples, and the Fréchet distance against closed forms."""

import numpy as np
import pytest
from semanticaudio.engine.evaluation.metrics import (
    class_vector,
    cosine_similarity,
    frechet_distance,
    frechet_distance_from_statistics,
    order_accuracy,
    order_correct,
    presence_f1,
)


def test_presence_f1_hand_examples():
    assert presence_f1({"bell", "rain"}, {"bell", "rain"}) == 1.0
    assert presence_f1({"bell", "rain"}, {"bell"}) == pytest.approx(2 / 3)
    assert presence_f1({"gong"}, {"bell"}) == 0.0
    assert presence_f1([], ["bell"]) == 0.0
    assert presence_f1([], []) == 1.0
    assert presence_f1(["bell", "bell"], ["bell"]) == 1.0  # classes, not event counts


def test_order_correct_hand_examples():
    assert order_correct(["bell", "rain"], ["bell", "rain"]) is True
    assert order_correct(["rain", "bell"], ["bell", "rain"]) is False
    assert order_correct(["bell"], ["bell", "rain"]) is False  # a missed class breaks the order
    assert order_correct(["gong", "bell", "wind", "rain"], ["bell", "rain"]) is True  # extras
    assert order_correct(["bell", "rain", "bell"], ["bell", "rain"]) is True  # first onsets
    assert order_correct(["bell"], ["bell"]) is None
    assert order_accuracy([True, False, None, True]) == pytest.approx(2 / 3)
    assert order_accuracy([None, None]) is None


def test_similarity_of_class_vectors():
    names = ("bell", "rain", "wind")
    expected = class_vector(["bell", "wind"], names)
    assert expected.tolist() == [1.0, 0.0, 1.0]
    assert cosine_similarity(np.array([0.9, 0.0, 0.9]), expected) == pytest.approx(1.0)
    assert cosine_similarity(np.array([0.0, 1.0, 0.0]), expected) == 0.0
    assert cosine_similarity(np.zeros(3), expected) == 0.0
    with pytest.raises(ValueError, match="unknown class 'dog'"):
        class_vector(["dog"], names)


def test_frechet_of_identical_sets_is_zero():
    embeddings = np.random.default_rng(0).standard_normal((200, 8))
    assert frechet_distance(embeddings, embeddings) == pytest.approx(0.0, abs=1e-8)


def test_frechet_of_shifted_gaussians_is_the_squared_shift():
    rng = np.random.default_rng(1)
    mixing = rng.standard_normal((6, 6))
    samples = rng.standard_normal((500, 6)) @ mixing  # a correlated Gaussian
    shift = np.array([1.0, -2.0, 0.5, 0.0, 3.0, -1.0])
    # Same sample covariance, means apart by exactly `shift`: FD = |shift|².
    assert frechet_distance(samples, samples + shift) == pytest.approx(np.sum(shift**2), rel=1e-6)


def test_frechet_from_statistics_matches_closed_forms():
    rng = np.random.default_rng(2)
    var_a, var_b = rng.uniform(0.5, 3.0, 5), rng.uniform(0.5, 3.0, 5)
    mean_a, mean_b = rng.standard_normal(5), rng.standard_normal(5)
    diagonal = np.sum((mean_a - mean_b) ** 2) + np.sum((np.sqrt(var_a) - np.sqrt(var_b)) ** 2)
    value = frechet_distance_from_statistics(mean_a, np.diag(var_a), mean_b, np.diag(var_b))
    assert value == pytest.approx(diagonal, rel=1e-9)
    # Non-commuting covariances: Tr((AB)^½) = Σ √eig(AB), computed here another way.
    cov_a = (m := rng.standard_normal((5, 5))) @ m.T + np.eye(5)
    cov_b = (m := rng.standard_normal((5, 5))) @ m.T + np.eye(5)
    trace_sqrt = np.sum(np.sqrt(np.linalg.eigvals(cov_a @ cov_b).real))
    reference = np.sum((mean_a - mean_b) ** 2) + np.trace(cov_a + cov_b) - 2 * trace_sqrt
    value = frechet_distance_from_statistics(mean_a, cov_a, mean_b, cov_b)
    assert value == pytest.approx(reference, rel=1e-8)


def test_frechet_rejects_mismatched_sets():
    with pytest.raises(ValueError, match=r"\(N, D\) and \(M, D\)"):
        frechet_distance(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="at least 2 embeddings, got 1"):
        frechet_distance(np.zeros((1, 3)), np.zeros((4, 3)))


def test_non_finite_values_are_not_hidden():
    assert np.isnan(cosine_similarity(np.array([np.nan, 1.0]), np.array([1.0, 0.0])))
    embeddings = np.random.default_rng(3).standard_normal((10, 4))
    broken = embeddings.copy()
    broken[2, 1] = np.inf
    with pytest.raises(ValueError, match="embeddings hold NaN or infinite values"):
        frechet_distance(embeddings, broken)
