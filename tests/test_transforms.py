"""Batch image augmentation: shapes and types kept, seeded determinism, what each
transform does to known images, and use inside a DataLoader."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import transforms as T


def batch(n=6, c=2, h=7, w=9, seed=0):
    return np.random.default_rng(seed).random((n, c, h, w)).astype(np.float32)


RANDOM = [
    lambda g: T.RandomHorizontalFlip(generator=g),
    lambda g: T.RandomVerticalFlip(generator=g),
    lambda g: T.RandomCrop((7, 9), padding=2, generator=g),
    lambda g: T.RandomAffine(15, translate=(0.2, 0.1), scale=(0.9, 1.1), generator=g),
    lambda g: T.GaussianNoise(0.1, generator=g),
]


@pytest.mark.parametrize("make", RANDOM, ids=["hflip", "vflip", "crop", "affine", "noise"])
def test_seeded_deterministic_and_shape_preserving(make):
    x = batch()
    a = make(gn.Generator(3))(x)
    b = make(gn.Generator(3))(x)
    c = make(gn.Generator(4))(x)
    assert a.shape == x.shape and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.array_equal(x, batch())  # the input is not modified
    t = make(gn.Generator(3))(gn.tensor(x))  # Tensors in, Tensors out
    assert isinstance(t, gn.Tensor)
    np.testing.assert_array_equal(t.data, a)


def test_horizontal_flip_mirrors_chosen_images_only():
    x = batch(n=40)
    y = T.RandomHorizontalFlip(0.5, generator=gn.Generator(0))(x)
    flipped = np.array([np.array_equal(y[i], x[i, :, :, ::-1]) for i in range(40)])
    kept = np.array([np.array_equal(y[i], x[i]) for i in range(40)])
    assert (flipped ^ kept).all() and 5 < flipped.sum() < 35


def test_random_crop_is_a_shifted_window_of_the_padded_image():
    x = batch(n=20, c=1, h=5, w=5)
    y = T.RandomCrop(5, padding=1, generator=gn.Generator(1))(x)
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    for i in range(20):
        assert any(np.array_equal(y[i], padded[i, :, r:r + 5, c:c + 5])
                   for r in range(3) for c in range(3))
    assert T.RandomCrop(3, generator=gn.Generator(0))(x).shape == (20, 1, 3, 3)
    with pytest.raises(ValueError, match="larger than the padded"):
        T.RandomCrop(8)(x)


def test_affine_known_rotation_and_translation():
    x = np.zeros((1, 1, 5, 5), np.float32)
    x[0, 0, 2, :] = 1.0  # a horizontal bar
    rot = T.RandomAffine((90, 90))(x)
    np.testing.assert_allclose(rot[0, 0], x[0, 0].T, atol=1e-6)  # now vertical
    shifted = T.RandomAffine(0, translate=(0.0, 0.2), generator=gn.Generator(0))(x)
    row = np.argmax(shifted[0, 0].sum(axis=1))
    assert shifted[0, 0].sum() > 0 and abs(row - 2) <= 1
    same = T.RandomAffine(0)(x)
    np.testing.assert_allclose(same, x, atol=1e-6)


def test_noise_and_normalize_statistics():
    x = np.zeros((64, 3, 8, 8), np.float32)
    n = T.GaussianNoise(0.5, generator=gn.Generator(0))(x)
    assert abs(n.std() - 0.5) < 0.02 and abs(n.mean()) < 0.02
    clipped = T.GaussianNoise(0.5, clip=(0, 1), generator=gn.Generator(0))(x)
    assert clipped.min() >= 0 and clipped.max() <= 1
    y = np.random.default_rng(0).normal([1.0, -2.0, 3.0], [2.0, 0.5, 1.0], (64, 8, 8, 3))
    y = y.transpose(0, 3, 1, 2).astype(np.float32)
    z = T.Normalize([1.0, -2.0, 3.0], [2.0, 0.5, 1.0])(y)
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0, atol=0.05)
    np.testing.assert_allclose(z.std(axis=(0, 2, 3)), 1, atol=0.05)
    with pytest.raises(ValueError, match="3 channels"):
        T.Normalize([0.0, 0.0], [1.0, 1.0])(y)


def test_compose_in_a_dataloader_with_a_single_image():
    aug = T.Compose([T.RandomCrop(6, padding=1, generator=gn.Generator(0)),
                     T.RandomHorizontalFlip(generator=gn.Generator(1)),
                     T.Normalize(0.5, 0.25)])
    images = batch(n=10, c=1, h=6, w=6)
    ds = gn.data.TensorDataset(gn.tensor(images), gn.arange(10))
    loader = gn.data.DataLoader(ds, batch_size=4, transform=aug)
    shapes = [tuple(xb.shape) for xb, _ in loader]
    assert shapes == [(4, 1, 6, 6), (4, 1, 6, 6), (2, 1, 6, 6)]
    assert aug(images[0]).shape == (1, 6, 6)  # one (C, H, W) image works too
    with pytest.raises(ValueError, match="expected images"):
        aug(np.zeros((4, 4)))
