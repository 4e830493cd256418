"""JSON: named channels, layers and pose, human readable and lossless.

float32 values are written through float64 repr, which reads back exactly.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..motion import ARKIT_NAMES, LAYERS, POSE_NAMES, SCHEMA_VERSION, MotionTrack


def save(track: MotionTrack, path: Path) -> None:
    doc = {
        "format": "emoface.motion",
        "schema": SCHEMA_VERSION,
        "fps": track.fps,
        "frames": len(track),
        "blendshapes": list(ARKIT_NAMES),
        "pose_channels": list(POSE_NAMES),
        "coefficients": track.coefficients.astype(np.float64).tolist(),
        "pose": track.pose.astype(np.float64).tolist(),
        "layers": {k: v.astype(np.float64).tolist() for k, v in track.layers.items()},
    }
    with open(path, "w") as fh:
        json.dump(doc, fh, separators=(",", ":"))


def load(path: Path) -> MotionTrack:
    with open(path) as fh:
        doc = json.load(fh)
    if not isinstance(doc, dict) or doc.get("format") != "emoface.motion":
        raise ValueError("not an emoface motion JSON")
    if int(doc.get("schema", 0)) > SCHEMA_VERSION:
        raise ValueError(f"schema {doc['schema']} is newer than this emoface reads "
                         f"({SCHEMA_VERSION}); upgrade emoface")
    names = doc["blendshapes"]
    order = [names.index(n) for n in ARKIT_NAMES]

    def arr(a: list) -> np.ndarray:
        return np.asarray(a, np.float64).reshape(len(a), -1)[:, order].astype(np.float32)

    layers = {k: arr(v) for k, v in doc.get("layers", {}).items() if k in LAYERS}
    pose = np.asarray(doc["pose"], np.float64).reshape(-1, len(POSE_NAMES)).astype(np.float32)
    return MotionTrack(float(doc["fps"]), arr(doc["coefficients"]), pose, layers)
