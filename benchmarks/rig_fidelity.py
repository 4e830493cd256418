"""Rig fidelity, judged by MediaPipe's blendshape model.

For every ARKit shape MediaPipe knows (51: all but tongueOut), render the
portrait with that shape at 1.0 and everything else at rest, track the
render, and compare each blendshape score with the score of the rest render.
A shape *reads* when its own score rises by at least 0.3 and is among the 3
largest rises. Writes docs/rig.md (table per portrait) and a contact sheet
of all 52 shapes, docs/images/rig_shapes.jpg.

Run: .venv/bin/python benchmarks/rig_fidelity.py [IMAGE ...]
(the built-in astronaut portrait, plus IMAGEs or else the public-domain
portraits that scripts/portraits.sh fetches)
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

from emoface.face.tracker import FaceTracker, track_portrait
from emoface.media.image import load_image
from emoface.motion import ARKIT_NAMES, N_SHAPES
from emoface.options import RenderOptions
from emoface.pipeline import prepare_portrait

ROOT = Path(__file__).resolve().parents[1]
RISE, TOP = 0.3, 3


def _scores(tracker: FaceTracker, frame: np.ndarray) -> np.ndarray:
    faces = tracker.track(frame)
    if not faces:
        return np.full(N_SHAPES, np.nan)
    return max(faces, key=lambda f: f.bbox[2] * f.bbox[3]).blendshapes


def fidelity(photo: np.ndarray) -> tuple[list[dict], list[np.ndarray]]:
    renderer = prepare_portrait(photo, RenderOptions())
    x0, y0, x1, y1 = track_portrait(photo).bbox
    pad = 0.15 * (x1 - x0)
    box = (int(max(x0 - pad, 0)), int(max(y0 - pad, 0)), int(x1 + pad), int(y1 + pad))
    rest = renderer.render(np.zeros(N_SHAPES, np.float32), np.zeros(6, np.float32))
    rows, tiles = [], []
    with FaceTracker() as tracker:
        base = _scores(tracker, rest)
        for i, name in enumerate(ARKIT_NAMES):
            c = np.zeros(N_SHAPES, np.float32)
            c[i] = 1.0
            frame = renderer.render(c, np.zeros(6, np.float32))
            tiles.append(_tile(frame, box, name))
            if name == "tongueOut":
                continue
            rise = _scores(tracker, frame) - base
            order = np.argsort(-np.nan_to_num(rise, nan=-9))
            rank = int(np.where(order == i)[0][0]) + 1
            rows.append({"shape": name, "rise": float(rise[i]), "rank": rank,
                         "top": ARKIT_NAMES[order[0]],
                         "reads": bool(rise[i] >= RISE and rank <= TOP)})
    return rows, tiles


POSES = [(20, 0, 0), (-20, 0, 0), (0, 15, 0), (0, -15, 0), (0, 0, 10), (0, 0, -10)]
EXPRESSIONS = {
    "rest": {},
    "open smile": {"jawOpen": 0.6, "mouthSmileLeft": 1.0, "mouthSmileRight": 1.0},
    "sad": {"mouthFrownLeft": 1.0, "mouthFrownRight": 1.0, "browInnerUp": 1.0},
    "surprise": {"jawOpen": 1.0, "browInnerUp": 1.0, "eyeWideLeft": 1.0, "eyeWideRight": 1.0},
}


def pose_and_identity(photo: np.ndarray) -> tuple[list[str], list[str]]:
    """Pose asked vs measured by MediaPipe, and dlib's face-descriptor distance
    from the photo for strong expressions at 0 and +-20 degrees of yaw."""
    import dlib
    import face_recognition_models as frm

    detector = dlib.get_frontal_face_detector()
    shape = dlib.shape_predictor(frm.pose_predictor_model_location())
    encoder = dlib.face_recognition_model_v1(frm.face_recognition_model_location())

    def descriptor(img: np.ndarray) -> np.ndarray | None:
        # Upsampled once more if the first look misses (turned faces).
        found = detector(img, 1) or detector(img, 2)
        if not found:
            return None
        box = max(found, key=lambda r: r.area())
        return np.array(encoder.compute_face_descriptor(img, shape(img, box)))

    renderer = prepare_portrait(photo, RenderOptions())
    face = track_portrait(photo)
    pose_rows = []
    for pose in POSES:
        out = renderer.render(np.zeros(N_SHAPES, np.float32), np.array([*pose, 0, 0, 0], np.float32))
        seen = track_portrait(out).pose[:3] - face.pose[:3]
        pose_rows.append(f"| {pose} | ({seen[0]:+.1f}, {seen[1]:+.1f}, {seen[2]:+.1f}) |")
    ref = descriptor(photo)
    id_rows = []
    for name, shapes in EXPRESSIONS.items():
        c = np.zeros(N_SHAPES, np.float32)
        for k, v in shapes.items():
            c[ARKIT_NAMES.index(k)] = v
        dists = []
        for yaw in (0, 20, -20):
            d = descriptor(renderer.render(c, np.array([yaw, 0, 0, 0, 0, 0], np.float32)))
            dists.append("no face" if d is None or ref is None else f"{np.linalg.norm(d - ref):.2f}")
        id_rows.append(f"| {name} | {' | '.join(dists)} |")
    return pose_rows, id_rows


def _tile(frame: np.ndarray, box: tuple[int, int, int, int], name: str) -> np.ndarray:
    x0, y0, x1, y1 = box
    crop = np.ascontiguousarray(cv2.resize(frame[y0:y1, x0:x1], (160, 160),
                                           interpolation=cv2.INTER_AREA))
    cv2.putText(crop, name, (3, 154), cv2.FONT_HERSHEY_SIMPLEX, 0.36, (255, 255, 0), 1, cv2.LINE_AA)
    return crop


def main() -> None:
    import skimage.data

    images = sys.argv[1:] or sorted(str(p) for p in (ROOT / ".cache" / "portraits").glob("*.jpg"))
    photos = [("astronaut (scikit-image)", skimage.data.astronaut())]
    photos += [(Path(p).name, load_image(p)) for p in images]
    summary: list[str] = []
    summary_image: list[str] = []
    lines = ["# Rig fidelity", "",
             "Each ARKit shape rendered at 1.0 on a real portrait and re-read by MediaPipe's "
             f"blendshape model (not ours). A shape *reads* when its score rises by at least {RISE} "
             f"over the rest render and is among the {TOP} largest rises. Produced by "
             "`benchmarks/rig_fidelity.py`.", ""]
    for k, (label, photo) in enumerate(photos):
        rows, tiles = fidelity(photo)
        n = sum(r["reads"] for r in rows)
        print(f"{label}: {n}/{len(rows)} shapes read", flush=True)
        summary.append(f"| {label} | {n} of {len(rows)} |")
        lines += [f"## {label}: {n} of {len(rows)} shapes read", "",
                  "| shape | score rise | rank of its rise | largest rise | reads |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r['shape']} | {r['rise']:+.2f} | {r['rank']} | {r['top']} | "
                  f"{'yes' if r['reads'] else 'no'} |" for r in rows]
        lines.append("")
        pose_rows, id_rows = pose_and_identity(photo)
        lines += ["Pose asked (yaw, pitch, roll) and measured by MediaPipe:", "",
                  "| asked | measured |", "|---|---|", *pose_rows, "",
                  "Identity: dlib ResNet face-descriptor distance to the photo "
                  "(same person below 0.6):", "",
                  "| expression | yaw 0 | yaw +20 | yaw -20 |", "|---|---|---|---|", *id_rows, ""]
        if k == 0:
            grid = [np.concatenate(tiles[r:r + 8] + [np.zeros_like(tiles[0])] * (8 - len(tiles[r:r + 8])),
                                   axis=1) for r in range(0, len(tiles), 8)]
            out = ROOT / "docs" / "images" / "rig_shapes.jpg"
            cv2.imwrite(str(out), cv2.cvtColor(np.concatenate(grid, axis=0), cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, 88])
            summary_image = ["![All 52 shapes at 1.0 on the astronaut portrait](images/rig_shapes.jpg)", ""]
    head = ["| portrait | shapes that read |", "|---|---|", *summary, "", *summary_image,
            "The rig's fields are calibrated by `scripts/build_rig.py`; tongueOut is drawn by the "
            "mouth interior and is not scored (MediaPipe has no tongueOut output).", "",
            "### What limits these figures", "",
            "MediaPipe reads blendshapes in two steps: a landmark detector on the image, then a "
            "small model on 146 of those landmarks. Fed the rig's own displaced landmarks "
            "directly, the second step reads 29 of the 51 shapes at 0.3 or more on the astronaut "
            "portrait. On the rendered image the detector recovers a median 54 % of the "
            "displacement the warp applied (10th to 90th percentile over shapes: 9-73 %; least "
            "for sideways mouth motion, lip press and the outer brow), pulled toward the faces it "
            "was trained on, and the second step is steep, so half the motion often reads as none. "
            "Scaling a shape up helps some shapes (`build_rig.py` stage 3) until it stops looking "
            "like the shape, and a photo's own expression, removed with the same fields, is then "
            "over-corrected (the face drifts from the person). Several shapes do "
            "not register on real faces either: cheekPuff stays near 0 "
            "([mediapipe#4436](https://github.com/google-ai-edge/mediapipe/issues/4436)), as do "
            "eyeWide and noseSneer ([mediapipe#4450](https://github.com/google-ai-edge/mediapipe/issues/4450)).",
            ""]
    (ROOT / "docs" / "rig.md").write_text("\n".join(lines[:4] + head + lines[4:]))
    print("wrote docs/rig.md")


if __name__ == "__main__":
    main()
