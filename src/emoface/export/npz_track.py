"""NumPy .npz: exact arrays plus the names they are indexed by."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..motion import ARKIT_NAMES, LAYERS, SCHEMA_VERSION, MotionTrack


def save(track: MotionTrack, path: Path) -> None:
    with open(path, "wb") as fh:
        np.savez_compressed(
            fh, schema=np.int32(SCHEMA_VERSION), fps=np.float64(track.fps),
            names=np.array(ARKIT_NAMES), coefficients=track.coefficients, pose=track.pose,
            **{f"layer_{k}": v for k, v in track.layers.items()})


def load(path: Path) -> MotionTrack:
    with np.load(path, allow_pickle=False) as z:
        if int(z["schema"]) > SCHEMA_VERSION:
            raise ValueError(f"schema {int(z['schema'])} is newer than this emoface reads")
        names = [str(n) for n in z["names"]]
        order = [names.index(n) for n in ARKIT_NAMES]
        layers = {k: z[f"layer_{k}"][:, order] for k in LAYERS if f"layer_{k}" in z}
        return MotionTrack(float(z["fps"]), z["coefficients"][:, order], z["pose"], layers)
