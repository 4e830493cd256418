"""Live Link Face CSV, column for column as the iPhone app exports it:
Timecode (HH:MM:SS:FF.fff, the frame and its fraction), BlendShapeCount
(61: the 52 ARKit shapes and 9 rotations), the 52 ARKit columns in ARKit
order, then head and eye yaw, pitch and roll in radians.

The layout has no frame rate and no head translation: the rate is read back
from the timecodes (frames per second of clock time), and translation is
not kept (.json and .npz keep everything). Values are written with 9
significant digits, which round-trips float32 exactly; rotations with 17, so
the degrees a track holds come back exactly.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np

from ..motion import ARKIT_NAMES, N_SHAPES, MotionTrack

ROTATIONS = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch",
             "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
#: Columns earlier emoface versions appended (still read if present).
EXTRAS = ("HeadX", "HeadY", "HeadZ", "Fps")
HEADER = ("Timecode", "BlendShapeCount",
          *(n[0].upper() + n[1:] for n in ARKIT_NAMES), *ROTATIONS)
BLEND_SHAPE_COUNT = N_SHAPES + len(ROTATIONS)  # 61, as the app writes it
_COMMON_RATES = (24.0, 25.0, 30.0, 48.0, 50.0, 60.0)


def timecode(frame: int, fps: float) -> str:
    """SMPTE-like HH:MM:SS:FF.fff timecode of ``frame`` (Live Link Face style)."""
    t = frame / fps
    sec = int(t + 1e-9)
    sub = max(0.0, (t - sec) * fps)
    ff = int(sub + 1e-6)
    milli = min(999, int(round((sub - ff) * 1000)))
    return f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}:{ff:02d}.{milli:03d}"


def save(track: MotionTrack, path: Path) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        rot = np.radians(track.pose[:, :3].astype(np.float64))
        for i in range(len(track)):
            row = [timecode(i, track.fps), BLEND_SHAPE_COUNT]
            row += [f"{v:.9g}" for v in track.coefficients[i]]
            row += [repr(float(v)) for v in rot[i]] + ["0"] * 6
            w.writerow(row)


def _fps_from_timecodes(codes: list[str]) -> float:
    """Frames per second: the frames of the first whole second of clock time
    (a recording starts anywhere in a second, so not the first second seen)."""
    secs = [tuple(c.split(":")[:3]) for c in codes]
    runs: list[int] = []
    for k, sec in enumerate(secs):
        if k == 0 or sec != secs[k - 1]:
            runs.append(0)
        runs[-1] += 1
    if len(runs) >= 2 and float(codes[0].split(":")[3]) == 0:  # starts on a whole second
        return float(runs[0])
    if len(runs) >= 3:
        return float(runs[1])
    # Under a second or two of clock time: the smallest common rate that fits its frame numbers.
    top = max(int(float(c.split(":")[3])) for c in codes) + 1
    fps = next((r for r in _COMMON_RATES if r >= top), float(top))
    warnings.warn(f"the clip is too short to tell its frame rate from its timecodes; read at {fps:g} fps",
                  stacklevel=3)
    return fps


def load(path: Path) -> MotionTrack:
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    if len(rows) < 2:
        raise ValueError("no frames")
    col = {name: i for i, name in enumerate(rows[0])}
    missing = [n for n in HEADER[2:2 + N_SHAPES] if n not in col]
    if missing:
        raise ValueError(f"missing columns {', '.join(missing[:3])}")
    data = rows[1:]

    def column(name: str, default: float = 0.0) -> np.ndarray:
        if name not in col:
            return np.full(len(data), default, np.float32)
        return np.array([float(r[col[name]]) for r in data], np.float32)

    coeffs = np.stack([column(n) for n in HEADER[2:2 + N_SHAPES]], axis=1)
    rot = np.stack([[float(r[col[n]]) if n in col else 0.0 for n in ROTATIONS[:3]]
                    for r in data]).reshape(-1, 3)
    pose = np.concatenate([np.degrees(rot).astype(np.float32),
                           np.stack([column(n) for n in EXTRAS[:3]], axis=1)], axis=1)
    if "Fps" in col:
        fps = float(data[0][col["Fps"]])
    else:
        fps = _fps_from_timecodes([r[col["Timecode"]] for r in data])
    return MotionTrack(fps, coeffs, pose)
