"""Gaze: where the eyes look, frame by frame (the eyes layer, with blinks).

A speaker addressing a camera holds it in fixations of a few hundred
milliseconds broken by small saccades (a degree or so), and looks away now
and then, mostly where a phrase ends or a pause is long (looking up or aside
while thinking), coming back as speech resumes. Saccades are fast (their
duration grows with their size, the "main sequence"), the upper lid follows
the eye down, and a large gaze shift often brings a blink with it.

``camera`` holds the camera most of the time, ``wander`` looks away more
often and further, ``still`` never moves the eyes. Seeded: the same seed
gives the same gaze.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..motion import ARKIT_NAMES, N_SHAPES

GAZE_MODES = ("camera", "wander", "still")

# Degrees of eye rotation at an eyeLook coefficient of 1, as the renderer
# draws it (render/eyes.py: iris travel 0.27 and 0.15 of the eye's width on
# an eyeball of about 0.4 eye widths radius).
DEG_PER_UNIT_H, DEG_PER_UNIT_V = 40.0, 22.0
# How far the upper lid follows the eye down (eyeBlink per unit eyeLookDown).
LID_FOLLOW = 0.35


@dataclass(frozen=True)
class GazeStyle:
    """Statistics of one gaze mode (times in seconds, angles in degrees)."""

    fixation_s: float  # median fixation on the camera
    micro_deg: float  # scatter of small saccades around the target
    away_at_boundary: float  # chance of looking away where a phrase ends
    away_per_s: float  # rate of looking away in the middle of speech
    away_deg: tuple[float, float]  # size of an aversion (range)
    away_s: tuple[float, float]  # how long it lasts (range)


STYLES = {
    "camera": GazeStyle(0.9, 0.6, 0.35, 0.04, (6.0, 14.0), (0.5, 1.3)),
    "wander": GazeStyle(0.6, 1.0, 0.8, 0.15, (8.0, 20.0), (0.7, 1.8)),
}


@dataclass(frozen=True)
class Gaze:
    """A gaze path: angles per frame and the saccades that made it."""

    angles: np.ndarray  # (T, 2): horizontal (+ = the subject's left), vertical (+ = up), degrees
    saccades: np.ndarray  # (K,) onset frames
    sizes: np.ndarray  # (K,) amplitudes, degrees
    on_camera: np.ndarray  # (T,) bool: fixating the camera (not averted)


def pauses(level: np.ndarray, fps: float, min_s: float = 0.25) -> list[tuple[int, int]]:
    """Frame spans (start, end) where the speech level stays low for at least ``min_s``."""
    quiet = np.asarray(level) < 0.1
    edges = np.diff(np.concatenate([[0], quiet.astype(int), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends) if (b - a) / fps >= min_s]


def _saccade_frames(size_deg: float, fps: float) -> int:
    # Main sequence: about 21 ms + 2.2 ms per degree.
    return max(1, int(round((0.021 + 0.0022 * size_deg) * fps)))


def gaze_path(level: np.ndarray, *, fps: float, mode: str = "camera", seed: int = 0) -> Gaze:
    """Gaze angles for speech with per-frame ``level`` in [0, 1]."""
    frames = len(level)
    angles = np.zeros((frames, 2))
    on = np.ones(frames, bool)
    if mode == "still" or frames == 0:
        return Gaze(angles, np.zeros(0, int), np.zeros(0), on)
    style = STYLES[mode]
    rng = np.random.default_rng(seed + 7)
    # Aversions: at phrase ends (by chance), through long pauses (thinking),
    # and now and then mid-speech.
    away: list[tuple[int, int]] = []
    for a, b in pauses(level, fps):
        if (b - a) / fps > 0.6 or rng.random() < style.away_at_boundary:
            length = int(rng.uniform(*style.away_s) * fps)
            away.append((a, min(frames, max(b, a + length))))
    t = 0
    while True:
        t += int(rng.exponential(1 / style.away_per_s) * fps)
        if t >= frames:
            break
        away.append((t, min(frames, t + int(rng.uniform(*style.away_s) * fps))))
    away.sort()
    targets = np.zeros((frames, 2))
    for a, b in away:
        size = rng.uniform(*style.away_deg)
        # Up and aside while thinking, down or aside otherwise; rarely straight down.
        theta = rng.choice([rng.uniform(0.15, 0.85) * np.pi, rng.uniform(-0.3, 0.3) * np.pi,
                            np.pi + rng.uniform(-0.3, 0.3) * np.pi, -0.5 * np.pi], p=[0.4, 0.25, 0.25, 0.1])
        targets[a:b] = size * np.array([np.cos(theta), 0.6 * np.sin(theta)])
        on[a:b] = False
    # Fixations: hold a target (plus a small scatter), then jump.
    onsets, sizes = [], []
    current = np.zeros(2)
    i = 0
    while i < frames:
        goal = targets[i] + rng.normal(0, style.micro_deg, 2)
        size = float(np.linalg.norm(goal - current))
        n = _saccade_frames(size, fps)
        hold = int(max(0.15, rng.lognormal(np.log(style.fixation_s), 0.5)) * fps)
        # A fixation ends early where the target changes (an aversion starts or ends).
        change = np.flatnonzero(np.any(targets[i + 1:i + hold] != targets[i], axis=1))
        if len(change):
            hold = int(change[0]) + 1
        onsets.append(i)
        sizes.append(size)
        ramp = np.clip((np.arange(min(n, frames - i)) + 1) / n, 0, 1)
        ease = ramp * ramp * (3 - 2 * ramp)
        angles[i:i + len(ease)] = current + (goal - current) * ease[:, None]
        angles[i + len(ease):i + hold] = goal
        current = goal
        i += max(hold, len(ease))
    return Gaze(angles, np.array(onsets, int), np.array(sizes), on)


def gaze_coefficients(angles: np.ndarray) -> np.ndarray:
    """Eyes-layer coefficients (T, 52) for gaze angles (T, 2): both eyes
    turn together, and the upper lids follow the eyes down."""
    out = np.zeros((len(angles), N_SHAPES), np.float32)
    h = np.asarray(angles)[:, 0] / DEG_PER_UNIT_H
    v = np.asarray(angles)[:, 1] / DEG_PER_UNIT_V
    left, right = np.clip(h, 0, 1), np.clip(-h, 0, 1)  # toward the subject's left / right
    up, down = np.clip(v, 0, 1), np.clip(-v, 0, 1)
    for side in ("Left", "Right"):
        out[:, ARKIT_NAMES.index(f"eyeLookOut{side}")] = left if side == "Left" else right
        out[:, ARKIT_NAMES.index(f"eyeLookIn{side}")] = right if side == "Left" else left
        out[:, ARKIT_NAMES.index(f"eyeLookUp{side}")] = up
        out[:, ARKIT_NAMES.index(f"eyeLookDown{side}")] = down
        out[:, ARKIT_NAMES.index(f"eyeBlink{side}")] = LID_FOLLOW * down
    return out
