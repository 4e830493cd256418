"""The live portrait inside a Pipecat pipeline (pipecat-ai's own test runner):
TTS audio in, the portrait's frames out, each with its own speech."""

import asyncio

import numpy as np
import pytest

FPS = 25.0


@pytest.fixture(scope="module")
def speech():
    from emoface.media.tts import synthesize

    return synthesize("Bob bought a map for his mom.")


@pytest.mark.slow
def test_tts_audio_comes_out_as_the_portrait_talking_with_that_audio(astronaut, speech):
    from pipecat.frames.frames import OutputImageRawFrame, TTSAudioRawFrame, TTSStartedFrame, TTSStoppedFrame
    from pipecat.tests.utils import run_test

    from emoface.options import MotionOptions, RenderOptions
    from emoface.pipecat_video import EmofaceVideo
    from emoface.stream import pcm16

    # The TTS's own rate (24 kHz, as most TTS services send), in 20 ms chunks.
    pcm = pcm16(speech.audio.mono(24000))
    chunks = [TTSAudioRawFrame(audio=pcm[i:i + 960], sample_rate=24000, num_channels=1)
              for i in range(0, len(pcm), 960)]
    video = EmofaceVideo(astronaut, MotionOptions(fps=FPS), RenderOptions(max_side=256))
    down, _ = asyncio.run(run_test(video, frames_to_send=[TTSStartedFrame(), *chunks, TTSStoppedFrame()],
                                   expected_down_frames=None))
    kinds = [type(f).__name__ for f in down]
    images = [f for f in down if isinstance(f, OutputImageRawFrame)]
    audio = [f for f in down if isinstance(f, TTSAudioRawFrame)]
    # Every frame of the speech, each image followed by its own 40 ms of it at 16 kHz.
    assert len(images) >= round(speech.audio.duration * FPS)
    assert len(images) == len(audio) and all(a == "OutputImageRawFrame" and b == "TTSAudioRawFrame"
                                              for a, b in zip(kinds[1::2], kinds[2::2]))
    assert {(f.sample_rate, len(f.audio)) for f in audio} == {(16000, 1280)}
    assert {f.size for f in images} == {(256, 256)} and len(images[0].image) == 256 * 256 * 3
    # The speech as sent comes back whole (resampled to 16 kHz), not a click at each chunk's edge.
    back = np.frombuffer(b"".join(f.audio for f in audio), np.int16).astype(float)
    sent = speech.audio.mono(16000) * 32767
    n = min(len(back), len(sent))
    lag = int(np.argmax(np.correlate(back[:n], sent[:n], "full"))) - (n - 1)
    assert abs(lag) < 80 and np.corrcoef(back[max(lag, 0):n], sent[:n - max(lag, 0)])[0, 1] > 0.95
    # The mouth moves: frames differ around the lips while speaking.
    first, middle = (np.frombuffer(images[k].image, np.uint8) for k in (0, len(images) // 2))
    assert np.abs(first.astype(int) - middle).max() > 40
    assert kinds[0] == "TTSStartedFrame" and kinds[-1] == "TTSStoppedFrame"


def test_a_missing_portrait_is_said_in_one_line(tmp_path):
    from emoface.errors import EmofaceError
    from emoface.pipecat_video import EmofaceVideo

    with pytest.raises(EmofaceError, match="nobody.jpg"):
        EmofaceVideo(tmp_path / "nobody.jpg")
