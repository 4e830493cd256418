"""Live Link Face CSV: Timecode, BlendShapeCount, 52 ARKit columns, head and eye
rotation, then emoface's extra columns (head translation, frame rate).

Values are written with 9 significant digits, which round-trips float32 exactly.
Head and eye rotations are in radians, as Live Link Face writes them, with 17
digits so that the degrees the track holds come back exactly.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from ..motion import ARKIT_NAMES, N_SHAPES, MotionTrack

ROTATIONS = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch",
             "LeftEyeRoll", "RightEyeYaw", "RightEyePitch", "RightEyeRoll")
EXTRAS = ("HeadX", "HeadY", "HeadZ", "Fps")
HEADER = ("Timecode", "BlendShapeCount",
          *(n[0].upper() + n[1:] for n in ARKIT_NAMES), *ROTATIONS, *EXTRAS)


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
            row = [timecode(i, track.fps), N_SHAPES]
            row += [f"{v:.9g}" for v in track.coefficients[i]]
            row += [repr(float(v)) for v in rot[i]] + ["0"] * 6
            row += [f"{v:.9g}" for v in track.pose[i, 3:]] + [f"{track.fps:.9g}"]
            w.writerow(row)


def _fps_from_timecodes(codes: list[str]) -> float:
    # Without our Fps column: frames per second = frames seen in the first whole second.
    secs = [c.split(":")[:3] for c in codes]
    first = secs[0]
    n = sum(1 for s in secs if s == first)
    if n == len(secs):
        raise ValueError("clip shorter than one second has no Fps column; cannot tell its rate")
    return float(n)


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
