"""Layers to a track: the gains, the portrait under relative layers, the merge.

Every maker of motion drives its layers its own way (the offline pipeline,
the live stream, dubbing) and hands them here, so that the same layers give
the same face wherever they were made: the gains scale them, the relative
ones are carried on the portrait (:func:`emoface.relative.onto_portrait`)
and :func:`emoface.motion.combine` merges them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .motion import MotionTrack
from .relative import onto_portrait

if TYPE_CHECKING:
    from .options import MotionOptions


class Gains(NamedTuple):
    """The scales :func:`with_gains` applies, named as MotionOptions names
    them (which may stand in for it)."""

    mouth_gain: float = 1.0
    expression_gain: float = 1.0
    head_motion: float = 1.0


def with_gains(fps: float, layers: dict[str, np.ndarray], pose: np.ndarray,
               gains: Gains | MotionOptions = Gains(), relative: set[str] = frozenset(),
               baseline: np.ndarray | None = None) -> MotionTrack:
    """The track of ``layers`` (mouth, eyes, expression; (T, 52) each) and
    ``pose`` (T, 6).

    The gains scale the mouth and expression layers (a relative layer's
    changes, not the portrait's own face under them) and the pose; then the
    ``relative`` layers are carried on the portrait's ``baseline`` (52,),
    every layer is clipped to [0, 1], and they are merged.
    """
    scaled = {"mouth": layers["mouth"] * np.float32(gains.mouth_gain), "eyes": layers["eyes"],
              "expression": layers["expression"] * np.float32(gains.expression_gain)}
    carried = {k: np.clip(v, 0, 1) for k, v in onto_portrait(scaled, set(relative), baseline).items()}
    return MotionTrack.from_layers(fps, carried["mouth"], carried["eyes"], carried["expression"],
                                   pose * np.float32(gains.head_motion))


__all__ = ["Gains", "with_gains"]
