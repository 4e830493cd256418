#!/usr/bin/env bash
# Real public-domain portraits from the registries, for rig and renderer benchmarks:
#   PyPI face_recognition 1.3.0 sdist: tests/test_images/{obama,obama2,biden}.jpg
#     (official White House photographs, US government work, public domain);
#   Debian facedetect: examples/grace_hopper_512x512.jpg (US Navy portrait, public domain).
# Unpacked into .cache/portraits.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.cache/portraits
mkdir -p "$out" .cache/tmp-portraits
PY=${PY:-.venv/bin/python}
if [ ! -f "$out/obama.jpg" ]; then
  "$PY" -m pip download -q face_recognition==1.3.0 --no-deps --no-binary :all: -d .cache/tmp-portraits
  tar xzf .cache/tmp-portraits/face_recognition-1.3.0.tar.gz -C .cache/tmp-portraits
  for f in obama obama2 biden; do
    cp ".cache/tmp-portraits/face_recognition-1.3.0/tests/test_images/$f.jpg" "$out/$f.jpg"
  done
fi
if [ ! -f "$out/grace_hopper.jpg" ]; then
  (cd .cache/tmp-portraits && apt-get download facedetect >/dev/null 2>&1 && dpkg -x facedetect_*.deb deb)
  cp .cache/tmp-portraits/deb/usr/share/doc/facedetect/examples/grace_hopper_512x512.jpg "$out/grace_hopper.jpg"
fi
rm -rf .cache/tmp-portraits
echo "portraits ready in $out"
