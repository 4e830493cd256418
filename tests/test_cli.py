"""End to end through the CLI, as a user runs it."""

import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from emoface.cli import run
from support import media
from emoface.media.audio import load_audio

FFMPEG = None


def _video_duration(path):
    meta, frames = media.frames(path)
    return len(frames) / meta["fps"]


@pytest.fixture(scope="module")
def talking(tmp_path_factory, librivox_wav):
    import skimage.data
    from PIL import Image

    d = tmp_path_factory.mktemp("talk")
    Image.fromarray(skimage.data.astronaut()).save(d / "p.jpg")
    out = d / "talk.mp4"
    assert run(["--quiet", "generate", "--image", str(d / "p.jpg"), "--audio", str(librivox_wav),
                "-o", str(out), "--seed", "1", "--track", str(d / "talk.csv")]) == 0
    return out


@pytest.mark.slow
def test_generate_writes_h264_aac_with_matching_durations(talking, librivox_wav):
    info = media.probe(talking)
    assert "Video: h264" in info and "yuv420p" in info and "Audio: aac" in info
    assert "25 fps" in info
    audio = load_audio(librivox_wav).duration
    assert abs(_video_duration(talking) - audio) <= 1 / 25 + 1e-6
    assert abs(load_audio(talking).duration - audio) < 0.1
    # --track: the curves that were rendered, one row per video frame.
    from emoface.export import load_track

    assert len(load_track(talking.with_suffix(".csv"))) == len(media.frames(talking)[1])


@pytest.mark.slow
def test_an_independent_detector_sees_the_lips_follow_the_speech(talking, librivox_wav):
    """dlib's 68-point model (not MediaPipe) measures the inner-lip gap."""
    import dlib
    import face_recognition_models as frm

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(frm.pose_predictor_model_location())
    meta, frames = media.frames(talking)
    gaps = []
    for f in frames:
        box = detector(f, 1)
        assert box, "dlib lost the face"
        s = predictor(f, box[0])
        gaps.append(np.mean([s.part(i).y for i in (65, 66, 67)]) - np.mean([s.part(i).y for i in (61, 62, 63)]))
    gaps = np.array(gaps)
    from emoface.drivers.features import frame_rms

    audio = load_audio(librivox_wav)
    rms = frame_rms(audio.mono(16000), 16000, 25, len(gaps))
    loud = rms > np.percentile(rms, 70)
    quiet = rms < np.percentile(rms, 15)
    assert gaps[loud].mean() > gaps[quiet].mean() + 2.0  # pixels, in a 512 px frame
    assert np.corrcoef(gaps, rms)[0, 1] > 0.4
    assert np.ptp(gaps) > 5  # it rises and falls, not a constant offset


@pytest.mark.slow
def test_silence_gives_a_still_closed_mouth(tmp_path, portrait_png):
    sf.write(tmp_path / "silence.wav", np.zeros(16000 * 2, np.float32), 16000)
    out = tmp_path / "still.mp4"
    assert run(["--quiet", "generate", "--image", str(portrait_png), "--audio",
                str(tmp_path / "silence.wav"), "-o", str(out), "--head-motion", "0",
                "--blinks-per-minute", "0"]) == 0
    meta, frames = media.frames(out)
    assert len(frames) == 50
    diffs = [np.abs(frames[i].astype(int) - frames[0].astype(int)).mean() for i in (10, 49)]
    assert max(diffs) < 1.0


@pytest.mark.slow
def test_blendshapes_then_render(tmp_path, portrait_png, alsa_wav):
    csv = tmp_path / "m.csv"
    assert run(["--quiet", "blendshapes", "--audio", str(alsa_wav), "-o", str(csv), "--fps", "30"]) == 0
    lines = csv.read_text().splitlines()
    assert lines[0].startswith("Timecode,BlendShapeCount,EyeBlinkLeft")
    n = len(lines) - 1
    assert abs(n / 30 - load_audio(alsa_wav).duration) <= 1 / 30
    out = tmp_path / "r.mp4"
    assert run(["--quiet", "render", "--image", str(portrait_png), "--motion", str(csv),
                "--audio", str(alsa_wav), "-o", str(out)]) == 0
    assert "30 fps" in media.probe(out)


@pytest.mark.slow
def test_python_api_mirrors_the_cli(tmp_path, portrait_png, alsa_wav):
    import emoface

    res = emoface.generate(portrait_png, alsa_wav, output=tmp_path / "a.mp4",
                           motion=emoface.MotionOptions(emotion="sad", intensity=0.8, fps=24))
    assert res.path.exists() and res.track.fps == 24
    assert res.track.channel("mouthFrownLeft").max() > 0.4
    assert res.track.channel("jawOpen").max() > 0.2


def _fails(capsys, args, out=None, expect=""):
    code = run(["--quiet", *args])
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("emoface: error:"), err
    assert "Traceback" not in err
    assert expect in err, err
    if out is not None:
        assert not out.exists()
        assert not [p for p in out.parent.iterdir() if ".partial" in p.name]
    return err


@pytest.mark.slow
def test_bad_inputs_fail_cleanly(tmp_path, capsys, portrait_png, alsa_wav):
    out = tmp_path / "o.mp4"
    gen = ["generate", "--image", str(portrait_png), "--audio", str(alsa_wav), "-o", str(out)]
    _fails(capsys, ["generate", "--image", str(tmp_path / "missing.jpg"), "--audio", str(alsa_wav),
                    "-o", str(out)], out, "missing.jpg: image file not found")
    (tmp_path / "corrupt.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    _fails(capsys, ["generate", "--image", str(tmp_path / "corrupt.png"), "--audio", str(alsa_wav),
                    "-o", str(out)], out, "corrupt.png")
    from PIL import Image

    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(tmp_path / "wall.png")
    _fails(capsys, ["generate", "--image", str(tmp_path / "wall.png"), "--audio", str(alsa_wav),
                    "-o", str(out)], out, "no face found")
    (tmp_path / "bad.wav").write_bytes(b"RIFF....WAVEfmt garbage")
    _fails(capsys, gen[:3] + ["--audio", str(tmp_path / "bad.wav"), "-o", str(out)], out, "bad.wav")
    sf.write(tmp_path / "empty.wav", np.zeros((0, 1)), 16000)
    _fails(capsys, gen[:3] + ["--audio", str(tmp_path / "empty.wav"), "-o", str(out)], out, "empty")
    _fails(capsys, gen + ["--max-audio-seconds", "1"], out, "--max-audio-seconds")
    _fails(capsys, gen[:-1] + [str(tmp_path / "nodir" / "o.mp4")], None, "does not exist")
    _fails(capsys, gen + ["--intensity", "3"], out, "--intensity")
    for wrong in ("talk.gif", "talk.avi"):  # only mp4 is written, with its length matched to the audio
        _fails(capsys, gen[:-1] + [str(tmp_path / wrong)], tmp_path / wrong, "name it OUT.mp4")
    _fails(capsys, ["blendshapes", "--audio", str(alsa_wav), "-o", "/proc/x.csv"], None, "cannot write")
    _fails(capsys, gen + ["--fps", "100"], out, "--fps 100 is out of range")
    _fails(capsys, ["blendshapes", "--audio", str(alsa_wav), "-o", str(tmp_path / "m.bvh")], None,
           "unknown motion format")
    _fails(capsys, gen + ["--articulation", "5"], out, "--articulation")
    _fails(capsys, gen + ["--track", str(tmp_path / "m.bvh")], out, "unknown motion format")
    _fails(capsys, gen + ["--track", str(tmp_path / "nodir" / "m.csv")], out, "m.csv: output folder")
    _fails(capsys, gen + ["--text", str(tmp_path / "missing.txt")], out, "missing.txt: transcript file not found")
    _fails(capsys, gen + ["--text", "  "], out, "--text is empty")
    _fails(capsys, gen + ["--text", "?!"], out, "no words")
    (tmp_path / "blank.txt").write_text("  \n")
    _fails(capsys, gen + ["--text", str(tmp_path / "blank.txt")], out, "blank.txt: transcript file is empty")
    # blendshapes decodes straight to 16 kHz through ffmpeg: the same bad files, the same lines
    csv = tmp_path / "m.csv"
    _fails(capsys, ["blendshapes", "--audio", str(tmp_path / "bad.wav"), "-o", str(csv)], csv, "bad.wav")
    _fails(capsys, ["blendshapes", "--audio", str(tmp_path / "empty.wav"), "-o", str(csv)], csv, "empty")
    _fails(capsys, ["blendshapes", "--audio", str(tmp_path / "nope.wav"), "-o", str(csv)], csv,
           "nope.wav: audio file not found")
    _fails(capsys, ["blendshapes", "--say", "Hello there.", "--text", "Hello there.", "-o",
                    str(tmp_path / "m.csv")], tmp_path / "m.csv", "--text is the transcript of --audio")


@pytest.mark.slow
def test_transcript_from_flag_file_or_beside_the_audio(tmp_path, librivox_wav):
    import shutil

    import emoface
    from emoface.pipeline import load_speech

    text = "he was not an ill disposed young man"
    wav = tmp_path / "talk.wav"
    shutil.copy(librivox_wav, wav)
    assert load_speech(wav).text is None
    (tmp_path / "talk.txt").write_text(text + "\n")
    assert load_speech(wav).text.strip() == text  # picked up from beside the audio
    (tmp_path / "other.txt").write_text("something else")
    assert load_speech(wav, text=str(tmp_path / "other.txt")).text == "something else"
    assert load_speech(wav, text="words given inline").text == "words given inline"
    csv = tmp_path / "m.csv"
    assert run(["--quiet", "blendshapes", "--audio", str(wav), "--lipsync", "phonetic",
                "-o", str(csv)]) == 0
    track = emoface.load_track(csv)
    # The m of "man" seals the lips: the closure cancels the jaw's parting
    # (measured: mouthClose up to 0.06 against a jaw as open).
    close, jaw = track.channel("mouthClose"), track.channel("jawOpen")
    assert ((close >= 0.04) & (jaw - close < 0.02)).any()


@pytest.mark.slow
def test_say_uses_the_synthesisers_phones(tmp_path):
    import emoface

    track = emoface.blendshapes(say="Maybe Bob will pop by.")
    ap = track.channel("jawOpen") - track.channel("mouthClose")
    assert (ap < 0.1).sum() >= 4 and ap.max() > 0.25


def test_unknown_emotion_and_usage_errors_exit_2(capsys, portrait_png, alsa_wav, tmp_path):
    out = tmp_path / "x.mp4"
    generate = ["generate", "--image", str(portrait_png), "--audio", str(alsa_wav), "-o", str(out)]
    for flags, message in ((["--emotion", "elated"], "unknown emotion 'elated'; use one of neutral, happy"),
                           (["--emotion", "0:happy, 9:sad"], "keyframe at 9 s is past the end of the speech"),
                           # The CLI names options as its flags.
                           (["--intensity", "5"], "error: --intensity 5 is out of range; use 0 to 1"),
                           (["--emotion", "0:happy, 2:glum"], "error: --emotion '2:glum': unknown emotion 'glum'")):
        _fails(capsys, generate + flags, out, message)
    with pytest.raises(SystemExit) as e:
        run(["generate", "--image", str(portrait_png), "--audio", str(alsa_wav),
             "-o", str(tmp_path / "x.mp4"), "--gaze", "cross-eyed"])
    assert e.value.code == 2 and "invalid choice: 'cross-eyed'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        run(["blendshapes", "--audio", str(alsa_wav), "-o", str(tmp_path / "x.csv"),
             "--lipsync", "telepathic"])
    assert e.value.code == 2


@pytest.mark.slow
def test_module_entry_point_prints_help():
    r = subprocess.run([sys.executable, "-m", "emoface", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "generate" in r.stdout


@pytest.mark.slow
def test_transcript_that_cannot_be_aligned_warns_in_one_line_and_goes_on(tmp_path, capsys):
    hiss = (np.random.default_rng(0).standard_normal(16000) * 1e-3).astype(np.float32)
    sf.write(tmp_path / "hiss.wav", hiss, 16000)
    out = tmp_path / "m.json"
    assert run(["--quiet", "blendshapes", "--audio", str(tmp_path / "hiss.wav"),
                "--text", "hello there my friend how are you today", "-o", str(out)]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("emoface: warning: the transcript could not be aligned")
    assert out.exists()


@pytest.mark.slow
def test_capture_writes_live_link_curves_and_render_replays_a_video(tmp_path, franck_mp4, portrait_png,
                                                                      librivox_wav):
    from emoface.export import load_track

    csv = tmp_path / "franck.csv"
    assert run(["--quiet", "capture", str(franck_mp4), "-o", str(csv)]) == 0
    track = load_track(csv)
    assert track.fps == 24.0 and len(track) > 280
    assert np.ptp(track.channel("jawOpen")) > 0.2
    # A driving video straight onto a portrait, with new speech muxed in.
    out = tmp_path / "reenact.mp4"
    assert run(["--quiet", "render", "--image", str(portrait_png), "--motion", str(franck_mp4),
                "--audio", str(librivox_wav), "--head-motion", "0.5", "-o", str(out)]) == 0
    meta, frames = media.frames(out)
    assert meta["fps"] == 24.0 and abs(len(frames) - len(track)) <= 1
    assert "Audio: aac" in media.probe(out)
    # 3 s of speech under 12 s of motion: padded with silence to the video's length.
    assert abs(load_audio(out).duration - len(frames) / 24) < 0.1


@pytest.mark.slow
def test_generate_takes_each_layer_from_its_own_source(tmp_path, franck_mp4, portrait_png, alsa_wav):
    out = tmp_path / "mixed.mp4"
    assert run(["--quiet", "generate", "--image", str(portrait_png), "--audio", str(alsa_wav),
                "--pose-from", str(franck_mp4), "--expression-from", str(franck_mp4),
                "--eyes-from", "none", "-o", str(out)]) == 0
    assert abs(_video_duration(out) - load_audio(alsa_wav).duration) < 0.1


@pytest.mark.slow
def test_bad_sources_fail_cleanly(tmp_path, capsys, portrait_png, alsa_wav, franck_mp4):
    import skimage.data

    from emoface.media.video import write_video

    out = tmp_path / "o.mp4"
    gen = ["generate", "--image", str(portrait_png), "--audio", str(alsa_wav), "-o", str(out)]
    _fails(capsys, gen + ["--pose-from", str(portrait_png)], out, "a photo holds no motion")
    _fails(capsys, gen + ["--mouth-from", str(tmp_path / "gone.mp4")], out, "gone.mp4: video file not found")
    _fails(capsys, gen + ["--eyes-from", "sideways"], out, "--eyes-from 'sideways': not a source")
    coffee = write_video(tmp_path / "coffee.mp4", [skimage.data.coffee()[:400, :600]] * 12, 24)
    _fails(capsys, gen + ["--pose-from", str(coffee)], out, "coffee.mp4: no face found in any of its 12 frames")
    from PIL import Image

    Image.fromarray(np.full((300, 300, 3), 128, np.uint8)).save(tmp_path / "wall.png")
    _fails(capsys, gen + ["--expression-from", str(tmp_path / "wall.png")], out, "wall.png: no face found")
    (tmp_path / "broken.jpg").write_bytes(b"\xff\xd8\xff not really")
    _fails(capsys, gen + ["--expression-from", str(tmp_path / "broken.jpg")], out, "broken.jpg")
    (tmp_path / "empty.mp4").write_bytes(b"")
    _fails(capsys, gen + ["--pose-from", str(tmp_path / "empty.mp4")], out, "empty.mp4")
    (tmp_path / "cols.csv").write_text("Timecode,Foo\n00:00:00:00.000,1\n")
    _fails(capsys, gen + ["--mouth-from", str(tmp_path / "cols.csv")], out, "cols.csv")
    csv = tmp_path / "c.csv"
    _fails(capsys, ["capture", str(coffee), "-o", str(csv)], csv, "no face found")
    _fails(capsys, ["capture", str(tmp_path / "nope.mp4"), "-o", str(csv)], csv, "nope.mp4: video file not found")
    _fails(capsys, ["capture", str(franck_mp4), "-o", str(tmp_path / "c.bvh")], None, "unknown motion format")
    _fails(capsys, ["render", "--image", str(portrait_png), "--motion", str(coffee), "-o", str(out)], out,
           "no face found")
    replay = ["render", "--image", str(portrait_png), "--motion", str(franck_mp4), "-o", str(out)]
    _fails(capsys, replay + ["--driver-reference", "abc"], out, "--driver-reference 'abc' is not a frame")
    _fails(capsys, replay + ["--driver-reference", "100000"], out, "has only")
    with pytest.raises(SystemExit) as e:  # argparse's own usage line, like --gaze
        run(["--quiet", *replay, "--motion-mode", "sideways"])
    assert e.value.code == 2 and "invalid choice: 'sideways'" in capsys.readouterr().err
    _fails(capsys, gen + ["--pose-from", str(franck_mp4), "--driver-reference", "-2"], out, "--driver-reference")


@pytest.mark.slow
def test_a_driving_video_with_sound_gives_the_render_its_sound(tmp_path, franck_mp4, portrait_png, librivox_wav):
    import emoface
    from emoface.media.video import open_video, write_video

    _, frames = open_video(franck_mp4)
    talk = load_audio(librivox_wav)
    clip = [f for i, f in enumerate(frames) if i < round(talk.duration * 24)]
    driving = write_video(tmp_path / "with_sound.mp4", clip, 24, talk)
    out = emoface.render(str(portrait_png), driving, output=tmp_path / "o.mp4")
    assert "Audio: aac" in media.probe(out)
    assert abs(load_audio(out).duration - talk.duration) < 0.1


def test_quiet_after_the_command_and_version(tmp_path, capsys, alsa_wav):
    out = tmp_path / "m.csv"
    assert run(["blendshapes", "--audio", str(alsa_wav), "-o", str(out), "--quiet"]) == 0
    assert capsys.readouterr().err == ""  # no progress bars
    with pytest.raises(SystemExit) as e:
        run(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.startswith("emoface ")


def test_help_gives_real_defaults_and_a_missing_photo_shows_no_bar(tmp_path, capsys, alsa_wav):
    with pytest.raises(SystemExit):
        run(["generate", "--help"])
    text = capsys.readouterr().out
    assert "(default: None)" not in text and "(default: auto, lip sync)" in text
    assert "(default: bundled) (default" not in text
    # Without --quiet: the bar starts only once the photo is read.
    code = run(["generate", "--image", str(tmp_path / "gone.jpg"), "--audio", str(alsa_wav),
                "-o", str(tmp_path / "o.mp4")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "gone.jpg" in err and "tracking" not in err, err
