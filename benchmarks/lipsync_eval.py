"""Lip-sync accuracy and speed against ground-truth phone timings.

Three sources of truth, none of them emoface's own recogniser:

- espeak-ng: synthetic speech with exact phoneme events (robotic voice);
- Piper (the --say voice): natural synthetic speech with exact alignments;
- LibriVox clips from Debian's pocketsphinx-testdata (real recordings, with
  transcripts), scored against pocketsphinx forced alignment of the
  transcript (the transcript path is scored against its own alignment there,
  so only its synthetic figures are independent).

Each clip runs through the same code as ``emoface blendshapes``: free speech
(phone recognition), with the transcript (forced alignment), acoustic only,
and for Piper the synthesiser's own timings (the --say path). Rhubarb Lip
Sync runs on the same audio when it is installed (``RHUBARB`` env var or on
PATH). Metrics are defined in ``lipsync_score.py``.

Run: make lipsync-eval  (writes docs/lipsync.md); ``--rendered`` re-measures only
the rendered-video section (every emotion), in place.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lipsync_score import CLOSED, pool, score  # noqa: E402

from emoface.drivers.features import frame_times, n_frames, speech_level  # noqa: E402
from emoface.drivers.lipsync.coarticulation import segment_frames  # noqa: E402
from emoface.drivers.lipsync import lipsync  # noqa: E402
from emoface.drivers.lipsync.phones import Segment, arpabet_segments, ipa_segments  # noqa: E402
from emoface.drivers.lipsync.sphinx import align  # noqa: E402
from emoface.media.audio import ANALYSIS_RATE, Audio, load_audio  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LIBRIVOX = Path("/usr/share/pocketsphinx/test/data/librivox")
FPS = 25.0

SENTENCES = [
    "Bob bought a map and maybe a pink umbrella for his mom.",
    "Please pass the butter, Pam. The bread is still warm.",
    "My father wanted a hot cup of coffee at noon.",
    "The quick brown fox jumps over the lazy dog.",
    "We will move the boxes from the parked van to the barn.",
    "Who knew that a few blue moons would pass by so soon?",
    "Bring me both maps, please, before the boat leaves the harbor.",
    "I am happy to be a part of this program.",
    "Peter Piper picked a peck of pickled peppers.",
    "Umbrellas sometimes blow away in a big storm.",
]


@dataclass
class Clip:
    name: str
    audio: Audio
    text: str
    truth: list[Segment]
    phones: list | None = None  # exact synthesiser phones, for the --say path
    alphabet: str = "arpabet"


def espeak_clips() -> list[Clip]:
    from espeak_truth import synthesize

    out = []
    for i, s in enumerate(SENTENCES):
        x, rate, phones = synthesize(s)
        out.append(Clip(f"espeak-{i}", Audio(x[:, None].astype(np.float32), rate), s,
                        arpabet_segments(phones)))
    return out


FOREIGN = [
    ("de", "Guten Morgen, wie geht es Ihnen heute? Mein Bruder baut ein Boot."),
    ("de", "Bitte bring mir Milch und Brot vom Markt mit."),
    ("fr", "Bonjour mon ami, je voudrais un peu de pain et du beurre."),
    ("fr", "Le petit bateau passe sous le pont de pierre."),
    ("es", "Buenos días, me gustaría probar la paella de mariscos."),
    ("es", "Mi madre compró un vestido blanco para la boda."),
]


def foreign_clips() -> list[Clip]:
    """espeak-ng speech in German, French and Spanish (truth phones mapped to
    their nearest English class: lips close on p/b/m in every language)."""
    import warnings

    from espeak_truth import synthesize

    out = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # phonemes without an exact English class
        for i, (voice, s) in enumerate(FOREIGN):
            x, rate, phones = synthesize(s, voice=voice)
            out.append(Clip(f"{voice}-{i}", Audio(x[:, None].astype(np.float32), rate), s,
                            arpabet_segments(phones)))
    return out


def piper_clips() -> list[Clip]:
    from emoface.media.tts import synthesize

    out = []
    for i, s in enumerate(SENTENCES):
        sp = synthesize(s)
        out.append(Clip(f"piper-{i}", sp.audio, s, ipa_segments(sp.phones), sp.phones, "ipa"))
    return out


def librivox_clips() -> list[Clip]:
    texts = {}
    for line in (LIBRIVOX / "transcription").read_text().splitlines():
        words, _, name = line.rpartition("(")
        texts[name.strip(") ")] = words.replace("<s>", "").replace("</s>", "").strip()
    out = []
    for wav in sorted(LIBRIVOX.glob("*.wav")):
        audio = load_audio(wav)
        truth = arpabet_segments(align(audio.mono(ANALYSIS_RATE), texts[wav.stem]))
        out.append(Clip(wav.stem[-4:], audio, texts[wav.stem], truth))
    return out


def emoface_curves(clip: Clip, method: str) -> tuple[np.ndarray, float]:
    """(T, 52) mouth layer and seconds taken, for one method."""
    t0 = time.perf_counter()
    signal = clip.audio.mono(ANALYSIS_RATE)
    frames = n_frames(clip.audio.duration, FPS)
    level = speech_level(signal, ANALYSIS_RATE, FPS, frames)
    kw = {"free": {"mode": "phonetic"}, "auto": {"mode": "auto"},
          "transcript": {"mode": "phonetic", "text": clip.text},
          "acoustic": {"mode": "acoustic"},
          "synthesis": {"mode": "phonetic", "phones": clip.phones, "alphabet": clip.alphabet}}[method]
    layer = lipsync(signal, ANALYSIS_RATE, FPS, level, **kw).layer
    return layer, time.perf_counter() - t0


# Rhubarb mouth shapes as ARKit-like curves: A closed (p b m), B teeth
# together, C open, D wide open, E rounded, F puckered, G f/v, H l, X rest.
# Only A (p b m) and X (rest) have the lips together; B shows clenched teeth
# between parted lips, G the lower lip under the upper teeth.
_RHUBARB = {"A": 0.0, "B": 0.12, "C": 0.35, "D": 0.6, "E": 0.3, "F": 0.15, "G": 0.1,
            "H": 0.25, "X": 0.0}


def rhubarb_exe() -> str | None:
    return os.environ.get("RHUBARB") or shutil.which("rhubarb")


def rhubarb_curves(clip: Clip, with_text: bool) -> tuple[np.ndarray, float]:
    from emoface.motion import ARKIT_NAMES

    exe = rhubarb_exe()
    frames = n_frames(clip.audio.duration, FPS)
    with tempfile.TemporaryDirectory() as d:
        wav = Path(d) / "a.wav"
        Audio(clip.audio.mono(16000)[:, None], 16000).write_wav(wav)
        cmd = [exe, "-f", "json", "-q", str(wav)]
        if with_text:
            (Path(d) / "t.txt").write_text(clip.text)
            cmd += ["-d", str(Path(d) / "t.txt")]
        t0 = time.perf_counter()
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        took = time.perf_counter() - t0
    cues = json.loads(res.stdout)["mouthCues"]
    t = frame_times(frames, FPS)
    coeffs = np.zeros((frames, len(ARKIT_NAMES)), np.float32)
    for cue in cues:
        jaw = _RHUBARB[cue["value"]]
        sel = (t >= cue["start"]) & (t < cue["end"])
        coeffs[sel, ARKIT_NAMES.index("jawOpen")] = jaw
    return coeffs, took


def evaluate(clips: list[Clip], methods: list[str]) -> dict[str, dict]:
    results = {}
    for method in methods:
        rows, took = [], 0.0
        for clip in clips:
            if method.startswith("rhubarb"):
                coeffs, dt = rhubarb_curves(clip, method == "rhubarb+text")
            else:
                coeffs, dt = emoface_curves(clip, method)
            rows.append(score(coeffs, FPS, clip.truth))
            took += dt
        duration = sum(c.audio.duration for c in clips)
        results[method] = {**pool(rows), "x_realtime": duration / took}
        r = results[method]
        print(f"  {method:<13} bilabial {r['bilabial_closed']:.2f}  open {r['open_vowel_opened']:.2f}  "
              f"silence {r['silence_closed']:.2f}  r {r['openness_r']:.2f}  "
              f"offset {r['offset_ms']:+.0f} ms  {r['x_realtime']:.0f}x rt", flush=True)
    return results


def _lip_gaps(frames, detector, predictor, tracker) -> tuple[np.ndarray, np.ndarray]:
    """Inner-lip gap over mouth width per frame, as dlib's 68-point model
    and as MediaPipe's face mesh read it (NaN where no face is found)."""
    dl, mp = [], []
    for frame in frames:
        box = detector(frame, 0)
        if box:
            p = predictor(frame, box[0])
            inner = np.mean([p.part(i).y for i in (65, 66, 67)]) - np.mean([p.part(i).y for i in (61, 62, 63)])
            dl.append(inner / max(p.part(54).x - p.part(48).x, 1))
        else:
            dl.append(np.nan)
        faces = tracker.track(frame)
        if faces:
            lm = max(faces, key=lambda f: f.bbox[2] * f.bbox[3]).landmarks
            mp.append(float(lm[14, 1] - lm[13, 1]) / max(float(lm[291, 0] - lm[61, 0]), 1.0))
        else:
            mp.append(np.nan)
    return np.array(dl), np.array(mp)


def _gap_scores(gaps: np.ndarray, truth: list[Segment], tally: dict[str, list], fps: float = FPS) -> None:
    n = len(gaps)
    t = frame_times(n, fps)
    for seg in truth:
        sel = segment_frames(seg.start, seg.end, fps, n)
        if not len(sel) or np.isnan(gaps[sel]).all():
            continue
        if seg.viseme == "PP":
            tally["closed"].append(bool(np.nanmin(gaps[sel]) < 0.05))
        elif seg.viseme in ("aa", "O") and seg.end - seg.start >= 0.06:
            tally["opened"].append(bool(np.nanmax(gaps[sel]) > 0.15))
        elif seg.viseme == "sil":
            inner = (t >= seg.start + 0.1) & (t < seg.end - 0.1)
            tally["pause"] += list(gaps[inner][~np.isnan(gaps[inner])] < 0.05)


def rendered(clips: list[Clip], runs: list[tuple[str, str]], photo: np.ndarray | None = None,
             label: str = "") -> dict[str, dict]:
    """The same scores read off rendered video by two landmark models that
    are not emoface's: dlib's 68 points and MediaPipe's face mesh, from the
    inner-lip gap over the mouth's width. Lips count as closed under 0.05
    and open over 0.15. ``runs`` are (method, emotion) pairs; emotions are
    rendered at intensity 1.0."""
    import dlib
    import face_recognition_models as frm
    import skimage.data

    from emoface.face.tracker import FaceTracker
    from emoface.media.audio import Speech
    from emoface.options import MotionOptions
    from emoface.pipeline import frames_of, make_track, prepare_portrait

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(frm.pose_predictor_model_location())
    renderer = prepare_portrait(skimage.data.astronaut() if photo is None else photo)
    out = {}
    with FaceTracker() as tracker:
        for method, emotion in runs:
            tallies = {j: {"closed": [], "opened": [], "pause": []} for j in ("dlib", "mediapipe")}
            for clip in clips:
                speech = Speech(clip.audio, text=clip.text if method == "transcript" else None)
                opts = MotionOptions(lipsync="phonetic", head_motion=0, blinks_per_minute=0,
                                     emotion=emotion, intensity=1.0)
                track = make_track(speech, opts)
                gaps = _lip_gaps(frames_of(renderer, track), detector, predictor, tracker)
                for judge, g in zip(tallies, gaps):
                    _gap_scores(g, clip.truth, tallies[judge])
            key = (method if emotion == "neutral" else f"{method}, {emotion}") + label
            out[key] = {j: {"bilabial_closed": float(np.mean(t["closed"])), "bilabials": len(t["closed"]),
                            "open_vowel_opened": float(np.mean(t["opened"])),
                            "silence_closed": float(np.mean(t["pause"])) if t["pause"] else float("nan")}
                        for j, t in tallies.items()}
            d, m = out[key]["dlib"], out[key]["mediapipe"]
            print(f"  rendered {key:<24} bilabial {d['bilabial_closed']:.2f}/{m['bilabial_closed']:.2f}  "
                  f"open {d['open_vowel_opened']:.2f}/{m['open_vowel_opened']:.2f}  "
                  f"silence {d['silence_closed']:.2f}/{m['silence_closed']:.2f} (dlib/mediapipe)", flush=True)
    return out


RENDERED_TITLE = "### Rendered video (LibriVox, astronaut portrait), judged by dlib and MediaPipe"


def rendered_section() -> list[str]:
    """Rendered-video lip sync, neutral and under every emotion at full intensity."""
    from emoface.options import EMOTIONS

    runs = [("free", "neutral"), ("transcript", "neutral")] + [("transcript", e) for e in EMOTIONS[1:]]
    seen = rendered(librivox_clips(), runs)
    # A bearded face must open as visibly as a shaven one (held-out portrait, scripts/portraits.sh).
    beard = ROOT / ".cache" / "portraits" / "extra" / "chuck.jpg"
    if beard.is_file():
        from emoface.media.image import load_image

        seen.update(rendered(librivox_clips(), [("transcript", "neutral")], load_image(beard),
                             " (bearded held-out portrait)"))

    def cell(r: dict, key: str) -> str:
        return f"{r['dlib'][key]:.2f} / {r['mediapipe'][key]:.2f}"

    return [RENDERED_TITLE, "",
            "The mouth curves rendered on the built-in portrait and read back by two landmark "
            "models that are not emoface's, dlib's 68 points and MediaPipe's face mesh "
            "(each cell: dlib / MediaPipe): lips closed when the inner-lip gap is under 5 % "
            "of the mouth's width, open over 15 %. Emotions at `--intensity 1.0`, with the "
            "transcript; the last row is a held-out portrait with a full beard.", "",
            "| method, emotion | bilabial closed | open vowels opened | silence closed |", "|---|---|---|---|",
            *[f"| {m} | {cell(r, 'bilabial_closed')} ({r['dlib']['bilabials']}) "
              f"| {cell(r, 'open_vowel_opened')} | {cell(r, 'silence_closed')} |" for m, r in seen.items()], ""]


def splice_rendered() -> None:
    """Re-measure only the rendered-video section of docs/lipsync.md."""
    path = ROOT / "docs" / "lipsync.md"
    lines = path.read_text().split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("### Rendered video"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("#"))
    path.write_text("\n".join(lines[:start] + rendered_section() + lines[end:]))
    print(f"updated {path}")


def long_speed() -> dict[str, float]:
    """Audio -> mouth layer on ~60 s of real speech (phone recognition, all cores)."""
    parts = [load_audio(p).mono(ANALYSIS_RATE) for p in sorted(LIBRIVOX.glob("*.wav"))]
    signal = np.concatenate(parts * 3)
    clip = Clip("long", Audio(signal[:, None], ANALYSIS_RATE), "", [])
    _, took = emoface_curves(clip, "free")
    return {"seconds": len(signal) / ANALYSIS_RATE, "took": took,
            "x_realtime": len(signal) / ANALYSIS_RATE / took}


def table(title: str, res: dict[str, dict]) -> list[str]:
    lines = [f"### {title}", "",
             "| method | bilabial closed | open vowels opened | silence closed | openness r "
             "| offset ms | speed (x real time) |", "|---|---|---|---|---|---|---|"]
    def num(x: float) -> str:
        return "-" if np.isnan(x) else f"{x:.2f}"

    for m, r in res.items():
        speed = f"{r['x_realtime']:.0f}" if r["x_realtime"] >= 10 else f"{r['x_realtime']:.1f}"
        lines.append(f"| {m} | {num(r['bilabial_closed'])} ({r['bilabials']}) "
                     f"| {num(r['open_vowel_opened'])} | {num(r['silence_closed'])} "
                     f"| {r['openness_r']:.2f} | {r['offset_ms']:+.0f} | {speed} |")
    return lines + [""]


def main() -> None:
    rh = ["rhubarb", "rhubarb+text"] if rhubarb_exe() else []
    sections = []
    for title, make, methods in [
        ("Piper voice (natural synthetic speech, exact phone timings)", piper_clips,
         ["synthesis", "transcript", "free", "auto", "acoustic", *rh]),
        ("espeak-ng (robotic synthetic speech, exact phone events)", espeak_clips,
         ["transcript", "free", "auto", "acoustic", *rh]),
        ("LibriVox recordings (real speech; truth = forced alignment of the transcript)",
         librivox_clips, ["free", "auto", "acoustic", "transcript", *rh]),
        ("Other languages: espeak-ng German, French, Spanish (no transcript path: "
         "the aligner knows English words only)", foreign_clips, ["free", "auto", "acoustic", *rh[:1]]),
    ]:
        print(title, flush=True)
        clips = make()
        sections += table(f"{title}: {len(clips)} clips, {sum(c.audio.duration for c in clips):.0f} s",
                          evaluate(clips, methods))
    print("Rendered video, judged by dlib and MediaPipe", flush=True)
    sections += rendered_section()
    speed = long_speed()
    print(f"long clip: {speed['seconds']:.0f} s in {speed['took']:.2f} s = {speed['x_realtime']:.0f}x real time")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    doc = [
        "# Lip sync: measured accuracy", "",
        "Produced by `benchmarks/lipsync_eval.py` (`make lipsync-eval`) on " + machine + ".", "",
        "Methods: **synthesis** = the `--say` path (the synthesiser's own phone timings); "
        "**transcript** = forced alignment of the known text (`--text`); **free** = phone "
        "recognition without a transcript; **auto** = the default (`--lipsync auto`: free "
        "unless recognition looks unreliable, then acoustic); **acoustic** = spectrum only "
        "(`--lipsync acoustic`, any language)" + ("; **rhubarb** = Rhubarb Lip Sync on the "
                                                 "same audio" if rh else "") + ".", "",
        f"Lips count as closed when the aperture (jawOpen - mouthClose + 0.3 mouthLowerDown "
        f"+ 0.2 mouthUpperUp) is under {CLOSED}; the other metrics are defined in "
        "`benchmarks/lipsync_score.py`. Bilabial counts in brackets. Offsets are positive "
        "when the mouth moves late. Speeds here are per short clip and include loading the "
        "recogniser; the long-audio figure below is the steady state.", "",
        "**In short.** With a transcript (or with `--say`) every p, b and m closes the lips "
        "in nearly every case; without one, phone recognition still closes 76-93 % of them, "
        "against 17-66 % for Rhubarb Lip Sync on the same audio, while running 30-70 times "
        "faster. Pauses rest closed. The acoustic driver opens on vowels and rests in pauses "
        "but closes few bilabials: use it for singing, or when speed matters more than lips.", "",
        *sections,
        "### Speed on long audio", "",
        f"Audio to mouth curves for {speed['seconds']:.0f} s of real speech (phone recognition, "
        f"decoded in chunks on {os.cpu_count()} cores): {speed['took']:.2f} s, "
        f"**{speed['x_realtime']:.0f}x real time**. An hour of speech end to end through "
        "`emoface blendshapes`, with its memory, is in [benchmarks.md](benchmarks.md).", "",
        "## The viseme set", "",
        "Phones map to 18 visemes (table in `src/emoface/drivers/lipsync/visemes.py`):", "",
        "| viseme | phones (ARPAbet) | mouth |", "|---|---|---|",
        "| sil | pauses | lips together, jaw shut |",
        "| PP | P B M | lips sealed and pressed; always closes, even in 30 ms |",
        "| FF | F V | lower lip under the upper teeth |",
        "| TH | TH DH | tongue between the teeth |",
        "| DD | T D N L | jaw a little open, lips follow neighbours |",
        "| kk | K G NG | jaw half open, lips follow neighbours |",
        "| CH | CH JH SH ZH | lips forward in a square funnel |",
        "| SS | S Z | teeth together, lips spread |",
        "| RR | R | lightly rounded |",
        "| WW | W | tight pucker |",
        "| HH | HH | takes the next vowel's shape |",
        "| aa | AA AE (and the start of AY AW) | jaw dropped |",
        "| ah | AH | half open |",
        "| E | EH (start of EY) | mid open, spread |",
        "| I | IH IY Y (end of AY EY OY) | nearly closed, spread |",
        "| O | AO (start of OW OY) | open, rounded |",
        "| U | UH UW (end of OW AW) | small and rounded |",
        "| ER | ER | mid, lightly rounded |", "",
    ]
    out = ROOT / "docs" / "lipsync.md"
    out.write_text("\n".join(doc))
    print(f"wrote {out}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--rendered"]:
        splice_rendered()
    else:
        main()
