"""scikit-learn's ``make_moons`` (sklearn.datasets, BSD licence), for micrograd's demo.

The same algorithm and the same draws from numpy's global generator as scikit-learn's
``make_moons(n_samples, shuffle=True, noise, random_state=None)``: evenly spaced points on
two half circles, shuffled with ``np.random.shuffle``, then Gaussian noise. With
``np.random.seed(1337)`` it gives the data of micrograd's ``demo.ipynb`` without installing
scikit-learn (which the tests do not otherwise need).
"""

from __future__ import annotations

import numpy as np


def make_moons(n_samples=100, shuffle=True, noise=None, random_state=None):
    """(X, y): X of shape (n_samples, 2), y in {0, 1}; the outer moon first, then the inner."""
    n_samples_out = n_samples // 2
    n_samples_in = n_samples - n_samples_out
    if random_state is None:
        generator = np.random.mtrand._rand  # what sklearn's check_random_state(None) returns
    else:
        generator = np.random.RandomState(random_state)
    outer_circ_x = np.cos(np.linspace(0, np.pi, n_samples_out))
    outer_circ_y = np.sin(np.linspace(0, np.pi, n_samples_out))
    inner_circ_x = 1 - np.cos(np.linspace(0, np.pi, n_samples_in))
    inner_circ_y = 1 - np.sin(np.linspace(0, np.pi, n_samples_in)) - 0.5
    X = np.vstack([np.append(outer_circ_x, inner_circ_x),
                   np.append(outer_circ_y, inner_circ_y)]).T
    y = np.hstack([np.zeros(n_samples_out, dtype=np.intp),
                   np.ones(n_samples_in, dtype=np.intp)])
    if shuffle:
        indices = np.arange(n_samples)
        generator.shuffle(indices)
        X, y = X[indices], y[indices]
    if noise is not None:
        X += generator.normal(scale=noise, size=X.shape)
    return X, y
