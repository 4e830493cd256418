"""The live talking portrait: speech pushed in chunks, frames of the face out."""

import numpy as np
import pytest

from emoface.drivers.lipsync.coarticulation import segment_frames
from emoface.drivers.lipsync.phones import ipa_segments
from emoface.errors import OptionError
from emoface.options import MotionOptions
from emoface.stream import pcm16

FPS = 25.0


@pytest.fixture(scope="module")
def speech():
    from emoface.media.tts import synthesize

    return synthesize("Bob bought a map, and maybe a pink umbrella for his mom.")


@pytest.fixture(scope="module")
def session_frames(astronaut, speech):
    """The astronaut speaking ``speech``, pushed in uneven chunks."""
    from emoface.live import LiveSession

    live = LiveSession(astronaut, MotionOptions(fps=FPS))
    data, frames, i, sizes = pcm16(speech.audio.mono(16000)), [], 0, (640, 322, 1600, 98)
    for k in range(10_000):
        if i >= len(data):
            break
        frames += live.push_audio(data[i:i + sizes[k % 4]])
        i += sizes[k % 4]
    return data, frames + live.end()


@pytest.mark.slow
def test_every_frame_comes_once_with_its_own_speech(astronaut, speech, session_frames):
    data, frames = session_frames
    assert [f.index for f in frames] == list(range(round(speech.audio.duration * FPS)))
    assert all(f.image.shape == astronaut.shape and f.image.dtype == np.uint8 for f in frames)
    np.testing.assert_allclose([f.time for f in frames], np.arange(len(frames)) / FPS)
    # Each frame plays its own 1/25 s of the speech: together, the speech as pushed.
    assert {len(f.audio) for f in frames} == {2 * 640}
    joined = b"".join(f.audio for f in frames)
    assert joined[:len(data)] == data[:len(joined)] and not any(joined[len(data):])


@pytest.mark.slow
def test_the_live_face_closes_its_lips_on_p_b_m_as_the_tracker_sees_it(speech, session_frames):
    """Read back from the live frames by the tracker, not from the motion."""
    from emoface.face.tracker import FaceTracker

    _, frames = session_frames
    with FaceTracker(max_faces=1) as tracker:
        gaps = []
        for f in frames:
            p = tracker.track(f.image)[0].landmarks
            gaps.append(np.linalg.norm(p[13, :2] - p[14, :2]) / np.linalg.norm(p[78, :2] - p[308, :2]))
    gaps = np.array(gaps)
    segs = ipa_segments(speech.phones)
    frames_of = [segment_frames(s.start, s.end, FPS, len(gaps)) for s in segs]
    closed = [gaps[f].min() for s, f in zip(segs, frames_of) if s.viseme == "PP" and len(f)]
    opened = [gaps[f].max() for s, f in zip(segs, frames_of) if s.viseme in ("aa", "O", "E") and len(f)]
    assert len(closed) >= 6 and len(opened) >= 4
    # Lips meet (a gap under a third of the vowels' typical one) on 10 of the
    # 12 bilabials; the first "B", spoken before the recogniser has heard
    # anything, is the one a cold stream misses.
    assert np.mean(np.array(closed) < np.median(opened) / 3) >= 0.8, (closed, opened)


@pytest.mark.slow
def test_silence_idles_and_an_emotion_eases_in(astronaut):
    from emoface.live import LiveSession

    live = LiveSession(astronaut, MotionOptions(fps=FPS, blinks_per_minute=60))
    still = live.idle(3.0)
    assert len(still) >= 70 and all(not any(f.audio) for f in still)
    moves = [np.abs(f.image.astype(int) - still[0].image.astype(int)) for f in still]
    assert max(m.max() for m in moves) > 60  # a blink: never a frozen picture
    live.set_emotion("sad", 1.0)
    sad = live.idle(2.0)
    first, last = sad[0].image.astype(int), sad[-1].image.astype(int)
    assert np.abs(last - first).mean() > np.abs(sad[1].image.astype(int) - first).mean() * 3  # eased, not a jump


def test_a_bad_option_fails_before_the_portrait_is_read():
    from emoface.live import LiveSession

    with pytest.raises(OptionError, match="lookahead"):
        LiveSession("no-such-file.jpg", lookahead=5.0)


def test_a_portrait_that_cannot_be_read_is_one_clear_error(tmp_path):
    from emoface.errors import InputError
    from emoface.live import LiveSession

    (tmp_path / "notes.jpg").write_text("not a picture")
    with pytest.raises(InputError, match="notes.jpg"):
        LiveSession(tmp_path / "notes.jpg")
