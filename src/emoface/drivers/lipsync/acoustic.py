"""Acoustic lip sync: spectral features straight to mouth shape, any language.

No phones, so it works for any language, singing and noisy speech where phone
recognition is unreliable. Three articulatory dimensions follow from the
spectrum, normalised per clip so that the speaker's voice does not matter:

- openness: loudness, raised when the first formant region (300-1000 Hz)
  is high (open vowels have a high F1);
- rounding: a low second-formant region (rounded vowels lower F2);
- width: a high F2 region (spread vowels: "ee");
- sibilance (energy above 4 kHz with little below): teeth together.

Short dips in loudness between two voiced stretches are stop closures;
the lips meet there (this closes for t/k too: the price of not knowing phones).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from ...motion import N_SHAPES, Blendshape, channels
from ..features import frame_times



def _band_centroid(power: np.ndarray, freqs: np.ndarray, lo: float, hi: float) -> np.ndarray:
    band = (freqs >= lo) & (freqs < hi)
    p = power[band]
    return (freqs[band, None] * p).sum(0) / np.maximum(p.sum(0), 1e-12)


def _norm(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Map x to [0, 1] between its 10th and 90th percentile over ``mask``."""
    if mask.sum() < 3:
        return np.zeros_like(x)
    lo, hi = np.percentile(x[mask], [10, 90])
    return np.clip((x - lo) / max(hi - lo, 1e-9), 0, 1)


def features(signal: np.ndarray, rate: int, times: np.ndarray, level: np.ndarray) -> dict:
    """Per-frame articulatory features in [0, 1] at ``times`` (seconds)."""
    from scipy.signal import stft  # 0.4 s to import: only when this driver runs

    hop = rate // 100
    freqs, t, z = stft(signal, rate, nperseg=2 * hop + hop // 2, noverlap=hop + hop // 2,
                       boundary=None, padded=False)
    power = np.abs(z) ** 2 + 1e-12
    f1 = _band_centroid(power, freqs, 250, 1000)
    f2 = _band_centroid(power, freqs, 900, 2800)
    high = power[freqs >= 4000].sum(0) / power.sum(0)
    voiced = power[(freqs >= 80) & (freqs < 1000)].sum(0) / power.sum(0)

    def at(x: np.ndarray) -> np.ndarray:
        return np.interp(times, t, uniform_filter1d(x, 3))

    active = level > 0
    f1, f2, high, voiced = at(f1), at(f2), at(high), at(voiced)
    return {"open": _norm(f1, active), "front": _norm(f2, active),
            "sibilant": np.clip((high - 0.3) / 0.4, 0, 1) * (voiced < 0.5),
            "voiced": np.clip((voiced - 0.3) / 0.4, 0, 1)}


def acoustic_mouth(signal: np.ndarray, rate: int, fps: float, level: np.ndarray) -> np.ndarray:
    """Mouth layer (frames, 52) from the spectrum and loudness ``level`` (frames,)."""
    frames = len(level)
    layer = np.zeros((frames, N_SHAPES), np.float32)
    if frames == 0 or not (level > 0).any():
        return layer
    f = features(signal, rate, frame_times(frames, fps), level)
    loud = level ** 0.8
    opening = loud * (0.55 + 0.45 * f["open"]) * (1 - 0.6 * f["sibilant"])
    rounding = loud * f["voiced"] * np.clip(1.2 * (1 - f["front"]) - 0.4, 0, 1) * (1 - f["open"])
    width = loud * f["voiced"] * np.clip(1.5 * f["front"] - 0.5, 0, 1)

    def put(name: str, value: np.ndarray) -> None:
        layer[:, channels(name)] = value[:, None]

    put("jawOpen", 0.55 * opening)
    put("mouthLowerDown", 0.28 * opening)
    put("mouthUpperUp", 0.1 * opening + 0.12 * loud * f["sibilant"])
    put("mouthFunnel", 0.4 * rounding)
    put("mouthPucker", 0.5 * rounding)
    put("mouthStretch", 0.35 * width + 0.2 * loud * f["sibilant"])
    # Stop closures: a brief dip to (near) silence with speech on both sides.
    smooth = uniform_filter1d(level, 5)
    dip = (level < 0.08) & (smooth > 0.15)
    put("mouthClose", np.where(dip, layer[:, Blendshape.JAW_OPEN], 0))
    put("mouthPress", 0.3 * dip)
    return layer
