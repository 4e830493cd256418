"""Build the rig data file: 52 displacement fields on the canonical face mesh.

Three stages, all reproducible (the data file never feeds back into the build):

1. The hand-made rig (``emoface.face.rig.build_rig``): each ARKit shape from
   anatomical handles (jaw hinge, lip contours, lids, brows) following Apple's
   definitions, right shapes mirrored from left ones.
2. Calibration against MediaPipe's blendshape model, the ARKit-trained
   regressor inside face_landmarker.task (run with LiteRT). For every shape,
   a gain on the hand-made field and a smooth correction (Gaussian bumps at
   the landmarks of the shape's own region, moving in the image plane) are
   fitted so that the landmarks of several real portraits, displaced by the
   field, make the model read that shape, and as little else as possible.
   The correction is regularised toward zero, so the hand-made shape stays
   the shape; calibration sets how far and exactly where it moves. The fit
   penalises anything a face cannot do (folds, lips crossing, lips parting
   in a shape that keeps them closed), which the model would otherwise
   exploit. A calibration is kept as far as the renders read it better
   than the hand-made field (SEEN_GAIN), in proportion; for the jaw, whose
   geometry real talking video shows, as far as it shapes the opened mouth
   like real ones (REAL_SHAPES). (Fitting fields
   to be read at the share of motion the detector recovers from renders
   made them larger than real faces move, and a photo's own expression,
   removed with them, over-corrected: identity drifted toward dlib's 0.6
   limit.)
3. End-to-end gain. MediaPipe's landmark detector follows a warped photo
   only part of the way (a median 54 % of the displacement, measured), so a field
   that reads on ideal landmarks can read weakly on the render. Each shape
   (left/right pairs together) gets one scale factor, the smallest from a
   short list that makes the most renders read, within an anatomical cap
   on how far any vertex may move. A scale keeps the shape's form.

Writes src/emoface/face/rig_data.npz (float16 fields, ~35 KB) with a
fingerprint of what the build's inputs do (:func:`fingerprint`, checked by
tests/test_rig_data.py) and prints, per shape, the model's reading before and
after.

Run: make rig   (installs the `rig` extra, fetches the portraits of
scripts/portraits.sh, rebuilds, then measures with benchmarks/rig_fidelity.py)
     python scripts/build_rig.py --stamp   (only the fingerprint; see stamp())
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from portraits import CACHE, PORTRAITS, load as load_portrait  # noqa: E402

from emoface.face import regions as R  # noqa: E402
from emoface.face.mesh import canonical_mesh  # noqa: E402
from emoface.face.model import model_path  # noqa: E402
from emoface.face.rig import apply, build_rig, mirror_map  # noqa: E402
from emoface.face.tracker import track_portrait  # noqa: E402
from emoface.motion import ARKIT_NAMES, N_SHAPES  # noqa: E402
from emoface.render.portrait import PortraitRenderer, mouth_span_triangles  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "emoface" / "face" / "rig_data.npz"

# face_blendshapes_graph.cc (MediaPipe): the 146 landmarks the model reads,
# and its output names in order.
SUBSET = np.array([
    0, 1, 4, 5, 6, 7, 8, 10, 13, 14, 17, 21, 33, 37, 39, 40, 46, 52, 53, 54, 55, 58, 61, 63,
    65, 66, 67, 70, 78, 80, 81, 82, 84, 87, 88, 91, 93, 95, 103, 105, 107, 109, 127, 132, 133,
    136, 144, 145, 146, 148, 149, 150, 152, 153, 154, 155, 157, 158, 159, 160, 161, 162, 163,
    168, 172, 173, 176, 178, 181, 185, 191, 195, 197, 234, 246, 249, 251, 263, 267, 269, 270,
    276, 282, 283, 284, 285, 288, 291, 293, 295, 296, 297, 300, 308, 310, 311, 312, 314, 317,
    318, 321, 323, 324, 332, 334, 336, 338, 356, 361, 362, 365, 373, 374, 375, 377, 378, 379,
    380, 381, 382, 384, 385, 386, 387, 388, 389, 390, 397, 398, 400, 402, 405, 409, 415, 454,
    466, 468, 469, 470, 471, 472, 473, 474, 475, 476, 477])
MODEL_NAMES = (
    "_neutral browDownLeft browDownRight browInnerUp browOuterUpLeft browOuterUpRight cheekPuff "
    "cheekSquintLeft cheekSquintRight eyeBlinkLeft eyeBlinkRight eyeLookDownLeft eyeLookDownRight "
    "eyeLookInLeft eyeLookInRight eyeLookOutLeft eyeLookOutRight eyeLookUpLeft eyeLookUpRight "
    "eyeSquintLeft eyeSquintRight eyeWideLeft eyeWideRight jawForward jawLeft jawOpen jawRight "
    "mouthClose mouthDimpleLeft mouthDimpleRight mouthFrownLeft mouthFrownRight mouthFunnel "
    "mouthLeft mouthLowerDownLeft mouthLowerDownRight mouthPressLeft mouthPressRight mouthPucker "
    "mouthRight mouthRollLower mouthRollUpper mouthShrugLower mouthShrugUpper mouthSmileLeft "
    "mouthSmileRight mouthStretchLeft mouthStretchRight mouthUpperUpLeft mouthUpperUpRight "
    "noseSneerLeft noseSneerRight").split()
TO_ARKIT = np.array([MODEL_NAMES.index(n) if n in MODEL_NAMES else 0 for n in ARKIT_NAMES])
KNOWN = np.array([n in MODEL_NAMES for n in ARKIT_NAMES])

# Shapes calibrated directly; the others are mirrors, or need more than mesh
# motion (iris for eyeLook*, the tongue), or are exact by definition (a blink
# brings the upper lid onto the lower one, no further), or are defined only
# against another shape (mouthClose against jawOpen). mouthShrugLower (the
# chin pushing the lower lip up) keeps its hand-made field: the renders read
# any calibration of it only a few hundredths better, and with 0.43 of one
# kept, sad's lips read closed on 0.62 of p, b and m by dlib (0.90 by
# MediaPipe), 0.90 (1.00) with the hand-made field (lipsync_eval.py --rendered).
SKIP = ("eyeLook", "eyeBlink", "tongueOut", "mouthClose", "mouthShrugLower")
SIGMA_CM = 0.7  # width of a correction bump
CENTRES = 24  # correction bumps per shape
STEPS, LR, REG = 50, 0.04, 0.02
#: How much better the renders must read a calibration for half of it to be
#: kept; SEEN_SPAN less keeps none (a rebuild's readings move by 0.01-0.02),
#: SEEN_SPAN more keeps it whole. A share that grows with the evidence moves
#: a field as little as its reading moves: a cut-off flipped whole fields
#: (the jaw among them) on ties that any change to the renders tipped.
SEEN_GAIN, SEEN_SPAN = 0.05, 0.025
GAINS = (1.0, 1.25, 1.5, 1.8, 2.2, 2.6)
# Farthest any vertex may move at 1.0 (cm); jawOpen is the jaw's full drop.
# The lip shapes that the model reads only when the lips crumple into a
# "fish mouth" are held to what real lips do.
# A raised upper lip, too: real smiles and laughs (franck.mp4, wolfgang.mp4,
# face-api p(happy) > 0.9, read mouthUpperUp up to 0.9) bring the upper lip
# at most about 0.54 cm nearer the nose in the middle and 0.31 at the sides
# (90th percentile; benchmarks/upper_lip_lift.py). Calibrated past that,
# the raise read as a snarl and a toothy photo's own raise, taken away,
# pinched its lips shut at the corners.
CAP_CM = {"jawOpen": 4.0, "eye": 1.0, "brow": 1.3, "mouthShrugLower": 0.8, "mouthShrugUpper": 0.6,
          "mouthPressLeft": 0.45, "mouthPressRight": 0.45, "mouthRollLower": 0.7, "mouthRollUpper": 0.7,
          "mouthUpperUpLeft": 0.55, "mouthUpperUpRight": 0.55}
CAP_DEFAULT_CM = 2.0
# Exact by definition (blink meets the lower lid; mouthClose is measured
# against jawOpen), or not a surface change.
NO_GAIN = ("eyeBlink", "mouthClose", "tongueOut", "eyeLookIn", "eyeLookOut")


class Blendshapes:
    """MediaPipe's blendshape model on 478 (x, y) pixel landmarks."""

    def __init__(self) -> None:
        from ai_edge_litert.interpreter import Interpreter

        with zipfile.ZipFile(model_path()) as z:
            self.it = Interpreter(model_content=z.read("face_blendshapes.tflite"), num_threads=1)
        self.it.allocate_tensors()
        self.i = self.it.get_input_details()[0]["index"]
        self.o = self.it.get_output_details()[0]["index"]

    def __call__(self, pts: np.ndarray) -> np.ndarray:
        self.it.set_tensor(self.i, pts[SUBSET][None].astype(np.float32))
        self.it.invoke()
        return np.where(KNOWN, self.it.get_tensor(self.o)[TO_ARKIT], 0.0)


class Portrait:
    """A real portrait's rest landmarks and the map from canonical cm to its pixels."""

    def __init__(self, photo: np.ndarray, rig: np.ndarray) -> None:
        self.photo = photo
        self.face = face = track_portrait(photo)
        self.r = r = PortraitRenderer(photo, face, 512, rig=rig)
        c = r.crop
        self.iris = (face.landmarks[468:478, :2] - np.array([c.x0, c.y0])) * c.scale
        self.rest = self.points(r.vertices(np.zeros(N_SHAPES, np.float32), np.zeros(6, np.float32)))
        self.m = r.fit_matrix  # canonical cm -> fit frame (y up)

    def points(self, verts: np.ndarray) -> np.ndarray:
        return np.concatenate([verts[:468, :2] * np.array([1, -1]), self.iris])

    def project(self, field: np.ndarray) -> np.ndarray:
        d = field @ self.m.T
        return np.concatenate([d[:, :2] * np.array([1, -1]), np.zeros((10, 2))])


# The tuning portraits of benchmarks/portraits.py (the built-in one first,
# then the fetched files by name); the held-out ones are for reporting only.
TUNE = sorted((p for p in PORTRAITS if p.split == "tune"), key=lambda p: (p.file != "skimage", p.file))


def portrait_files() -> list[Path]:
    paths = [CACHE / p.file for p in TUNE if p.file != "skimage"]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        sys.exit(f"missing portraits {', '.join(missing)}: run bash scripts/portraits.sh")
    return paths


def portrait_digests() -> list[str]:
    import hashlib

    return [f"{p.name}:{hashlib.sha256(p.read_bytes()).hexdigest()}" for p in portrait_files()]


def portraits() -> list[np.ndarray]:
    portrait_files()  # one clear message when any is missing
    from reenact_eval import CLIPS  # REAL_SHAPES are measured in its tune clips

    clips = sorted({str(CACHE / "videos" / c.video) for c in CLIPS if c.role == "tune"})
    missing = [c for c in clips if not Path(c).is_file()]
    if missing:
        sys.exit(f"missing clips {', '.join(missing)}: run bash scripts/portraits.sh")
    return [load_portrait(p) for p in TUNE]


def objective(rises: np.ndarray, k: int) -> float:
    own = np.minimum(rises[:, k], 0.7)
    others = np.delete(rises, k, axis=1)
    # Others may rise a little (shapes overlap in the model's eyes) but never past the shape itself.
    over = np.maximum(others - np.maximum(0.15, 0.8 * rises[:, [k]]), 0).sum(1)
    spill = np.maximum(others - 0.15, 0).sum(1)
    return float((own - 1.5 * over - 0.2 * spill).mean())


# Shapes that part the lips by definition; every other shape keeps them together.
OPENS = ("jawOpen", "mouthLowerDown", "mouthUpperUp", "mouthFunnel", "mouthRoll")
FOLD = 1.0  # weight of the plausibility penalty against the model's reading


def implausible(field: np.ndarray, verts: np.ndarray, tris: np.ndarray, opens: bool) -> float:
    """How far a field is from a face a person could make, 0 when it is.

    The model will happily read a shape off a crumpled mesh; a viewer won't.
    Counted, in the front view: triangles squashed below 35 % of their area
    or flipped (a fold), lips crossing each other, and, for shapes that are
    not defined to open the mouth, lips parting.
    """
    def areas(v: np.ndarray) -> np.ndarray:
        a, b, c = v[tris[:, 0], :2], v[tris[:, 1], :2], v[tris[:, 2], :2]
        return 0.5 * ((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0])

    rest = areas(verts)
    # Slivers and the triangles that bridge the closed lips (the renderer
    # opens those into the mouth hole) can take any shape.
    live = (np.abs(rest) > 0.05 * np.median(np.abs(rest))) & ~mouth_span_triangles(tris)
    ratio = areas(verts + field)[live] / rest[live]
    pen = float(np.minimum(np.maximum(0.35 - ratio, 0), 1).sum())
    up, lo = list(R.LIPS_UPPER_INNER[1:-1]), list(R.LIPS_LOWER_INNER[1:-1])
    opening = field[up, 1] - field[lo, 1]  # change in the gap between the lips (cm)
    pen += 3.0 * float(np.maximum(-opening - 0.05, 0).sum())
    if not opens:
        pen += 3.0 * float(np.maximum(opening - 0.1, 0).sum())
    return pen


def calibrate(k: int, hand: np.ndarray, verts: np.ndarray, bs: Blendshapes,
              faces: list[Portrait], base: list[np.ndarray]) -> tuple[np.ndarray, float, float]:
    field = hand[k]
    tris = canonical_mesh().triangles
    opens = ARKIT_NAMES[k].startswith(OPENS)
    mag = np.linalg.norm(field, axis=1)
    support = np.where(mag > 0.15 * mag.max())[0] if mag.max() > 0 else np.arange(len(verts))
    cands = np.intersect1d(support, SUBSET[SUBSET < 468])
    if len(cands) == 0:
        cands = support
    # farthest-point sample of bump centres over the shape's own landmarks
    centres = [cands[np.argmax(mag[cands])]]
    while len(centres) < min(CENTRES, len(cands)):
        d = np.min(((verts[cands, None] - verts[centres][None]) ** 2).sum(-1), axis=1)
        centres.append(cands[np.argmax(d)])
    bumps = np.exp(-((verts[:, None] - verts[centres][None]) ** 2).sum(-1) / (2 * SIGMA_CM ** 2))
    proj_hand = [f.project(field) for f in faces]
    # (478, 2) per portrait and per bump/axis: linear in the parameters
    basis = [np.stack([np.concatenate([f.project(np.outer(bumps[:, j], e))[:468], np.zeros((10, 2))])
                       for j in range(len(centres)) for e in np.eye(3)[:2]]) for f in faces]

    def rises(params: np.ndarray) -> np.ndarray:
        g, a = params[0], params[1:]
        return np.stack([bs(f.rest + g * ph + np.tensordot(a, b, 1)) - b0
                         for f, ph, b, b0 in zip(faces, proj_hand, basis, base)])

    def moved(params: np.ndarray) -> np.ndarray:
        return params[0] * field + np.concatenate([bumps @ params[1:].reshape(-1, 2),
                                                   np.zeros((len(verts), 1))], 1)

    base_k = np.array([b0[k] for b0 in base])

    def score(params: np.ndarray) -> float:
        r = rises(params)
        # The model's outputs saturate at 0: its logit still says which way is up.
        q = np.clip(r[:, k] + base_k, 1e-6, 1 - 1e-6)
        logit = float(np.clip(np.log(q / (1 - q)), -12, 1).mean())
        return objective(r, k) + 0.03 * logit - REG * float((params[1:] ** 2).sum()) \
            - 0.05 * (params[0] - 1) ** 2 - FOLD * implausible(moved(params), verts, tris, opens)

    p = np.zeros(1 + 2 * len(centres))
    p[0] = 1.0
    before = rises(p)[:, k].mean()
    m, v = np.zeros_like(p), np.zeros_like(p)
    eps = 0.02
    for step in range(STEPS):
        f0 = score(p)
        grad = np.array([(score(p + eps * e) - f0) / eps for e in np.eye(len(p))])
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad ** 2
        p += LR * (m / (1 - 0.9 ** (step + 1))) / (np.sqrt(v / (1 - 0.999 ** (step + 1))) + 1e-8)
        p[0] = np.clip(p[0], 0.5, 3.0)
    after = rises(p)[:, k].mean()
    return moved(p), before, after


def seen_rise(faces: list[Portrait], k: int, field: np.ndarray) -> float:
    """Mean rise of shape k's score when MediaPipe re-reads the rendered
    portraits (the whole pipeline: render, detect landmarks, blendshapes)."""
    from emoface.face.tracker import FaceTracker

    zero = np.zeros(N_SHAPES, np.float32)
    one = zero.copy()
    one[k] = 1.0
    rises = []
    with FaceTracker() as tracker:
        for f in faces:
            scores = []
            with f.r.shape_override(k, field):
                for c in (zero, one):
                    found = tracker.track(f.r.render(c, np.zeros(6, np.float32)))
                    scores.append(max(found, key=lambda o: o.bbox[2] * o.bbox[3]).blendshapes[k]
                                  if found else np.nan)
            rises.append(scores[1] - scores[0])
    return float(np.nanmean(rises))


def _reads(tracker, r: PortraitRenderer, base: np.ndarray, k: int) -> tuple[bool, float]:
    c = np.zeros(N_SHAPES, np.float32)
    c[k] = 1.0
    found = tracker.track(r.render(c, np.zeros(6, np.float32)))
    if not found:
        return False, 0.0
    rise = max(found, key=lambda o: o.bbox[2] * o.bbox[3]).blendshapes - base
    return bool(rise[k] >= 0.3 and (rise > rise[k]).sum() < 3), float(rise[k])


def fit_gains(rig: np.ndarray, faces: list[Portrait]) -> np.ndarray:
    """Stage 3: one end-to-end scale per shape (pairs share it), in place.
    The portraits are those of stage 2, rendered with the stage-2 rig."""
    from emoface.face.tracker import FaceTracker

    renderers = [PortraitRenderer(f.photo, f.face, 512, rig=rig) for f in faces]
    mesh = canonical_mesh()
    verts, tris = mesh.vertices.astype(np.float64), mesh.triangles
    zero = np.zeros(N_SHAPES, np.float32)
    done: set[int] = set()
    with FaceTracker() as tracker:
        bases = []
        for r in renderers:
            found = tracker.track(r.render(zero, np.zeros(6, np.float32)))
            bases.append(max(found, key=lambda o: o.bbox[2] * o.bbox[3]).blendshapes)
        for k, name in enumerate(ARKIT_NAMES):
            if k in done or name.startswith(NO_GAIN):
                continue
            twin = {"Left": "Right", "Right": "Left"}
            group = [k] + [ARKIT_NAMES.index(name[:-len(sfx)] + other)
                           for sfx, other in twin.items() if name.endswith(sfx)]
            done.update(group)
            kind = "eye" if name.startswith("eye") else "brow" if name.startswith("brow") else name
            cap = CAP_CM.get(kind, CAP_DEFAULT_CM)
            reach = float(np.linalg.norm(rig[k], axis=1).max())
            opens = name.startswith(OPENS)
            at_one = implausible(rig[k].astype(np.float64), verts, tris, opens)
            results = []
            for g in GAINS:
                if g > 1 and (g * reach > cap or
                              implausible(g * rig[k].astype(np.float64), verts, tris, opens) > at_one + 1.0):
                    break
                n, rises = 0, []
                for r, base in zip(renderers, bases):
                    for j in group:
                        with r.shape_override(j, scale=g):
                            ok, rise = _reads(tracker, r, base, j)
                        n += ok
                        rises.append(rise)
                results.append((n, float(np.mean(rises)), g))
            best = max(results, key=lambda t: (t[0], -t[2]))
            scale = min(best[2], cap / max(reach, 1e-9))  # stage 2 may already reach past the cap
            for j in group:
                rig[j] *= scale
            print(f"{name:<20} renders that read at each gain: "
                  + ", ".join(f"{g}: {n} ({m:+.2f})" for n, m, g in results)
                  + f" -> {scale:.2f}", flush=True)
    return rig


def tuning_faces(hand: np.ndarray, bs: Blendshapes) -> tuple[list[Portrait], list[np.ndarray]]:
    """Stage 2's portraits, fitted with the hand-made rig, and the model's reading of each at rest."""
    # Start from the hand-made rig, not from a previous data file: reproducible.
    faces = [Portrait(p, hand) for p in portraits()]
    return faces, [bs(f.rest) for f in faces]


def jaw_share(field: np.ndarray, hand: np.ndarray, faces: list[Portrait]) -> float:
    """The share of a jaw calibration (``field`` against the hand-made
    ``hand``) that opens the tune portraits' mouths most like real speaking
    mouths opened as far: the lower lip's curve from corner to corner
    (benchmarks/jaw_shape.py), measured in the tune clips of the
    self-reenactment benchmark."""
    from jaw_shape import opened_to, real

    _, seen = real("tune")

    def shaped(moved: np.ndarray) -> np.ndarray:
        return np.median([opened_to(lambda c, f=f, d=f.project(moved): f.rest + c * d, seen[0])
                          for f in faces], axis=0)

    shares = np.linspace(0.0, 1.0, 21)
    off = [np.abs(shaped(hand + w * (field - hand))[1:] - seen[1:]).sum() for w in shares]
    return float(shares[int(np.argmin(off))])


#: Shapes whose geometry real talking video shows, and the share of their
#: calibration that shapes the face like real faces: it outranks how the
#: renders read them.
REAL_SHAPES = {"jawOpen": jaw_share}


def stage2_field(k: int, hand: np.ndarray, verts: np.ndarray, bs: Blendshapes,
                 faces: list[Portrait], base: list[np.ndarray]) -> np.ndarray:
    """Stage 2 for shape k: the hand-made field, moved toward the calibrated
    one by the share the renders support (:data:`SEEN_GAIN`), or for a
    shape real video shows, by the share that shapes it like real faces."""
    name = ARKIT_NAMES[k]
    field, before, after = calibrate(k, hand, verts, bs, faces, base)
    # Keep the calibration only as far as the renders are *seen* to read it
    # better: a field tuned to the model alone can take odd shapes for nothing.
    seen_hand, seen_cal = seen_rise(faces, k, hand[k]), seen_rise(faces, k, field)
    share = float(np.clip(0.5 + (seen_cal - seen_hand - SEEN_GAIN) / (2 * SEEN_SPAN), 0.0, 1.0))
    if not name.endswith(("Left", "Right")):
        # A shape of both sides stays symmetric: corrections fitted on a few
        # real (never quite symmetric) faces would skew it, a jaw that
        # drops one side of the lower lip further than the other.
        field = (field + field[mirror_map(verts)] * np.array([-1, 1, 1])) / 2
    shaped = REAL_SHAPES[name](field, hand[k], faces) if name in REAL_SHAPES else None
    print(f"{name:<20} model reading {before:+.2f} -> {after:+.2f}; renders read "
          f"{seen_hand:+.2f} -> {seen_cal:+.2f}: {share:.2f} of the calibration"
          + (f"; shaped like real faces at {shaped:.2f}, kept" if shaped is not None else ""), flush=True)
    return hand[k] + (share if shaped is None else shaped) * (field - hand[k])


# The check of the shipped data file (tests/test_rig_data.py) recomputes, in
# seconds, what the build's inputs *do* on the built-in portrait and compares
# it with what they did when the file was built: a renderer, tracker,
# hand-made field or setting that behaves differently fails it, an edited
# comment or docstring does not. The real portraits and MediaPipe's model run
# bare (LiteRT) are left to the slow test, which reruns stage 2 for a few shapes.

#: Coefficient sets the hand-made rig is applied to: each shape at a weight
#: of its own in every set (a permutation of 52 levels from 0.25 to 1), so a
#: change to any field shows and no two changes cancel out in all four sets.
CHECK_COEFFS = (0.25 + 0.75 * ((17 * np.arange(4)[:, None] + 29 * np.arange(N_SHAPES)) % N_SHAPES)
                / (N_SHAPES - 1)).astype(np.float32)

#: The parts of :func:`fingerprint`: what each covers, and how far it may
#: drift (above the numeric noise of another CPU, below what moves the build).
CHECK_PARTS: dict[str, tuple[str, float]] = {
    "check_fields": ("the hand-made fields at fixed coefficients, cm (face/rig.py, mesh, regions)", 1e-3),
    "check_fit": ("the built-in portrait's rest landmarks in the fit frame, px (tracker; crop, "
                  "fit and removal of the photo's expression in render/portrait.py)", 0.1),
    "check_fit_matrix": ("the fit of the canonical face to that portrait, px per cm", 0.01),
    "check_penalty": ("the build's penalty of each hand-made field at gain 1 and the largest "
                      "(implausible(), mouth_span_triangles)", 0.01),
    "check_renders": ("the renders the build has the tracker read, as grey thumbnails of the face, "
                      "0-255 (render/*, mouths.npz)", 1.0),
    "check_settings": ("the build's settings (scripts/build_rig.py)", 0.0),
}


def settings() -> dict:
    """The values the build runs with, beyond the code :func:`fingerprint` runs."""
    return {"SUBSET": SUBSET.tolist(), "MODEL_NAMES": MODEL_NAMES, "SKIP": SKIP, "SIGMA_CM": SIGMA_CM,
            "CENTRES": CENTRES, "STEPS": STEPS, "LR": LR, "REG": REG,
            "SEEN_GAIN": SEEN_GAIN, "SEEN_SPAN": SEEN_SPAN, "REAL_SHAPES": sorted(REAL_SHAPES),
            "GAINS": GAINS, "CAP_CM": CAP_CM, "CAP_DEFAULT_CM": CAP_DEFAULT_CM, "NO_GAIN": NO_GAIN,
            "OPENS": OPENS, "FOLD": FOLD, "TUNE": [p.file for p in TUNE]}


def penalties(hand: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """:func:`implausible` of every hand-made field at gain 1 and the largest gain, (2, 52)."""
    tris = canonical_mesh().triangles
    return np.array([[implausible(g * hand[k], verts, tris, name.startswith(OPENS))
                      for k, name in enumerate(ARKIT_NAMES)] for g in (1.0, GAINS[-1])])


#: Side of the thumbnail each render's face is reduced to: cells of about
#: 12 x 12 pixels, where a lid, an iris or the mouth drawn differently shows
#: and the odd pixel that rounding flips (another CPU; 0.003 px of tracking
#: noise moves a cell by under 0.7 grey levels) does not.
THUMB = 16


def render_thumbs(f: Portrait) -> np.ndarray:
    """The renders the build has the tracker read (stages 2 and 3): at rest,
    then each shape it scales alone at 1.0; grey, the face's box reduced to
    THUMB x THUMB, (1 + n, THUMB, THUMB). The tracker's own scores of them are
    no fingerprint: a thousandth of a pixel moves them by up to 0.3."""
    x0, y0, x1, y1 = f.face.bbox
    pad = 0.15 * (x1 - x0)
    box = np.s_[int(max(y0 - pad, 0)):int(y1 + pad), int(max(x0 - pad, 0)):int(x1 + pad)]
    shapes = [k for k, name in enumerate(ARKIT_NAMES) if not name.startswith(NO_GAIN)]
    coeffs = np.zeros((1 + len(shapes), N_SHAPES), np.float32)
    coeffs[np.arange(1, len(coeffs)), shapes] = 1.0
    grey = [cv2.cvtColor(f.r.render(c, np.zeros(6, np.float32))[box], cv2.COLOR_RGB2GRAY) for c in coeffs]
    return np.array([cv2.resize(g.astype(np.float32), (THUMB, THUMB), interpolation=cv2.INTER_AREA)
                     for g in grey])


def fingerprint() -> dict[str, np.ndarray]:
    """What the build's inputs do, the parts of :data:`CHECK_PARTS`: the
    hand-made rig, and the built-in portrait (no download) fitted, rendered
    and read as stages 2 and 3 do."""
    verts = canonical_mesh().vertices.astype(np.float64)
    hand = build_rig(verts).astype(np.float64)
    face = Portrait(load_portrait(TUNE[0]), hand)
    return {"check_fields": np.array([apply(hand, c) for c in CHECK_COEFFS], np.float32),
            "check_fit": face.rest.astype(np.float32),
            "check_fit_matrix": face.m.astype(np.float32),
            "check_penalty": penalties(hand, verts).astype(np.float32),
            "check_renders": render_thumbs(face).astype(np.float16),
            "check_settings": np.array(json.dumps(settings(), sort_keys=True))}


def check_mismatches(recorded: dict[str, np.ndarray], now: dict[str, np.ndarray]) -> list[str]:
    """One line per part of the fingerprint that differs beyond its tolerance;
    empty when the data file is what this code would build."""
    off = []
    for key, (what, tol) in CHECK_PARTS.items():
        if key not in recorded:
            off.append(f"{key}: not recorded ({what})")
        elif key == "check_settings":
            was, is_ = json.loads(str(recorded[key])), json.loads(str(now[key]))
            changed = sorted(k for k in was.keys() | is_.keys() if was.get(k) != is_.get(k))
            if changed:
                off.append(f"{key}: {', '.join(changed)} changed ({what})")
        else:
            a, b = np.asarray(recorded[key], np.float64), np.asarray(now[key], np.float64)
            if a.shape != b.shape:
                off.append(f"{key}: shape {a.shape} is now {b.shape} ({what})")
            elif not np.allclose(a, b, rtol=0, atol=tol, equal_nan=True):
                off.append(f"{key}: off by up to {np.nanmax(np.abs(a - b)):.3g}, "
                           f"tolerance {tol:g} ({what})")
    return off


def save(path: Path, rig: np.ndarray, portrait_ids: np.ndarray) -> None:
    """Write the data file: the fields (float16), their names, the portraits
    they were fitted on, and the fingerprint of the code that built them."""
    np.savez_compressed(path, rig=np.asarray(rig).astype(np.float16), names=np.array(ARKIT_NAMES),
                        portraits=np.asarray(portrait_ids), **fingerprint())


def stamp(path: Path) -> None:
    """Give an existing data file the fingerprint of this code, its fields
    untouched (a file from before the fingerprint, or from before a new
    part of it). Never to quiet the check after the code changed: the
    fields would then be stale without a word; run the build."""
    with np.load(path) as data:
        if tuple(data["names"]) != ARKIT_NAMES:
            sys.exit(f"{path}: built for other shapes; run the build")
        rig, portrait_ids = data["rig"], data["portraits"]
    save(path, rig, portrait_ids)
    print(f"stamped {path} with this code's fingerprint")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stamp", action="store_true",
                        help="only record this code's fingerprint in the existing data file (see stamp())")
    if parser.parse_args().stamp:
        return stamp(OUT)
    verts = canonical_mesh().vertices.astype(np.float64)
    hand = build_rig(verts).astype(np.float64)
    bs = Blendshapes()
    faces, base = tuning_faces(hand, bs)
    rig = hand.copy()
    mirror = mirror_map(verts)
    for k, name in enumerate(ARKIT_NAMES):
        if name.startswith(SKIP) or name.endswith("Right"):
            continue
        rig[k] = stage2_field(k, hand, verts, bs, faces, base)
        if name.endswith("Left"):
            twin = name[:-4] + "Right"
            rig[ARKIT_NAMES.index(twin)] = rig[k][mirror] * np.array([-1, 1, 1])
    fit_gains(rig, faces)
    save(OUT, rig, np.array(portrait_digests()))
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB) from {len(faces)} portraits")


if __name__ == "__main__":
    sys.exit(main())
