#!/usr/bin/env bash
# Install what building, testing and running examgate needs on Debian 12, as root.
# Idempotent and quiet when everything is there; says what it installs.
set -euo pipefail
say() { printf 'setup: %s\n' "$*" >&2; }

export DEBIAN_FRONTEND=noninteractive
pkgs=(ca-certificates curl gcc g++ pkg-config   # g++: libFuzzer for the fuzz targets
      libpcsclite-dev pcscd      # the pcsc crate links libpcsclite; pcscd serves real readers
      libopenjp2-tools           # opj_compress: the tests make JPEG 2000 portraits with it
      libfontconfig1-dev libfreetype-dev   # slint finds the screen fonts through fontconfig
      libclang1-14               # nokhwa's V4L2 bindings are generated with bindgen at build time
      fonts-wqy-microhei)        # a CJK font: without one the Chinese screens render blank
if [ "${1:-}" = --card-tests ]; then
  # The virtual reader and passport of ../shared/tools (card-testing.md): never on a kiosk.
  pkgs+=(vsmartcard-vpcd pcsc-tools openssl
         python3-virtualsmartcard python3-pycryptodome python3-pil
         xvfb xauth                # the demo's real window on a virtual X display
         chromium                  # the office report opened headless, with a screenshot
         shellcheck                # .ci/run checks the kiosk image's scripts
         fdisk)                    # ... and runs kiosk-image/test-reimage (sfdisk)
fi
command -v npm >/dev/null || pkgs+=(npm)                       # models/fetch.sh: npm pack
python3 -m pip --version >/dev/null 2>&1 || command -v pip >/dev/null || pkgs+=(python3-pip)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  if [ ! -f /tmp/.examgate-apt-updated ]; then
    apt-get update -qq && touch /tmp/.examgate-apt-updated
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null && [ ! -x "$HOME/.cargo/bin/cargo" ]; then
  say "installing the Rust toolchain with rustup (pinned by rust-toolchain.toml)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --default-toolchain none
fi
say "Debian packages and Rust toolchain ready"
