#!/usr/bin/env bash
# Opt-in test of the camera path against a real V4L2 driver. The build machines' kernel has
# no media support (no /dev/video*, no modules), so a Debian 12 guest under qemu loads vivid,
# the kernel's virtual camera, and runs `examgate camera list` and `examgate camera snap`
# there; their output and the frame come back out of the guest's disk image.
#
#   kiosk-image/vivid-camera-test.sh EXAMGATE_BINARY WORKDIR
#
# Writes WORKDIR/camera.txt (what the two commands printed, then rc=N) and WORKDIR/frame.png.
# Needs root and: mmdebstrap qemu-system-x86 e2fsprogs. The guest's root file system is
# built once (about 4 min, from the host's Debian mirror) and kept in WORKDIR/rootfs; a boot
# under TCG takes about a minute.
set -euo pipefail
say() { printf 'vivid: %s\n' "$*" >&2; }
[ $# -eq 2 ] || { echo "usage: $0 EXAMGATE_BINARY WORKDIR" >&2; exit 2; }
bin=$1 work=$2
for tool in mmdebstrap qemu-system-x86_64 mkfs.ext4 debugfs; do
  command -v "$tool" >/dev/null || { echo "vivid: $tool is missing (apt-get install mmdebstrap qemu-system-x86 e2fsprogs)" >&2; exit 2; }
done
mkdir -p "$work"
work=$(cd "$work" && pwd)
r=$work/rootfs
if [ ! -d "$r" ]; then
  say "building the guest's root file system in $r (once)"
  rm -rf "$r.tmp"
  mmdebstrap --variant=minbase \
    --include=systemd-sysv,udev,kmod,linux-image-amd64,initramfs-tools,libfontconfig1,libfreetype6,libpcsclite1 \
    bookworm "$r.tmp" /etc/apt/sources.list.d/debian.sources >"$work/mmdebstrap.log" 2>&1 \
    || { tail -20 "$work/mmdebstrap.log" >&2; exit 1; }
  mv "$r.tmp" "$r"
fi

install -m755 "$bin" "$r/usr/local/bin/examgate"
echo vivid >"$r/etc/modules-load.d/vivid.conf"
echo '/dev/vda / ext4 defaults 0 1' >"$r/etc/fstab"
rm -f "$r/root/camera.txt" "$r/root/frame.png"
cat >"$r/etc/systemd/system/camera-snap.service" <<'UNIT'
[Unit]
Description=examgate camera list and snap against vivid, then power off
After=systemd-modules-load.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'for i in $(seq 150); do [ -e /dev/video0 ] && break; sleep 0.2; done; \
  /usr/local/bin/examgate camera list >/root/camera.txt 2>&1; \
  /usr/local/bin/examgate camera snap --device 0 --width 640 --height 480 --out /root/frame.png >>/root/camera.txt 2>&1; \
  echo rc=$? >>/root/camera.txt; sync; systemctl poweroff'
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
UNIT
ln -sf /etc/systemd/system/camera-snap.service \
  "$r/etc/systemd/system/multi-user.target.wants/camera-snap.service"

say "making the disk image and booting the guest (qemu, TCG)"
rm -f "$work/root.img"
mkfs.ext4 -q -L root -d "$r" "$work/root.img" 2G
timeout 600 qemu-system-x86_64 -accel tcg -m 1024 -smp 2 \
  -kernel "$(find "$r/boot" -name 'vmlinuz-*' | sort | tail -1)" \
  -initrd "$(find "$r/boot" -name 'initrd.img-*' | sort | tail -1)" \
  -append "root=/dev/vda rw console=ttyS0,115200 quiet" \
  -drive "file=$work/root.img,if=virtio,format=raw" \
  -display none -serial "file:$work/serial.log" -no-reboot \
  || { say "qemu did not finish (see $work/serial.log)"; exit 1; }

rm -f "$work/camera.txt" "$work/frame.png"
debugfs -R "dump /root/camera.txt $work/camera.txt" "$work/root.img" >/dev/null 2>&1
debugfs -R "dump /root/frame.png $work/frame.png" "$work/root.img" >/dev/null 2>&1
[ -s "$work/camera.txt" ] || { say "the guest wrote no camera.txt (see $work/serial.log)"; exit 1; }
cat "$work/camera.txt"
