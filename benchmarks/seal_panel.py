"""A blind panel of sealed lips: portraits that smile with their teeth,
rendered at the firmest p/b/m closures of a LibriVox sentence, mixed with
the most closed mouths of real talking video (franck, cap13, psychopy), the
key kept apart (docs/panels/<name>_key.json). A viewer marks each real or
generated and rates it (benchmarks/panel.py scores the answers).

Run: python benchmarks/seal_panel.py NAME [SEED] [--no-contact-line] [--open]
(``--no-contact-line`` draws the seal as it was before the lips' contact
line, for the comparison sheet). ``--open``: the same portraits opened wide
past their own teeth (jawOpen 0.6 and 0.85), beside the most open mouths
of the same videos.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import expression_eval  # noqa: E402
from mouth_panel import mouth_tile, mouths_by_opening  # noqa: E402
from panel import make_panel  # noqa: E402
from portraits import PORTRAITS, load  # noqa: E402

from emoface.face.tracker import FaceTracker  # noqa: E402
from mouth_panel import rendered_mouths  # noqa: E402
from emoface.motion import lip_closure  # noqa: E402
from emoface.options import MotionOptions, RenderOptions  # noqa: E402
from emoface.pipeline import carry_photo, prepare_portrait  # noqa: E402

TOOTHY = ("chuck", "astronaut", "queen", "obama")
VIDEOS = (("franck.mp4", 37), ("cap13.mp4", 29), ("psychopy.mp4", 23))  # every n-th frame is looked at


def sealed_renders(tracker: FaceTracker) -> list[np.ndarray]:
    base = expression_eval.speech_track()
    firmest = np.argsort(-lip_closure(base.layers["mouth"]))[[0, 4]]
    tiles = []
    for name in TOOTHY:
        r = prepare_portrait(load({p.name: p for p in PORTRAITS}[name]), RenderOptions())
        track = carry_photo(base, MotionOptions(), r.baseline)
        for i in firmest:
            img = r.render(track.coefficients[i], track.pose[i])
            tiles.append(mouth_tile(img, tracker.track(img)[0].landmarks))
    return tiles


def closed_real(tracker: FaceTracker, per_video: int = 3, most_open: bool = False) -> list[np.ndarray]:
    """The most closed (or open) mouths of each real video's first 3000 frames."""
    return [tile for video, step in VIDEOS
            for _, tile in (lambda found: found[-per_video:] if most_open else found[:per_video])(
                mouths_by_opening(tracker, video, step, 3000))]


def opened_renders() -> list[np.ndarray]:
    """The toothy portraits opened past their own teeth."""
    return [tile for name in TOOTHY
            for tile in rendered_mouths(load({p.name: p for p in PORTRAITS}[name]), (0.6, 0.85))]


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if "--no-contact-line" in sys.argv:
        from emoface.render import mouth_bank

        mouth_bank.CONTACT_PX = 0.0
    with FaceTracker(video=False, max_faces=1) as tracker:
        if "--open" in sys.argv:
            made, real = opened_renders(), closed_real(tracker, most_open=True)
        else:
            made, real = sealed_renders(tracker), closed_real(tracker)
    print(make_panel(args[0] if args else "seals", real[:len(made)], made, seed=int(args[1]) if len(args) > 1 else 3))


if __name__ == "__main__":
    main()
