"""Live motion: speech arriving in chunks becomes ARKit frames as it is spoken.

A :class:`StreamSession` takes 16-bit mono PCM at 16 kHz in chunks of any
size and returns each frame once, ``lookahead`` seconds after the audio it
shows has arrived (the recogniser needs a little of what follows a phone to
name it, and the lips anticipate the next sound). The layers are the offline
ones, made causal:

- mouth: phones from the live recogniser (:class:`~emoface.drivers.lipsync.sphinx.PhoneStream`),
  committed 30 ms behind the newest audio and blended on a short rolling
  window; loudness normalised by the last
  seconds of speech rather than the whole clip;
- eyes: gaze and blinks from the blink model, which needs no audio (blinks
  do not wait for pauses: seeing a pause coming needs more look-ahead);
- head: the seeded sway and breath, with talking and nodding followed by
  causal filters of the loudness;
- expression: the emotion timeline, to which :meth:`StreamSession.set_emotion`
  adds a key at the moment it is called.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass

import numpy as np

from .drivers.emotion import Key, apply_idle, idle_variation, parse_mixture, timeline_expression, timeline_photo_share
from .drivers.eyes import eyes_layer
from .drivers.features import SILENCE_DBFS, frame_rms, level_from_db
from .drivers.head import CausalHead
from .drivers.lipsync import phonetic_mouth
from .drivers.lipsync.phones import Phone, Segment, arpabet_segments
from .drivers.lipsync.sphinx import RATE, PhoneStream, pcm16
from .errors import EmofaceError, InputError, OptionError, UsageError
from .gains import with_gains
from .motion import ARKIT_NAMES, MotionTrack
from .options import DERIVED_EMOTIONS, MotionOptions, check_declared, check_range, option, option_types, split

LOOKAHEAD_RANGE = (0.06, 0.5)  # under 60 ms the loudness of a 25 fps frame is not in yet
_CONTEXT_S = 0.6  # mouth frames decided before the newest ones, for coarticulation
_HISTORY_S = 10.0  # loudness is normalised over this much recent speech
_PRIOR_S = 2.0  # ... starting from a typical speaker's, for this long
_IDLE_SPAN_S = 120.0  # head sway and expression variation repeat after this
_EYES_SPAN_S = 60.0  # gaze and blinks are planned this far ahead
_RESTART_AFTER_S = 5.0  # the recogniser restarts at the first pause after this
_RESTART_HARD_S = 15.0  # ... and here in any case
_PAUSE_S = 0.25


@dataclass(frozen=True)
class StreamOptions:
    """What a live stream adds to the motion options (its query keys)."""

    lookahead: float = option(0.1, "seconds of audio after a frame that arrive before the frame is sent: "
                                   "0.1 gives lips nearly as good as offline (0.06-0.5)", range=LOOKAHEAD_RANGE)

    def __post_init__(self) -> None:
        check_declared(self)


def named_as_sent(func):
    """A stream's client names options by their query and message keys
    (``intensity``), not as flags; its errors are written so, as plain
    text, for the service sends them on as they are."""
    @functools.wraps(func)
    def checked(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except EmofaceError as err:
            raise type(err)(err.named()) from None
    return checked


def control(session, text: str) -> bool:
    """A stream's or a live session's text message, carried out on
    ``session``: ``{"emotion": "sad", "intensity": 0.6}`` eases it into an
    emotion; ``{"end": true}`` returns True (the caller ends the session).
    Raises ValueError or OptionError saying what to send instead."""
    try:
        said = json.loads(text)
    except ValueError:
        said = None
    if not isinstance(said, dict):
        raise ValueError('text messages are JSON objects: {"emotion": "happy", "intensity": 0.7} or {"end": true}')
    if said.get("end"):
        return True
    if "emotion" not in said:
        raise ValueError(f"unknown message {sorted(said)}; send emotion (and intensity) or end")
    try:
        session.set_emotion(said["emotion"], said.get("intensity"))
    except TypeError as err:  # an intensity that is not a number
        raise ValueError(str(err)) from None
    return False


def message(frames: MotionTrack) -> dict:
    """A stream's frames as its protocol sends them (docs/stream.md)."""
    return {"frames": [{"time": round(float(t), 6),
                        "blendshapes": [round(float(v), 4) for v in c],
                        "pose": [round(float(v), 4) for v in p]}
                       for t, c, p in zip(frames.times, frames.coefficients, frames.pose)]}


def check_stream_options(opts: MotionOptions, lookahead: float) -> None:
    """Refuse the options a live stream cannot honour, with what to do."""
    StreamOptions(lookahead)
    if opts.lipsync == "acoustic":
        raise OptionError("lipsync acoustic is not available in a stream; use phonetic (the default)")
    if opts.emotion in DERIVED_EMOTIONS or opts.emotion_text is not None:
        raise OptionError(f"emotion {opts.emotion_text or opts.emotion!r} needs the whole speech; in a "
                          "stream give a label or keyframes, and change it with an emotion message")
    for layer, source in opts.sources().items():
        if not source.is_auto:
            raise OptionError(f"{layer}_from is for files; a stream drives every layer from the live voice")


#: The shortest lip closure the live mouth shows (s): two frames at 25 fps.
LEAST_CLOSURE_S = 0.08


def held_closures(segs: list[Segment], least: float = LEAST_CLOSURE_S) -> list[Segment]:
    """Bilabials held at least ``least`` seconds, about their centre, taken
    from their neighbours (at most half of each). Live phone boundaries are
    a frame or so off those of the whole clip; a closure the recogniser
    heard as one frame long then misses the real one, while real lips stay
    shut 60-120 ms."""
    out = list(segs)
    for i, seg in enumerate(out):
        if seg.viseme != "PP" or seg.end - seg.start >= least:
            continue
        centre = (seg.start + seg.end) / 2
        start, end = centre - least / 2, centre + least / 2
        if i > 0:
            start = max(start, (out[i - 1].start + out[i - 1].end) / 2)
            out[i - 1] = out[i - 1]._replace(end=start)
        if i + 1 < len(out):
            end = min(end, (out[i + 1].start + out[i + 1].end) / 2)
            out[i + 1] = out[i + 1]._replace(start=end)
        out[i] = seg._replace(start=start, end=end)
    return out


class StreamSession:
    """One live stream: feed PCM as it arrives, get the frames it completes.

    Parameters
    ----------
    opts : MotionOptions
        As for offline motion, less what needs the whole speech (derived
        emotions, layers from files, acoustic lip sync).
    lookahead : float
        Seconds of audio after a frame that arrive before the frame is
        sent. 0.1 (the default) gives lips nearly as good as offline.
    """

    def __init__(self, opts: MotionOptions = MotionOptions(), lookahead: float = StreamOptions.lookahead) -> None:
        check_stream_options(opts, lookahead)
        self.opts, self.lookahead, self.fps = opts, lookahead, opts.fps
        self._phones = PhoneStream()
        self._phone_list: list[Phone] = []
        self._keys = list(opts.emotion_keys())
        self._audio = np.zeros(0, np.float32)  # the newest seconds of audio
        self._audio0 = 0  # sample index of self._audio[0]
        self._db = list(np.linspace(-65.0, -18.0, int(_PRIOR_S * self.fps)))
        self._level = np.zeros(0, np.float32)  # per frame, from frame self._level0 on
        self._level0 = 0
        self._sent = 0  # frames sent
        self._quiet = 0.0  # seconds of silence at the end of the audio so far
        idle_frames = int(_IDLE_SPAN_S * self.fps)
        self._head = CausalHead(idle_frames, fps=self.fps, seed=opts.seed)
        self._idle_gain, self._idle_brow = idle_variation(idle_frames, len(ARKIT_NAMES), self.fps, opts.seed)
        self._eyes: dict[int, np.ndarray] = {}
        self._ended = False
        #: The portrait's own coefficients (52,) where frames are drawn on
        #: one (LiveSession): while the emotion is neutral its expression is
        #: kept, as an offline video keeps it.
        self.baseline: np.ndarray | None = None

    @property
    def now(self) -> float:
        """Seconds of audio received."""
        return self._phones.now

    @named_as_sent
    def set_emotion(self, emotion: str, intensity: float | None = None) -> None:
        """From the next frame on, ease into ``emotion`` (a label or a
        mixture such as ``happy@0.6+surprised@0.3``)."""
        intensity = self.opts.intensity if intensity is None else float(intensity)
        check_range("intensity", intensity, 0.0, 1.0)
        mix = parse_mixture(emotion, intensity)
        t = self._sent / self.fps
        # A key the face has fully eased into hides every key before it; a
        # message overrides keys the starting timeline had planned for later.
        keys = [k for k in self._keys if k.time <= t]
        done = [i for i, k in enumerate(keys) if k.time + self.opts.emotion_ease <= t]
        self._keys = keys[done[-1] if done else 0:] + [Key(t, mix)]

    def feed(self, pcm: bytes) -> MotionTrack:
        """Take the next chunk of 16-bit little-endian mono PCM at 16 kHz;
        the frames it completes (possibly none)."""
        seconds = self._take(pcm)
        quiet = not len(self._level) or self._level[-1] <= 0
        self._quiet = self._quiet + seconds if quiet else 0.0
        u = self._phones.utterance_seconds
        if (u > _RESTART_AFTER_S and self._quiet > _PAUSE_S) or u > _RESTART_HARD_S:
            self._add(self._phones.restart())
        ready = math.floor((self.now - self.lookahead) * self.fps + 1e-9) + 1
        return self._emit(ready)

    def end(self) -> MotionTrack:
        """The audio is over: the remaining frames, up to its end."""
        total = max(1, int(round(self.now * self.fps)))
        # Silence after the end lets the last frames' look-ahead arrive.
        self._take(bytes(2 * int((self.lookahead + 2 / self.fps) * RATE)))
        self._add(self._phones.restart())
        self._ended = True
        return self._emit(total)

    # --- internals -------------------------------------------------------

    def _take(self, pcm: bytes) -> float:
        """Audio in: kept, recognised, its loudness measured; its seconds."""
        if self._ended:
            raise UsageError("the stream has ended; start a new StreamSession")
        if len(pcm) % 2:
            raise InputError("PCM chunks hold whole 16-bit samples; got an odd number of bytes")
        if not pcm:  # microphones and speech engines send empty buffers at start and end
            return 0.0
        samples = np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0
        self._audio = np.concatenate([self._audio, samples])
        self._add(self._phones.feed(pcm))
        self._update_level()
        return len(samples) / RATE

    def _add(self, phones: list[Phone]) -> None:
        # The recogniser commits a phone piece by piece as its best path
        # grows; one phone is one segment (coarticulation counts neighbours).
        for p in phones:
            last = self._phone_list[-1] if self._phone_list else None
            if last and last.label == p.label and abs(last.end - p.start) < 1e-6:
                self._phone_list[-1] = last._replace(end=p.end)
            else:
                self._phone_list.append(p)

    def _update_level(self) -> None:
        """Loudness of every frame whose two-frame window has arrived."""
        fps, n = self.fps, self._level0 + len(self._level)
        have = math.floor(self.now * fps - 1.5) + 1
        if have > n:
            s0 = max(int(round((n - 1) * RATE / fps)), 0)
            lead = 1 if n > 0 else 0
            part = self._audio[s0 - self._audio0:]
            rms = frame_rms(part, RATE, fps, have - n + lead)[lead:]
            db = 20 * np.log10(rms + 1e-9)
            self._db = (self._db + list(db))[-int(_HISTORY_S * fps):]
            hist = np.asarray(self._db)
            peak, floor = float(np.percentile(hist, 97)), float(np.percentile(hist, 10))
            lv = level_from_db(db, peak, floor) if peak >= SILENCE_DBFS else np.zeros(len(db))
            self._level = np.concatenate([self._level, lv.astype(np.float32)])
        # Keep what the mouth window and the loudness of the next frames need.
        keep_from = max(0, min(self._sent - int(_CONTEXT_S * fps), self._level0 + len(self._level) - 2))
        if keep_from - self._level0 > 2 * fps:
            self._level = self._level[keep_from - self._level0:]
            self._level0 = keep_from
            cut = int((keep_from - 2) * RATE / fps) - self._audio0
            if cut > 0:
                self._audio, self._audio0 = self._audio[cut:], self._audio0 + cut
            t0 = keep_from / fps - 1.0
            self._phone_list = [p for p in self._phone_list if p.end > t0]

    def _emit(self, ready: int) -> MotionTrack:
        fps, first = self.fps, self._sent
        ready = min(ready, self._level0 + len(self._level))
        if ready <= first:
            return MotionTrack(fps, np.zeros((0, len(ARKIT_NAMES)), np.float32), np.zeros((0, 6), np.float32), start=first)
        w0 = max(self._level0, first - int(_CONTEXT_S * fps))
        w1 = self._level0 + len(self._level)
        # Offline loudness is smoothed over two frames; so here.
        raw = self._level[w0 - self._level0 - (1 if w0 > self._level0 else 0):w1 - self._level0]
        level = ((raw[1:] + raw[:-1]) / 2 if w0 > self._level0 else
                 np.concatenate([raw[:1], (raw[1:] + raw[:-1]) / 2]))
        t0 = w0 / fps
        segs = [s._replace(start=s.start - t0, end=s.end - t0)
                for s in held_closures(arpabet_segments([p for p in self._phone_list if p.end > t0 - 0.3]))]
        mouth = phonetic_mouth(segs, level, fps, self.opts.articulation)[: ready - w0]
        frames = np.arange(w0, ready)
        eyes = self._eyes_at(frames)
        expression = timeline_expression(tuple(self._keys), len(frames), fps, self.opts.emotion_ease, first=w0)
        idx = frames % len(self._idle_gain)
        expression = apply_idle(expression, self._idle_gain[idx], self._idle_brow[idx])
        # Frames before ``first`` (sent already, context for the mouth) get
        # no pose here: the head's filters take each frame once.
        pose = np.concatenate([np.zeros((first - w0, 6), np.float32),
                               self._head.pose(level[first - w0: ready - w0], frames[first - w0:])])
        relative, baseline = set(), None
        if self.baseline is not None:
            keep = timeline_photo_share(tuple(self._keys), len(frames), fps, self.opts.emotion_ease, first=w0)
            relative, baseline = {"expression"}, keep[:, None] * np.asarray(self.baseline, np.float32)
        track = with_gains(fps, {"mouth": mouth, "eyes": eyes, "expression": expression}, pose, self.opts,
                           relative, baseline)
        self._sent = ready
        return MotionTrack(fps, track.coefficients[first - w0:], track.pose[first - w0:], start=first)

    def _eyes_at(self, frames: np.ndarray) -> np.ndarray:
        span = int(_EYES_SPAN_S * self.fps)
        out = np.zeros((len(frames), len(ARKIT_NAMES)), np.float32)
        for block in np.unique(frames // span):
            if block not in self._eyes:
                self._eyes = {b: v for b, v in self._eyes.items() if b >= block - 1}
                self._eyes[block] = eyes_layer(_EYES_SPAN_S, np.ones(span, np.float32), fps=self.fps,
                                               per_minute=self.opts.blinks_per_minute,
                                               seed=self.opts.seed + 7919 * int(block), gaze=self.opts.gaze)
            here = frames // span == block
            out[here] = self._eyes[block][frames[here] % span]
        return out


def typed_query(values: dict[str, str], *classes: type) -> dict[str, object]:
    """A query string's values as the option ``classes`` declare them (a
    number, a whole number; text where no class names the key)."""
    kinds = option_types(*classes)
    typed = {}
    for name, value in values.items():
        kind = kinds.get(name, str)
        try:
            typed[name] = kind(value)
        except ValueError:
            raise OptionError(f"{name}={value!r} is not {'an integer' if kind is int else 'a number'}") from None
    return typed


@named_as_sent
def stream_options(values: dict[str, str]) -> tuple[MotionOptions, float]:
    """MotionOptions and look-ahead from a stream's query string. Nothing
    in it may name a file: the stream's client is not the server's user."""
    values = dict(values)
    for name, value in values.items():
        if name.endswith("_from") or (name == "emotion" and value.strip().lower().endswith(".json")):
            raise OptionError(f"{name}: a stream takes nothing from files; give the emotion inline "
                              "(0:neutral, 2.5:happy@0.8) and every other layer comes from the live voice")
    opts, stream = split(typed_query(values, MotionOptions, StreamOptions), MotionOptions, StreamOptions)
    check_stream_options(opts, stream.lookahead)
    return opts, stream.lookahead


__all__ = ["StreamOptions", "StreamSession", "check_stream_options", "message", "named_as_sent", "pcm16",
           "stream_options", "typed_query"]
