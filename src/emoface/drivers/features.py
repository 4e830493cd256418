"""Per-video-frame speech features shared by the speech-driven drivers."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

SILENCE_DBFS = -55.0  # a clip whose loud parts stay under this is treated as silence


def n_frames(duration: float, fps: float) -> int:
    """Frames a clip of ``duration`` seconds spans: video length within half a frame."""
    return max(1, int(round(duration * fps)))


def frame_rms(signal: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """RMS level per video frame, shape (frames,), linear amplitude.

    Each value is measured over a window of two frames centred on the frame.
    """
    x = np.asarray(signal, np.float64)
    centres = (np.arange(frames) + 0.5) / fps * rate
    half = int(rate / fps)
    csum = np.concatenate([[0.0], np.cumsum(x * x)])
    lo = np.clip(centres - half, 0, len(x)).astype(int)
    hi = np.clip(centres + half, 0, len(x)).astype(int)
    energy = (csum[hi] - csum[lo]) / np.maximum(hi - lo, 1)
    return np.sqrt(energy)


def speech_level(signal: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """Loudness per frame normalised to [0, 1]: 0 at the noise floor, 1 at the
    loud peaks of this clip. All zeros for a silent clip."""
    rms = frame_rms(signal, rate, fps, frames)
    db = 20 * np.log10(rms + 1e-9)
    peak = float(np.percentile(db, 97))
    if peak < SILENCE_DBFS:
        return np.zeros(frames, np.float32)
    floor = max(float(np.percentile(db, 10)), peak - 45.0)
    gate = floor + 0.3 * (peak - floor)  # under this: pause or breath, lips rest
    level = np.clip((db - gate) / max(peak - gate, 1.0), 0, 1)
    return np.clip(uniform_filter1d(level, 2), 0, 1).astype(np.float32)
