"""Blinks, and the eyes layer they make with the gaze (drivers.gaze).

Blink timing follows human statistics: intervals are random with a floor
(people rarely blink twice within a second), a blink closes in about 80 ms,
holds briefly and reopens more slowly (about 150 ms); blinks cluster where
phrases end and come with large gaze shifts.
"""

from __future__ import annotations

import numpy as np

from ..motion import ARKIT_NAMES

CLOSE_S, HOLD_S, OPEN_S = 0.08, 0.04, 0.16


def blink_times(duration: float, *, per_minute: float, seed: int,
                cues: list[tuple[float, float]] | None = None) -> np.ndarray:
    """Blink onsets in seconds.

    ``cues`` are moments a blink is likely, with its chance: where a phrase
    ends, with a large gaze shift. They take their share of the rate, so
    the average stays ``per_minute``; no two blinks come within a second.
    """
    if per_minute <= 0 or duration <= 0:
        return np.zeros(0)
    cues = cues or []
    cued = sum(p for _, p in cues) * 60.0 / duration
    base = max(per_minute - cued, 0.4 * per_minute)
    times = _blinks(duration, base, seed, cues)
    # Blinks closer than a second merge; make up the rate once, same draws.
    if len(times) and duration > 20:
        times = _blinks(duration, base * per_minute / max(len(times) * 60.0 / duration, 1e-6), seed, cues)
    return times


def _blinks(duration: float, base: float, seed: int, cues: list[tuple[float, float]]) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mean = 60.0 / base
    times, t = [], rng.uniform(0.4, 0.4 + mean)
    while t < duration - CLOSE_S:
        times.append(t)
        t += max(1.0, rng.gamma(3.0, mean / 3.0))
    for when, p in cues:
        if rng.random() < p and 0 < when < duration - CLOSE_S:
            times.append(when)
    kept: list[float] = []
    for t in sorted(times):
        if not kept or t - kept[-1] >= 1.0:
            kept.append(t)
    return np.array(kept)


def blink_curve(times: np.ndarray, frames: int, fps: float) -> np.ndarray:
    """Lid closure per frame (frames,), 1 = fully closed."""
    t = np.arange(frames) / fps
    out = np.zeros(frames)
    for t0 in times:
        x = t - t0
        closing = np.clip(x / CLOSE_S, 0, 1)
        opening = np.clip(1 - (x - CLOSE_S - HOLD_S) / OPEN_S, 0, 1)
        out = np.maximum(out, np.where(x < 0, 0, np.minimum(closing, opening)))
    return out


def eyes_layer(duration: float, level: np.ndarray, *, fps: float, per_minute: float, seed: int,
               gaze: str = "camera") -> np.ndarray:
    """Eyes layer (frames, 52): gaze (drivers.gaze) and blinks, together.

    Blinks are likelier where a phrase ends and with a large gaze shift;
    the upper lid follows the eye down, and a blink closes it the rest of
    the way.
    """
    from .gaze import gaze_coefficients, gaze_path, pauses

    frames = len(level)
    path = gaze_path(level, fps=fps, mode=gaze, seed=seed)
    cues = [(a / fps, 0.4) for a, _ in pauses(level, fps)]
    cues += [(k / fps, float(np.clip((size - 8.0) / 25.0, 0, 0.9)))
             for k, size in zip(path.saccades, path.sizes) if size > 8.0]
    layer = gaze_coefficients(path.angles)
    curve = blink_curve(blink_times(duration, per_minute=per_minute, seed=seed, cues=cues), frames, fps)
    for n in ("eyeBlinkLeft", "eyeBlinkRight"):
        k = ARKIT_NAMES.index(n)
        layer[:, k] = np.maximum(layer[:, k], curve)
    return layer
