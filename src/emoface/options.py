"""Every option and its default, declared once. The CLI, the API and the
validation all read these dataclasses; unknown keys are errors."""

from __future__ import annotations

import dataclasses
import functools
import numbers
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import Field, OptionError
from .drivers.emotion import Key, parse_emotion
from .drivers.gaze import GAZE_MODES
from .relative import MOTION_MODES, parse_reference
from .sources import SOURCE_LAYERS, Source, parse_source

EMOTIONS = ("neutral", "happy", "sad", "angry", "surprised", "fearful", "disgusted", "contempt")
FPS_RANGE = (24.0, 60.0)
LIPSYNC_MODES = ("auto", "phonetic", "acoustic")
#: --emotion values that are worked out from the input rather than named.
DERIVED_EMOTIONS = ("from-text", "auto")


def option(default: Any, help: str, **meta: Any) -> Any:  # noqa: A002 - argparse's word
    """An option's field. ``range=(lo, hi)`` and ``choices=`` are checked by
    :func:`check_declared` and published as CLI choices and in the API schema."""
    return field(default=default, metadata={"help": help, **meta})


def check_range(name: str, value: float, lo: float, hi: float) -> None:
    if not (lo <= value <= hi):
        raise OptionError(Field(name), f" {value:g} is out of range; use {lo:g} to {hi:g}")


def check_declared(options: Any) -> None:
    """The types, ranges and choices that the fields of ``options`` declare.
    A JSON body or a Python caller can send any type: "30" for a number is
    one clear line here, not a comparison failing deep inside."""
    kinds = option_types(type(options))
    for f in fields(options):
        value = getattr(options, f.name)
        kind = kinds[f.name]
        wanted = {float: numbers.Real, int: numbers.Integral}.get(kind, kind)  # numpy's numbers too
        if value is None and f.name in _nullable(type(options)):
            continue
        if not isinstance(value, wanted) or (isinstance(value, bool) and kind is not bool):
            raise OptionError(Field(f.name), f" {value!r} is not {_KIND_WORDS.get(kind, kind.__name__)}")
        if "range" in f.metadata and value is not None:
            check_range(f.name, value, *f.metadata["range"])
        if "choices" in f.metadata and value not in f.metadata["choices"]:
            raise OptionError(Field(f.name), f" {value!r} is unknown; use one of "
                              f"{', '.join(f.metadata['choices'])}")


@dataclass(frozen=True)
class MotionOptions:
    """How speech (and labels) become a MotionTrack."""

    fps: float = option(25.0, "frames per second of the motion and video (24-60)", range=FPS_RANGE)
    lipsync: str = option("auto", "mouth from phones (phonetic), from the spectrum for any language "
                                "(acoustic), or phonetic unless recognition looks unreliable (auto)",
                       choices=LIPSYNC_MODES)
    articulation: float = option(1.0, "scale of mouth movement: 0.5 mumbled, 1 natural, 1.5 exaggerated (0-2)",
                               range=(0.0, 2.0))
    emotion: str = option("neutral", "emotion: a label (" + ", ".join(EMOTIONS) + "), a mixture "
                        "(happy@0.6+surprised@0.3), keyframes (0:neutral, 2.5:happy@0.8, 6:sad@0.5) "
                        "or a .json timeline; from-text: the spoken words set it, sentence by sentence; auto: the "
                        "voice's pitch, loudness and pace set it, phrase by phrase")
    intensity: float = option(0.7, "emotion intensity, 0 (none) to 1 (full), for emotions given without @",
                            range=(0.0, 1.0))
    emotion_ease: float = option(0.4, "seconds each change of emotion takes (0-5)", range=(0.0, 5.0))
    emotion_text: str | None = option(None, "the emotion in words, e.g. \"nervous at first, then relieved\" "
                                          "(instead of --emotion; its words set the intensity)")
    head_motion: float = option(1.0, "scale of head motion, whatever its source, 0 = still head (0-2)",
                              range=(0.0, 2.0))
    blinks_per_minute: float = option(15.0, "average blink rate, 0 = never blink (0-60)", range=(0.0, 60.0))
    gaze: str = option("camera", "eyes: hold the camera with small saccades and glances away at "
                               "pauses (camera), look around more (wander), or keep still (still)",
                       choices=GAZE_MODES)
    seed: int = option(0, "random seed for blinks, head sway and the --say voice (same seed, same result)")
    max_audio_seconds: float = option(600.0, "refuse audio longer than this many seconds", range=(1.0, 24 * 3600.0))
    mouth_from: str | None = option(None, "mouth source: speech (lip sync), a video, a track "
                                        "(.csv/.json/.npz) or none (default: auto, lip sync)", source=True)
    eyes_from: str | None = option(None, "eyes source: blink (the blink model), a video, a track or none "
                                       "(default: auto, the blink model)",
                                 source=True)
    expression_from: str | None = option(None, "expression source: label (--emotion), a photo or a video "
                                             "of anyone, a track or none (default: auto, --emotion)", source=True)
    pose_from: str | None = option(None, "head pose source: speech (speech rhythm), a video, a track or none "
                                     "(default: auto, speech rhythm)",
                                 source=True)
    motion_mode: str = option("relative", "how a driving video or track moves the portrait: as changes from "
                                        "the driver's reference frame onto the portrait's own pose and "
                                        "expression (relative), or as the face to show, for tracks made "
                                        "for 3D rigs (absolute)", choices=MOTION_MODES)
    driver_reference: str = option("first", "the driver's frame that matches the portrait: a frame number "
                                           "(0 is the first), first or neutral (its most neutral frame)")
    mouth_gain: float = option(1.0, "scale of the mouth layer, whatever its source (0-2)", range=(0.0, 2.0))
    expression_gain: float = option(1.0, "scale of the expression layer, whatever its source (0-2)",
                                  range=(0.0, 2.0))

    def __post_init__(self) -> None:
        check_declared(self)
        if self.emotion_text is not None:
            if self.emotion != "neutral":
                raise OptionError("give ", Field("emotion"), " or ", Field("emotion_text"), ", not both")
            if not self.emotion_text.strip():
                raise OptionError(Field("emotion_text"), " is empty; describe the emotion, e.g. "
                                  "\"nervous at first, then relieved\"")
        elif self.emotion not in DERIVED_EMOTIONS and not self.emotion.strip().lower().endswith(".json"):
            self.emotion_keys()  # an unknown emotion or a bad keyframe fails here; a .json where it is read
        parse_reference(self.driver_reference)
        self.sources()  # a source a layer cannot use fails here; its file where it is read

    def emotion_keys(self, duration: float | None = None, spoken: str | None = None) -> tuple[Key, ...]:
        """The emotion timeline (drivers.emotion.parse_emotion): from
        ``emotion``, or from words (``emotion_text``, or the ``spoken`` text
        for ``--emotion from-text``), spread over ``duration`` seconds."""
        if self.emotion_text is not None or self.emotion == "from-text":
            from .drivers.text_emotion import text_timeline

            if self.emotion_text is None and not spoken:
                raise OptionError(Field("emotion"), " from-text needs the spoken words: use ", Field("say"),
                                  ", or give the transcript of ", Field("audio"), " with ", Field("text"))
            words = self.emotion_text if self.emotion_text is not None else spoken
            return parse_emotion(text_timeline(words or "", duration or 1.0, spoken=self.emotion_text is None),
                                 self.intensity)
        return parse_emotion(self.emotion, self.intensity)

    def sources(self) -> dict[str, Source]:
        """The parsed source of each layer (sources.SOURCE_LAYERS)."""
        return {layer: parse_source(layer, getattr(self, f"{layer}_from")) for layer in SOURCE_LAYERS}

    @property
    def reference(self) -> int | str:
        """The driver's reference frame (emoface.relative.parse_reference)."""
        return parse_reference(self.driver_reference)


@dataclass(frozen=True)
class RenderOptions:
    """How a MotionTrack becomes a video of a portrait."""

    size: int = option(512, "working resolution of the face crop in pixels (128-1024)", range=(128, 1024))
    face: int | None = option(None, "which face to animate, 0 = leftmost; default the largest")
    face_model: str | None = option(None, "path to face_landmarker.task (default: bundled)")
    max_side: int = option(1920, "longest side of the output video in pixels (256-4096)", range=(256, 4096))
    crf: int = option(18, "H.264 quality, 0 (lossless) to 51 (worst)", range=(0, 51))

    def __post_init__(self) -> None:
        check_declared(self)
        if self.face is not None and self.face < 0:
            raise OptionError(Field("face"), f" {self.face} is negative; faces count from 0, left to right")


_KIND_WORDS = {float: "a number", int: "a whole number", str: "text", bool: "true or false"}


@functools.lru_cache(maxsize=None)
def _types_of(cls: type) -> dict[str, type]:
    import types
    import typing

    kinds: dict[str, type] = {}
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        kind = hints[f.name]
        if isinstance(kind, types.UnionType):
            kind = next(a for a in typing.get_args(kind) if a is not type(None))
        kinds[f.name] = kind
    return kinds


@functools.lru_cache(maxsize=None)
def _nullable(cls: type) -> frozenset[str]:
    import typing

    hints = typing.get_type_hints(cls)
    return frozenset(f.name for f in fields(cls) if type(None) in typing.get_args(hints[f.name]))


def option_types(*classes: type) -> dict[str, type]:
    """Each option's value type, for reading it from text (a flag, a CSV
    cell, a query string): ``int | None`` reads as int."""
    return {name: kind for cls in classes for name, kind in _types_of(cls).items()}


def split(values: dict[str, Any], *classes: type) -> list[Any]:
    """Build several option dataclasses from one flat mapping (CLI, REST)."""
    names = [{f.name for f in fields(c)} for c in classes]
    unknown = sorted(set(values) - set().union(*names))
    if unknown:
        raise OptionError(f"unknown option(s) {', '.join(unknown)}; known: {', '.join(sorted(set().union(*names)))}")
    return [c(**{k: v for k, v in values.items() if k in n}) for c, n in zip(classes, names)]


__all__ = ["EMOTIONS", "MotionOptions", "RenderOptions", "check_declared", "check_range", "option", "option_types",
           "split", "dataclasses"]
