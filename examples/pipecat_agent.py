"""A local Pipecat agent with emoface's face: Pipecat's own WebRTC transport
(SmallWebRTC, aiortc; no cloud server), the portrait talking as the agent's
video.

The agent here is a mirror: what you say comes back in the portrait's
voice-and-face, so it runs with no speech recogniser, language model or TTS
service. A real agent puts ``stt, llm, tts`` where :class:`Mirror` is:

    Pipeline([transport.input(), stt, llm, tts, EmofaceVideo("me.jpg"), transport.output()])

Run: ``python examples/pipecat_agent.py me.jpg`` (needs ``emoface[agents,serve]``),
then connect any SmallWebRTC client to ``POST http://127.0.0.1:7861/api/offer``
(``{"sdp", "type"}`` in, the answer out), e.g. Pipecat's prebuilt web client.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from pipecat.frames.frames import InputAudioRawFrame, TTSAudioRawFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.transports.base_transport import TransportParams
from pipecat.transports.smallwebrtc.connection import SmallWebRTCConnection
from pipecat.transports.smallwebrtc.transport import SmallWebRTCTransport
from pipecat.workers.runner import WorkerRunner

from emoface.errors import EmofaceError
from emoface.options import MotionOptions, RenderOptions
from emoface.pipecat_video import EmofaceVideo

FPS = 25


class Mirror(FrameProcessor):
    """The user's speech, sent on as the agent's (what a TTS would send)."""

    async def process_frame(self, frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            frame = TTSAudioRawFrame(audio=frame.audio, sample_rate=frame.sample_rate,
                                     num_channels=frame.num_channels)
        await self.push_frame(frame, direction)


def agent(connection: SmallWebRTCConnection, portrait, size: int = 512, emotion: str = "neutral") -> PipelineWorker:
    """The agent's pipeline on one browser's connection: its microphone in,
    the portrait's video and voice out."""
    transport = SmallWebRTCTransport(connection, TransportParams(
        audio_in_enabled=True, audio_in_sample_rate=16000, audio_out_enabled=True, audio_out_sample_rate=16000,
        video_out_enabled=True, video_out_width=size, video_out_height=size,
        video_out_framerate=FPS))
    face = EmofaceVideo(portrait, MotionOptions(fps=FPS, emotion=emotion), RenderOptions(size=size, max_side=size))
    return PipelineWorker(Pipeline([transport.input(), Mirror(), face, transport.output()]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("portrait")
    parser.add_argument("--port", type=int, default=7861)
    parser.add_argument("--emotion", default="neutral")
    args = parser.parse_args()

    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.post("/api/offer")
    async def offer(body: dict):
        connection = SmallWebRTCConnection()
        await connection.initialize(sdp=body["sdp"], type=body["type"])
        asyncio.ensure_future(WorkerRunner(handle_sigint=False).run(agent(connection, args.portrait,
                                                                           emotion=args.emotion)))
        return connection.get_answer()

    try:
        EmofaceVideo(args.portrait)  # a portrait without a face is said now, not at the first call
    except EmofaceError as err:
        sys.exit(f"pipecat_agent: {err}")
    print(f"agent ready: POST offers to http://127.0.0.1:{args.port}/api/offer")
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
