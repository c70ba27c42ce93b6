"""models/training/soup.py's averaging (numpy; the BatchNorm measurement needs TensorFlow, the train extra)."""

from __future__ import annotations

import numpy as np
import pytest

from models.training.soup import average


def test_the_soup_is_the_element_wise_mean_of_the_runs_weights() -> None:
    a = [np.array([[1.0, 2.0]], dtype=np.float32), np.array([0.0, 4.0], dtype=np.float32)]
    b = [np.array([[3.0, 6.0]], dtype=np.float32), np.array([2.0, 0.0], dtype=np.float32)]
    soup = average([a, b])
    assert [w.tolist() for w in soup] == [[[2.0, 4.0]], [1.0, 2.0]]
    assert all(w.dtype == np.float32 for w in soup)


def test_networks_of_another_shape_are_refused_by_name() -> None:
    a = [np.zeros((2, 3)), np.zeros(3)]
    with pytest.raises(ValueError, match="shapes differ"):
        average([a, [np.zeros((2, 4)), np.zeros(3)]])
    with pytest.raises(ValueError, match="numbers of weight arrays"):
        average([a, a[:1]])
