"""The bundled datasets: shapes, values and names (no network)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def test_dosage_exact():
    b = gn.data.load_dosage()
    np.testing.assert_array_equal(b.data, np.array([[0.0], [0.5], [1.0]], np.float32))
    np.testing.assert_array_equal(b.target, np.array([0.0, 1.0, 0.0], np.float32))
    assert b.data.dtype == np.float32 and b.feature_names == ["dosage"]
    X, y = gn.data.load_dosage(return_X_y=True, dtype=np.float64)
    assert X.dtype == np.float64 and y.tolist() == [0.0, 1.0, 0.0]


def test_iris():
    b = gn.data.load_iris()
    assert b.data.shape == (150, 4) and b.data.dtype == np.float32
    assert b.target.dtype == np.int64
    assert np.bincount(b.target).tolist() == [50, 50, 50]
    assert b.target_names == ["setosa", "versicolor", "virginica"]
    assert len(b.feature_names) == 4 and "petal width (cm)" in b.feature_names
    np.testing.assert_allclose(b.data[0], [5.1, 3.5, 1.4, 0.2], rtol=1e-6)
    np.testing.assert_allclose(b.data[-1], [5.9, 3.0, 5.1, 1.8], rtol=1e-6)
    # the well-known column means (cm)
    np.testing.assert_allclose(b.data.astype(np.float64).mean(0),
                               [5.843333, 3.057333, 3.758, 1.199333], atol=1e-5)
    assert b["data"] is b.data  # a Bunch: keys are attributes
    with pytest.raises(AttributeError, match="no field"):
        _ = b.nonexistent


def test_digits():
    b = gn.data.load_digits()
    assert b.data.shape == (1797, 64) and b.images.shape == (1797, 8, 8)
    assert b.data.min() == 0 and b.data.max() == 16
    np.testing.assert_array_equal(b.data, np.rint(b.data))  # integers 0..16
    assert np.bincount(b.target).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    np.testing.assert_array_equal(b.images[0].reshape(-1), b.data[0])
    assert b.target[:5].tolist() == [0, 1, 2, 3, 4]
    X, y = gn.data.load_digits(n_class=3, return_X_y=True)
    assert set(np.unique(y)) == {0, 1, 2} and len(X) == 178 + 182 + 177
    with pytest.raises(ValueError, match="n_class"):
        gn.data.load_digits(n_class=11)


def test_datasets_feed_a_loader():
    b = gn.data.load_iris()
    loader = gn.data.DataLoader(gn.data.TensorDataset(b.data, b.target), batch_size=64)
    assert [len(y) for _, y in loader] == [64, 64, 22]
