"""Small geometry helpers shared by the renderer, capture and the exporters. Pure numpy."""

from __future__ import annotations

import numpy as np


def umeyama(src: np.ndarray, dst: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Similarity ``dst ≈ s R src + t`` (least squares) between point sets
    (N, D), D = 2 or 3; returns (s, R, t) with R a proper rotation."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    u, sig, vt = np.linalg.svd(b.T @ a / len(src))
    d = np.eye(src.shape[1])
    d[-1, -1] = np.sign(np.linalg.det(u @ vt))
    rot = u @ d @ vt
    s = float(np.trace(np.diag(sig) @ d) / (a ** 2).sum(axis=1).mean())
    return s, rot, mu_d - s * rot @ mu_s
