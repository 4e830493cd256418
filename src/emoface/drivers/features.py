"""Per-video-frame speech features shared by the speech-driven drivers."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

SILENCE_DBFS = -55.0  # a clip whose loud parts stay under this is treated as silence


def n_frames(duration: float, fps: float) -> int:
    """Frames a clip of ``duration`` seconds spans: video length within half a frame."""
    return max(1, int(round(duration * fps)))


def frame_times(frames: int, fps: float) -> np.ndarray:
    """Time each video frame shows, seconds: the middle of its display interval."""
    return (np.arange(frames) + 0.5) / fps


def frame_rms(signal: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """RMS level per video frame, shape (frames,), linear amplitude.

    Each value is measured over a window of two frames centred on the frame.
    Energy is summed in 2.5 ms blocks, block by block, so an hour of audio
    needs a few megabytes here rather than two float64 copies of the signal.
    """
    x = np.asarray(signal)
    block = max(1, rate // 400)
    n_blocks = -(-len(x) // block)
    energy = np.zeros(n_blocks + 1)
    step = block * 65536
    for i in range(0, len(x), step):
        part = np.asarray(x[i:i + step], np.float64)
        part = np.pad(part, (0, -len(part) % block))
        lo = i // block
        energy[lo + 1:lo + 1 + len(part) // block] = np.square(part).reshape(-1, block).sum(1)
    csum = np.cumsum(energy)  # csum[k] = energy of the first k blocks
    centres = frame_times(frames, fps) * rate / block
    half = rate / fps / block
    lo = np.clip(np.round(centres - half), 0, n_blocks).astype(int)
    hi = np.clip(np.round(centres + half), 0, n_blocks).astype(int)
    return np.sqrt((csum[hi] - csum[lo]) / np.maximum((hi - lo) * block, 1))


def speech_level(signal: np.ndarray, rate: int, fps: float, frames: int) -> np.ndarray:
    """Loudness per frame normalised to [0, 1]: 0 at the noise floor, 1 at the
    loud peaks of this clip. All zeros for a silent clip."""
    rms = frame_rms(signal, rate, fps, frames)
    db = 20 * np.log10(rms + 1e-9)
    peak = float(np.percentile(db, 97))
    if peak < SILENCE_DBFS:
        return np.zeros(frames, np.float32)
    level = level_from_db(db, peak, float(np.percentile(db, 10)))
    return np.clip(uniform_filter1d(level, 2), 0, 1).astype(np.float32)


def level_from_db(db: np.ndarray, peak: float, floor: float) -> np.ndarray:
    """Loudness in [0, 1] from frame levels (dBFS) given the speaker's loud
    peaks and noise floor, measured over a clip or, in a stream, over the
    last seconds."""
    floor = max(floor, peak - 45.0)
    gate = floor + 0.3 * (peak - floor)  # under this: pause or breath, lips rest
    return np.clip((np.asarray(db) - gate) / max(peak - gate, 1.0), 0, 1)
