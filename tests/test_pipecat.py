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
    # Idle pictures (the face listening before the speech came) are not part of the speech's run.
    down = [f for f in down if not isinstance(f, OutputImageRawFrame) or f.sync_with_audio]
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


@pytest.mark.slow
def test_a_local_pipecat_agent_talks_over_its_webrtc_transport(astronaut, speech):
    """examples/pipecat_agent.py end to end: Pipecat's own WebRTC transport
    (SmallWebRTC), a peer (aiortc) speaking into it in real time, and the
    portrait's video and voice coming back; the face idles before and after."""
    import sys
    from pathlib import Path

    from aiortc import RTCPeerConnection, RTCSessionDescription
    from pipecat.workers.runner import WorkerRunner
    from pipecat.transports.smallwebrtc.connection import SmallWebRTCConnection

    from emoface.stream import pcm16
    from support.webrtc import collect, spoken_track

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
    from pipecat_agent import agent

    lead = 1.0  # the peer is silent for a second before it speaks, and after
    pcm = bytes(int(2 * 16000 * lead)) + pcm16(speech.audio.mono(16000)) + bytes(int(2 * 16000 * lead))

    async def call():
        peer = RTCPeerConnection()
        peer.addTrack(spoken_track(pcm))
        peer.addTransceiver("video", direction="sendrecv")  # SmallWebRTC takes camera audio and video both ways
        video, sound = [], []
        collect(peer, video, sound)

        await peer.setLocalDescription(await peer.createOffer())
        connection = SmallWebRTCConnection()
        await connection.initialize(sdp=peer.localDescription.sdp, type="offer")
        worker = agent(connection, astronaut, size=256)
        runner = asyncio.ensure_future(WorkerRunner(handle_sigint=False).run(worker))
        answer = connection.get_answer()
        await peer.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        await asyncio.sleep(len(pcm) / 32000 + 2.0)
        await worker.cancel()
        await peer.close()
        await asyncio.wait_for(runner, 10)
        return video, sound

    video, sound = asyncio.run(call())
    seconds = len(pcm) / 32000
    assert len(video) > 0.6 * FPS * seconds and video[-1][1].shape == (256, 256, 3)
    # The voice came back (the mirror's speech, through Opus and back), and the mouth moved with it.
    loud = np.abs(np.concatenate([s.ravel() for s in sound]).astype(float))
    assert loud.max() > 3000
    images = np.stack([v[1] for v in video]).astype(int)
    change = np.abs(np.diff(images[:, 150:200, 100:160], axis=0)).mean(axis=(1, 2, 3))
    assert change.max() > 2  # talking
    # The face did not freeze when nobody spoke: frames kept coming in the silences.
    times = np.array([v[0] for v in video])
    assert np.diff(times).max() < 0.5


def test_the_agent_example_says_a_bad_portrait_in_one_line(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    example = Path(__file__).resolve().parents[1] / "examples" / "pipecat_agent.py"
    run = subprocess.run([sys.executable, str(example), str(tmp_path / "nope.jpg")], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 1 and "nope.jpg" in run.stderr and "Traceback" not in run.stderr, run.stderr
