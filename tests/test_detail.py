"""The expression-detail layer: creases that appear with the expression,
sit where the face's anatomy puts them, and keep the photo's skin."""

import cv2
import numpy as np
import pytest

from emoface.motion import ARKIT_NAMES
from emoface.render import PortraitRenderer
from emoface.render.detail import CREASES


@pytest.fixture(scope="module")
def renderer(astronaut, astronaut_face):
    return PortraitRenderer(astronaut, astronaut_face, 512)


def _coeffs(renderer, **shapes):
    c = renderer.baseline.copy()
    for k, v in shapes.items():
        c[ARKIT_NAMES.index(k)] = v
    return c


def _luma(img):
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _creased(renderer, **shapes):
    """The working image with the creases of ``shapes`` over a neutral
    baseline, and nothing else moved."""
    c = np.zeros(len(ARKIT_NAMES), np.float32)
    for k, v in shapes.items():
        c[ARKIT_NAMES.index(k)] = v
    return renderer.detail.apply(renderer.image, c, np.zeros_like(c))


def _glabella(renderer):
    """A box between the brows, in working pixels (y down)."""
    lm = renderer._src2d[:468]
    half = 0.3 * abs(lm[285, 0] - lm[55, 0])  # inner brow ends
    x, y0, y1 = lm[168, 0], lm[9, 1], lm[168, 1]
    return np.s_[int(y0):int(y1) + 1, int(x - half):int(x + half) + 1]


def test_every_crease_is_placed_on_both_sides_of_the_face(renderer):
    assert len(renderer.detail) >= len(CREASES) + 5  # lateral creases come in pairs


def test_no_crease_at_the_photos_own_expression(renderer):
    assert not renderer.detail.weights(renderer.baseline, renderer.baseline).any()
    assert renderer.detail.apply(renderer.image, renderer.baseline, renderer.baseline) is renderer.image
    assert _creased(renderer) is renderer.image


def test_knitted_brows_cut_a_furrow_between_them(renderer):
    sl = _glabella(renderer)
    rest, knit = _luma(renderer.image)[sl], _luma(_creased(renderer, browDownLeft=1, browDownRight=1))[sl]
    # Darker in the middle of the glabella than at its edges: a vertical fold,
    # as deep as this face's skin makes folds (the astronaut's is smooth: ~0.4).
    s = renderer.detail.strength
    assert 0.25 <= s < 0.6
    assert np.percentile(knit, 5) < np.percentile(rest, 5) - 10 * s
    assert knit.mean() < rest.mean() - 4 * s


def test_creases_deepen_smoothly_with_the_expression(renderer):
    sl = _glabella(renderer)
    means = [float(_luma(_creased(renderer, browDownLeft=w, browDownRight=w))[sl].mean())
             for w in np.linspace(0, 1, 11)]
    steps = np.diff(means)
    assert (steps <= 0.01).all()                            # monotone: no flicker
    assert np.abs(np.diff(steps)).max() < 0.5 * np.abs(steps).max() + 0.2   # no jumps
    a, b = (_creased(renderer, noseSneerLeft=0.7) for _ in range(2))
    assert np.array_equal(a, b)                              # same frame, same pixels


def test_a_crease_keeps_the_photos_skin_texture(renderer):
    img = _creased(renderer, browInnerUp=1, browOuterUpLeft=1, browOuterUpRight=1,
                   mouthSmileLeft=1, mouthSmileRight=1, cheekSquintLeft=1, cheekSquintRight=1)
    changed = np.abs(img.astype(int) - renderer.image.astype(int)).max(axis=2) > 3
    assert changed.sum() > 500
    # Shaded, not painted: the skin keeps its hue and its fine texture.
    px, py = img[changed].astype(float) + 1, renderer.image[changed].astype(float) + 1
    hue = lambda p: p / p.sum(axis=1, keepdims=True)  # noqa: E731
    assert np.abs(hue(px) - hue(py)).max(axis=1).mean() < 0.03
    hp = lambda x: x - cv2.GaussianBlur(x, (0, 0), 1.0)  # noqa: E731
    assert hp(_luma(img))[changed].std() > 0.7 * hp(_luma(renderer.image))[changed].std()


def test_a_smile_deepens_the_nasolabial_fold_on_its_own_side(renderer):
    lm = renderer._src2d[:468]
    left = _creased(renderer, mouthSmileLeft=1)  # subject's left: image right
    diff = _luma(left) - _luma(renderer.image)
    mid = float(lm[1, 0])
    assert diff[:, int(mid) + 5:].min() < -10 * renderer.detail.strength
    assert diff[:, :int(mid) - 5].min() > -1


def test_creases_are_faint_on_smooth_skin_and_deep_on_lined_skin(astronaut, astronaut_face):
    """The same face with fine lines in its skin (grain of a fifth of a
    millimetre, as an older face's) folds deeper than as photographed."""
    grain = cv2.GaussianBlur(np.random.default_rng(0).standard_normal(astronaut.shape[:2]), (0, 0), 0.8)
    lined = np.clip(astronaut.astype(float) + 14 * grain[..., None] / grain.std(), 0, 255).astype(np.uint8)
    smooth, aged = PortraitRenderer(astronaut, astronaut_face, 512), PortraitRenderer(lined, astronaut_face, 512)
    assert aged.detail.strength > 2 * smooth.detail.strength
    depth = [float((_luma(_creased(r, browDownLeft=1, browDownRight=1)) - _luma(r.image))[_glabella(r)].min())
             for r in (smooth, aged)]
    assert depth[1] < 1.8 * depth[0] < 0
