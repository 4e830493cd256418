"""Lip sync from speech energy: the mouth layer.

The jaw follows the loudness envelope with a fast attack and a slower
release (a mouth pops open and closes more slowly); in pauses it rests
closed. Louder syllables open wider.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

from ..motion import ARKIT_NAMES, N_SHAPES
from .features import speech_level

_I = {n: i for i, n in enumerate(ARKIT_NAMES)}


def _attack_release(x: np.ndarray, attack: float, release: float) -> np.ndarray:
    y = np.empty_like(x)
    prev = 0.0
    for i, v in enumerate(x):
        k = attack if v > prev else release
        prev = prev + k * (v - prev)
        y[i] = prev
    return y


def energy_mouth(signal: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """Mouth layer (frames, 52) from the speech signal's loudness."""
    level = speech_level(signal, rate, fps, frames)
    open_ = _attack_release(level ** 0.8, attack=0.75, release=0.45)
    # A light high-pass keeps syllables distinct on sustained loud speech.
    detail = lfilter([1, -1], [1, -0.6], open_)
    open_ = np.clip(open_ + 0.3 * detail, 0, 1)
    layer = np.zeros((frames, N_SHAPES), np.float32)
    layer[:, _I["jawOpen"]] = 0.55 * open_
    layer[:, _I["mouthLowerDownLeft"]] = layer[:, _I["mouthLowerDownRight"]] = 0.25 * open_
    layer[:, _I["mouthUpperUpLeft"]] = layer[:, _I["mouthUpperUpRight"]] = 0.1 * open_
    # Lips touch whenever the jaw is nearly shut.
    shut = np.clip(1 - open_ / 0.15, 0, 1)
    layer[:, _I["mouthClose"]] = 0.0
    layer[:, _I["mouthPressLeft"]] = layer[:, _I["mouthPressRight"]] = 0.15 * shut * (level > 0).any()
    return layer
