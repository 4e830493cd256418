"""Emotion from labels over time: the expression layer.

Each emotion is a FACS-style recipe (Ekman's prototypes) written in ARKit
channels; intensity scales it. A timeline of keyframes, each a mixture of
emotions, says which shows when; every change eases in, so the face never
snaps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..easing import smoothstep
from ..errors import Field, OptionError
from ..motion import ARKIT_NAMES, coefficient_vector, layer_mask

# Full-intensity recipes, one row of FACS action units per emotion (Ekman
# and Friesen's prototypes; MEAD's eight emotions), written in ARKit channels.
# Intensity 1.0 is the strongest a real face makes, not past it: each shape
# is held within what real expressive faces were measured to reach with the
# tracker (benchmarks/real_expressions.py: posed photos, a woman crying then
# laughing, a man smiling in conversation; docs/expression.md), and the
# lip-stretching and corner-pulling shapes, which swell the lips into a wavy
# slit past about half, stay under it. The classifiers (benchmarks/judges.py,
# on the "tune" portraits) were a floor, checked after the look, never the
# aim: pushed until they agreed, the recipes became grimaces. The jaw and lip
# openers part the lips only while speaking: motion.combine keeps every
# closure and pause sealed.
RECIPES: dict[str, dict[str, float]] = {
    "neutral": {},
    # AU6 + AU12 + AU25 (+AU10): a Duchenne smile. The cheeks rise and push
    # the lower lids up, the lip corners go up and back, the upper lip lifts
    # off the teeth (real broad smiles read mouthUpperUp 0.7-0.9). The jaw
    # barely drops: the raised lip parts the lips on the teeth, and while
    # speaking the jaw adds to every vowel's (at 0.2 a happy talker gaped
    # like a shout; face-api on six held-out portraits talking read happy in
    # 0.74 of frames, at 0.1 in 0.78, the other emotions unchanged).
    "happy": {"mouthSmile": 0.85, "cheekSquint": 0.7, "eyeSquint": 0.3, "mouthUpperUp": 0.6, "jawOpen": 0.1},
    # AU1 + AU4 + AU15 + AU17: the oblique brow (inner ends raised and drawn
    # together), the corners down, the chin boss pushed up under pressed lips.
    "sad": {"browInnerUp": 0.9, "browDown": 0.35, "mouthFrown": 0.7, "mouthShrugLower": 0.6, "mouthPress": 0.3,
            "eyeSquint": 0.2},
    # AU4 + AU5 + AU7 + AU10 + AU23/25: brows down and knitted, a glare
    # (upper lids up, lower lids tight), the upper lip raised into a squared
    # mouth as the words come out.
    "angry": {"browDown": 1.0, "eyeSquint": 0.6, "eyeWide": 0.5, "noseSneer": 0.5, "mouthUpperUp": 0.5,
              "mouthFrown": 0.5, "mouthDimple": 0.3, "jawOpen": 0.2},
    # AU1 + AU2 + AU5 + AU26: brows raised, eyes wide, the jaw dropped with
    # relaxed lips rounding a little (the posed photo reads jawOpen 0.5).
    "surprised": {"browInnerUp": 1.0, "browOuterUp": 0.8, "eyeWide": 0.9, "jawOpen": 0.55, "mouthFunnel": 0.5,
                  "mouthPucker": 0.4},
    # AU1 + AU2 + AU4 + AU5 + AU20 + AU25: raised brows drawn together, eyes
    # wide open, the lips stretched sideways, tense and a little parted, the
    # corners held down (stretched alone, the lips read as a grin).
    "fearful": {"browInnerUp": 1.0, "browOuterUp": 0.4, "browDown": 0.35, "eyeWide": 1.0, "mouthStretch": 0.35,
                "mouthFrown": 0.3, "jawOpen": 0.25, "mouthUpperUp": 0.1},
    # AU9 + AU10 + AU6 + AU4 + AU17: the nose wrinkled, the upper lip raised,
    # the cheeks up, the brows lowered, the chin pushed up. The real posed
    # face reads no raise of the upper lip at all (its nose does the work);
    # raised 0.8, a smiling photo's teeth showed in a grin that viewers read
    # as happy. (The corners pulled down 0.5 instead of 0.35 left the
    # smiling astronaut's sealed lips reading parted to dlib on 0.69 of p, b
    # and m.)
    "disgusted": {"noseSneer": 1.0, "mouthUpperUp": 0.45, "cheekSquint": 0.6, "browDown": 0.55, "eyeSquint": 0.3,
                  "mouthShrugLower": 0.4, "mouthFrown": 0.35},
    # AU14 on one side (R14) with a trace of AU12: one lip corner tightened
    # and pulled in, the other still (neither classifier knows contempt, so
    # it is set by eye).
    "contempt": {"mouthDimpleRight": 0.6, "mouthSmileRight": 0.45, "mouthPressRight": 0.3,
                 "eyeSquint": 0.15, "browDown": 0.1, "cheekSquintRight": 0.2},
}


def recipe_vector(emotion: str) -> np.ndarray:
    """ARKit coefficients (52,) of ``emotion`` at full intensity."""
    out = coefficient_vector(RECIPES[emotion])
    stray = np.flatnonzero((out != 0) & ~layer_mask("expression"))
    if len(stray):
        raise ValueError(f"recipe {emotion!r}: {ARKIT_NAMES[stray[0]]} is not an expression channel")
    return out


def eased_expression(coeffs: np.ndarray, intensity: float, frames: int, fps: float,
                     ease_seconds: float = 0.4) -> np.ndarray:
    """Expression layer (frames, 52): coefficients (52,) at ``intensity``,
    eased in over ``ease_seconds``, so the first frames do not pop."""
    t = np.arange(frames) / fps
    ramp = smoothstep(t, 0.0, ease_seconds) if ease_seconds > 0 else np.ones(frames)
    return (ramp[:, None] * np.asarray(coeffs)[None, :] * intensity).astype(np.float32)


@dataclass(frozen=True)
class Key:
    """One keyframe of an emotion timeline: from ``time`` (seconds) on, the
    face eases into ``mix``, a mixture of emotions with their intensities."""

    time: float
    mix: tuple[tuple[str, float], ...]

    def vector(self) -> np.ndarray:
        """The mixture's ARKit coefficients (52,), each emotion's recipe
        scaled by its intensity, summed and clipped to [0, 1]."""
        out = sum((w * recipe_vector(e) for e, w in self.mix), np.zeros(len(ARKIT_NAMES), np.float32))
        return np.clip(out, 0.0, 1.0).astype(np.float32)

    @property
    def neutral(self) -> bool:
        """The key asks for no expression of its own (the photo's may show)."""
        return all(e == "neutral" or w == 0 for e, w in self.mix)


#: The option every message here is about, which each front end names its own way.
_EMOTION = Field("emotion")
_HINT = ('write a label ("happy"), a mixture ("happy@0.6+surprised@0.3"), keyframes '
         '("0:neutral, 2.5:happy@0.8, 6:sad@0.5") or a .json timeline')


def _mix(text: str, intensity: float, where: str) -> tuple[tuple[str, float], ...]:
    parts = []
    for term in text.split("+"):
        name, _, weight = term.strip().partition("@")
        name = name.strip().lower()
        if name not in RECIPES:
            raise OptionError(_EMOTION, f" {where}: unknown emotion {name!r}; use one of {', '.join(RECIPES)}")
        try:
            w = float(weight) if weight.strip() else intensity
        except ValueError:
            raise OptionError(_EMOTION, f" {where}: intensity {weight!r} is not a number; {_HINT}") from None
        if not 0.0 <= w <= 1.0:
            raise OptionError(_EMOTION, f" {where}: intensity {w:g} is out of range; use 0 to 1")
        parts.append((name, w))
    return tuple(parts)


def _json_keys(path: Path, intensity: float) -> list[Key]:
    """``[{"time": 0, "emotion": "happy", "intensity": 0.8}, {"time": 2.5,
    "mix": {"happy": 0.6, "surprised": 0.3}}, ...]`` (or ``{"keys": [...]}``)."""
    if not path.is_file():
        raise OptionError(_EMOTION, f" {path}: timeline file not found; check the path")
    try:
        data = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as err:
        raise OptionError(_EMOTION, f" {path}: not valid JSON ({err}); {_HINT}") from None
    rows = data.get("keys") if isinstance(data, dict) else data
    if not isinstance(rows, list) or not rows:
        raise OptionError(_EMOTION, f" {path}: expected a list of keyframes; {_HINT}")
    keys = []
    for i, row in enumerate(rows):
        where = f"{path} keyframe {i}"
        if not isinstance(row, dict) or "time" not in row or ("emotion" in row) == ("mix" in row):
            raise OptionError(_EMOTION, f" {where}: give \"time\" and one of \"emotion\" or \"mix\"")
        if "mix" in row:
            if not isinstance(row["mix"], dict) or not row["mix"]:
                raise OptionError(_EMOTION, f" {where}: \"mix\" must map emotions to intensities")
            text = "+".join(f"{k}@{v}" for k, v in row["mix"].items())
        else:
            text = f"{row['emotion']}@{row.get('intensity', intensity)}"
        keys.append(Key(_time(row["time"], where), _mix(text, intensity, where)))
    return keys


def _time(value: object, where: str) -> float:
    try:
        t = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise OptionError(_EMOTION, f" {where}: time {value!r} is not a number of seconds; {_HINT}") from None
    if not (np.isfinite(t) and t >= 0):
        raise OptionError(_EMOTION, f" {where}: time {t:g} must be 0 or more seconds")
    return t


def parse_emotion(spec: str, intensity: float = 1.0) -> tuple[Key, ...]:
    """An ``--emotion`` value as keyframes, in time order.

    A bare label or mixture holds from the start; ``intensity`` is the
    intensity of any emotion written without ``@``.
    """
    text = str(spec).strip()
    if not text:
        raise OptionError(_EMOTION, f" is empty; {_HINT}")
    if text.lower().endswith(".json"):
        keys = _json_keys(Path(text), intensity)
    elif ":" in text:
        keys = []
        for part in text.split(","):
            when, sep, mix = part.partition(":")
            if not sep or not mix.strip():
                raise OptionError(_EMOTION, f" {part.strip()!r}: a keyframe is TIME:EMOTION; {_HINT}")
            keys.append(Key(_time(when.strip().rstrip("s"), repr(part.strip())), _mix(mix, intensity, repr(part.strip()))))
    else:
        keys = [Key(0.0, _mix(text, intensity, repr(text)))]
    times = [k.time for k in keys]
    if any(b <= a for a, b in zip(times, times[1:])):
        raise OptionError(_EMOTION, f" {text!r}: keyframe times must increase "
                                    f"({', '.join(f'{t:g}' for t in times)})")
    return tuple(keys)


def parse_mixture(spec: object, intensity: float = 1.0) -> tuple[tuple[str, float], ...]:
    """A label or a mixture alone (``happy@0.6+surprised@0.3``), as a live
    stream's emotion message gives it: no keyframes and no file. The
    mixture of :func:`parse_emotion`'s one key."""
    text = spec.strip() if isinstance(spec, str) else ""
    if not text or ":" in text or text.lower().endswith(".json"):
        raise OptionError(_EMOTION, f" {spec!r} is not a label or a mixture; use one of {', '.join(RECIPES)}, "
                                    "or a mixture such as happy@0.6+surprised@0.3")
    return parse_emotion(text, intensity)[0].mix


def timeline_expression(keys: tuple[Key, ...], frames: int, fps: float,
                        ease_seconds: float = 0.4, first: int = 0) -> np.ndarray:
    """Expression layer (frames, 52) of an emotion timeline: the face starts
    neutral and, at each key's time, eases into that key's mixture over
    ``ease_seconds`` (smoothstep; a change that starts before the last one
    has finished blends on from wherever the face is). ``first`` is the
    index of the first frame wanted (a stream asks for its newest frames)."""
    return _eased(keys, lambda key: key.vector(), np.zeros(len(ARKIT_NAMES), np.float32), frames, fps,
                  ease_seconds, first)


def timeline_photo_share(keys: tuple[Key, ...], frames: int, fps: float,
                         ease_seconds: float = 0.4, first: int = 0) -> np.ndarray:
    """How much of the photo's own expression each frame keeps (frames,):
    all of it while the timeline is neutral, none under an emotion, eased
    as the expression is (a neutral label keeps the portrait's smile; a
    change to sad eases it away, not in one frame)."""
    one = np.ones(1, np.float32)
    return _eased(keys, lambda key: one * key.neutral, one, frames, fps, ease_seconds, first)[:, 0]


def _eased(keys: tuple[Key, ...], value, start: np.ndarray, frames: int, fps: float, ease_seconds: float,
           first: int) -> np.ndarray:
    t = (first + np.arange(frames)) / fps
    out = np.repeat(start[None, :], frames, axis=0).astype(np.float32)
    for key in keys:
        ramp = (smoothstep(t, key.time, key.time + ease_seconds) if ease_seconds > 0
                else (t >= key.time).astype(np.float32))
        out += (value(key)[None, :] - out) * ramp[:, None].astype(np.float32)
    return out


def check_timeline(keys: tuple[Key, ...], duration: float) -> None:
    """A keyframe at or past the end of the speech is a mistake, not a no-op."""
    late = [k.time for k in keys if k.time > 0 and k.time >= duration]
    if late:
        raise OptionError(_EMOTION, f": a keyframe at {late[0]:g} s is past the end of the speech "
                          f"({duration:.2f} s); use times under {duration:.2f}")


# Idle life: a held expression breathes a little. Its channels waver by
# about this share of their strength, and the brows drift by a trace even
# on a neutral face, over a few seconds.
_IDLE_SHARE = 0.12
_IDLE_BROW = 0.04
_IDLE_SECONDS = 1.5
_BROWS = [ARKIT_NAMES.index(n) for n in ("browInnerUp", "browOuterUpLeft", "browOuterUpRight")]


def idle_life(expression: np.ndarray, fps: float, seed: int) -> np.ndarray:
    """The expression layer (frames, 52) with small, slow, seeded variation,
    so a held emotion is never a frozen mask. Zero channels stay zero except
    the brows, which drift by a trace."""
    x = np.asarray(expression, np.float32)
    return apply_idle(x, *idle_variation(len(x), x.shape[1], fps, seed))


def idle_variation(frames: int, channels: int, fps: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The seeded variation :func:`idle_life` applies: a gain per frame and
    channel (frames, channels) and a brow lift per frame (frames,). It loops:
    the last frame runs smoothly into the first."""
    from scipy.ndimage import gaussian_filter1d

    rng = np.random.default_rng(seed + 11)
    sigma = _IDLE_SECONDS * fps

    def slow(width: int) -> np.ndarray:
        if not frames:
            return np.zeros((0, width))
        n = gaussian_filter1d(rng.standard_normal((frames + 1, width)), sigma, axis=0, mode="wrap")[:frames]
        return n / (np.abs(n).max(axis=0) + 1e-9)

    gain = (1.0 + _IDLE_SHARE * slow(channels)).astype(np.float32)
    return gain, (np.clip(slow(1)[:, 0], 0, None) * _IDLE_BROW).astype(np.float32)


def apply_idle(expression: np.ndarray, gain: np.ndarray, brow: np.ndarray) -> np.ndarray:
    """``expression`` (frames, 52) with the variation of :func:`idle_variation`."""
    out = expression * gain
    out[:, _BROWS] += brow[:, None]
    return np.clip(out, 0.0, 1.0).astype(np.float32)
