"""EmoTalk-style .npy: a (frames, 52) float32 array of ARKit coefficients in
ARKit order, nothing else (no rate, no head pose: EmoTalk writes 30 fps, so
that is the rate a loaded .npy gets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..motion import N_SHAPES, MotionTrack

#: The rate of EmoTalk's output, assumed for any .npy read back.
NPY_FPS = 30.0


def save(track: MotionTrack, path: Path) -> None:
    with open(path, "wb") as fh:
        np.save(fh, track.coefficients.astype(np.float32), allow_pickle=False)


def load(path: Path) -> MotionTrack:
    c = np.load(path, allow_pickle=False)
    if c.ndim != 2 or c.shape[1] != N_SHAPES:
        raise ValueError(f"expected a (frames, 52) array of ARKit coefficients, got shape {c.shape}")
    return MotionTrack(NPY_FPS, c.astype(np.float32), np.zeros((len(c), 6), np.float32))
