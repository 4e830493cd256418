"""Dubbing: a real talking-head video re-synced to other speech."""

import numpy as np
import pytest

from emoface.drivers.capture import capture_video
from emoface.media.audio import load_audio
from emoface.media.video import open_video, write_video
from emoface.motion import ARKIT_NAMES
from emoface.options import MotionOptions
from emoface.pipeline import dub, make_track

JAW = ARKIT_NAMES.index("jawOpen")


def _frames(path, n=None):
    _, frames = open_video(path)
    return np.stack([f for i, f in enumerate(frames) if n is None or i < n]).astype(np.float32)


@pytest.fixture(scope="module")
def dubbed(tmp_path_factory, franck_mp4, librivox_wav):
    out = tmp_path_factory.mktemp("dub") / "dub.mp4"
    return dub(franck_mp4, librivox_wav, output=out)


@pytest.mark.slow
def test_the_lips_follow_the_new_speech(dubbed, librivox_wav, franck_capture):
    speech = make_track(load_audio(librivox_wav), MotionOptions(fps=24)).layers["mouth"][:, JAW]
    seen = capture_video(dubbed.path).coefficients[:, JAW]
    n = min(len(seen), len(speech))
    assert n >= 70
    # The tracker, reading the dubbed video, sees the new speech's jaw, not the old one's.
    assert np.corrcoef(seen[:n], speech[:n])[0, 1] > 0.7
    assert np.corrcoef(franck_capture.coefficients[:n, JAW], speech[:n])[0, 1] < 0.3


@pytest.mark.slow
def test_everything_but_the_mouth_is_the_video_itself(dubbed, franck_mp4, franck_capture):
    out = _frames(dubbed.path)
    src = _frames(franck_mp4, len(out))
    lm = franck_capture.landmarks[: len(out)]
    eyes = int(lm[:, [33, 263], 1].mean())
    nose = int(lm[:, 2, 1].max())
    # Above the nose tip: only the codec's noise.
    assert np.abs(out[:, : nose - 4] - src[:, : nose - 4]).mean() < 2.5
    assert np.abs(out[:, eyes - 12: eyes + 8] - src[:, eyes - 12: eyes + 8]).mean() < 3.0
    # Below it the mouth is redrawn: it differs where the two speeches differ.
    assert np.abs(out[:, nose + 8:] - src[:, nose + 8:]).mean() > 1.0


def _teeth_pixels(path, capture, n):
    """Per frame, how many pixels between the tracked inner lips look like
    teeth (light and unsaturated)."""
    import cv2

    from emoface.face import regions as R

    counts = []
    for i, frame in enumerate(_frames(path, n)):
        lm = capture.landmarks[i][:, :2]
        lips = np.concatenate([lm[list(R.LIPS_UPPER_INNER)], lm[list(R.LIPS_LOWER_INNER[::-1])]])
        inside = np.zeros(frame.shape[:2], np.uint8)
        cv2.fillPoly(inside, [lips.astype(np.int32)], 1)
        px = frame[inside.astype(bool)]
        luma = px @ np.array([0.299, 0.587, 0.114])
        counts.append(int(((luma > 120) & (np.ptp(px, axis=1) < 0.45 * luma)).sum()))
    return np.array(counts)


@pytest.mark.slow
def test_a_speaker_who_smiles_with_teeth_still_does_under_the_new_words(dubbed, librivox_wav, franck_mp4,
                                                                         franck_capture):
    """Where franck smiles with his teeth and the new speech talks (not on a
    p, b or m), the dub's lips stay parted on his own teeth: they used to
    close under smiling cheeks or show a drawn white band."""
    from emoface.drivers.capture import smile_parting
    from emoface.motion import lip_aperture, lip_closure, speaking

    mouth = make_track(load_audio(librivox_wav), MotionOptions(fps=24)).layers["mouth"]
    n = len(mouth)
    held = lip_aperture(smile_parting(franck_capture.coefficients, franck_capture.fps)[:n])
    asked = (held > 0.1) & (speaking(mouth, 24) > 0.99) & (lip_closure(mouth) < 0.05)
    assert asked.sum() >= 20
    seen = capture_video(dubbed.path, keep_landmarks=True)
    # Parted at least 0.6 of the smile's own parting: all such frames (0.52
    # when the new speech's mouth replaced it).
    assert (lip_aperture(seen.coefficients[:n])[asked] >= 0.6 * held[asked]).mean() > 0.9
    # Teeth between the lips in all of them (0.64 before), and his own: about
    # as many teeth pixels as the video itself shows (median 45 against 43; a
    # drawn band of teeth there showed 192).
    teeth = _teeth_pixels(dubbed.path, seen, n)[asked]
    assert (teeth >= 20).mean() > 0.8
    assert np.median(teeth) < 1.5 * np.median(_teeth_pixels(franck_mp4, franck_capture, n)[asked])


def test_the_output_lasts_as_long_as_the_new_speech(dubbed, librivox_wav):
    from emoface.media.audio import load_audio

    audio = load_audio(librivox_wav)
    assert abs(len(_frames(dubbed.path)) / 24 - audio.duration) < 0.1
    assert abs(load_audio(dubbed.path).duration - audio.duration) < 0.1


@pytest.mark.slow
def test_a_video_shorter_than_the_speech_plays_forward_and_back(tmp_path, franck_mp4, librivox_wav):
    short = write_video(tmp_path / "short.mp4", [f.astype(np.uint8) for f in _frames(franck_mp4, 36)], 24)
    with pytest.warns(UserWarning, match="plays forward and back"):
        res = dub(short, librivox_wav, output=tmp_path / "out.mp4")
    out = _frames(res.path)
    src = _frames(short)
    assert len(out) >= 2 * len(src)
    # Frame 40 of the output is frame 30 of the video on its way back (upper half: untouched).
    top = slice(0, out.shape[1] // 3)
    assert np.abs(out[40, top] - src[30, top]).mean() < np.abs(out[40, top] - src[10, top]).mean()
    assert np.abs(out[40, top] - src[30, top]).mean() < 3.0


def test_dub_refuses_bad_inputs_in_one_line(tmp_path, capsys, librivox_wav, franck_mp4):
    import skimage.data

    from emoface.cli import run

    out = tmp_path / "o.mp4"
    coffee = write_video(tmp_path / "coffee.mp4", [skimage.data.coffee()[:400, :600]] * 12, 24)
    for video, expect in ((coffee, "no face found"), (tmp_path / "none.mp4", "video file not found")):
        assert run(["--quiet", "dub", "--video", str(video), "--audio", str(librivox_wav), "-o", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and expect in err, err
        assert not out.exists()
    assert run(["--quiet", "dub", "--video", str(franck_mp4), "--audio", str(tmp_path / "x.wav"),
                "-o", str(out)]) == 2
    assert "x.wav: audio file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_the_mouth_gain_applies_once(tmp_path, franck_mp4, librivox_wav):
    """--mouth-gain 0.5 halves the dubbed jaw; applied twice it quartered it.
    (On a stretch where he does not smile: a smile's own parting is his
    expression, which the mouth gain leaves as it is.)"""
    short = write_video(tmp_path / "short.mp4", [f.astype(np.uint8) for f in _frames(franck_mp4, 170)[110:]], 24)
    full = dub(short, librivox_wav, output=tmp_path / "a.mp4").track.coefficients[:, JAW]
    half = dub(short, librivox_wav, output=tmp_path / "b.mp4",
               motion=MotionOptions(mouth_gain=0.5)).track.coefficients[:, JAW]
    speaking = full > 0.1
    assert 0.4 < np.median(half[speaking] / full[speaking]) < 0.6
