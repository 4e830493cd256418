"""The one orchestration: inputs + options -> MotionTrack -> sinks.

Stages, each callable alone::

    load_speech -> make_track -> render_video
                             \\-> save_track (exporters)

Long stages report through one hook, ``progress(step, completed, total)``,
which feeds the CLI's progress bar, an API caller or a UI alike.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .drivers.capture import capture_video, smile_parting, split_layers
from .drivers.emotion import check_timeline, idle_life, parse_emotion, timeline_expression
from .drivers.eyes import eyes_layer
from .drivers.features import n_frames, speech_level
from .drivers.head import speech_head
from .drivers.lipsync import lipsync
from .drivers.prosody import head_energy, read_voice, voice_timeline
from .errors import Field, File, InputError
from .export import save_track
from .gains import Gains, with_gains
from .media.atomic import check_writable
from .media.audio import ANALYSIS_RATE, Audio, Speech, load_audio
from .media.image import load_image
from .media.video import even_size, write_video
from .motion import LAYERS, MotionTrack, layer_mask, lip_aperture
from .options import DERIVED_EMOTIONS, FPS_RANGE, MotionOptions, RenderOptions
from .pose import rebase
from .processes import RunSettings, fork_is_safe
from .progress import Progress, quiet
from .relative import changes, reference_index
from .sources import VIDEO_SUFFIXES, Resolver, load_motion

#: Clips up to this long prepare the portrait and the motion side by side
#: (:func:`generate`), unless the run settings say otherwise.
_OVERLAP_UP_TO_S = 60.0

if TYPE_CHECKING:  # the renderer pulls in OpenCV and MediaPipe; motion-only use skips them
    from .render import PortraitRenderer



@dataclass(frozen=True, eq=False)
class Result:
    """What :func:`generate` made: the video path and the motion it shows."""

    path: Path
    track: MotionTrack


def transcript(text: str | Path | None, audio: str | Path | None) -> str | None:
    """The transcript to align: ``text`` itself, the .txt file it names, or a
    .txt beside the audio (``talk.wav`` -> ``talk.txt``) when none is given."""
    if text is None:
        beside = Path(audio).with_suffix(".txt") if audio is not None else None
        if beside is None or not beside.is_file():
            return None
        text = beside
    if isinstance(text, Path) or str(text).endswith(".txt"):
        path = Path(text)
        if not path.is_file():
            raise InputError(File(path), ": transcript file not found; check the path or give the text itself")
        words = path.read_text(errors="replace")
        if not words.strip():
            raise InputError(File(path), ": transcript file is empty; write the spoken words in it or remove it")
        return words
    if not text.strip():
        raise InputError(Field("text"), " is empty; give the words that are spoken, or leave it out")
    return text


def load_speech(audio: str | Path | None = None, say: str | None = None,
                text: str | Path | None = None, opts: MotionOptions = MotionOptions(),
                analysis_only: bool = False) -> Speech:
    """The speech to animate: a recording (with its transcript, if any), or
    ``say`` synthesised offline with exact phone timings."""
    if (audio is None) == (say is None):
        raise InputError("give exactly one of ", Field("audio"), " (a recording) or ", Field("say"),
                         " (words to speak)")
    if say is not None and text is not None:
        raise InputError(Field("text"), " is the transcript of ", Field("audio"), "; with ", Field("say"),
                         " the spoken text is already known")
    if say is not None:
        from .media.tts import synthesize

        return synthesize(say, opts.seed)
    words = transcript(text, audio)
    return Speech(load_audio(audio, opts.max_audio_seconds, analysis_only), text=words)


def make_track(speech: Speech | Audio, opts: MotionOptions = MotionOptions(),
               progress: Progress = quiet, baseline: np.ndarray | None = None) -> MotionTrack:
    """Drive every layer from its source (by default: the speech and the
    options) and merge them.

    Parameters
    ----------
    speech : Speech (audio plus transcript or phone timings), or bare Audio
    opts : MotionOptions
    baseline : ndarray (52,), optional
        The portrait's own coefficients (PortraitRenderer.baseline): layers
        driven by a video or track in relative mode are carried on it.

    Returns
    -------
    MotionTrack with round(duration * fps) frames.
    """
    if isinstance(speech, Audio):
        speech = Speech(speech)
    audio = speech.audio
    frames = n_frames(audio.duration, opts.fps)
    sources = opts.sources()
    resolver = _resolver(opts, opts.fps, frames, progress)
    signal = audio.mono(ANALYSIS_RATE)
    level = speech_level(signal, ANALYSIS_RATE, opts.fps, frames)
    if not np.any(np.abs(signal) > 1e-3):
        import warnings

        warnings.warn("the audio is silent: the mouth stays closed; give a recording of speech",
                      stacklevel=2)
    mouth = (_speech_mouth(speech, signal, level, opts, progress) if sources["mouth"].is_auto
             else resolver.layer("mouth", sources["mouth"]))
    progress("motion", 1, 3)
    eyes = (eyes_layer(audio.duration, level, fps=opts.fps, per_minute=opts.blinks_per_minute, seed=opts.seed,
                       gaze=opts.gaze)
            if sources["eyes"].is_auto else resolver.layer("eyes", sources["eyes"]))
    energy = np.ones(frames, np.float32)
    if sources["expression"].is_auto and opts.emotion == "auto":
        phrases = read_voice(signal, ANALYSIS_RATE, level, opts.fps)
        keys = parse_emotion(voice_timeline(phrases), opts.intensity)
        energy = head_energy(phrases, frames, opts.fps)
    elif sources["expression"].is_auto:
        keys = opts.emotion_keys(audio.duration, speech.text)
        check_timeline(keys, audio.duration)
    expression = (idle_life(timeline_expression(keys, frames, opts.fps, opts.emotion_ease), opts.fps, opts.seed)
                  if sources["expression"].is_auto
                  else resolver.layer("expression", sources["expression"], opts.intensity))
    progress("motion", 2, 3)
    pose = (speech_head(level, fps=opts.fps, seed=opts.seed) * energy[:, None] if sources["pose"].is_auto
            else resolver.layer("pose", sources["pose"]))
    progress("motion", 3, 3)
    relative = {k for k, src in sources.items() if k != "pose" and resolver.is_relative(src)}
    relative |= {"expression"} if keeps_photo(opts) else set()
    return with_gains(opts.fps, {"mouth": mouth, "eyes": eyes, "expression": expression}, pose, opts,
                      relative, baseline)


def _speech_mouth(speech: Speech, signal: np.ndarray, level: np.ndarray, opts: MotionOptions,
                  progress: Progress) -> np.ndarray:
    """make_track's mouth layer from the speech (lip sync)."""
    sync = lipsync(signal, ANALYSIS_RATE, opts.fps, level, mode=opts.lipsync,
                   text=speech.text, phones=speech.phones, alphabet=speech.alphabet,
                   articulation=opts.articulation, progress=progress)
    # Say how the mouth was made: a progress step names the method, and
    # falling back from phones to the spectrum is worth a warning.
    progress(f"lip sync: {sync.method}", 1, 1)
    if opts.lipsync == "auto" and sync.method == "acoustic":
        import warnings

        warnings.warn(f"lip sync from the spectrum (--lipsync acoustic): {sync.reason}",
                      stacklevel=3)  # make_track's caller
    return sync.layer


def _resolver(opts: MotionOptions, fps: float, frames: int, progress: Progress) -> Resolver:
    return Resolver(fps, frames, progress=progress,
                    reference=opts.reference if opts.motion_mode == "relative" else None)


def keeps_photo(opts: MotionOptions) -> bool:
    """Whether the portrait keeps its own expression under the motion: with
    no emotion asked for (a neutral label), the face is the photo's, a smile
    it holds included, not a blank one; the idle life then moves it as
    changes, as a driving video's would."""
    derived = opts.emotion_text is not None or opts.emotion in DERIVED_EMOTIONS
    if derived or not opts.sources()["expression"].is_auto:
        return False
    return all(e == "neutral" or w == 0 for key in opts.emotion_keys() for e, w in key.mix)


def carry_photo(track: MotionTrack, opts: MotionOptions, baseline: np.ndarray) -> MotionTrack:
    """``track``, made without the portrait at hand (in another process),
    as :func:`make_track` would have made it with the portrait's
    ``baseline``."""
    if not keeps_photo(opts) or not track.layers:
        return track
    return with_gains(track.fps, track.layers, track.pose, relative={"expression"}, baseline=baseline)


def retarget(track: MotionTrack, opts: MotionOptions = MotionOptions(),
             progress: Progress = quiet, baseline: np.ndarray | None = None) -> MotionTrack:
    """``track`` with any layer replaced from its own source and the gains
    applied (``render`` with ``--<layer>-from``); the track itself when
    nothing is asked. Label and speech drivers have nothing to drive here:
    their layers stay as the track has them.

    With the portrait's ``baseline`` (52,) and ``opts.motion_mode``
    relative, the track and every video or track source move the portrait
    as changes from their reference frames (emoface.relative)."""
    sources = {k: v for k, v in opts.sources().items() if not v.is_auto}
    gains = (opts.mouth_gain, opts.expression_gain, opts.head_motion)
    resolver = _resolver(opts, track.fps, len(track), progress)
    relative = baseline is not None and resolver.reference is not None
    if not sources and gains == (1.0, 1.0, 1.0) and not relative:
        return track
    layers = dict(track.layers) if track.layers else split_layers(track.coefficients, track.fps)
    pose = track.pose
    moved = set(LAYERS) if relative else set()
    if relative:
        ref = reference_index(track.coefficients, resolver.reference, "the motion track")
        layers = {k: changes(v, ref) for k, v in layers.items()}
        pose = rebase(pose, ref)
    for layer, source in sources.items():
        if layer == "pose":
            pose = resolver.layer("pose", source)
            continue
        layers[layer] = resolver.layer(layer, source, opts.intensity)
        if not resolver.is_relative(source):
            moved.discard(layer)
    return with_gains(track.fps, layers, pose, opts, moved, baseline)


def prepare_portrait(image: str | Path | np.ndarray, ropts: RenderOptions = RenderOptions(),
                     progress: Progress = quiet) -> PortraitRenderer:
    """Read and track the portrait, scale it to the output size, fit the rig."""
    import cv2

    from .face.tracker import track_portrait
    from .render import PortraitRenderer

    if isinstance(image, np.ndarray):
        photo, name = np.ascontiguousarray(image[..., :3], dtype=np.uint8), "image"
    else:
        photo, name = load_image(image), str(image)
    progress("tracking", 0, 1)  # after the photo is read: a missing file shows no bar
    face = track_portrait(photo, ropts.face, ropts.face_model, source=name)
    s = min(1.0, ropts.max_side / max(photo.shape[:2]))
    w, h = even_size(max(2, round(photo.shape[1] * s)), max(2, round(photo.shape[0] * s)))
    if (w, h) != (photo.shape[1], photo.shape[0]):
        sx = w / photo.shape[1]
        photo = cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)
        face = face.transformed(sx, 0, 0)
    progress("tracking", 1, 1)
    return PortraitRenderer(photo, face, ropts.size)


def frames_of(renderer: PortraitRenderer, track: MotionTrack,
              progress: Progress = quiet, threads: int = RunSettings.threads) -> Iterator[np.ndarray]:
    """Rendered RGB frames of ``track``, in order, a few at a time (memory
    stays flat). Frames are independent and most of a frame's time is spent
    in OpenCV and numpy, which release the GIL, so ``threads`` render at once."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    total, done, pending = len(track), 0, deque()

    def hand_on(keep: int) -> Iterator[np.ndarray]:
        nonlocal done
        while len(pending) > keep:
            yield pending.popleft().result()
            done += 1
            progress("rendering", done, total)

    with ThreadPoolExecutor(threads, thread_name_prefix="emoface-render") as pool:
        for i in range(total):
            pending.append(pool.submit(renderer.render, track.coefficients[i], track.pose[i]))
            yield from hand_on(threads)  # the oldest frame, once the others are in flight
        yield from hand_on(0)


def render_video(renderer: PortraitRenderer, track: MotionTrack, output: str | Path,
                 audio: Audio | None = None, ropts: RenderOptions = RenderOptions(),
                 progress: Progress = quiet, run: RunSettings = RunSettings()) -> Path:
    """Render ``track`` on the prepared portrait into an mp4 (audio muxed)."""
    return write_video(output, frames_of(renderer, track, progress, run.threads), track.fps, audio, ropts.crf,
                       duration=len(track) / track.fps)


def generate(image: str | Path | np.ndarray, audio: str | Path | None = None, *,
             output: str | Path, say: str | None = None, text: str | Path | None = None,
             motion: MotionOptions = MotionOptions(), render: RenderOptions = RenderOptions(),
             glb: str | Path | None = None, preview: str | Path | None = None, side_by_side: bool = False,
             motion_worker: Executor | None = None, progress: Progress = quiet,
             run: RunSettings = RunSettings()) -> Result:
    """Portrait + speech -> talking video (and, with ``glb``, the same motion
    as an animated 3D face textured with the portrait; with ``preview``, a
    video of that 3D face, ``side_by_side`` with the portrait's).

    Parameters
    ----------
    image : path or ndarray (H, W, 3) uint8
    audio : path, optional
        Speech in any common format (or a video with an audio track).
    say : str, optional
        Text to speak instead of ``audio`` (offline speech synthesis).
    text : str or path to a .txt, optional
        Transcript of ``audio`` (forced alignment); by default a .txt beside it.
    output : path
        The mp4 to write; it appears only when complete.
    motion_worker : a one-process pool, optional
        A long-lived server's worker (the web page keeps one): the motion is
        made there while this process prepares the portrait.
    run : how this job uses the machine (render threads, the motion beside
        the portrait); a batch's workers each take a share.

    Returns
    -------
    Result with ``path`` and the ``track`` that was rendered.
    """
    _check_mp4(output, "-o")
    if glb is not None:
        if Path(glb).suffix.lower() != ".glb":
            raise InputError(File(glb), ": --glb writes a .glb file; name it OUT.glb")
        check_writable(glb)
    if preview is not None:
        _check_mp4(preview, "--preview-3d")
    speech = load_speech(audio, say, text, motion)
    renderer, track = _portrait_and_motion(image, speech, motion, render, progress, motion_worker, run)
    path = render_video(renderer, track, output, speech.audio, render, progress, run)
    if glb is not None or preview is not None:
        from .export.gltf_face import save_glb

        photo, landmarks = _textured(image, render.face, render.face_model)
        if glb is not None:
            save_glb(track, glb, photo, landmarks)
        if preview is not None:
            preview_3d(track, preview, photo, landmarks, speech.audio,
                       beside=renderer if side_by_side else None, progress=progress)
    return Result(path, track)


def _portrait_and_motion(image, speech: Speech, motion: MotionOptions, render: RenderOptions,
                         progress: Progress, worker: Executor | None = None,
                         run: RunSettings = RunSettings()) -> tuple[PortraitRenderer, MotionTrack]:
    """The prepared portrait and the motion, side by side where that is safe:
    the motion in another process while this one starts the tracker and
    sets up the renderer, which hides the motion's time, a tenth of a 5 s
    clip's. (Threads would not: the recogniser holds the GIL.) That process
    is the caller's ``worker`` if it keeps one (the web page), or, for a
    short clip from a single-threaded caller that has not started the
    tracker yet (the CLI), a fork of this one. Anywhere else one after the
    other, the portrait first, so a bad photo fails before a long clip's
    motion."""
    import multiprocessing

    # A driving video's layers need the tracker; the worker is kept for speech alone.
    from_speech = all(src.is_auto for src in motion.sources().values())
    fork = (worker is None and speech.audio.duration <= _OVERLAP_UP_TO_S and run.overlap_motion and from_speech
            and fork_is_safe()
            and "mediapipe" not in sys.modules)  # its native threads must not be forked mid-flight
    if fork:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
            return _portrait_and_motion(image, speech, motion, render, progress, pool)
    if worker is None or not from_speech:
        renderer = prepare_portrait(image, render, progress)
        return renderer, make_track(speech, motion, progress, renderer.baseline)
    job = worker.submit(_motion_job, speech, motion)
    renderer = prepare_portrait(image, render, progress)
    track, warned = job.result()
    track = carry_photo(track, motion, renderer.baseline)
    import warnings

    for message in warned:  # the worker's warnings, shown here as the caller's
        warnings.warn(message, stacklevel=3)
    progress("motion", 3, 3)
    return renderer, track


def _motion_job(speech: Speech, motion: MotionOptions) -> tuple[MotionTrack, list[str]]:
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        track = make_track(speech, motion)
    return track, [str(w.message) for w in caught]


def blendshapes(audio: str | Path | None = None, *, output: str | Path | None = None,
                say: str | None = None, text: str | Path | None = None,
                motion: MotionOptions = MotionOptions(),
                progress: Progress = quiet) -> MotionTrack:
    """Speech -> MotionTrack (no rendering); saved to ``output`` if given."""
    if output is not None:
        check_writable(output)
    speech = load_speech(audio, say, text, motion, analysis_only=True)
    track = make_track(speech, motion, progress)
    if output is not None:
        save_track(track, output)
    return track


def _sound_of(video: str | Path) -> Audio | None:
    """A driving video's own sound, or None if it is silent."""
    try:
        return load_audio(video)
    except InputError:
        return None


def render(image: str | Path | np.ndarray, track: MotionTrack | str | Path, *, output: str | Path,
           audio: str | Path | None = None, motion: MotionOptions = MotionOptions(),
           options: RenderOptions = RenderOptions(), progress: Progress = quiet) -> Path:
    """Any MotionTrack onto a portrait: the renderer on its own.

    ``track`` is a MotionTrack, a saved track file, or a driving video (its
    face motion is captured, and its sound is muxed unless ``audio`` is
    given). ``motion``'s layer sources and gains change the track first
    (:func:`retarget`).
    """
    _check_mp4(output, "-o")
    speech = load_audio(audio) if audio is not None else None
    renderer = prepare_portrait(image, options, progress)
    moving = retarget(load_motion(track, progress), motion, progress, renderer.baseline)
    if speech is None and not isinstance(track, MotionTrack) and Path(track).suffix.lower() in VIDEO_SUFFIXES:
        speech = _sound_of(track)
    return render_video(renderer, moving, output, speech, options, progress)


def capture(video: str | Path, *, output: str | Path | None = None, face_model: str | Path | None = None,
            progress: Progress = quiet) -> MotionTrack:
    """Video of a face -> MotionTrack (ARKit curves, head pose, layers);
    saved to ``output`` if given."""
    if output is not None:
        check_writable(output)
    track = capture_video(video, face_model, progress).track()
    if output is not None:
        save_track(track, output)
    return track


def dub(video: str | Path, audio: str | Path | None = None, *, output: str | Path,
        say: str | None = None, text: str | Path | None = None,
        motion: MotionOptions = MotionOptions(), render: RenderOptions = RenderOptions(),
        progress: Progress = quiet) -> Result:
    """Re-sync the lips of a talking-head video to new speech.

    Every frame keeps the video's own head motion, eyes, expression and
    background; only the mouth follows the new speech, whose audio is muxed.
    The output lasts as long as the speech: a longer video is cut, a shorter
    one plays forward and back (and says so). Frames where the face is lost
    pass through unchanged.

    Returns
    -------
    Result with ``path`` and the ``track`` the frames show (at the video's fps).
    """
    import dataclasses
    import warnings

    from .filters import ping_pong
    from .media.video import open_video
    from .render.dub import MouthRedrawer

    _check_mp4(output, "-o")
    speech = load_speech(audio, say, text, motion)
    cap = capture_video(video, render.face_model, progress, keep_landmarks=True)
    assert cap.landmarks is not None
    fps = float(np.clip(cap.fps, *FPS_RANGE))
    mouth = make_track(speech, dataclasses.replace(motion, fps=fps), progress).layers["mouth"]
    n_out, n_src = len(mouth), len(cap.found)
    at = np.round(ping_pong(n_src, n_out, cap.fps / fps)).astype(int)
    loops = bool(np.any(np.diff(at) < 0))
    if loops:
        warnings.warn(f"{video}: {n_src / cap.fps:.1f} s of video under {n_out / fps:.1f} s of speech; "
                      "it plays forward and back to cover it", stacklevel=2)
    own = cap.coefficients[at]
    shown = {k: v[at] for k, v in split_layers(cap.coefficients, cap.fps).items()}
    # A smile's bared teeth stay while the new speech talks (the expression's
    # parting yields to its closures and pauses, as under any emotion); the
    # speech's own opening counts toward them.
    shown["expression"] = shown["expression"] + np.maximum(smile_parting(cap.coefficients, cap.fps)[at] - mouth, 0)
    # The new mouth (make_track has applied its gain) over the video's own
    # eyes and expression, as they are.
    target = with_gains(fps, shown | {"mouth": mouth}, np.zeros((n_out, 6), np.float32), Gains()).coefficients
    # Lip, teeth and mouth colours from the frame where the mouth is most open.
    widest = int(np.argmax(np.where(cap.found, lip_aperture(cap.coefficients), -1)))
    info, frames = open_video(video)
    redraw = MouthRedrawer(next(f for i, f in enumerate(frames) if i == widest), cap.landmarks[widest])
    frames.close()
    info, frames = open_video(video)
    source = _FrameStore(frames, keep=loops)

    def dubbed():
        w, h = even_size(*info.size)
        for i, k in enumerate(at):
            frame = source.get(int(k))
            if cap.found[k]:
                frame = redraw.render(frame, cap.landmarks[k], own[i], target[i])
            yield np.ascontiguousarray(frame[:h, :w])
            progress("rendering", i + 1, n_out)

    path = write_video(output, dubbed(), fps, speech.audio, render.crf, duration=n_out / fps)
    track = MotionTrack(fps, np.where(layer_mask("mouth"), target, own), np.zeros((n_out, 6), np.float32))
    return Result(path, track)


class _FrameStore:
    """Frames of a video by index, decoded once, in order. A video played
    forward and back (``keep``) keeps its frames, PNG-compressed in memory,
    for the way back."""

    def __init__(self, frames: Iterator[np.ndarray], keep: bool) -> None:
        self._frames, self._next = frames, 0
        self._last: tuple[int, np.ndarray] | None = None
        self._kept: dict[int, np.ndarray] | None = {} if keep else None

    def get(self, k: int) -> np.ndarray:
        import cv2

        while self._next <= k:
            frame = next(self._frames)
            if self._kept is not None:
                self._kept[self._next] = cv2.imencode(".png", frame, [cv2.IMWRITE_PNG_COMPRESSION, 1])[1]
            self._last = (self._next, frame)
            self._next += 1
        if self._last is not None and self._last[0] == k:
            return self._last[1]
        assert self._kept is not None, "frames are asked in order unless kept"
        return cv2.imdecode(self._kept[k], cv2.IMREAD_UNCHANGED)


def _textured(image: str | Path | np.ndarray | None, face: int | None, face_model: str | Path | None):
    """(photo, landmarks) for texturing a 3D face, or (None, None)."""
    from .face.tracker import track_portrait

    if image is None:
        return None, None
    photo = load_image(image) if not isinstance(image, np.ndarray) else image
    name = str(image) if not isinstance(image, np.ndarray) else "image"
    return photo, track_portrait(photo, face, face_model, source=name).landmarks


def _check_mp4(path: str | Path, flag: str) -> None:
    # Only H.264 in mp4 is written (with its length matched to the audio):
    # another suffix would make ffmpeg guess a container, or fail mid-render.
    if Path(path).suffix.lower() != ".mp4":
        raise InputError(File(path), f": {flag} writes an .mp4 video; name it OUT.mp4")
    check_writable(path)


def export_3d(track: MotionTrack | str | Path, *, output: str | Path,
              image: str | Path | np.ndarray | None = None, face: int | None = None,
              face_model: str | Path | None = None, preview: str | Path | None = None,
              audio: str | Path | Audio | None = None, progress: Progress = quiet) -> Path:
    """A MotionTrack (or a saved track, or a driving video) as an animated
    glTF face (.glb); with ``image``, the photo is its texture; with
    ``preview``, also a video of the 3D face (``audio`` muxed)."""
    from .export.gltf_face import save_glb

    out = Path(output)
    if out.suffix.lower() != ".glb":
        raise InputError(File(out), ": a 3D face is written as .glb; name the output OUT.glb")
    check_writable(out)
    if preview is not None:
        _check_mp4(preview, "--preview-3d")
    sound = load_audio(audio) if isinstance(audio, (str, Path)) else audio
    moving = load_motion(track, progress)
    photo, landmarks = _textured(image, face, face_model)
    progress("3d", 0, 1)
    path = save_glb(moving, out, photo, landmarks)
    progress("3d", 1, 1)
    if preview is not None:
        preview_3d(moving, preview, photo, landmarks, sound, progress=progress)
    return path


def preview_3d(track: MotionTrack, output: str | Path, photo: np.ndarray | None = None,
               landmarks: np.ndarray | None = None, audio: Audio | None = None,
               beside: PortraitRenderer | None = None, progress: Progress = quiet) -> Path:
    """A video of the animated 3D face (shaded, textured with ``photo``);
    with ``beside``, the portrait video on its left, frame for frame."""
    import cv2

    from .export.preview_3d import MeshPreview

    mesh = MeshPreview(512, photo, landmarks)

    def frames() -> Iterator[np.ndarray]:
        for i, (c, p) in enumerate(zip(track.coefficients, track.pose)):
            face = mesh.frame(c, p)
            if beside is not None:
                left = beside.render(c, p)
                h = face.shape[0]
                w = max(2, round(left.shape[1] * h / left.shape[0]) // 2 * 2)
                face = np.concatenate([cv2.resize(left, (w, h), interpolation=cv2.INTER_AREA), face], axis=1)
            yield face
            progress("3d preview", i + 1, len(track))

    return write_video(output, frames(), track.fps, audio, duration=len(track) / track.fps)
