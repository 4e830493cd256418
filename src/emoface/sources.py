"""Where each layer comes from: one source per layer, chosen per call.

A source is ``auto`` (the layer's own driver: lip sync for the mouth, blinks
for the eyes, the emotion label for the expression, speech rhythm for the
head), ``none`` (the layer stays still), a driving video, a photo (for the
expression), or a saved MotionTrack (.csv, .json, .npz, .npy). Sources are
resampled to the output frame rate and aligned at their start; one shorter
than the output plays forward and back (no jump), and that is said.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import Field, OptionError
from .filters import ping_pong, sample
from .motion import MotionTrack
from .pose import rebase
from .progress import Progress, quiet
from .relative import changes, reference_index

#: The layers a source can drive, and the flag that chooses it.
SOURCE_LAYERS: tuple[str, ...] = ("mouth", "eyes", "expression", "pose")
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ogv", ".gif"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff"})
TRACK_SUFFIXES = frozenset({".csv", ".json", ".npz", ".npy"})
_AUTO_WORDS = {"mouth": ("auto", "speech"), "eyes": ("auto", "blink"),
               "expression": ("auto", "label"), "pose": ("auto", "speech")}


@dataclass(frozen=True)
class Source:
    """A parsed ``--<layer>-from`` value."""

    kind: str  # "auto", "none", "video", "image" or "track"
    path: Path | None = None

    @property
    def is_auto(self) -> bool:
        return self.kind == "auto"


AUTO = Source("auto")


def parse_source(layer: str, value: str | Path | None) -> Source:
    """Check a ``--<layer>-from`` value: a source a layer cannot use is an
    error here. Its file is read, and found missing, where it is loaded
    (:class:`Resolver`): options hold values, and a batch row's options are
    checked on a machine that may not hold its files."""
    option = Field(f"{layer}_from")
    if value is None or str(value).strip().lower() in _AUTO_WORDS[layer]:
        return AUTO
    if str(value).strip().lower() == "none":
        return Source("none")
    path = Path(value)
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        kind = "video"
    elif suffix in IMAGE_SUFFIXES:
        if layer != "expression":
            raise OptionError(option, f" {path}: a photo holds no motion; a photo can set the expression (",
                              Field("expression_from"), "), give a video or a track here")
        kind = "image"
    elif suffix in TRACK_SUFFIXES:
        kind = "track"
    else:
        words = "/".join(_AUTO_WORDS[layer])
        raise OptionError(option, f" {value!r}: not a source; use {words}, none, a video "
                          f"({', '.join(sorted(VIDEO_SUFFIXES))}), a track (.csv, .json, .npz, .npy)"
                          + (" or a photo" if layer == "expression" else ""))
    return Source(kind, path)


def load_motion(motion: MotionTrack | str | Path, progress: Progress = quiet,
                face_model: str | Path | None = None) -> MotionTrack:
    """A MotionTrack as given, from a saved track file, or captured from a video."""
    if isinstance(motion, MotionTrack):
        return motion
    if Path(motion).suffix.lower() in VIDEO_SUFFIXES:
        from .drivers.capture import capture_video

        return capture_video(motion, face_model, progress).track()
    from .export import load_track

    return load_track(motion)


class Resolver:
    """Reads sources into layers of ``frames`` frames at ``fps``; a video or
    track given for several layers is read once."""

    def __init__(self, fps: float, frames: int, face_model: str | Path | None = None,
                 progress: Progress = quiet, reference: int | str | None = 0) -> None:
        self.fps, self.frames = fps, frames
        self.face_model = face_model
        self.progress = progress
        #: The driver's reference frame (emoface.relative), or None for absolute motion.
        self.reference = reference
        self._tracks: dict[Path, MotionTrack] = {}
        self._said: set[Path | None] = set()

    def motion(self, source: Source) -> MotionTrack:
        """The MotionTrack a video or track source holds, at its own rate."""
        assert source.path is not None
        if source.path not in self._tracks:
            self._tracks[source.path] = load_motion(source.path, self.progress, self.face_model)
        return self._tracks[source.path]

    def layer(self, layer: str, source: Source, intensity: float = 1.0) -> np.ndarray:
        """Layer ``layer`` from a non-auto source: (frames, 52), or (frames, 6)
        for the pose. ``intensity`` scales a photo's expression."""
        width = 6 if layer == "pose" else 52
        if source.kind == "none":
            return np.zeros((self.frames, width), np.float32)
        if source.kind == "image":
            from .drivers.capture import image_expression
            from .drivers.emotion import eased_expression

            return eased_expression(image_expression(source.path, self.face_model), intensity,
                                    self.frames, self.fps)
        track = self.motion(source)
        ref = (None if self.reference is None
               else reference_index(track.coefficients, self.reference, str(source.path)))
        if layer == "pose":
            curves = track.pose if ref is None else rebase(track.pose, ref)
        else:
            layers = track.layers
            if layer not in layers:
                from .drivers.capture import split_layers

                layers = split_layers(track.coefficients, track.fps)
            curves = layers[layer] if ref is None else changes(layers[layer], ref)
        return self._fit(curves, track.fps, source)

    def is_relative(self, source: Source) -> bool:
        """Whether ``source`` gives changes (from its reference frame) rather
        than the face to show. ``none`` moving the portrait relatively is no
        change: the layer stays as the photo has it (a smile with its teeth
        under a head that a video drives), not the rig's neutral face."""
        return self.reference is not None and source.kind in ("video", "track", "none")

    def _fit(self, curves: np.ndarray, fps: float, source: Source) -> np.ndarray:
        n = len(curves)
        if n == 0:
            return np.zeros((self.frames, curves.shape[1]), np.float32)
        ratio = fps / self.fps
        need = (self.frames - 1) * ratio
        if need > n - 1 + 1e-6 and source.path not in self._said:
            self._said.add(source.path)
            warnings.warn(f"{source.path}: {n / fps:.1f} s of motion drives {self.frames / self.fps:.1f} s "
                          "of output; it plays forward and back to cover it", stacklevel=2)
        at = ping_pong(n, self.frames, ratio)
        return sample(curves, at).astype(np.float32)
