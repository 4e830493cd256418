"""Blinks: the eyes layer.

Blink timing follows human statistics: intervals are random with a floor
(people rarely blink twice within a second), a blink closes in about 80 ms,
holds briefly and reopens more slowly (about 150 ms).
"""

from __future__ import annotations

import numpy as np

from ..motion import ARKIT_NAMES, N_SHAPES

CLOSE_S, HOLD_S, OPEN_S = 0.08, 0.04, 0.16


def blink_times(duration: float, per_minute: float, seed: int) -> np.ndarray:
    """Blink onsets in seconds."""
    if per_minute <= 0 or duration <= 0:
        return np.zeros(0)
    rng = np.random.default_rng(seed)
    mean = 60.0 / per_minute
    times, t = [], rng.uniform(0.4, 0.4 + mean)
    while t < duration - CLOSE_S:
        times.append(t)
        t += max(1.0, rng.gamma(3.0, mean / 3.0))
    return np.array(times)


def blink_curve(times: np.ndarray, frames: int, fps: float) -> np.ndarray:
    """Lid closure per frame (frames,), 1 = fully closed."""
    t = np.arange(frames) / fps
    out = np.zeros(frames)
    for t0 in times:
        x = t - t0
        closing = np.clip(x / CLOSE_S, 0, 1)
        opening = np.clip(1 - (x - CLOSE_S - HOLD_S) / OPEN_S, 0, 1)
        out = np.maximum(out, np.where(x < 0, 0, np.minimum(closing, opening)))
    return out


def blink_layer(duration: float, frames: int, fps: float, per_minute: float,
                seed: int) -> np.ndarray:
    """Eyes layer (frames, 52) with both lids blinking together."""
    layer = np.zeros((frames, N_SHAPES), np.float32)
    curve = blink_curve(blink_times(duration, per_minute, seed), frames, fps)
    for n in ("eyeBlinkLeft", "eyeBlinkRight"):
        layer[:, ARKIT_NAMES.index(n)] = curve
    return layer
