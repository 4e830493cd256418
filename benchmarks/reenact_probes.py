"""What the head's place and the lips' parting are worth on self-reenactment:
probes beside benchmarks/reenact_eval.py, on its held-out clips.

Each probe keeps video mode's captured coefficients and pose and changes one
thing, frame by frame, to what the real frame shows; the portrait is the
clip's first frame, so its own renderer models the driver's head too:

- *video*: video mode's coefficients and pose, drawn by the renderer (the
  probes' baseline; `emoface render` draws the same frames); *video, as
  the mp4*: the same frames through the H.264 file `emoface render` writes
  (yuv420p, CRF 18) and back; *as a lossless mp4*: at CRF 0, what is left
  is the colour kept at half resolution;
- *head on the capture's points*: each frame's head pose fitted so that the
  portrait's skull points (forehead, nose, eye corners, temples) land where
  the capture's own tracker put them (video mode, smoothed, as
  `emoface render` reads a driver);
- *head on the judge's points*: the same fit on each frame tracked alone,
  the tracker that scores the renders;
- *lips parted as the real ones*: the jaw moved until the drawn lips part as
  far as the real frame's (the change from frame 0, as relative mode carries
  it); *by the lips alone*: the same parting from the lips (mouthClose, then
  the lower lip), the jaw as captured.

Metrics as in reenact_eval.py. Run: python benchmarks/reenact_probes.py
(writes docs/reenact.md, section "Probes").
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
from scipy.optimize import least_squares

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reenact_eval as E  # noqa: E402
from doc_sections import splice  # noqa: E402

from emoface.drivers.capture import capture_video  # noqa: E402
from emoface.face import regions as R  # noqa: E402
from emoface.face.tracker import FaceTracker  # noqa: E402
from emoface.media.video import open_video, write_video  # noqa: E402
from emoface.motion import ARKIT_NAMES, channels  # noqa: E402
from emoface.options import MotionOptions  # noqa: E402
from emoface.pipeline import prepare_portrait, retarget  # noqa: E402

SKULL = list(R.SKULL)
JAW, CLOSE = ARKIT_NAMES.index("jawOpen"), ARKIT_NAMES.index("mouthClose")
LOWER_DOWN = channels("mouthLowerDown")
ZERO = np.zeros(6, np.float32)
ENCODED, LOSSLESS = "video, as the mp4", "video, as a lossless mp4"
PROBES = ("video", ENCODED, LOSSLESS, "head on the capture's points", "head on the judge's points",
          "lips parted as the real ones", "by the lips alone")


def fitted_poses(renderer, coefficients: np.ndarray, start: np.ndarray, points: list[np.ndarray | None]
                 ) -> np.ndarray:
    """Per frame, the head pose (6,) that puts the portrait's skull points
    where ``points`` (468, 3, the fit frame) are, seen from the front;
    frames without points keep ``start``'s."""
    out = np.array(start, np.float64, copy=True)
    guess = np.zeros(6)
    for k, pts in enumerate(points):
        if pts is None:
            continue
        c = coefficients[min(k, len(coefficients) - 1)]

        def apart(p, c=c, pts=pts):
            return (renderer.vertices(c, p.astype(np.float32))[SKULL, :2] - pts[SKULL, :2]).ravel()
        guess = least_squares(apart, guess, diff_step=1e-3).x
        out[k] = guess
    return out.astype(np.float32)


def _opened(c: np.ndarray, by: float, lips_only: bool) -> np.ndarray:
    """``c`` with the lips parted ``by`` more (less, when negative): by the
    jaw, or by the lips alone (mouthClose first, then the lower lip)."""
    out = c.copy()
    if not lips_only:
        out[JAW] = np.clip(c[JAW] + by, 0, 1)
        out[CLOSE] = min(out[CLOSE], out[JAW])
    elif by < 0:
        out[CLOSE] = min(c[CLOSE] - by, c[JAW])
    else:
        eased = min(by, c[CLOSE])
        out[CLOSE] = c[CLOSE] - eased
        out[LOWER_DOWN] = np.clip(c[LOWER_DOWN] + by - eased, 0, 1)
    return out


def parted_as(renderer, coefficients: np.ndarray, real_gaps: np.ndarray, lips_only: bool) -> np.ndarray:
    """Coefficients whose drawn lips part as far as the real frames' (gap
    over the mouth's width, as its change from frame 0), found by bisection."""
    def gap(c):
        return E.lip_gap(renderer.vertices(c, ZERO)[:468, :2])

    out = coefficients.copy()
    drawn0 = gap(coefficients[0])
    for k in range(min(len(coefficients), len(real_gaps))):
        if np.isnan(real_gaps[k]):
            continue
        target = drawn0 + real_gaps[k] - real_gaps[0]
        lo, hi = -0.6, 0.8
        for _ in range(14):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if gap(_opened(coefficients[k], mid, lips_only)) < target else (lo, mid)
        out[k] = _opened(coefficients[k], (lo + hi) / 2, lips_only)
    return out


def run_clip(clip: E.Clip, tmp: Path, tracker: FaceTracker) -> dict[str, dict]:
    driver, truth = E.segment(clip, tmp)
    portrait = tmp / f"{clip.name}_0.png"
    cv2.imwrite(str(portrait), cv2.cvtColor(truth[0], cv2.COLOR_RGB2BGR))
    box = E.face_box(E.read(tracker, truth[:1], (0, 0, E.CROP))[0], truth[0].shape)
    real = E.read(tracker, truth, box)
    renderer = prepare_portrait(portrait)
    capture = capture_video(driver, keep_landmarks=True)  # as load_motion reads it, the points kept
    moving = retarget(capture.track(), MotionOptions(), baseline=renderer.baseline)
    coeffs, pose, captured = moving.coefficients, moving.pose, capture.landmarks
    judged = [E._largest(tracker.track(f)) for f in truth]
    gaps = np.array([E.lip_gap(r.points) if r.points is not None else np.nan for r in real])
    runs = {
        "video": (coeffs, pose),
        "head on the capture's points": (coeffs, fitted_poses(renderer, coeffs, pose, [
            E.fit_points(p, renderer) for p in captured])),
        "head on the judge's points": (coeffs, fitted_poses(renderer, coeffs, pose, [
            None if f is None else E.fit_points(f.landmarks, renderer) for f in judged])),
        "lips parted as the real ones": (parted_as(renderer, coeffs, gaps, lips_only=False), pose),
        "by the lips alone": (parted_as(renderer, coeffs, gaps, lips_only=True), pose),
    }
    assert set(runs) | {ENCODED, LOSSLESS} == set(PROBES)
    out = {"still": E.score(truth, [truth[0]] * len(truth), real, [real[0]] * len(truth), box)}
    for name, (c, p) in runs.items():
        gen = [renderer.render(c[min(k, len(c) - 1)], p[min(k, len(p) - 1)]) for k in range(len(truth))]
        if name == "video":
            fps = open_video(driver)[0].fps
            for probe, crf in ((ENCODED, 18), (LOSSLESS, 0)):
                encoded = E.frames_of_video(write_video(tmp / f"{clip.name}_probe.mp4", iter(gen), fps, crf=crf))
                out[probe] = E.score(truth, encoded, real, E.read(tracker, encoded, box), box)
        out[name] = E.score(truth, gen, real, E.read(tracker, gen, box), box)
        print(clip.name, name, {k: round(out[name][k], 3) for k in ("psnr", "mouth", "f_lmd", "gap_r")},
              flush=True)
    return out


def lines_of(results: dict[str, dict]) -> list[str]:
    lines = ["| clip | probe | PSNR dB | mouth PSNR dB | F-LMD px | M-LMD px | lip gap r / amp |",
             "|---|---|---|---|---|---|---|"]
    for clip, modes in results.items():
        for name in PROBES:
            m = modes[name]
            lines.append(f"| {clip} | {name} | {m['psnr']:.2f} | {m['mouth']:.2f} | {m['f_lmd']:.2f} | "
                         f"{m['m_lmd']:.2f} | {m['gap_r']:.2f} / {m['gap_amp']:.2f} |")
    lines.append("")
    for name in PROBES:
        gain = lambda k: np.mean([m[name][k] - m["still"][k] for m in results.values()])  # noqa: E731
        lines.append(f"- **{name}** ({len(results)} held-out clips): PSNR {gain('psnr'):+.2f} dB over the "
                     f"still, mouth PSNR {gain('mouth'):+.2f} dB, F-LMD "
                     f"{np.mean([m[name]['f_lmd'] for m in results.values()]):.2f} px.")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clips", nargs="*", help="only these clips (default: the held-out ones)")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    args = ap.parse_args()
    clips = E.chosen_clips(ap, args.clips, default=lambda clip: clip.role == "held out")
    results = {}
    with tempfile.TemporaryDirectory() as tmp, FaceTracker(max_faces=1) as tracker:
        for clip in clips:
            results[clip.name] = run_clip(clip, Path(tmp), tracker)
    lines = lines_of(results)
    print("\n".join(lines))
    if not args.no_write:
        body = ["", "`benchmarks/reenact_probes.py`: each probe keeps video mode's captured motion and sets "
                "one thing, frame by frame, to what the real frame shows, drawn by the same renderer; the still "
                "floor as above. *video*: the raw frames; *video, as the mp4*: the same frames through the file "
                "`emoface render` writes (H.264, yuv420p, CRF 18), and at CRF 0 (lossless but for colour at half "
                "resolution); *head on the capture's points* / *on the "
                "judge's points*: each frame's head pose fitted so that the portrait's skull points land where "
                "the capture's tracker (video mode, smoothed) or the scoring tracker (each frame alone) put them; "
                "*lips parted as the real ones*: the jaw moved until the drawn lips part as far as the real "
                "frame's (as a change from frame 0); *by the lips alone*: the same parting from mouthClose and "
                "the lower lip.", "", *lines]
        splice(E.DOC, "## Probes: the head's place and the lips' parting", body)


if __name__ == "__main__":
    main()
