"""Head motion from speech rhythm: the pose layer.

A speaker's head sways slowly and nods on stressed syllables, and rises and
falls with the breath, most visibly in pauses. Sway is band-limited noise
(seeded); nods follow rises in loudness.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.ndimage import gaussian_filter1d

# Time constants (seconds) of how the head follows the loudness: talking
# over ~0.5 s; stress is a rise in loudness over ~0.06 s, nodded over ~0.08 s.
_TALK_S, _RISE_S, _NOD_S = 0.5, 0.06, 0.08


def _sway(frames: int, fps: float, rng: np.random.Generator, seconds: float) -> np.ndarray:
    x = gaussian_filter1d(rng.standard_normal(frames + 1), seconds * fps, mode="wrap")[:frames]
    return x / (np.abs(x).max() + 1e-9)


def speech_head(level: np.ndarray, *, fps: float, amount: float = 1.0, seed: int = 0) -> np.ndarray:
    """Pose (frames, 6) from per-frame speech level in [0, 1].

    ``amount`` scales everything; 0 gives a still head.
    """
    frames = len(level)
    if amount <= 0 or frames == 0:
        return np.zeros((frames, 6), np.float32)
    talking = gaussian_filter1d(level.astype(float), _TALK_S * fps)
    rise = np.clip(np.gradient(gaussian_filter1d(level.astype(float), _RISE_S * fps)), 0, None)
    nod = gaussian_filter1d(rise, _NOD_S * fps)
    return head_pose(idle_head(frames, fps=fps, seed=seed), talking / (talking.max() + 1e-9),
                     nod / (nod.max() + 1e-9)) * np.float32(amount)


class CausalHead:
    """:func:`speech_head` made causal, for a live stream: one frame's pose
    at a time, from the loudness so far.

    One-pole filters with the same time constants stand in for the offline
    Gaussians, which look ahead; talking and nodding are measured against
    slowly decaying peaks instead of the whole clip's. The idle part is
    :func:`idle_head` over ``span`` frames, looped (frame ``k`` shows
    ``k % span``).
    """

    def __init__(self, span: int, *, fps: float, seed: int) -> None:
        self._idle = idle_head(span, fps=fps, seed=seed, loop=True)
        self._fps = fps
        self._talk = self._rise = self._nod = 0.0
        self._talk_peak = self._nod_peak = 0.3

    def pose(self, level: np.ndarray, frames: np.ndarray) -> np.ndarray:
        """Pose (len(frames), 6) of the next ``frames`` (indices since the
        start), from their loudness ``level`` in [0, 1]; each frame once, in order."""
        fps = self._fps
        a_talk, a_rise, a_nod = (1 - math.exp(-1 / (s * fps)) for s in (_TALK_S, _RISE_S, _NOD_S))
        talking, nod = np.zeros(len(level)), np.zeros(len(level))
        for i, lv in enumerate(level):
            self._talk += a_talk * (lv - self._talk)
            before = self._rise
            self._rise += a_rise * (lv - self._rise)
            self._nod += a_nod * (max(self._rise - before, 0.0) - self._nod)
            self._talk_peak = max(self._talk_peak * 0.9995, self._talk)
            self._nod_peak = max(self._nod_peak * 0.9995, self._nod, 1e-3)
            talking[i], nod[i] = self._talk / self._talk_peak, self._nod / self._nod_peak
        return head_pose(self._idle[frames % len(self._idle)], talking, nod)


def idle_head(frames: int, *, fps: float, seed: int, loop: bool = False) -> np.ndarray:
    """The seeded, speech-independent part of head motion, (frames, 4): sway
    in yaw, pitch and roll (each peaking at 1) and the breath (-1..1). The
    sway loops (the last frame runs smoothly into the first); with ``loop``
    the breath does too, its rate rounded to whole breaths over the span, so
    a stream can repeat a long span without a seam."""
    rng = np.random.default_rng(seed + 1)
    sway = np.stack([_sway(frames, fps, rng, s) for s in (1.2, 0.9, 1.5)], axis=1)
    # Breathing: a slow rise and fall (~15 breaths a minute, the rate drifting
    # a little), seen most while the speaker is silent.
    rate = 0.25 * (1 + 0.15 * _sway(frames, fps, rng, 4.0))
    cycles = np.cumsum(rate) / fps
    if loop and cycles[-1] >= 1:
        cycles *= round(cycles[-1]) / cycles[-1]
    breath = np.sin(2 * np.pi * cycles + rng.uniform(0, 2 * np.pi))
    return np.concatenate([sway, breath[:, None]], axis=1)


def head_pose(idle: np.ndarray, talking: np.ndarray, nod: np.ndarray) -> np.ndarray:
    """Pose (frames, 6) from the idle part (:func:`idle_head`) and how much
    the speaker is talking and nodding per frame, each in [0, 1]."""
    activity = 0.35 + 0.65 * np.clip(talking, 0, 1)
    pose = np.zeros((len(idle), 6), np.float32)
    pose[:, 0] = 3.0 * idle[:, 0] * activity
    pose[:, 1] = 1.5 * idle[:, 1] * activity - 2.0 * nod
    pose[:, 2] = 1.5 * idle[:, 2] * activity
    rest = 1.0 - 0.6 * np.clip(talking, 0, 1)
    pose[:, 1] += 0.6 * idle[:, 3] * rest
    pose[:, 4] += 0.2 * idle[:, 3] * rest  # cm: the head rides on the chest, rising 4 mm a breath
    return pose
