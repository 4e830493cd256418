"""The one easing curve the motion and the renderer share."""

from __future__ import annotations

import numpy as np


def smoothstep(x: np.ndarray | float, lo: float = 0.0, hi: float = 1.0) -> np.ndarray:
    """0 below ``lo``, 1 above ``hi``, and the cubic 3t² - 2t³ between:
    a ramp with no kink at either end (a face that eases in, a shade that
    fades out). Computed in the dtype of ``x``."""
    t = np.clip((np.asarray(x) - lo) / (hi - lo), 0.0, 1.0)
    return t * t * (3 - 2 * t)
