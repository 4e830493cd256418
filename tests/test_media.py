import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from emoface.errors import InputError, OutputError
from emoface.media.atomic import atomic_path
from emoface.media.audio import load_audio
from emoface.media.image import load_image
from emoface.media.video import write_video

LENA_FORMATS = ["wav", "flac", "ogg", "mp3", "m4a", "aac", "webm", "opus", "aiff", "caf"]


@pytest.mark.parametrize("ext", LENA_FORMATS)
def test_every_container_decodes_to_the_same_speech(lena_dir, ext):
    ref = load_audio(lena_dir / "lena.wav")
    a = load_audio(lena_dir / f"lena.{ext}")
    assert abs(a.duration - ref.duration) < 0.1  # codecs pad by a few ms
    m = a.mono(16000)
    assert m.dtype == np.float32 and len(m) == pytest.approx(a.duration * 16000, abs=2)
    assert np.abs(m).max() > 0.1


def test_resample_any_rate_and_channels(tmp_path, alsa_wav):
    a = load_audio(alsa_wav)
    stereo = np.repeat(a.samples, 2, axis=1)
    sf.write(tmp_path / "s.wav", stereo, 44100)  # relabelled rate: a different clip length
    b = load_audio(tmp_path / "s.wav")
    assert b.samples.shape[1] == 2 and b.rate == 44100
    assert len(b.mono(16000)) == pytest.approx(b.duration * 16000, abs=2)


def test_audio_track_of_a_video(tmp_path, alsa_wav):
    audio = load_audio(alsa_wav)
    frames = [np.full((64, 64, 3), i * 5, np.uint8) for i in range(int(audio.duration * 25))]
    write_video(tmp_path / "v.mp4", frames, 25, audio)
    back = load_audio(tmp_path / "v.mp4")
    assert abs(back.duration - audio.duration) < 0.08


def test_bad_audio_inputs(tmp_path, alsa_wav):
    with pytest.raises(InputError, match="not found"):
        load_audio(tmp_path / "nope.wav")
    (tmp_path / "corrupt.mp3").write_bytes(b"ID3" + bytes(range(256)) * 40)
    with pytest.raises(InputError, match="corrupt.mp3"):
        load_audio(tmp_path / "corrupt.mp3")
    sf.write(tmp_path / "empty.wav", np.zeros((0, 1)), 16000)
    with pytest.raises(InputError, match="empty"):
        load_audio(tmp_path / "empty.wav")
    with pytest.raises(InputError, match="cap"):
        load_audio(alsa_wav, max_seconds=1.0)


def test_images_all_formats_exif_gray_rgba(tmp_path, astronaut):
    im = Image.fromarray(astronaut)
    for ext in ("jpg", "png", "webp"):
        im.save(tmp_path / f"a.{ext}")
        assert load_image(tmp_path / f"a.{ext}").shape == (512, 512, 3)
    im.convert("L").save(tmp_path / "g.png")
    assert load_image(tmp_path / "g.png").shape == (512, 512, 3)
    rgba = im.convert("RGBA")
    rgba.putalpha(0)
    rgba.save(tmp_path / "t.png")
    assert load_image(tmp_path / "t.png").min() == 255  # transparent -> white
    wide = Image.fromarray(astronaut[:, :300])
    exif = wide.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    wide.save(tmp_path / "rot.jpg", exif=exif)
    assert load_image(tmp_path / "rot.jpg").shape == (300, 512, 3)


def test_bad_images(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_image(tmp_path / "none.jpg")
    (tmp_path / "bad.jpg").write_bytes(b"\xff\xd8\xff\xe0garbage")
    with pytest.raises(InputError, match="bad.jpg"):
        load_image(tmp_path / "bad.jpg")
    (tmp_path / "text.png").write_text("hello")
    with pytest.raises(InputError, match="cannot read image"):
        load_image(tmp_path / "text.png")


def test_atomic_output_never_leaves_partial_files(tmp_path):
    target = tmp_path / "out.bin"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_bytes(b"half")
            raise RuntimeError("boom")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    with pytest.raises(OutputError, match="does not exist"):
        with atomic_path(tmp_path / "no" / "dir" / "x.mp4"):
            pass


@pytest.mark.slow
def test_an_image_over_the_pixel_cap_is_refused_not_decoded(tmp_path):
    """Pillow itself only refuses beyond twice its limit; emoface refuses at it."""
    Image.new("RGB", (9000, 8000)).save(tmp_path / "huge.png")
    with pytest.raises(InputError, match="huge.png: image is larger than 67 megapixels"):
        load_image(tmp_path / "huge.png")
