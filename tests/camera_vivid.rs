//! The V4L2 camera adapter (nokhwa) against a real V4L2 driver: vivid, the kernel's virtual
//! camera, in a Debian guest under qemu (kiosk-image/vivid-camera-test.sh), because these
//! machines' kernel has no media support at all. Opt-in, as it builds a root file system
//! once (about 4 min) and boots a guest (about a minute):
//!
//!     cargo test --test camera_vivid -- --ignored
//!
//! `examgate camera list` must name vivid's capture node and `examgate camera snap` must
//! bring back a 640x480 frame of its test pattern: the eight colour bars in their places.

mod common;

#[test]
#[ignore = "opt-in: boots a qemu guest with the vivid camera (about 5 min the first time)"]
fn snap_reads_a_frame_from_a_real_v4l2_driver() {
    let work = std::env::var_os("EXAMGATE_VIVID_WORK")
        .map_or_else(|| std::env::temp_dir().join("examgate-vivid"), Into::into);
    let out = std::process::Command::new(common::root().join("kiosk-image/vivid-camera-test.sh"))
        .arg(env!("CARGO_BIN_EXE_examgate"))
        .arg(&work)
        .output()
        .expect("vivid-camera-test.sh runs");
    let said = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("/dev/video0") && said.contains("vivid"),
        "{said}"
    );
    assert!(
        said.contains("frame written") && said.contains("rc=0"),
        "{said}"
    );
    let frame = image::open(work.join("frame.png"))
        .expect("the guest's frame is a PNG")
        .to_rgb8();
    assert_eq!(frame.dimensions(), (640, 480), "{said}");
    // vivid's default pattern: 75 % colour bars, left to right. Right colours in the right
    // places mean the pixel format was decoded and the channels kept in order.
    let bars = [
        [191, 191, 191],
        [191, 191, 0],
        [0, 191, 191],
        [0, 191, 0],
        [191, 0, 191],
        [191, 0, 0],
        [0, 0, 191],
        [0, 0, 0],
    ];
    for (i, want) in bars.iter().enumerate() {
        let got = frame.get_pixel(40 + 80 * i as u32, 400).0;
        let close = got.iter().zip(want).all(|(g, w)| g.abs_diff(*w) <= 24);
        assert!(close, "bar {i}: {got:?}, expected about {want:?}");
    }
}
