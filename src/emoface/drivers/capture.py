"""Capture: facial motion read from a video (or a photo) by the face tracker.

Per frame, MediaPipe's 52 blendshape scores (less what it reads on a face at
rest) and the head pose; frames where the face is lost are bridged, and the
curves are smoothed without lag. :func:`split_layers` divides the result into
emoface's layers, so a video can drive the mouth, the eyes, the head or the
expression alone.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..easing import smoothstep
from ..errors import FaceError, File, InputError
from ..face.regions import SKULL
from ..filters import fill_gaps, one_euro
from ..geometry import umeyama
from ..motion import LAYER_OF, N_SHAPES, SHARED_MOUTH, MotionTrack, channels, layer_mask
from ..pose import from_camera
from ..relative import WIDE_OPENING
from ..progress import Progress, quiet

# The tracker works on a copy this large: the landmark model sees a 256 px
# face crop anyway, and a 1080p frame costs most of its time in copying.
_TRACK_SIDE = 640
# Smoothing (filters.one_euro): blendshape scores jitter by ~0.02 on a still
# face, and a blink or a plosive must survive, so the cutoff rises quickly
# with speed; the head moves slowly and its jitter shows most, but a turn
# followed late puts the face off the driver's (beta 0.3 against 0.05: F-LMD
# 2.3 -> 2.0 px on the tuning clips of benchmarks/reenact_eval.py).
_SCORES_FILTER = {"min_cutoff": 2.0, "beta": 6.0}
_POSE_FILTER = {"min_cutoff": 1.0, "beta": 0.3}
_POINTS_FILTER = {"min_cutoff": 1.5, "beta": 0.3}
# Gaps up to this long are bridged silently; longer ones are bridged too, but
# said (a face out of view for seconds is worth knowing about).
_QUIET_GAP_S = 1.0
# The emotional share of the lower face and the eyes changes over seconds;
# speech moves the same channels several times a second. A running median
# over this window keeps the first and drops the second.
_EXPRESSION_WINDOW_S = 0.8
_SLOW = np.array(channels(*SHARED_MOUTH, "mouthShrugLower", "mouthShrugUpper",
                          "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight"))


@dataclass(frozen=True, eq=False)
class Capture:
    """Face motion read from a video.

    Attributes
    ----------
    fps : float
    coefficients : ndarray (T, 52) float32
        ARKit coefficients: the tracker's scores beyond a face at rest
        (face.tracker.expression_of), smoothed, gaps filled.
    pose : ndarray (T, 6) float32
        Head pose per frame as the tracker sees it: yaw, pitch, roll in
        degrees, and the face origin x, y, z in camera centimetres.
    found : ndarray (T,) bool
        Frames where the tracker saw the face.
    landmarks : ndarray (T, 478, 3) float32, optional
        The tracked points in video pixels, smoothed (kept on request: what
        dubbing redraws the mouth along).
    """

    fps: float
    coefficients: np.ndarray
    pose: np.ndarray
    found: np.ndarray
    landmarks: np.ndarray | None = None

    def track(self, reference: int = 0) -> MotionTrack:
        """The capture as a MotionTrack: the coefficients as read, the pose
        as the change from frame ``reference`` (emoface.pose.from_camera),
        and the layers split."""
        pose = from_camera(self.pose, reference)
        return MotionTrack(self.fps, self.coefficients, pose, split_layers(self.coefficients, self.fps))


def _slow(values: np.ndarray, fps: float) -> tuple[np.ndarray, int]:
    """The slow part of captured curves (T, K): a running median over the
    expression's window (speech moves the same channels several times a
    second); and the window, in frames."""
    from scipy.ndimage import median_filter

    win = max(1, int(round(_EXPRESSION_WINDOW_S * fps)) | 1)
    return median_filter(values, size=(win, 1), mode="nearest"), win


def split_layers(coefficients: np.ndarray, fps: float) -> dict[str, np.ndarray]:
    """Divide captured coefficients (T, 52) into mouth, eyes and expression.

    Brows, cheeks and nose are expression. The channels the expression shares
    with the mouth and the eyes (smile, frown, stretch, press, squint, wide)
    are split in time: their slow part (a running median over 0.8 s) is the
    expression, the rest (what speech and blinks do) stays with the mouth and
    eyes. The jaw and the lip openers are speech and stay with the mouth.
    """
    from scipy.ndimage import uniform_filter1d

    c = np.asarray(coefficients, np.float32)
    owner = np.array([LAYER_OF[n] for n in LAYER_OF])
    expression = np.where(owner == "expression", c, 0.0).astype(np.float32)
    if len(c):
        slow, win = _slow(c[:, _SLOW], fps)
        expression[:, _SLOW] = uniform_filter1d(slow, max(1, win // 2), axis=0, mode="nearest")
    # Where speech dips a channel below its slow part the dip is lost (layers
    # are never negative); everywhere else the layers add up to the input.
    rest = np.maximum(c - expression, 0.0)
    return {"mouth": np.where(owner == "mouth", rest, 0.0).astype(np.float32),
            "eyes": np.where(owner == "eyes", rest, 0.0).astype(np.float32),
            "expression": expression}


#: A smile bares the teeth by holding the jaw and the upper lip apart; from
#: this slow smile (a running median, as the expression's) on, fully.
_SMILE_PARTING = np.array(channels("jawOpen", "mouthUpperUp"))
_TOOTHY_SMILE = (0.2, 0.5)


def smile_parting(coefficients: np.ndarray, fps: float) -> np.ndarray:
    """How far a captured smile holds the lips apart, (T, 52): the slow part
    of jawOpen and mouthUpperUp, where the slow smile is on (0 elsewhere and
    on every other channel). A dub keeps it under the new speech, so that a
    speaker who smiled with teeth still does while saying the new words."""
    c = np.asarray(coefficients, np.float32)
    out = np.zeros_like(c)
    if not len(c):
        return out
    slow, _ = _slow(c[:, np.concatenate([_SMILE_PARTING, channels("mouthSmile")])], fps)
    n = len(_SMILE_PARTING)
    smiling = smoothstep(slow[:, n:].mean(axis=1), *_TOOTHY_SMILE)
    out[:, _SMILE_PARTING] = slow[:, :n] * smiling[:, None]
    return out


def capture_video(path: str | Path, model: str | Path | None = None,
                  progress: Progress = quiet, keep_landmarks: bool = False) -> Capture:
    """Track the face in every frame of a video.

    Raises
    ------
    InputError
        Not a readable video, or no frames.
    FaceError
        No face in any frame.
    """
    import cv2

    from ..face.tracker import FaceTracker, expression_of
    from ..media.video import open_video

    info, frames = open_video(path)
    total = info.n_frames
    scores, poses, found, points, eyes, skulls = [], [], [], [], [], []
    s = min(1.0, _TRACK_SIDE / max(info.size))
    size = (max(2, round(info.size[0] * s)), max(2, round(info.size[1] * s)))
    with FaceTracker(video=True, max_faces=1, model=model) as tracker:
        for i, frame in enumerate(frames):
            small = cv2.resize(frame, size, interpolation=cv2.INTER_AREA) if s < 1 else frame
            faces = tracker.track_frame(small, round(i * 1000 / info.fps))
            if faces:
                scores.append(expression_of(faces[0].blendshapes))
                poses.append(faces[0].pose)
                eyes.append(lid_heights(faces[0].landmarks))
                skulls.append(faces[0].landmarks[list(SKULL)])
                if keep_landmarks:
                    points.append(faces[0].landmarks / s)
            else:
                scores.append(np.zeros(N_SHAPES, np.float32))
                poses.append(np.zeros(6, np.float32))
                eyes.append(np.zeros(4, np.float32))
                skulls.append(np.zeros((len(SKULL), 3), np.float32))
                if keep_landmarks:
                    points.append(np.zeros((478, 3), np.float32))
            found.append(bool(faces))
            progress("capturing", i + 1, max(total, i + 1))
    if not found:
        raise InputError(File(path), f": video has no frames; {info.path.suffix or 'the file'} may be "
                         "damaged, re-encode it")
    ok = np.array(found)
    if not ok.any():
        raise FaceError(File(path), f": no face found in any of its {len(ok)} frames; give a video "
                        "with a clearly visible, roughly frontal face")
    _say_gaps(path, ok, info.fps)
    coeffs = read_geometry(fill_gaps(np.array(scores), ok), fill_gaps(np.array(eyes), ok), ok)
    pose = fill_gaps(np.array(poses), ok)
    coeffs = np.clip(one_euro(coeffs, info.fps, **_SCORES_FILTER), 0, 1)
    pose = _depth_from_skull(one_euro(pose, info.fps, **_POSE_FILTER), np.array(skulls), ok, info.fps)
    marks = None
    if keep_landmarks:
        # In pixels: a still face jitters by a fraction of a pixel, a turning
        # head moves tens of pixels a second.
        marks = one_euro(fill_gaps(np.array(points), ok), info.fps, **_POINTS_FILTER).astype(np.float32)
    return Capture(info.fps, coeffs.astype(np.float32), pose.astype(np.float32), ok, marks)


def _depth_from_skull(pose: np.ndarray, skulls: np.ndarray, found: np.ndarray, fps: float) -> np.ndarray:
    """``pose`` (T, 6) with each frame's distance (z) set by how large the
    skull's points (T, K, 3) look against their median shape, at the
    tracker's median distance. The tracker's own distance comes from all the
    landmarks, so a jaw dropping or a smile reads as the head coming nearer:
    on real talking video the renders grew 2-3 % where the rigid face did
    not (benchmarks/reenact_eval.py, the tuning clips)."""
    seen = np.flatnonzero(found)
    points = one_euro(fill_gaps(skulls, found), fps, **_POINTS_FILTER)
    shape = np.median(points[seen], axis=0)
    scale = np.array([umeyama(shape, p)[0] for p in points])
    # As the pose's other parts: a size that jitters by a percent is 0.6 cm.
    scale = one_euro(scale[:, None], fps, **_POSE_FILTER)[:, 0]
    out = pose.astype(np.float64).copy()
    out[:, 5] = np.median(pose[seen, 5]) * np.median(scale[seen]) / np.maximum(scale, 1e-6)
    return out


# The tracker reads a real mouth as less open than the rig draws at the same
# jawOpen: on real talking video, driving a portrait of the same face at the
# scores as read gave lips 80-85 % as far apart and a jawOpen read back 65-75 %
# as large (benchmarks/reenact_eval.py, tune clips). The jaw is read that much
# larger, and mouthClose with it, so lips sealed over a dropped jaw stay sealed.
_JAW_READ_GAIN = 1.3
_JAW = channels("jawOpen", "mouthClose")
# The eye channels the lids are read into (read_geometry), left then right.
_BLINK, _WIDE, _SQUINT = channels("eyeBlink"), channels("eyeWide"), channels("eyeSquint")
# How much of the eye's opening the rig's eyeSquint = 1 closes from below.
_SQUINT_CLOSING = 0.38
# An eye's usual opening: most of the time eyes are open, blinks are brief.
_OPEN_PERCENTILE = 80


def lid_heights(points: np.ndarray) -> np.ndarray:
    """Where the lids of each eye are, from tracked landmarks (478, 2+):
    (left upper, left lower, right upper, right lower), each the lid's mean
    height above the line between the eye's corners, over the eye's width
    (x right, y down in the points; up is positive here)."""
    from ..face import regions as R

    p = np.asarray(points, np.float32)[:, :2]
    out = []
    for up, lo in ((R.LEFT_EYE_UPPER, R.LEFT_EYE_LOWER), (R.RIGHT_EYE_UPPER, R.RIGHT_EYE_LOWER)):
        a, b = p[up[0]], p[up[-1]]
        along = (b - a) * (1 if b[0] >= a[0] else -1)
        width = max(float(np.linalg.norm(along)), 1e-6)
        normal = np.array([along[1], -along[0]]) / width  # points up the image
        for lid in (up, lo):
            out.append(float(((p[list(lid[2:-2])] - a) @ normal).mean()) / width)
    return np.array(out, np.float32)


def read_geometry(coefficients: np.ndarray, lids: np.ndarray, found: np.ndarray) -> np.ndarray:
    """The tracker's coefficients (T, 52) on the rig's scale: eyeBlink and
    eyeWide read from where the upper lids are (:func:`lid_heights`, (T, 4))
    instead of from the tracker's scores, and the jaw read larger.

    The tracker's blink score rises slowly until the lids nearly meet (an
    eye half closed reads about 0.25), so driving a lid by it leaves a
    rendered eye half open where the real one shut. The upper lid's own
    travel says how far it closed: from its usual height (blink 0) down to
    where the lower lid usually is (blink 1, shut, as in ARKit); above its
    usual height is eyeWide, on the rig's scale. A squint raises the lower
    lid and leaves the upper where it is: it is read from the lower lid's
    rise as eyeSquint, never as a blink.
    """
    out = np.array(coefficients, np.float32, copy=True)
    out[:, _JAW] = np.clip(out[:, _JAW] * _JAW_READ_GAIN, 0, 1)
    lids = np.asarray(lids, np.float32)
    seen = lids[np.asarray(found, bool)]
    if not len(seen):
        return out
    for k, (blink, wide, squint) in enumerate(zip(_BLINK, _WIDE, _SQUINT)):
        upper, lower = lids[:, 2 * k], seen[:, 2 * k + 1]
        usual = float(np.percentile(seen[:, 2 * k], _OPEN_PERCENTILE))
        shut = float(np.median(lower))
        ratio = (upper - shut) / max(usual - shut, 1e-3)
        out[:, blink] = np.clip(1.0 - ratio, 0, 1)
        out[:, wide] = np.clip((ratio - 1.0) / WIDE_OPENING, 0, 1)
        lift = (lids[:, 2 * k + 1] - shut) / max(usual - shut, 1e-3)
        out[:, squint] = np.clip(lift / _SQUINT_CLOSING, 0, 1)
    return out


def _say_gaps(path: str | Path, found: np.ndarray, fps: float) -> None:
    lost = ~found
    if not lost.any():
        return
    # Longest run of lost frames.
    edges = np.diff(np.concatenate([[0], lost.astype(int), [0]]))
    runs = np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)
    if runs.max() / fps > _QUIET_GAP_S:
        warnings.warn(f"{path}: the face is out of view in {lost.mean():.0%} of frames "
                      f"(longest gap {runs.max() / fps:.1f} s); those frames are bridged",
                      stacklevel=3)


def image_expression(path: str | Path | np.ndarray, model: str | Path | None = None) -> np.ndarray:
    """The expression a photo shows, as expression-layer coefficients (52,)
    on the rig's scale: the reference for ``--expression-from face.jpg``."""
    from ..face.tracker import expression_of, on_rig_scale, track_portrait
    from ..media.image import load_image

    if isinstance(path, np.ndarray):
        photo, name = path, "image"
    else:
        photo, name = load_image(path), str(path)
    face = track_portrait(photo, model=model, source=name)
    return np.where(layer_mask("expression"), on_rig_scale(expression_of(face.blendshapes)), 0.0).astype(np.float32)
