"""Head motion from speech rhythm: the pose layer.

A speaker's head sways slowly and nods on stressed syllables, and rises and
falls with the breath, most visibly in pauses. Sway is band-limited noise
(seeded); nods follow rises in loudness.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import gaussian_filter1d


def _sway(frames: int, fps: float, rng: np.random.Generator, seconds: float) -> np.ndarray:
    x = gaussian_filter1d(rng.standard_normal(frames + 1), seconds * fps, mode="wrap")[:frames]
    return x / (np.abs(x).max() + 1e-9)


def speech_head(level: np.ndarray, fps: float, amount: float, seed: int) -> np.ndarray:
    """Pose (frames, 6) from per-frame speech level in [0, 1].

    ``amount`` scales everything; 0 gives a still head.
    """
    frames = len(level)
    pose = np.zeros((frames, 6), np.float32)
    if amount <= 0 or frames == 0:
        return pose
    rng = np.random.default_rng(seed + 1)
    talking = gaussian_filter1d(level.astype(float), 0.5 * fps)
    rise = np.clip(np.gradient(gaussian_filter1d(level.astype(float), 0.06 * fps)), 0, None)
    nod = gaussian_filter1d(rise, 0.08 * fps)
    nod = nod / (nod.max() + 1e-9)
    activity = 0.35 + 0.65 * np.clip(talking / (talking.max() + 1e-9), 0, 1)
    pose[:, 0] = 3.0 * _sway(frames, fps, rng, 1.2) * activity
    pose[:, 1] = 1.5 * _sway(frames, fps, rng, 0.9) * activity - 2.0 * nod
    pose[:, 2] = 1.5 * _sway(frames, fps, rng, 1.5) * activity
    # Breathing: a slow rise and fall (~15 breaths a minute, the rate drifting
    # a little), seen most while the speaker is silent.
    rate = 0.25 * (1 + 0.15 * _sway(frames, fps, rng, 4.0))
    breath = np.sin(2 * np.pi * np.cumsum(rate) / fps + rng.uniform(0, 2 * np.pi))
    rest = 1.0 - 0.6 * np.clip(talking / (talking.max() + 1e-9), 0, 1)
    pose[:, 1] += 0.4 * breath * rest
    pose[:, 4] += 0.08 * breath * rest  # cm: the head rides on the chest
    return pose * np.float32(amount)
