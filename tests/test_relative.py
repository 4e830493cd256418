"""Relative motion: a driver's changes from its reference frame, applied onto
the portrait's own pose and expression (self-reenactment is the check)."""

import numpy as np
import pytest

from emoface.drivers.capture import read_geometry
from emoface.errors import OptionError
from emoface.motion import ARKIT_NAMES, MotionTrack, layer_mask
from emoface.options import MotionOptions
from emoface.pose import VIEW_DISTANCE, from_camera, rebase, rotation_from_angles
from emoface.relative import onto_portrait, parse_reference, reference_index

SMILE, JAW, BROW = (ARKIT_NAMES.index(n) for n in ("mouthSmileLeft", "jawOpen", "browInnerUp"))
BLINK, WIDE, SQUINT = (ARKIT_NAMES.index(n) for n in ("eyeBlinkLeft", "eyeWideLeft", "eyeSquintLeft"))


def _psnr(a, b):
    mse = np.mean((a.astype(float) - b.astype(float)) ** 2)
    return 10 * np.log10(255 ** 2 / max(mse, 1e-9))


def test_a_pose_is_the_change_from_the_reference_frame():
    # A head that turns 10 degrees, drifts 2 cm right and comes 10 cm nearer.
    cam = np.array([[0, 0, 0, 0, 0, -60], [10, 0, 0, 2, 0, -60], [0, 0, 0, 0, 0, -50]], np.float32)
    pose = from_camera(cam, 0)
    assert not pose[0].any()
    assert pose[1, 0] == pytest.approx(10, abs=1e-4) and abs(pose[1, 1]) < 1e-4
    # What moves is the neck pivot, behind the face's origin: the turn swings
    # it 6 sin(10 deg) cm the other way.
    assert pose[1, 3] == pytest.approx(2 - 6 * np.sin(np.radians(10)), abs=0.05)
    # Nearer looks larger by 60 / 50: z says so at the view distance.
    grow = VIEW_DISTANCE / (VIEW_DISTANCE - pose[2, 5])
    assert grow == pytest.approx(1.2, rel=1e-3)
    # Rebasing on frame 1 starts there, and the rotations compose.
    again = rebase(pose, 1)
    assert not again[1].any()
    back = rotation_from_angles(*again[0, :3])
    assert np.allclose(back, rotation_from_angles(-10, 0, 0), atol=1e-5)


def test_translation_and_depth_move_and_scale_the_rendered_head(astronaut, astronaut_face):
    from emoface.render import PortraitRenderer

    r = PortraitRenderer(astronaut, astronaut_face, 256)
    rest = r.vertices(r.baseline, np.zeros(6, np.float32))[:468, :2]
    right = r.vertices(r.baseline, np.array([0, 0, 0, 1.0, 0, 0], np.float32))[:468, :2]
    # One centimetre is the face's own centimetre: the fit's scale in pixels.
    assert np.median(right[:, 0] - rest[:, 0]) == pytest.approx(r._scale, rel=0.1)
    near = r.vertices(r.baseline, np.array([0, 0, 0, 0, 0, 10.0], np.float32))[:468, :2]
    spread = lambda p: np.ptp(p, axis=0).mean()  # noqa: E731
    assert spread(near) / spread(rest) == pytest.approx(VIEW_DISTANCE / (VIEW_DISTANCE - 10), rel=0.03)


def test_relative_layers_ride_on_the_portraits_own_face():
    t = 4
    baseline = np.zeros(52, np.float32)
    baseline[[SMILE, BROW]] = 0.4
    change = np.zeros((t, 52), np.float32)
    change[:, BROW] = [0, 0.1, 0.2, -0.1]
    zeros = np.zeros((t, 52), np.float32)
    speech = zeros.copy()
    speech[:, JAW] = 0.3
    layers = onto_portrait({"mouth": speech, "eyes": zeros, "expression": change}, {"expression"}, baseline)
    # The photo's brow and its smile (a mouth channel the expression may write)
    # are carried once, by the relative expression; speech stays as made.
    assert np.allclose(layers["expression"][:, BROW], [0.4, 0.5, 0.6, 0.3])
    assert np.allclose(layers["expression"][:, SMILE], 0.4)
    assert np.array_equal(layers["mouth"], speech)
    both = onto_portrait({"mouth": zeros, "eyes": zeros, "expression": zeros}, {"mouth", "expression"}, baseline)
    total = both["mouth"] + both["expression"]
    assert np.allclose(total[:, SMILE], 0.4) and np.allclose(total[:, BROW], 0.4)
    # Absolute layers carry nothing: they are the face to show.
    assert not onto_portrait({"mouth": zeros, "eyes": zeros, "expression": zeros}, set(), baseline)["expression"].any()


def test_driver_reference_values():
    assert parse_reference("first") == 0 and parse_reference("12") == 12
    assert parse_reference("Neutral") == "neutral"
    for bad in ("-1", "abc", "1.5"):
        with pytest.raises(OptionError, match="--driver-reference"):
            MotionOptions(driver_reference=bad)
    with pytest.raises(OptionError, match="--motion-mode"):
        MotionOptions(motion_mode="sideways")
    coeffs = np.full((5, 52), 0.3, np.float32)
    coeffs[3] = 0.0
    coeffs[3, ARKIT_NAMES.index("eyeLookInLeft")] = 0.9  # gaze is no expression
    assert reference_index(coeffs, "neutral") == 3
    with pytest.raises(OptionError, match="has only 5 frames"):
        reference_index(coeffs, 9, "clip.mp4")


def test_lids_are_read_from_where_the_lids_are():
    # Per eye: upper lid height, lower lid height (over the eye's width).
    usual = [0.15, -0.05, 0.15, -0.05]
    lids = np.array([usual] * 8 + [[-0.05, -0.05, -0.03, -0.05], [0.05, -0.05, 0.05, -0.05],
                                   [0.25, -0.05, 0.25, -0.05], [0.15, 0.026, 0.15, 0.026]], np.float32)
    coeffs = read_geometry(np.zeros((12, 52), np.float32), lids, np.ones(12, bool))
    assert coeffs[0, BLINK] == 0 and coeffs[0, SQUINT] == 0 and coeffs[8, BLINK] == pytest.approx(1.0)
    assert coeffs[9, BLINK] == pytest.approx(0.5)
    assert coeffs[10, WIDE] == pytest.approx(1.0) and coeffs[10, BLINK] == 0
    # A squint lifts the lower lid: a squint, not a blink.
    assert coeffs[11, BLINK] == 0 and coeffs[11, SQUINT] == pytest.approx(1.0, abs=0.01)


def test_lid_heights_from_landmarks(astronaut_face):
    from emoface.drivers.capture import lid_heights
    from emoface.face import regions as R

    h = lid_heights(astronaut_face.landmarks)
    assert (h[[0, 2]] > 0.05).all() and (h[[0, 2]] - h[[1, 3]] > 0.15).all()
    shut = astronaut_face.landmarks.copy()
    for up, lo in ((R.LEFT_EYE_UPPER, R.LEFT_EYE_LOWER), (R.RIGHT_EYE_UPPER, R.RIGHT_EYE_LOWER)):
        shut[list(up[2:-2]), :2] = shut[list(lo[2:-2]), :2]
    closed = lid_heights(shut)
    assert np.allclose(closed[[0, 2]], closed[[1, 3]], atol=1e-3)


def test_retarget_applies_a_track_relative_to_its_first_frame():
    from emoface.pipeline import retarget

    n = 6
    coeffs = np.zeros((n, 52), np.float32)
    coeffs[:, BROW] = np.linspace(0.2, 0.7, n)
    pose = np.zeros((n, 6), np.float32)
    pose[:, 0] = np.linspace(5, 10, n)
    track = MotionTrack(25, coeffs, pose)
    baseline = np.zeros(52, np.float32)
    baseline[SMILE] = 0.5
    moved = retarget(track, MotionOptions(), baseline=baseline)
    assert np.allclose(moved.coefficients[:, BROW], np.linspace(0, 0.5, n), atol=1e-6)
    assert np.allclose(moved.coefficients[:, SMILE], 0.5)  # the photo keeps its smile
    assert np.allclose(moved.pose[:, 0], np.linspace(0, 5, n), atol=1e-4)
    absolute = retarget(track, MotionOptions(motion_mode="absolute"), baseline=baseline)
    assert absolute is track
    mid = retarget(track, MotionOptions(driver_reference="3"), baseline=baseline)
    assert mid.coefficients[3, BROW] == pytest.approx(0) and mid.pose[3, 0] == pytest.approx(0, abs=1e-4)
    assert layer_mask("expression")[BROW]


def test_a_layer_from_none_stays_as_the_photo_has_it():
    """Head driven alone (``--mouth-from none --expression-from none``) on a
    photo smiling with its teeth: the smile and the parted lips stay; only
    moving absolutely does ``none`` mean the rig's neutral face."""
    from emoface.pipeline import retarget

    coeffs = np.zeros((5, 52), np.float32)
    coeffs[:, JAW] = np.linspace(0.1, 0.6, 5)  # the driver speaks
    coeffs[:, SMILE] = 0.3
    track = MotionTrack(25, coeffs, np.zeros((5, 6), np.float32))
    baseline = np.zeros(52, np.float32)
    baseline[[SMILE, JAW]] = 0.6, 0.15
    still = MotionOptions(mouth_from="none", expression_from="none")
    held = retarget(track, still, baseline=baseline).coefficients
    assert np.allclose(held[:, [SMILE, JAW]], [0.6, 0.15])
    neutral = retarget(track, MotionOptions(mouth_from="none", expression_from="none", motion_mode="absolute"),
                       baseline=baseline).coefficients
    assert not neutral[:, [SMILE, JAW]].any()


@pytest.mark.slow
def test_a_portrait_driven_by_its_own_video_comes_back_as_the_video(tmp_path, franck_mp4):
    """Self-reenactment: the first frame is the portrait, the video drives it."""
    from emoface.face.tracker import FaceTracker
    from emoface.media.video import open_video, write_video
    from emoface.pipeline import render

    info, frames = open_video(franck_mp4)
    real = [f for _, f in zip(range(72), frames)]
    frames.close()
    clip = write_video(tmp_path / "clip.mp4", iter(real), info.fps, crf=12)
    _, again = open_video(clip)
    real = list(again)
    from PIL import Image

    Image.fromarray(real[0]).save(tmp_path / "first.png")
    out = render(tmp_path / "first.png", clip, output=tmp_path / "re.mp4")
    _, made = open_video(out)
    made = list(made)
    assert len(made) == len(real)
    assert _psnr(made[0], real[0]) >= 38
    # Where the head has moved, the render's face is where the real one is.
    with FaceTracker(max_faces=1) as tracker:
        def points(img):
            return tracker.track(img)[0].landmarks[:, :2]

        first = points(real[0])
        far = max(range(len(real)), key=lambda i: np.abs(points(real[i]) - first).mean() if i % 6 == 0 else 0)
        target = points(real[far])
        still = np.linalg.norm(first - target, axis=1).mean()
        moved = np.linalg.norm(points(made[far]) - target, axis=1).mean()
    assert still > 3 and moved < 0.5 * still


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_saved_tracks_keep_translation_and_depth(tmp_path, suffix):
    from emoface.export import load_track, save_track

    pose = np.zeros((5, 6), np.float32)
    pose[:, 3:] = np.linspace(0, 1, 5)[:, None] * [1.5, -0.5, 4.0]
    track = MotionTrack(25, np.zeros((5, 52), np.float32), pose)
    again = load_track(save_track(track, tmp_path / f"t{suffix}"))
    assert np.allclose(again.pose, pose)


def test_an_eye_opening_past_the_photos_opens_wide():
    # The driver's reference frame had its lids half down (blink 0.4); later
    # they rise above its usual opening. On an open-eyed photo that is wide.
    eyes = np.zeros((2, 52), np.float32)
    eyes[0, BLINK] = 0.4
    eyes[1, WIDE] = 0.2  # 10 % above the usual opening
    change = eyes - eyes[0]
    zeros = np.zeros_like(eyes)
    out = onto_portrait({"mouth": zeros, "eyes": change, "expression": zeros}, {"eyes"},
                        np.zeros(52, np.float32))["eyes"]
    assert out[0, BLINK] == 0 and out[0, WIDE] == 0
    # From 0.4 closed to 0.1 above usual: half an opening of travel, as eyeWide.
    assert out[1, BLINK] == 0 and out[1, WIDE] == pytest.approx(1.0)


def test_no_emotion_asked_keeps_the_photos_own_smile_and_both_paths_agree(alsa_wav):
    """A neutral label means no emotion added, not a blank face: a smiling
    photo keeps its smile while it speaks. The motion made in another
    process (carried on the portrait afterwards) is the same motion."""
    from emoface.media.audio import load_audio
    from emoface.pipeline import carry_photo, keeps_photo, make_track

    smile = ARKIT_NAMES.index("mouthSmileLeft")
    baseline = np.zeros(len(ARKIT_NAMES), np.float32)
    baseline[smile] = 0.8
    speech = load_audio(alsa_wav)
    opts = MotionOptions(lipsync="acoustic")
    here = make_track(speech, opts, baseline=baseline)
    assert keeps_photo(opts) and here.coefficients[:, smile].min() > 0.75
    elsewhere = carry_photo(make_track(speech, opts), opts, baseline)
    np.testing.assert_allclose(elsewhere.coefficients, here.coefficients, atol=1e-6)
    # An emotion asked for is the face to show: the photo's smile gives way to it.
    sad = MotionOptions(lipsync="acoustic", emotion="sad")
    assert not keeps_photo(sad)
    assert make_track(speech, sad, baseline=baseline).coefficients[-1, smile] < 0.1
