"""The viseme set: what the mouth does for each class of speech sound.

Each viseme is a target pose in ARKit mouth/jaw coefficients plus a
*dominance*: how strongly it holds its shape against its neighbours
(Cohen & Massaro's coarticulation model). Lips that must close (p, b, m) or
touch the teeth (f, v) dominate; sounds made inside the mouth (k, g, h)
barely constrain the lips and take their neighbours' shape.

Values are for a clearly spoken, moderately loud syllable; the driver scales
the opening channels with loudness. The table is data, each row says why.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...motion import N_SHAPES, channels


class Viseme(NamedTuple):
    target: dict[str, float]  # ARKit name -> value; "Left"/"Right" pairs written as one "mouthX"
    dominance: float  # relative weight against neighbours
    closure: bool = False  # lips must meet at least once during the phone


VISEMES: dict[str, Viseme] = {
    # Rest: lips lightly together, jaw shut. Moderate dominance so that a
    # short pause relaxes the mouth only partway, as speakers do.
    "sil": Viseme({}, 0.8),
    # p b m: the lips seal and press; the jaw stays nearly shut. Highest
    # dominance so a 30 ms /b/ still closes the lips between open vowels.
    "PP": Viseme({"jawOpen": 0.05, "mouthClose": 0.05, "mouthPress": 0.3,
                  "mouthRollLower": 0.12, "mouthRollUpper": 0.08}, 8.0, closure=True),
    # f v: the lower lip tucks under the upper teeth, upper lip lifts a little.
    "FF": Viseme({"jawOpen": 0.08, "mouthRollLower": 0.55, "mouthUpperUp": 0.22,
                  "mouthShrugUpper": 0.1}, 5.0),
    # th dh: tongue tip between the teeth: small opening, tongue just visible.
    "TH": Viseme({"jawOpen": 0.14, "mouthUpperUp": 0.1, "tongueOut": 0.2}, 1.5),
    # t d n l: tongue on the ridge behind the teeth; lips follow the vowel.
    "DD": Viseme({"jawOpen": 0.15, "mouthStretch": 0.08, "mouthLowerDown": 0.08}, 0.7),
    # k g ng: made at the back of the mouth; lips free, jaw half-open.
    "kk": Viseme({"jawOpen": 0.2, "mouthLowerDown": 0.05}, 0.4),
    # ch jh sh zh: lips pushed forward into a square funnel, teeth nearly together.
    "CH": Viseme({"jawOpen": 0.1, "mouthFunnel": 0.45, "mouthPucker": 0.25,
                  "mouthUpperUp": 0.15, "mouthLowerDown": 0.15}, 2.5),
    # s z: teeth together, lips spread slightly to show them.
    "SS": Viseme({"jawOpen": 0.06, "mouthStretch": 0.22, "mouthUpperUp": 0.12,
                  "mouthLowerDown": 0.12}, 1.5),
    # r, er: lips round a little (English r is labialised).
    "RR": Viseme({"jawOpen": 0.16, "mouthFunnel": 0.3, "mouthPucker": 0.3}, 1.2),
    # w: tight rounding, almost closed: the strongest pucker.
    "WW": Viseme({"jawOpen": 0.06, "mouthPucker": 0.75, "mouthFunnel": 0.2}, 3.0),
    # h: only breath; takes the shape of the following vowel.
    "HH": Viseme({"jawOpen": 0.22, "mouthLowerDown": 0.08}, 0.15),
    # Open vowels (father, cat, cut): the jaw drops, lower lip follows.
    "aa": Viseme({"jawOpen": 0.58, "mouthLowerDown": 0.3, "mouthUpperUp": 0.12,
                  "mouthStretch": 0.05}, 1.0),
    # The short, central vowel (schwa, "a" in "about"): half as open.
    "ah": Viseme({"jawOpen": 0.3, "mouthLowerDown": 0.15, "mouthUpperUp": 0.05}, 0.8),
    # bed, bait (start): mid-open, lips a little spread.
    "E": Viseme({"jawOpen": 0.36, "mouthStretch": 0.25, "mouthLowerDown": 0.2,
                 "mouthUpperUp": 0.08}, 1.0),
    # bit, beet, yes: nearly closed jaw, lips spread wide.
    "I": Viseme({"jawOpen": 0.16, "mouthStretch": 0.38, "mouthUpperUp": 0.1,
                 "mouthSmile": 0.1}, 1.0),
    # bought, boat (start): open and rounded.
    "O": Viseme({"jawOpen": 0.45, "mouthFunnel": 0.45, "mouthPucker": 0.12}, 1.2),
    # boot, book: small rounded opening, lips forward.
    "U": Viseme({"jawOpen": 0.13, "mouthPucker": 0.65, "mouthFunnel": 0.35}, 1.5),
    # bird: mid opening, lightly rounded.
    "ER": Viseme({"jawOpen": 0.22, "mouthFunnel": 0.3, "mouthPucker": 0.2}, 1.0),
}

#: Visemes counted as open vowels by the evaluation and as "loud" by the driver.
OPEN_VOWELS = frozenset({"aa", "ah", "E", "O"})

#: Channels that open the lips; loudness scales these (closures and rounding stay).
OPENING = ("jawOpen", "mouthLowerDown", "mouthUpperUp", "tongueOut")


def _vector(target: dict[str, float]) -> np.ndarray:
    v = np.zeros(N_SHAPES, np.float32)
    for name, value in target.items():
        v[channels(name)] = value
    return v


VISEME_NAMES: tuple[str, ...] = tuple(VISEMES)
#: (V, 52) target coefficients and (V,) dominance, indexed like VISEME_NAMES.
TARGETS = np.stack([_vector(v.target) for v in VISEMES.values()])
DOMINANCE = np.array([v.dominance for v in VISEMES.values()], np.float32)
CLOSURE = np.array([v.closure for v in VISEMES.values()])
