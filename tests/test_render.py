"""The renderer judged by the tracker re-reading its output."""

import cv2
import numpy as np
import pytest

from emoface.face import regions as R
from emoface.face.tracker import track_portrait
from emoface.motion import ARKIT_NAMES
from emoface.render import PortraitRenderer


@pytest.fixture(scope="module")
def renderer(astronaut, astronaut_face):
    return PortraitRenderer(astronaut, astronaut_face, 512)


def _frame(renderer, pose=(0, 0, 0), **shapes):
    c = renderer.baseline.copy()  # the photo as it is
    for k, v in shapes.items():
        c[ARKIT_NAMES.index(k)] = v
    return renderer.render(c, np.array([*pose, 0, 0, 0], np.float32))


def _gap(face):
    return float(face.landmarks[14, 1] - face.landmarks[13, 1])


def test_baseline_reproduces_the_photo(renderer, astronaut):
    out = _frame(renderer)
    diff = np.abs(out.astype(int) - astronaut.astype(int))
    assert np.median(diff) <= 2
    assert diff[:, :100].max() <= 3  # background far from the face does not move


def test_jaw_opens_the_mouth(renderer, astronaut_face):
    base = track_portrait(_frame(renderer))
    opened = track_portrait(_frame(renderer, jawOpen=0.7))
    # The lips part 16.7 px here; the tracker follows a warp about half way,
    # and less through her own teeth than through another mouth's (measured
    # +7.4 px, +8.5 with the bank's).
    assert _gap(opened) > _gap(base) + 6
    assert opened.score("jawOpen") + opened.score("mouthLowerDownLeft") > \
        base.score("jawOpen") + base.score("mouthLowerDownLeft") + 0.2


def test_blink_closes_the_eyes(renderer):
    shut = track_portrait(_frame(renderer, eyeBlinkLeft=1.0, eyeBlinkRight=1.0))
    assert shut.score("eyeBlinkLeft") > 0.4 and shut.score("eyeBlinkRight") > 0.4


def test_a_shut_eye_covers_the_iris_with_lid_skin(renderer, astronaut_face):
    """Inside the photo's eye opening, a full blink leaves only the lash line
    darker than the lid skin above the eye: no iris shows."""
    import cv2

    lm = astronaut_face.landmarks[:, :2]

    def dark_share(frame, up, lo):
        luma = cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY).astype(float)
        inside = np.zeros(luma.shape, np.uint8)
        cv2.fillPoly(inside, [np.concatenate([lm[list(up)], lm[list(lo[::-1])]]).astype(np.int32)], 1)
        x0, x1 = int(lm[list(up), 0].min()), int(lm[list(up), 0].max())
        w, top = x1 - x0, lm[list(up), 1].min()
        skin = np.median(luma[int(top - 0.35 * w):int(top - 0.1 * w), x0:x1])
        return float((luma[inside > 0] < 0.6 * skin).mean())

    open_ = _frame(renderer)
    shut = _frame(renderer, eyeBlinkLeft=1.0, eyeBlinkRight=1.0)
    for up, lo in ((R.LEFT_EYE_UPPER, R.LEFT_EYE_LOWER), (R.RIGHT_EYE_UPPER, R.RIGHT_EYE_LOWER)):
        assert dark_share(open_, up, lo) > 0.4
        assert dark_share(shut, up, lo) < 0.3


def test_a_closing_lid_is_opaque_skin_with_its_lashes_at_the_edge(astronaut, astronaut_face):
    """Half closed, the lid over the upper part of the eye is skin (no iris
    seen through it); shut, no dark lash line is left where the open lid's
    margin was: the lashes moved down with the lid."""
    import cv2

    big = PortraitRenderer(astronaut, astronaut_face, 1024)  # eyes ~70 px wide

    def luma(**shapes):
        c = big.baseline.copy()
        for k, v in shapes.items():
            c[ARKIT_NAMES.index(k)] += v
        crop, _ = big.render_crop(c, np.zeros(6, np.float32))
        return cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY).astype(float)

    lm = big._src2d[:468]
    open_ = luma()
    for up, lo, side in ((R.LEFT_EYE_UPPER, R.LEFT_EYE_LOWER, "Left"), (R.RIGHT_EYE_UPPER, R.RIGHT_EYE_LOWER, "Right")):
        top, bottom = lm[up[4], 1], lm[lo[4], 1]
        width = float(np.ptp(lm[list(up), 0]))
        cols = slice(int(lm[up[4], 0] - 0.1 * width), int(lm[up[4], 0] + 0.1 * width) + 1)
        skin = np.median(open_[int(top - 0.35 * width):int(top - 0.15 * width), cols])
        upper = slice(int(top + 0.1 * (bottom - top)), int(top + 0.3 * (bottom - top)) + 1)
        assert np.median(open_[upper, cols]) < 0.6 * skin  # iris and lashes, open
        half = luma(**{f"eyeBlink{side}": 0.6})
        assert np.median(half[upper, cols]) > 0.7 * skin, side
        shut = luma(**{f"eyeBlink{side}": 1.0})
        margin = slice(int(top - 3), int(top))
        lid = np.median(shut[int(top + 0.2 * (bottom - top)):int(top + 0.6 * (bottom - top)), cols])
        assert shut[margin, cols].mean() > max(0.85 * lid, open_[margin, cols].mean() + 15), side


def test_sad_lowers_the_mouth_corners(renderer):
    base = track_portrait(_frame(renderer))
    sad = track_portrait(_frame(renderer, mouthSmileLeft=0, mouthSmileRight=0,
                                mouthFrownLeft=0.8, mouthFrownRight=0.8))

    def corner_drop(f):  # corners relative to the lip centre, pixels (down is +)
        lm = f.landmarks
        return float((lm[61, 1] + lm[291, 1]) / 2 - (lm[13, 1] + lm[14, 1]) / 2)

    assert corner_drop(sad) > corner_drop(base) + 3


@pytest.mark.parametrize("pose", [(20, 0, 0), (-20, 0, 0), (0, 15, 0), (0, -15, 0), (0, 0, 10)])
def test_head_pose_is_measured_by_the_tracker(renderer, astronaut_face, pose):
    turned = track_portrait(_frame(renderer, pose=pose))
    axis = int(np.flatnonzero(pose)[0])
    assert abs((turned.pose[axis] - astronaut_face.pose[axis]) - pose[axis]) < 3.5


@pytest.mark.parametrize("yaw", [20, -20])
def test_background_stays_still_when_the_head_turns(renderer, yaw):
    import cv2

    out, _ = renderer.render_crop(np.zeros(len(ARKIT_NAMES), np.float32),
                                  np.array([yaw, 0, 0, 0, 0, 0], np.float32))
    # Beyond where the head was and where it can reach at 20 degrees.
    head = cv2.dilate((renderer.head > 0.01).astype(np.uint8), None, iterations=30)
    background = head == 0
    assert background.mean() > 0.2  # the crop shows real background around the head
    diff = np.abs(out.astype(int) - renderer.image.astype(int)).max(axis=2)
    assert diff[background].max() <= 2
    # ... while the head itself did turn
    assert diff[renderer.head > 0.99].mean() > 10


@pytest.mark.slow
def test_a_steady_turn_reads_as_a_steady_turn(renderer):
    """Constant yaw steps read back as even, monotonic steps: no jitter or
    flicker in what the tracker (a viewer's proxy) sees."""
    yaws = np.linspace(-12, 12, 9)
    seen = np.array([track_portrait(_frame(renderer, pose=(y, 0, 0))).pose[0] for y in yaws])
    steps = np.diff(seen)
    assert np.all(steps > 0.5 * np.diff(yaws))
    assert steps.std() < 0.35 * steps.mean()


def test_a_photo_with_no_background_still_turns(astronaut, astronaut_face):
    """Cropped tight to the face there is no background for the head mask or
    the plate to learn from: the whole crop turns with the head instead."""
    x0, y0, x1, y1 = (int(v) for v in astronaut_face.bbox)
    tight = np.ascontiguousarray(astronaut[y0:y1, x0:x1])
    r = PortraitRenderer(tight, track_portrait(tight), 512)
    assert r.head.mean() > 0.8
    turned = r.render(np.zeros(len(ARKIT_NAMES), np.float32), np.array([15, 0, 0, 0, 0, 0], np.float32))
    assert turned.shape == tight.shape
    assert np.abs(turned.astype(int) - tight.astype(int)).mean() > 3


def test_head_translation_is_in_centimetres(renderer, astronaut_face):
    moved = track_portrait(renderer.render(renderer.baseline, np.array([0, 0, 0, 1.0, 0, 0], np.float32)))
    dx = float(moved.landmarks[1, 0] - astronaut_face.landmarks[1, 0])  # nose tip, photo pixels
    cm = renderer._scale / renderer.crop.scale  # photo pixels per canonical centimetre
    assert abs(dx - cm) < 0.3 * cm


def test_lips_seal_at_rest_even_when_the_photo_shows_teeth(renderer, astronaut_face):
    assert _gap(astronaut_face) > 5  # the astronaut smiles with parted lips
    rest = track_portrait(renderer.render(np.zeros(len(ARKIT_NAMES), np.float32),
                                          np.zeros(6, np.float32)))
    assert _gap(rest) < 0.4 * _gap(astronaut_face)
    bilabial = np.zeros(len(ARKIT_NAMES), np.float32)
    bilabial[[ARKIT_NAMES.index("jawOpen"), ARKIT_NAMES.index("mouthClose")]] = 0.06
    assert _gap(track_portrait(renderer.render(bilabial, np.zeros(6, np.float32)))) < 0.4 * _gap(astronaut_face)


def test_mouth_interior_reuses_the_colour_of_the_photos_own_teeth(renderer, astronaut, astronaut_face):
    from emoface.face import regions as R
    from emoface.render.mouth import photo_teeth

    lm = astronaut_face.landmarks[:, :2]
    opening = np.concatenate([lm[list(R.LIPS_UPPER_INNER)], lm[list(R.LIPS_LOWER_INNER[::-1])]])
    teeth = photo_teeth(astronaut, opening)
    assert teeth is not None and teeth.min() > 150  # her smile shows light teeth
    np.testing.assert_allclose(renderer._colours["teeth"], teeth, rtol=0.08)  # same teeth, working crop
    closed = np.concatenate([lm[list(R.LIPS_UPPER_INNER)], lm[list(R.LIPS_UPPER_INNER[::-1])]])
    assert photo_teeth(astronaut, closed) is None  # no opening, no teeth to take


def test_gaze_moves_the_iris_inside_the_eye(renderer):
    from emoface.face import regions as R

    def iris_offset(f):  # subject's left iris, relative to the eye's corners, in eye widths
        lm = f.landmarks[:, :2]
        a, b = lm[R.LEFT_EYE_UPPER[0]], lm[R.LEFT_EYE_UPPER[-1]]
        return float((lm[R.LEFT_IRIS[0], 0] - (a[0] + b[0]) / 2) / abs(a[0] - b[0]))

    base = track_portrait(_frame(renderer))
    out = track_portrait(_frame(renderer, eyeLookOutLeft=1.0, eyeLookInRight=1.0))
    inward = track_portrait(_frame(renderer, eyeLookInLeft=1.0, eyeLookOutRight=1.0))
    # The subject's left eye is on the image's right: looking out moves its iris right.
    assert iris_offset(out) > iris_offset(base) + 0.08
    assert iris_offset(inward) < iris_offset(base) - 0.08
    assert out.score("eyeLookOutLeft") > base.score("eyeLookOutLeft") + 0.25


@pytest.mark.slow
def test_wide_eyes_open_further(renderer):
    """dlib's 68-point model (not MediaPipe, whose lid landmarks hardly move
    here) measures the lid-to-lid opening of both eyes."""
    import dlib
    import face_recognition_models as frm

    detector = dlib.get_frontal_face_detector()
    shape = dlib.shape_predictor(frm.pose_predictor_model_location())

    def opening(img):
        p = shape(img, detector(img, 1)[0])
        y = lambda i: p.part(i).y  # noqa: E731
        x = lambda i: p.part(i).x  # noqa: E731
        right = (y(41) + y(40) - y(37) - y(38)) / 2 / (x(39) - x(36))
        left = (y(47) + y(46) - y(43) - y(44)) / 2 / (x(45) - x(42))
        return (right + left) / 2

    # Wide eyes against the photo's own, both resampled alike (a half-degree
    # turn): dlib's reading of one image moves by up to 10 % with the
    # resampling alone, so it is averaged over six such turns.
    def mean_opening(**shapes):
        turns = [(0.5, 0, 0), (-0.5, 0, 0), (0, 0.5, 0), (0, -0.5, 0), (0, 0, 0.5), (0, 0, -0.5)]
        return np.mean([opening(_frame(renderer, turn, **shapes)) for turn in turns])

    b = renderer.baseline
    wide = {k: float(b[ARKIT_NAMES.index(k)]) + 1.0 for k in ("eyeWideLeft", "eyeWideRight")}
    assert mean_opening(**wide) > mean_opening() * 1.03


_LUMA = np.array([0.299, 0.587, 0.114])


def test_an_open_mouth_shows_upper_teeth_over_a_dark_cavity(renderer):
    """At jawOpen 0.6 the opening shows light upper teeth hanging from the
    upper lip and, below them, a cavity far darker than the lips but not
    black; lips pressed together (p, b, m) leave nothing of it drawn."""
    from emoface.render.mouth import draw_interior

    def shapes(**kw):
        c = np.zeros(len(ARKIT_NAMES), np.float32)
        for k, v in kw.items():
            c[ARKIT_NAMES.index(k)] = v
        return c

    pose = np.zeros(6, np.float32)
    frame, _ = renderer.render_crop(shapes(jawOpen=0.6), pose)
    d = renderer.vertices(shapes(jawOpen=0.6), pose)[:, :2] * np.array([1, -1])
    luma = frame @ _LUMA
    x, top, bot = d[13, 0], d[13, 1], d[14, 1]  # inner-lip middles, working-crop pixels
    gap, half = bot - top, 0.08 * (d[291, 0] - d[61, 0])
    assert gap > 12
    cols = slice(int(x - half), int(x + half) + 1)
    teeth = luma[int(top + 1):int(top + 0.3 * gap), cols]
    # The cavity: the darkest row between the upper teeth and the lower (hers too, riding the jaw).
    cavity = np.median(luma[int(top + 0.3 * gap):int(top + 0.8 * gap), cols], axis=1).min()
    lip = np.median(luma[int(bot + 2):int(d[17, 1] - 1), cols])  # the lower lip
    # Her own teeth (the photo shows them): measured 211 over a 197 lower lip.
    assert teeth.max() > 190 and teeth.max() > lip + 10
    # A real mouth's interior (render/mouth_bank.py): the shadow behind the
    # teeth, far darker than the lip, never black (the bank's real mouths:
    # their darkest row 0.12-0.36 of the lower lip's light).
    assert 8 < cavity < 0.4 * lip
    closed = shapes(jawOpen=0.3, mouthClose=0.3)
    frame, _ = renderer.render_crop(closed, pose)
    d = renderer.vertices(closed, pose)[:, :2] * np.array([1, -1])
    canvas = frame.copy()
    draw_interior(canvas, d[list(R.LIPS_UPPER_INNER)], d[list(R.LIPS_LOWER_INNER)], renderer._colours)
    np.testing.assert_array_equal(canvas, frame)


def test_a_moving_head_carries_the_photos_own_teeth(renderer):
    """The photo's expression, the head moved: her teeth go with it, pixel
    for pixel. Repainted (as the mouth is once it moves) they lost their
    finest detail; left unpainted with no triangle across the opening they
    showed the photo where the mouth had been, her lips, as a pink slab."""
    c = renderer.baseline.copy()

    def opening(pose):
        frame, _ = renderer.render_crop(c, np.array(pose, np.float32))
        d = renderer.vertices(c, np.array(pose, np.float32))[:, :2] * np.array([1, -1])
        mask = np.zeros(frame.shape[:2], np.uint8)
        ring = np.concatenate([d[list(R.LIPS_UPPER_INNER)], d[list(R.LIPS_LOWER_INNER)][::-1]])
        cv2.fillPoly(mask, [np.round(ring).astype(np.int32)], 1)
        return frame, d, mask > 0

    _, _, still = opening([0, 0, 0, 0, 0, 0])
    still_light = np.percentile((renderer.image @ _LUMA)[still], 90)
    for pose in ([0, 0, 0, 0, -1.0, 0], [0, 0, 0, -1.5, 0, 0]):
        frame, d, mask = opening(pose)
        # A move of the head is a shift of its picture: the photo, shifted.
        shift = np.median(d[:468] - renderer._src2d[:468], axis=0)
        photo = cv2.warpAffine(renderer.image, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]),
                               frame.shape[1::-1], flags=cv2.INTER_CUBIC)
        assert np.abs(frame.astype(float) - photo)[mask].mean() < 2.0, pose
    for pose in ([-12, 0, 0, 0, 0, 0], [0, 15, 0, 0, 0, 0]):
        frame, _, mask = opening(pose)
        assert np.percentile((frame @ _LUMA)[mask], 90) > 0.95 * still_light, pose


def _mouth(gap: float, width: float = 60.0, at=(20.0, 20.0)) -> tuple[np.ndarray, np.ndarray]:
    """Inner-lip contours (11, 2) of a mouth open ``gap`` px in the middle."""
    x = np.linspace(0, width, 11)
    bow = np.sin(np.linspace(0, np.pi, 11))
    upper = np.stack([x, -0.1 * gap * bow], axis=1) + at
    lower = np.stack([x, 0.9 * gap * bow], axis=1) + at
    return upper.astype(np.float32), lower.astype(np.float32)


def test_a_bearded_mouth_opens_darker_than_the_beard_with_lighter_teeth():
    """Around a dark beard the cavity is still distinctly darker than the
    hair and the teeth distinctly lighter; barely parted lips are a dark
    line with no teeth in it."""
    from emoface.render.mouth import draw_interior, palette

    beard = np.full((90, 100, 3), (62, 46, 36), np.uint8)
    colours = palette(beard, np.array([[15.0, 10.0], [85.0, 40.0]]))
    canvas = beard.copy()
    upper, lower = _mouth(20.0)
    draw_interior(canvas, upper, lower, colours)
    luma = canvas @ _LUMA
    middle = luma[20:41, 40:61]  # under the middle of the upper lip, top to bottom
    assert middle[:6].max() > 150  # the upper teeth
    assert np.median(middle[8:14]) < 0.5 * luma[80, 5]  # the cavity under them, beard at 49
    line = beard.copy()
    draw_interior(line, *_mouth(2.0), colours)
    assert (line @ _LUMA).max() <= luma[80, 5] + 1  # nothing light between the lips
    assert (line @ _LUMA)[20:23, 45:56].min() < 0.8 * luma[80, 5]  # but a darker line


def _corners(face):
    """How far the lip corners lie below the lips' middle (y down: lower is +)."""
    return float(face.landmarks[[61, 291], 1].mean() - face.landmarks[[13, 14], 1].mean())


def test_a_smiling_photo_asked_for_sad_loses_its_smile(renderer, astronaut, astronaut_face):
    from emoface.drivers.emotion import recipe_vector

    photo = astronaut_face.score("mouthSmileLeft") + astronaut_face.score("mouthSmileRight")
    assert photo > 0.6  # the astronaut smiles
    zero = np.zeros(6, np.float32)
    rest = track_portrait(renderer.render(np.zeros(len(ARKIT_NAMES), np.float32), zero))
    sad = track_portrait(renderer.render(recipe_vector("sad"), zero))
    assert sad.score("mouthSmileLeft") + sad.score("mouthSmileRight") < 0.4 * photo
    # The corners go down, below where they rest with no expression at all
    # (~2.4 % of the eye distance; the tracker's frown score barely moves on
    # a frown within what real faces do, so the landmarks are the measure).
    iod = float(rest.landmarks[263, 0] - rest.landmarks[33, 0])
    assert _corners(sad) > _corners(rest) + 0.015 * iod


@pytest.mark.parametrize("emotion", ["happy", "angry", "surprised", "disgusted"])
def test_each_emotion_moves_the_features_that_define_it(renderer, emotion):
    from emoface.drivers.emotion import recipe_vector

    rest = track_portrait(renderer.render(np.zeros(len(ARKIT_NAMES), np.float32), np.zeros(6, np.float32)))
    face = track_portrait(renderer.render(recipe_vector(emotion), np.zeros(6, np.float32)))
    lm, lm0 = face.landmarks, rest.landmarks
    iod = float(lm0[263, 0] - lm0[33, 0])
    brow = lambda f: float(f[[105, 334], 1].mean() - f[[33, 263], 1].mean())  # noqa: E731 (brow above eye: < 0)
    corners = lambda f: float(f[[61, 291], 1].mean() - f[[13, 14], 1].mean())  # noqa: E731 (down is +)
    upper_lip = lambda f: float(f[0, 1] - f[2, 1])  # noqa: E731 (upper lip below the nose: +)
    if emotion == "happy":
        assert corners(lm) < corners(lm0) - 0.03 * iod
    elif emotion == "angry":  # brows down by ~2.4 % of the eye distance with the rig rebuilt for the new lids
        assert brow(lm) > brow(lm0) + 0.02 * iod
    elif emotion == "surprised":  # brows up by ~2.5 % of the eye distance, as the tracker reads it
        assert brow(lm) < brow(lm0) - 0.02 * iod
    else:  # disgusted: brows lowered, upper lip raised toward the nose (its wrinkles are tests/test_detail.py's)
        assert brow(lm) > brow(lm0) + 0.025 * iod and upper_lip(lm) < upper_lip(lm0) - 0.015 * iod


@pytest.mark.parametrize("yaw", [0.0, 25.0])
def test_the_bounded_warp_draws_what_the_full_warp_draws(renderer, yaw):
    """The warp skips pixels only the background reaches; skipping them must
    not change a single output pixel, even for a large turn of a smiling jaw drop."""
    from emoface.render.warp import warp

    c = np.zeros(len(ARKIT_NAMES), np.float32)
    c[ARKIT_NAMES.index("jawOpen")] = 0.8
    c[ARKIT_NAMES.index("mouthSmileLeft")] = 1.0
    moved = renderer.vertices(c, np.array([yaw, 10, 5, 1, 0, 0], np.float32))
    dst = moved[:, :2] * np.array([1, -1])
    order = np.arange(len(renderer._tris))
    args = (renderer.image, dst, renderer._src2d, renderer._tris, order, renderer._plate, renderer._head_u8)
    full, _ = warp(*args)
    bounded, changed = warp(*args, renderer._carried)
    assert np.array_equal(full, bounded)
    assert changed.mean() < 0.8  # and it did skip something


def _gap_profile(points: np.ndarray) -> np.ndarray:
    """The inner lips' parting at 0, 0.4 and 0.8 of the way from the middle
    to a corner, over the middle's (the mean of both sides)."""
    left, right = points[78, :2], points[308, :2]
    half = np.linalg.norm(right - left) / 2
    along = (right - left) / (2 * half)
    down = np.array([-along[1], along[0]])

    def curve(idx):
        q = (points[list(idx), :2] - (left + right) / 2) / half
        u, v = q @ along, q @ down
        return lambda x: np.interp(x, *zip(*sorted(zip(u, v))))

    upper, lower = curve(R.LIPS_UPPER_INNER), curve(R.LIPS_LOWER_INNER)
    gap = [np.mean([abs(lower(s * x) - upper(s * x)) for s in (-1, 1)]) for x in (0.0, 0.4, 0.8)]
    return np.array(gap) / gap[0]


def test_a_dropping_jaw_parts_the_lips_in_a_lens_not_a_box(renderer):
    """Real speaking mouths (the tracker on four clips) part to 0.89 of the
    middle's gap at 0.4 of the way to a corner and to 0.46 at 0.8; a rigid
    lower lip parts them nearly as far at the corners as in the middle,
    the 'puppet box' viewers name."""
    for jaw in (0.3, 0.7):
        c = np.zeros(len(ARKIT_NAMES), np.float32)
        c[ARKIT_NAMES.index("jawOpen")] = jaw
        points = renderer.vertices(c, np.zeros(6, np.float32))[:, :2] * np.array([1, -1])
        profile = _gap_profile(points)
        assert 0.8 < profile[1] < 0.97 and 0.3 < profile[2] < 0.65, profile
        # Symmetric: the two halves of the lower lip drop alike.
        mid = 0.5 * (points[78] + points[308])[:2]
        lower = points[list(R.LIPS_LOWER_INNER), :2]
        assert abs(np.mean(lower[:, 1] - mid[1]) - np.mean(lower[::-1, 1] - mid[1])) < 1e-3


def test_a_photo_showing_its_teeth_keeps_them_as_it_speaks(renderer, astronaut):
    """Her own teeth, not another mouth's, while the jaw drops a little; the
    upper ones stay where the photo has them (they hang from the skull)."""
    from emoface.render.mouth_bank import default_bank

    assert renderer._bank.own[0] and not default_bank().own  # the photo's mouth joined the bank
    pose = np.zeros(6, np.float32)
    moved = _frame(renderer, jawOpen=float(renderer.baseline[ARKIT_NAMES.index("jawOpen")]) + 0.05)
    d = renderer.vertices(renderer.baseline, pose)[:, :2] * np.array([1, -1])
    # The upper teeth: below the upper inner lip's middle, in the photo's frame.
    c = renderer.crop
    x, y = d[13] / c.scale + [c.x0, c.y0]
    box = (slice(int(y + 1), int(y + 5)), slice(int(x - 12), int(x + 12)))
    assert astronaut[box].mean() > 150  # her teeth
    # Measured 9 grey levels off hers; the bank's nearest mouth there is 139 off (a dark parting).
    assert np.abs(moved[box].astype(int) - astronaut[box].astype(int)).mean() < 20


def test_other_peoples_wide_mouths_show_only_between_a_portraits_own_teeth(renderer):
    """The posed-surprise photo's mouth and the webcam's widest read as "a
    thin, floating white lower-teeth line" and "a smeared orange-red blob":
    a mouth opened past the bank's laugh is the laugh opened further. Between
    a portrait's own teeth, their tongue and dark still fill the space."""
    from emoface.render.mouth_bank import default_bank

    bank = default_bank()
    assert (~bank.drawn).sum() == 2  # the photo's and the webcam's
    for opening in (0.45, 0.6, 0.8):
        picked = bank.pick(opening)
        assert picked and all(bank.drawn[i] for i, _ in picked), (opening, picked)
        assert all(bank.apertures[i] < 0.4 for i, _ in picked)
    own = renderer._bank  # the astronaut shows her teeth
    between = own.pick(0.7, among=~own.own)
    assert between and not any(own.drawn[i] for i, _ in between)


def test_sealed_lips_of_a_photo_showing_teeth_meet_on_a_shadow_not_a_white_seam(renderer, astronaut):
    """A p, b or m on the astronaut (who smiles with her teeth): the lips
    close to under a pixel or two apart, and what shows between them is a
    line darker than her lips, not a sliver of her teeth (the trackers read
    that seam as parted lips: dlib on a bearded smile, 0.07 of bilabials
    closed; 0.83 with the line)."""
    c = renderer.baseline.copy()
    c[ARKIT_NAMES.index("mouthClose")] = c[ARKIT_NAMES.index("jawOpen")]
    for name in ("mouthPressLeft", "mouthPressRight"):
        c[ARKIT_NAMES.index(name)] = 0.3  # as lip sync seals a bilabial
    for name in ("mouthUpperUpLeft", "mouthUpperUpRight", "mouthLowerDownLeft", "mouthLowerDownRight"):
        c[ARKIT_NAMES.index(name)] = 0.0
    pose = np.zeros(6, np.float32)
    luma = renderer.render(c, pose) @ _LUMA
    d = renderer.vertices(c, pose)[:, :2] * np.array([1, -1])
    crop = renderer.crop
    at = lambda p: np.round(p / crop.scale + [crop.x0, crop.y0]).astype(int)  # noqa: E731
    seam = []
    for up, lo in ((82, 87), (13, 14), (312, 317)):
        assert np.linalg.norm(d[up] - d[lo]) / crop.scale < 2  # all but sealed
        x, y = at((d[up] + d[lo]) / 2)
        # The darkest point across where they meet (a pixel either way: her
        # glossy lower lip, 200-240, lies just under it).
        seam.append(luma[y - 2:y + 3, x].min())
    x, y = at(d[17])
    lip = np.median(luma[y - 3:y, x - 4:x + 4])
    # Measured 85-125 against the lip's 188; a sliver of her teeth there is 196-213.
    assert max(seam) < 0.8 * lip, (seam, lip)


def test_a_photo_showing_teeth_keeps_them_on_its_jaw_when_the_mouth_opens_wide(renderer):
    """The astronaut smiles with her teeth: opened past her own mouth, her
    upper teeth still hang from her upper lip (once, the wide mouth was a
    toothless dark-red hole), with the dark mouth behind them."""
    for jaw in (0.6, 0.9):
        out = _frame(renderer, jawOpen=jaw, mouthClose=0)
        p = track_portrait(out).landmarks[:, :2]
        gap = p[14, 1] - p[13, 1]
        x0, x1 = int(p[82, 0]), int(p[312, 0])
        under_lip = out[int(p[13, 1] + 0.05 * gap):int(p[13, 1] + 0.2 * gap), x0:x1].mean(axis=(0, 1))
        middle = out[int(p[13, 1] + 0.4 * gap):int(p[13, 1] + 0.6 * gap), x0:x1].mean(axis=(0, 1))
        assert gap > 12 and under_lip.min() > 150, (jaw, gap, under_lip)  # light teeth, as photographed
        assert middle.mean() < 0.5 * under_lip.mean(), (jaw, middle)


def test_the_warp_rounds_an_unevenly_moved_edge_instead_of_bending_it_at_triangle_edges():
    """A straight edge moved by a fan of triangles, its middle vertex pulled
    down: exact, the edge is two straight segments meeting at a corner;
    smoothed, it curves, and the map stays exact outside the region."""
    from emoface.render.warp import Smoothing, warp

    image = np.zeros((120, 200, 3), np.uint8)
    image[60:] = 255  # an edge along row 60
    xs = np.linspace(20, 180, 9)
    src = np.concatenate([np.column_stack([xs, np.full(9, 30.0)]), np.column_stack([xs, np.full(9, 90.0)])])
    dst = src.copy()
    dst[9:, 1] += 30 * (1 - np.abs(np.linspace(-1, 1, 9)))  # the lower row bent into a tent
    tris = np.array([t for i in range(8) for t in ((i, i + 1, 9 + i), (i + 1, 10 + i, 9 + i))])
    order = np.arange(len(tris))

    def edge(out):  # the edge's row in each column of the middle, to a fraction of a pixel
        return (255 - out[:, 60:141, 0].astype(float)).sum(axis=0) / 255

    exact, _ = warp(image, dst, src, tris, order)
    smooth, _ = warp(image, dst, src, tris, order, smoothing=Smoothing(np.ones(len(tris), int), 8.0))
    kink = lambda rows: np.abs(rows[:-12] - 2 * rows[6:-6] + rows[12:]).max()  # noqa: E731 - the sharpest bend
    assert kink(edge(exact)) > 1.5 and kink(edge(smooth)) < 0.6 * kink(edge(exact)), (kink(edge(exact)),
                                                                                       kink(edge(smooth)))
    assert np.abs(edge(smooth) - edge(exact)).mean() < 3  # rounded, not moved
    np.testing.assert_array_equal(smooth[:, :15], image[:, :15])  # no triangle there: untouched


def test_the_mouth_takes_the_grain_of_the_face_around_it():
    """Another's mouth drawn into a grainy face is as grainy, near enough
    (a smooth patch in it reads as painted on); into a smooth face, it stays
    smooth; the same frame draws the same grain."""
    import cv2

    from emoface.render.mouth import palette
    from emoface.render.mouth_bank import default_bank

    def fine(grey):
        return np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 1.0))

    upper, lower = _mouth(24.0, width=80.0, at=(30.0, 40.0))
    outline = np.concatenate([upper, lower[-2:0:-1]])
    inside = (slice(47, 58), slice(55, 86))  # the middle of the opening
    made = {}
    for name, grain in (("smooth", 0.0), ("grainy", 9.0)):
        face = np.full((110, 140, 3), (172, 124, 104), np.float32)
        face += np.random.default_rng(1).normal(0, grain, face.shape[:2])[..., None]
        face = np.clip(face, 0, 255).astype(np.uint8)
        colours = palette(face, np.array([[30.0, 30.0], [110.0, 70.0]]))
        canvas = face.copy()
        assert default_bank().draw(canvas, outline, colours)
        again = face.copy()
        default_bank().draw(again, outline, colours)
        np.testing.assert_array_equal(canvas, again)
        made[name] = (fine((canvas @ _LUMA).astype(np.float32))[inside].mean(),
                      fine((face @ _LUMA).astype(np.float32))[:, :25].mean())
    (smooth, _), (grainy, face_grain) = made["smooth"], made["grainy"]
    assert grainy > 0.6 * face_grain and grainy > 2 * smooth, made


def test_the_grain_in_the_dark_of_the_mouth_is_as_faint_as_its_light():
    """Grain as strong in the mouth's dark as on a wrinkled face read as a
    speckled tongue: the grain follows the light, up to the teeth's."""
    import cv2

    from emoface.render.mouth_bank import _luma, _with_grain

    layer = np.full((40, 120, 3), 200.0, np.float32)
    layer[:, :60] = 40.0  # the dark behind the teeth
    inside = np.ones((40, 120), bool)
    out = _with_grain(layer, inside, detail=8.0, seed=3, light=200.0)
    added = np.abs(_luma(out - layer) - cv2.GaussianBlur(_luma(out - layer), (0, 0), 1.0))
    dark, lit = added[:, 5:55].mean(), added[:, 65:115].mean()
    assert lit > 0.5, lit  # the light part is grained
    assert dark < 0.3 * lit, (dark, lit)


def test_another_mouths_dark_takes_the_portraits_lining_not_its_cameras_cast():
    """The bank's mouths come from webcam video with a green cast: drawn
    into a portrait, the dark of the mouth is the portrait's red-brown, not
    olive."""
    canvas, _ = _bank_mouth_in(np.full((110, 140, 3), (172, 124, 104), np.uint8), (176, 82, 84))
    inside = canvas[44:62, 45:96].reshape(-1, 3).astype(float)
    # Neither the darkest nor teeth (pale: in the mouth's shade they fall in the same light).
    pale = (inside[:, 0] - inside[:, 1]) / np.maximum(inside[:, 0], 1) < 0.3
    lining = inside[(inside @ _LUMA > 60) & (inside @ _LUMA < 150) & ~pale]
    assert len(lining) > 200
    r, g, b = lining.mean(axis=0)
    # Measured red over green 1.98; 1.74 with the source's own hue.
    assert r > 1.85 * g and r > 1.85 * b, (r, g, b)


def test_teeth_take_the_colour_of_the_photos_light():
    """A photo that shows no teeth gets teeth lit as its skin is: warm in a
    warm photo (neutral teeth there read as blue), near white in a neutral
    one, and lighter than the skin in both."""
    from emoface.render.mouth import palette

    lips = np.array([[40.0, 40.0], [100.0, 40.0], [70.0, 60.0]])
    ratio = {}
    for name, skin in (("warm", (218, 135, 95)), ("neutral", (212, 178, 150))):
        face = np.full((120, 140, 3), skin, np.uint8)
        face[38:62, 38:102] = (200, 110, 95)  # the lips
        r, g, b = palette(face, lips)["teeth"]
        assert 0.299 * r + 0.587 * g + 0.114 * b > np.dot(skin, _LUMA), name
        ratio[name] = r / b
    # Real teeth in warm photos measure red over blue 1.4; in neutral ones 1.15.
    assert ratio["warm"] > 1.3 and ratio["neutral"] < 1.25, ratio


def test_teeth_in_a_light_skinned_photo_are_as_light_as_its_skin():
    """Light skin under bright light, red lipstick (Audrey Hepburn's photo):
    teeth lit by the lips' light alone were darker than the skin (0.9 of it)
    and, in the mouth's shade, read as a grey smudge; real speaking mouths'
    lightest tenth is about as light as the skin beside them (1.09, median)."""
    from emoface.render.mouth import TEETH_OVER_SKIN, palette

    skin = (236, 206, 196)
    face = np.full((120, 140, 3), skin, np.uint8)
    face[38:62, 38:102] = (226, 80, 71)
    teeth = palette(face, np.array([[40.0, 40.0], [100.0, 40.0], [70.0, 60.0]]))["teeth"]
    assert np.dot(teeth, _LUMA) >= 0.98 * TEETH_OVER_SKIN * np.dot(skin, _LUMA), (teeth, skin)
    assert teeth.max() <= 255


def _bank_mouth_in(face: np.ndarray, lip: tuple[int, int, int], hole: tuple[int, int, int] | None = None,
                   gap: float = 24.0, bared: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Another's mouth drawn into ``face`` (lips ``lip``, ``gap`` px open,
    drawn back off the teeth by ``bared``), with ``hole`` painted first
    where the opening is (what the warp leaves there); and the opening's mask."""
    import cv2

    from emoface.render.mouth import palette
    from emoface.render.mouth_bank import default_bank

    face = face.copy()
    face[30:70, 30:110] = lip
    colours = palette(face, np.array([[30.0, 30.0], [110.0, 70.0]]))
    upper, lower = _mouth(gap, width=80.0, at=(30.0, 40.0))
    outline = np.concatenate([upper, lower[-2:0:-1]])
    opening = np.zeros(face.shape[:2], np.uint8)
    cv2.fillPoly(opening, [np.round(outline).astype(np.int32)], 1)
    if hole is not None:
        face[opening.astype(bool)] = hole
    canvas = face.copy()
    assert default_bank().draw(canvas, outline, colours, bared)
    return canvas, opening


def test_a_smile_shows_teeth_through_a_parting_where_speech_shows_the_dark():
    """Lips drawn back (a smile, a raised upper lip) bare the teeth even
    where they part little; speech parted as little shows the dark between
    the lips. A smile with a dark slot read as a grimace."""
    face = np.full((110, 140, 3), (205, 160, 140), np.uint8)
    light = {}
    for bared in (0.0, 1.0):
        canvas, opening = _bank_mouth_in(face, (180, 95, 95), gap=9.0, bared=bared)
        inside = canvas[opening.astype(bool)].astype(float)
        light[bared] = float(np.percentile(inside @ _LUMA, 90))
    assert light[1.0] > light[0.0] + 25, light


def test_a_real_smiles_parting_is_filled_by_its_upper_teeth():
    """A smile drawn back as far as real ones are (bared 0.6: the FG-net
    speaker's smiles read 0.6-0.75, every upper tooth showing) fills a
    narrow parting with the upper teeth, the lower lip riding over them;
    speech parted as far shows none. The old code showed the source's dark
    and lower lip there, a pink band: no pixel read as teeth."""
    import cv2

    face = np.full((110, 140, 3), (205, 160, 140), np.uint8)
    lip = (180, 95, 95)
    share = {}
    for bared in (0.0, 0.6):
        canvas, opening = _bank_mouth_in(face, lip, gap=12.0, bared=bared)
        px = canvas[cv2.erode(opening, np.ones((3, 3), np.uint8)).astype(bool)].astype(float)
        pale = (px[:, 0] - px[:, 1]) / np.maximum(px[:, 0], 1) < 0.3
        share[bared] = float(((px @ _LUMA > np.dot(lip, _LUMA)) & pale).mean())
    assert share[0.6] > 0.5 and share[0.0] < 0.05, share


def test_the_inside_of_anothers_lips_is_no_brighter_than_their_outside():
    """A webcam mouth's wet lower lip, tinted to a warm portrait, showed as
    a bright orange band: the inside of the lips is in their shade."""
    import cv2

    canvas, opening = _bank_mouth_in(np.full((110, 140, 3), (218, 135, 95), np.uint8), (212, 122, 88))
    rgb = canvas.astype(float)
    lining = rgb[..., 0] - rgb[..., 2] > 0.45 * rgb[..., 0]
    # Well inside the opening (its soft edge lies over the lips themselves)
    # and clear of the teeth (their edge blends into the gum above them).
    keep = cv2.erode(opening, np.ones((5, 5), np.uint8)) & cv2.erode(lining.astype(np.uint8), np.ones((5, 5), np.uint8))
    red = rgb[keep.astype(bool)]
    assert len(red) > 100
    lip = np.dot((212, 122, 88), _LUMA)
    # At most 0.8 of the lips' light, and the face's grain on top: measured
    # 0.89 at the 90th percentile, 1.12 without the cap.
    assert np.percentile(red @ _LUMA, 90) < 0.95 * lip, np.percentile(red @ _LUMA, 90) / lip


def test_what_the_warp_leaves_in_the_opening_never_shows_at_its_edge():
    """The mouth's interior covers the whole opening; its soft edge lies
    over the lips, not inside (centred on it, the stretched seam behind
    showed through as a bright rim)."""
    face = np.full((110, 140, 3), (172, 124, 104), np.uint8)
    green, _ = _bank_mouth_in(face, (176, 82, 84), hole=(0, 255, 0))
    magenta, _ = _bank_mouth_in(face, (176, 82, 84), hole=(255, 0, 255))
    # How much of the hole shows, whatever the interior's colour: drawn
    # with the fade centred on the edge, up to 0.67 on a ring of 680 pixels.
    # (The polygon's corner tips, a pixel or two where the lips meet, are
    # left out: the curve through them is the lips' own, rounded.)
    shows = (np.abs(green.astype(int) - magenta).max(axis=-1) / 255)[:, 33:108]
    assert shows.max() < 0.4 and (shows > 0.05).sum() < 150, (shows.max(), (shows > 0.05).sum())


def test_lower_teeth_drop_with_the_jaw_as_one_arch_not_along_the_lip():
    """A photo smiling with both rows of teeth, its jaw dropped into a
    round opening: the lower teeth sit on the jaw, so they drop as a whole
    and the lip, dropping less toward the corners, covers them there. Hung
    from the lip column by column they bent into a white crescent along it,
    what viewers named first in open mouths."""
    import cv2

    from emoface.render.mouth import palette
    from emoface.render.mouth_bank import OUTLINE, default_bank

    skin, lip = (205, 160, 140), (180, 95, 95)
    face = np.full((110, 140, 3), skin, np.uint8)
    face[28:58, 26:114] = lip
    upper, lower = _mouth(12.0, width=80.0, at=(30.0, 40.0))
    outline = np.concatenate([upper, lower[-2:0:-1]])
    opening = np.zeros(face.shape[:2], np.uint8)
    cv2.fillPoly(opening, [np.round(outline).astype(np.int32)], 1)
    ys, xs = np.mgrid[:110, :140]
    top, bottom = np.interp(xs, upper[:, 0], upper[:, 1]), np.interp(xs, lower[:, 0], lower[:, 1])
    inside = opening.astype(bool)
    face[inside] = (60, 25, 25)
    face[inside & ((ys < top + 4) | (ys > bottom - 4))] = (235, 230, 220)  # both rows, corner to corner
    points = np.zeros((478, 2))
    points[OUTLINE] = outline
    colours = palette(face, np.array([[30.0, 30.0], [110.0, 70.0]]), outline)
    bank = default_bank().with_photo(face, points, np.array(lip, np.float32))
    for gap in (24.0, 40.0):
        up, lo = _mouth(gap, width=80.0, at=(30.0, 40.0))
        moved = np.concatenate([up, lo[-2:0:-1]])
        canvas = face.copy()
        canvas[inside] = skin
        assert bank.draw(canvas, moved, colours)
        now = np.zeros_like(opening)
        cv2.fillPoly(now, [np.round(moved).astype(np.int32)], 1)
        rgb = canvas.astype(float)
        lower_half = now.astype(bool) & (ys > 40 + 0.4 * gap * np.sin(np.pi * np.clip((xs - 30) / 80, 0, 1)))
        white = lower_half & (rgb @ _LUMA > 170) & (np.ptp(rgb, axis=-1) < 60)
        u = np.abs(xs - 70) / 40
        # Measured: 35-54 pixels of teeth in the middle and none past half
        # way to the corners; hung from the lip, 47-72 there.
        assert white[u < 0.3].sum() > 20, (gap, white[u < 0.3].sum())
        assert white[u > 0.5].sum() < 0.1 * white[u < 0.3].sum(), (gap, white[u > 0.5].sum())


def test_a_dropped_jaw_moves_the_chins_edge_at_least_as_far_as_the_chin():
    """The rig drops the front of the chin further than its underside,
    which a photo shows as the chin's edge: warped flat, the edge was
    squeezed into a hard, stepped line against the collar (Audrey Hepburn
    at jawOpen 0.6: the steepest step down the chin 85 against the photo's
    46; 52 with the outline kept outside)."""
    from emoface.face.mesh import canonical_mesh
    from emoface.face.rig import apply, default_rig
    from emoface.render.portrait import Silhouette

    mesh = canonical_mesh()
    field = apply(default_rig(), np.eye(len(ARKIT_NAMES), dtype=np.float32)[ARKIT_NAMES.index("jawOpen")])
    chin, above = 152, 175  # the chin's lowest outline point, and the point on its front above it
    assert field[above, 1] < field[chin, 1] - 0.1  # the rig's own field: the front drops 0.19 cm further
    kept = Silhouette(mesh.vertices, mesh.triangles).apply(field)
    assert kept[chin, 1] <= field[above, 1] + 0.05, (kept[chin, 1], field[above, 1])
    # Only the outline moves: every other point is the rig's.
    inside = np.setdiff1d(np.arange(468), R.FACE_OVAL)
    assert np.array_equal(kept[inside], field[inside])


def test_a_toothy_mouth_opened_wide_darkens_into_its_corners_without_black_wedges(renderer):
    """Opened past her own teeth, the astronaut's mouth darkens toward its
    corners as real mouths do (halfway between the lips, 0.85 of the way
    to a corner: 0.68 of the middle's light in real speaking mouths, median
    of 101 frames, benchmarks/interior_light.py) but is not black there: the
    shade under the teeth times a corner shade on another's already dark
    corners read as cut-out wedges (0.16 of the middle's light; 0.47 now)."""
    c = renderer.baseline.copy()
    c[ARKIT_NAMES.index("jawOpen")], c[ARKIT_NAMES.index("mouthClose")] = 0.85, 0.0
    pose = np.zeros(6, np.float32)
    crop, _ = renderer.render_crop(c, pose)
    p = renderer.vertices(c, pose)[:, :2] * np.array([1, -1])
    luma = crop.astype(np.float32) @ _LUMA
    up, lo = p[list(R.LIPS_UPPER_INNER)], p[list(R.LIPS_LOWER_INNER)]
    left, right = up[0], up[-1]

    def between(u):  # the mean light of a 3x3 spot halfway between the lips, u of the way to either corner
        spots = []
        for end in (left, right):
            x = (left + right) / 2 + u * (end - (left + right) / 2)
            column = lambda pts: pts[np.argsort(pts[:, 0])]  # noqa: E731
            y = (np.interp(x[0], *column(up).T) + np.interp(x[0], *column(lo).T)) / 2
            spots.append(luma[int(round(y)) - 1:int(round(y)) + 2, int(round(x[0])) - 1:int(round(x[0])) + 2].mean())
        return float(np.mean(spots))

    middle, corner = between(0.0), between(0.85)
    assert 0.3 * middle < corner < 0.9 * middle, (middle, corner)


def test_anothers_mouth_opened_about_as_far_as_it_was_has_no_seam_where_columns_change():
    """Lips parted a little less than a source mouth in the middle and
    further toward the corners (a jaw opening a box-like mouth): the rows
    sampled from the source change smoothly from column to column. Chosen
    per column between hiding the source's middle and stretching it, the
    middle showed a line with ticks at its ends (a bracket) on Rihanna,
    Grace Hopper and Sean Connery opened to 0.6."""
    from emoface.render.mouth_bank import default_bank

    bank = default_bank()
    k = int(np.argmin(np.abs(bank.apertures - 0.33)))  # a webcam mouth showing both rows of teeth
    (su, stop), (_, sbottom) = bank.curves[k]
    u = np.linspace(-0.6, 0.6, 121)
    source_gap = np.interp(u, su, sbottom) - np.interp(u, su, stop)
    # From 0.1 narrower than the source in the middle to 0.1 wider at the sides.
    gap = source_gap + 0.1 * (np.abs(u) / 0.3 - 1)
    top, bottom = -gap / 2, gap / 2
    v = np.linspace(0, 1, 41)[:, None] * (bottom - top)[None, :] + top[None, :]
    rows, _ = bank._interior_rows(k, np.broadcast_to(u, v.shape), v, np.broadcast_to(top, v.shape),
                               np.broadcast_to(bottom, v.shape))
    jump = np.abs(np.diff(rows, axis=1)).max()
    assert jump < 0.02, jump  # half mouth-widths between neighbouring columns, 0.01 apart


def test_the_bank_takes_each_opening_from_its_sharpest_source():
    """Of the talking-face video (each tooth visible) and the webcam (teeth
    a smudge scaled up into a sharp portrait), an opening is taken from the
    sharper, once it has enough frames there; with too few, from the other."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "build_mouths.py"
    spec = importlib.util.spec_from_file_location("build_mouths", path)
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)

    def frames(source, n, sharp):
        return [{"source": f"{source}, frame {i}", "sharp": sharp + i % 3} for i in range(n)]

    video, webcam = frames("talking-face video", build.MIN_FRAMES, 30.0), frames("webcam", 50, 4.0)
    assert build.sharpest_source(video + webcam) == video
    few = video[:build.MIN_FRAMES - 1]
    assert build.sharpest_source(few + webcam) == webcam
    assert build.sharpest_source(few) == few


def test_long_upper_teeth_of_anothers_laugh_are_hung_whole_not_stretched():
    """A laugh bares the upper teeth three quarters of the way down the
    opening, with no lower teeth: what is clear of teeth starts under them
    and reaches the lower lip. Cut at the middle, their lower half was
    taken for lower teeth, the band between collapsed and the teeth were
    stretched as the mouth opened."""
    from emoface.render.mouth_bank import PATCH, SPAN_X, SPAN_Y, _clear_band

    rows, cols = PATCH
    u = np.linspace(-1, 1, 41)
    curves = ((u, -0.5 * (1 - u ** 2)), (u, 0.5 * (1 - u ** 2)))
    v = (np.arange(rows) + 0.5) / rows * 2 * SPAN_Y - SPAN_Y
    x = (np.arange(cols) + 0.5) / cols * 2 * SPAN_X - SPAN_X
    weight = np.zeros(PATCH, np.float32)
    weight[((v > -0.5) & (v < 0.25))[:, None] & (np.abs(x) < 0.6)[None, :]] = 1.0  # one run, past the middle
    (along, a), (_, b) = _clear_band(curves, weight)
    assert 0.25 <= np.interp(0.0, along, a) < 0.32, np.interp(0.0, along, a)  # just under the teeth
    assert np.interp(0.0, along, b) > 0.4, np.interp(0.0, along, b)  # the lower lip, no lower teeth


def test_a_softened_interior_does_not_go_black_just_outside_the_opening():
    """The interior is blurred to the face's softness inside the opening
    only; a few pixels out, where the opening's fade still lays it over the
    lips, the blur's reach ran out and left black: a dark line drawn around
    every opening in a smooth face (Rihanna at 0.6, blurred by half a pixel,
    faded over two and a half)."""
    import cv2

    from emoface.render.mouth_bank import MOUTH_DETAIL, _as_the_face, _luma, high_pass

    inside = np.zeros((60, 160), bool)
    cv2.ellipse(inside.view(np.uint8), (80, 30), (70, 20), 0, 0, 360, 1, -1)
    layer = np.full((60, 160, 3), 120.0, np.float32)
    layer += np.random.default_rng(0).normal(0, 25, (60, 160))[..., None].astype(np.float32)
    sharp = float(high_pass(_luma(layer))[inside].mean())
    out, sigma = _as_the_face(layer, inside, 0.9 * sharp / MOUTH_DETAIL, seed=1, light=255.0)
    assert 0 < sigma <= 0.8, sigma  # a slight blur, as on a smooth face
    near = cv2.dilate(inside.astype(np.uint8), np.ones((11, 11), np.uint8)).astype(bool) & ~inside
    assert np.percentile(_luma(out)[near], 5) > 60, np.percentile(_luma(out)[near], 5)  # black there was 0


def test_a_head_that_moves_away_leaves_no_outline_of_itself(franck_mp4):
    """The head mask is cut at a small size; the hair's outermost strands and
    the head's dark rim just past the cut stayed behind as an outline
    floating in the background. Moved 2 cm aside, the band the head left is
    background: no more spread from the backdrop's colour than the backdrop
    has anywhere else."""
    from emoface.face.tracker import track_portrait
    from emoface.media.video import open_video

    frame = next(open_video(franck_mp4)[1])
    r = PortraitRenderer(frame, track_portrait(frame), 512)
    pose = np.array([0, 0, 0, 2.0, 0, 0], np.float32)
    out, _ = r.render_crop(r.baseline, pose)
    cut = (r.head > 0.5).astype(np.uint8)
    near = cv2.dilate(cut, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (21, 21)))
    shift = np.median(r.vertices(r.baseline, pose)[:468, :2] * [1, -1] - r._src2d[:468], axis=0)
    still_near = cv2.warpAffine(near, np.float32([[1, 0, shift[0]], [0, 1, shift[1]]]), cut.shape[::-1])
    above_shoulders = (np.arange(cut.shape[0]) < 0.6 * cut.shape[0])[:, None]
    left = (near > cut) & (still_near == 0) & above_shoulders
    backdrop = (cv2.dilate(cut, None, iterations=40) == 0) & above_shoulders
    colour = np.median(r.image[backdrop], axis=0)
    spread = np.abs(r.image[backdrop].astype(float) - colour).sum(axis=1)
    assert left.sum() > 1000
    assert np.percentile(np.abs(out[left].astype(float) - colour).sum(axis=1), 99) <= np.percentile(spread, 99)


@pytest.mark.parametrize("pose", [(0, 0, 0, 0.05, 0.05, 0), (0, 0, 0, 0.1, 0, 0), (2, 1, 0, 0, 0, 0)])
def test_a_moved_face_keeps_the_photos_fine_detail(renderer, astronaut, astronaut_face, pose):
    """A head moved by a fraction of a pixel, or turned by a degree, keeps
    the skin's fine detail (Laplacian energy of the middle of the face):
    bilinear resampling, into the working crop and back, kept half of it, a
    face softer than the still photo around it."""
    x0, y0, x1, y1 = (int(v) for v in astronaut_face.bbox)
    cx, cy, h = (x0 + x1) // 2, (y0 + y1) // 2, (x1 - x0) // 4

    def detail(img):
        grey = cv2.cvtColor(img[cy - h:cy + h, cx - h:cx + h], cv2.COLOR_RGB2GRAY).astype(np.float32)
        return cv2.Laplacian(grey, cv2.CV_32F).var()

    moved = renderer.render(renderer.baseline, np.array(pose, np.float32))
    assert detail(moved) > 0.75 * detail(astronaut)


def test_anothers_laugh_opened_wide_shows_no_streaks_down_the_mouth_and_no_fangs_at_its_corners():
    """The bank's laugh (0.33) bares its upper teeth to the canines. Opened
    further, what lay between its teeth was stretched down the opening,
    each tooth's tip and each gap a streak; at the corners its canines, lit
    by the laugh's drawn-back cheeks, hung down to the lower lip: fangs
    (docs/images/mouth_openings.png, the woman and dark skin at 0.8).
    Stretched, that part is smoothed along the mouth; toward the corners
    the mouth turns into the cheeks' shadow."""
    from emoface.render.mouth_bank import _luma, default_bank

    bank = default_bank()
    k = int(np.argmin(np.abs(bank.apertures - 0.33)))
    colours = {"lip": np.array([170, 90, 85], np.float32), "teeth": np.array([220, 212, 200], np.float32),
               "cavity": np.array([34, 14, 12], np.float32)}
    (su, stop), (_, sbottom) = bank.curves[k]
    u = np.linspace(-0.98, 0.98, 197)  # 0.01 apart
    top = np.interp(u, su, stop)
    bottom = top + 1.8 * (np.interp(u, su, sbottom) - top)  # opened 1.8 times as far as the laugh
    f = np.linspace(0.01, 0.99, 80)[:, None]
    v = top + f * (bottom - top)
    args = (k, *(np.broadcast_to(x, v.shape) for x in (u, v, top, bottom)), colours)
    luma = _luma(bank._interior(*args, opening=0.4))
    stretched = luma[(f[:, 0] > 0.45) & (f[:, 0] < 0.8)][:, np.abs(u) < 0.6]
    streaks = float(np.abs(np.diff(stretched, axis=1)).mean())
    assert streaks < 0.6, streaks  # grey levels between neighbouring columns; 0.85 streaked
    teeth = np.percentile(luma[:, np.abs(u) < 0.3], 97)
    corners = luma[:, (np.abs(u) > 0.7) & (np.abs(u) < 0.95)]
    fangs = float((corners > 0.6 * teeth).mean())
    assert fangs < 0.012, fangs  # 0.022 of the corners were lit teeth
    assert teeth > 150  # the middle's teeth are as they were
    # Lips parted by a sliver (a pucker) show no corridor: their corners keep their light.
    sliver = _luma(bank._interior(*args, opening=0.05))
    side = (np.abs(u) > 0.7) & (np.abs(u) < 0.95)
    assert corners.mean() < 0.85 * sliver[:, side].mean(), (corners.mean(), sliver[:, side].mean())
