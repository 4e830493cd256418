"""A blind panel of the live talking portrait: face crops of frames a live
session drew while speech arrived (held-out portraits, neutral, a LibriVox
sentence pushed in 20 ms chunks), mixed with frames of real talking video
(cap12, cap13, psychopy, franck), the key kept apart
(docs/panels/<name>_key.json). A viewer marks each real or generated and
rates it (benchmarks/panel.py scores the answers).

Run: python benchmarks/live_panel.py NAME [SEED] [--photo-not-kept]
(``--photo-not-kept``: a neutral face drops the photo's own expression, as
live sessions did before they kept it, for the comparison sheet).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from emotion_panel import face_tile  # noqa: E402
from lipsync_eval import librivox_clips  # noqa: E402
from panel import make_panel  # noqa: E402
from portraits import CACHE, PORTRAITS, load  # noqa: E402

from emoface.drivers.lipsync.sphinx import RATE  # noqa: E402
from emoface.live import LiveSession  # noqa: E402
from emoface.media.video import open_video  # noqa: E402
from emoface.stream import pcm16  # noqa: E402

HELD_OUT = ("audrey", "chuck", "rihanna", "walter", "queen")
VIDEOS = {"cap12.mp4": 3, "cap13.mp4": 3, "psychopy.mp4": 2, "franck.mp4": 2}  # tiles of each
PER = 2  # tiles per portrait
#: Every tile's face is brought to this size first: the real videos' faces
#: are about this large, and a sharper face would tell a render by its
#: resolution alone.
FACE_PX = 120


def live_faces(rng: np.random.Generator, keep_photo: bool = True) -> list[np.ndarray]:
    clip = librivox_clips()[1]
    data = pcm16(np.concatenate([np.zeros(RATE // 2, np.float32), clip.audio.mono(RATE)]))
    tiles = []
    for name in HELD_OUT:
        live = LiveSession(load({p.name: p for p in PORTRAITS}[name]))
        if not keep_photo:
            live._motion.baseline = None
        frames = [f for i in range(0, len(data), 640) for f in live.push_audio(data[i:i + 640])]
        speaking = frames[len(frames) // 6:]
        for k in rng.choice(len(speaking), PER, replace=False):
            tiles.append(_sized(face_tile(speaking[k].image)))
    return tiles


def real_faces(rng: np.random.Generator) -> list[np.ndarray]:
    tiles = []
    for video, count in VIDEOS.items():
        frames = list(open_video(CACHE / "videos" / video)[1])
        for k in rng.choice(len(frames), count, replace=False):
            tiles.append(_sized(face_tile(frames[k])))
    return tiles


def _sized(tile: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.resize(tile, (FACE_PX, FACE_PX), interpolation=cv2.INTER_AREA)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    name = args[0] if args else "live"
    seed = int(args[1]) if len(args) > 1 else 0
    rng = np.random.default_rng(seed)
    print(make_panel(name, real_faces(rng), live_faces(rng, "--photo-not-kept" not in sys.argv), seed))


if __name__ == "__main__":
    main()
