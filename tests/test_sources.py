"""Each layer from its own source: speech, a video, a photo, a track, none."""

import warnings

import numpy as np
import pytest

from emoface.export import save_track
from emoface.media.audio import load_audio
from emoface.motion import ARKIT_NAMES, MotionTrack
from emoface.options import MotionOptions
from emoface.pipeline import make_track, retarget

SMILE = ARKIT_NAMES.index("mouthSmileLeft")
JAW = ARKIT_NAMES.index("jawOpen")


@pytest.fixture(scope="module")
def speech(librivox_wav):
    return load_audio(librivox_wav)


@pytest.mark.slow
def test_pose_from_a_video_follows_the_video(speech, franck_mp4, franck_capture):
    opts = MotionOptions(pose_from=str(franck_mp4), head_motion=1.0)
    track = make_track(speech, opts)
    video = franck_capture.track()
    n = len(track)
    # Same rate here (25 vs 24 fps, resampled): compare at the video's times.
    at = np.arange(n) * video.fps / track.fps
    expect = np.stack([np.interp(at, np.arange(len(video)), video.pose[:, k]) for k in range(6)], 1)
    assert np.allclose(track.pose, expect, atol=1e-3)
    # The other layers are still today's drivers: the mouth follows the speech.
    assert np.array_equal(track.layers["mouth"], make_track(speech).layers["mouth"])
    half = make_track(speech, MotionOptions(pose_from=str(franck_mp4), head_motion=0.5))
    assert np.allclose(half.pose, 0.5 * track.pose, atol=1e-5)


def test_a_short_source_plays_back_and_forth_and_says_so(tmp_path, speech, franck_capture):
    short = franck_capture.track()
    clip = MotionTrack(short.fps, short.coefficients[:24], short.pose[:24],
                       {k: v[:24] for k, v in short.layers.items()})
    path = save_track(clip, tmp_path / "one_second.npz")
    with pytest.warns(UserWarning, match="plays forward and back"):
        track = make_track(speech, MotionOptions(pose_from=str(path)))
    assert len(track) > 2 * len(clip)
    # No jump where it turns: steps stay as small as the source's own.
    step = np.abs(np.diff(track.pose, axis=0)).max()
    assert step <= np.abs(np.diff(clip.pose, axis=0)).max() * 1.05 + 1e-6


@pytest.mark.slow
def test_mouth_from_a_video_replaces_lip_sync(speech, franck_mp4, franck_capture):
    track = make_track(speech, MotionOptions(mouth_from=str(franck_mp4)))
    jaw = track.layers["mouth"][:, JAW]
    video = franck_capture.track().layers["mouth"][:, JAW]
    at = np.arange(len(track)) * 24 / 25
    # Relative by default: the changes from the video's first frame (with no
    # portrait to carry them, what closes past that frame stays closed).
    expect = np.clip(np.interp(at, np.arange(len(video)), video) - video[0], 0, 1)
    assert np.allclose(jaw, expect, atol=1e-4)
    assert np.ptp(jaw) > 0.2
    absolute = make_track(speech, MotionOptions(mouth_from=str(franck_mp4), motion_mode="absolute"))
    assert np.allclose(absolute.layers["mouth"][:, JAW], np.interp(at, np.arange(len(video)), video), atol=1e-4)
    silent = make_track(speech, MotionOptions(mouth_from="none"))
    assert not silent.layers["mouth"].any()


@pytest.mark.slow
def test_expression_from_a_photo_of_someone_else(speech, laugh_png):
    track = make_track(speech, MotionOptions(expression_from=str(laugh_png), intensity=1.0))
    x = track.layers["expression"]
    assert x[-1, SMILE] > 0.5  # his laugh, eased in
    assert x[0, SMILE] < 0.05
    weaker = make_track(speech, MotionOptions(expression_from=str(laugh_png), intensity=0.3))
    assert np.allclose(weaker.layers["expression"], 0.3 * x, atol=1e-5)
    # Blinks in the photo are not an expression, and its open mouth is gated by speech.
    assert not x[:, ARKIT_NAMES.index("eyeBlinkLeft")].any()


@pytest.mark.slow
def test_expression_from_a_video_carries_its_slow_smile_not_its_speech(speech, franck_mp4):
    track = make_track(speech, MotionOptions(expression_from=str(franck_mp4)))
    x = track.layers["expression"]
    assert x[:, SMILE].max() > 0.5
    assert not x[:, JAW].any()


@pytest.mark.slow
def test_gains_scale_each_layer_whatever_its_source(speech, franck_mp4):
    base = make_track(speech, MotionOptions(expression_from=str(franck_mp4)))
    g = make_track(speech, MotionOptions(expression_from=str(franck_mp4), expression_gain=0.5,
                                         mouth_gain=0.5))
    assert np.allclose(g.layers["expression"], np.clip(0.5 * base.layers["expression"], 0, 1), atol=1e-6)
    assert np.allclose(g.layers["mouth"], 0.5 * base.layers["mouth"], atol=1e-6)


@pytest.mark.slow
def test_retarget_changes_only_what_is_asked(speech, franck_mp4):
    track = make_track(speech, MotionOptions(emotion="sad", intensity=1.0))
    assert retarget(track, MotionOptions()) is track
    moved = retarget(track, MotionOptions(pose_from=str(franck_mp4)))
    assert np.array_equal(moved.layers["mouth"], track.layers["mouth"])
    assert np.array_equal(moved.layers["expression"], track.layers["expression"])
    assert not np.allclose(moved.pose, track.pose)
    still = retarget(track, MotionOptions(head_motion=0.0))
    assert not still.pose.any()


def test_a_track_with_wrong_columns_is_refused_up_front(tmp_path, speech):
    from emoface.errors import InputError

    bad = tmp_path / "bad.csv"
    bad.write_text("Timecode,Foo\n00:00:00:00.000,1\n")
    with pytest.raises(InputError, match="bad.csv"), warnings.catch_warnings():
        make_track(speech, MotionOptions(mouth_from=str(bad)))
