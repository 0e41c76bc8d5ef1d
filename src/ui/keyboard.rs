//! A plugged keyboard must not stop the kiosk. slint's direct-KMS backend quits its event
//! loop on Ctrl+Alt+Delete and Ctrl+Alt+BackSpace (a desktop's "kill the display server"),
//! which at an exam door ends the kiosk: the barcode scanner is a USB keyboard, and so is
//! anything a candidate plugs in. On the kiosk image the window is opened through
//! [`install_direct_kms`], which puts [`QuitChordGuard`] in front of the backend's
//! keyboard handling so those presses never reach it.
//!
//! The same hook keeps a plugged mouse's relative motion from the backend: the kiosk is
//! touched, and the backend draws a pointer wherever a mouse has moved. Absolute pointers
//! (touch panels that report as tablets) still move and click.

/// Linux evdev key codes (linux/input-event-codes.h).
const KEY_LEFTCTRL: u32 = 29;
const KEY_RIGHTCTRL: u32 = 97;
const KEY_LEFTALT: u32 = 56;
const KEY_RIGHTALT: u32 = 100;
const KEY_DELETE: u32 = 111;
const KEY_BACKSPACE: u32 = 14;

/// Follows the Ctrl and Alt keys held on every keyboard (the backend's modifier state is
/// one for all of them too) and says which presses complete a quitting chord.
#[derive(Debug, Default)]
pub struct QuitChordGuard {
    ctrl: [bool; 2],
    alt: [bool; 2],
}

impl QuitChordGuard {
    /// Key `code` went down (`pressed`) or up; whether the event must be kept from the
    /// backend.
    pub fn swallow(&mut self, code: u32, pressed: bool) -> bool {
        match code {
            KEY_LEFTCTRL => self.ctrl[0] = pressed,
            KEY_RIGHTCTRL => self.ctrl[1] = pressed,
            KEY_LEFTALT => self.alt[0] = pressed,
            KEY_RIGHTALT => self.alt[1] = pressed,
            KEY_DELETE | KEY_BACKSPACE => {
                return pressed && self.ctrl.contains(&true) && self.alt.contains(&true)
            }
            _ => {}
        }
        false
    }
}

/// With `SLINT_BACKEND=linuxkms[-RENDERER]` (the kiosk image's unit), makes slint's
/// direct-KMS backend the platform, with the guard on its libinput events; otherwise
/// leaves slint to pick its backend. Call before the first window.
#[cfg(feature = "kms")]
pub fn install_direct_kms() -> anyhow::Result<()> {
    use input::event::keyboard::{KeyState, KeyboardEvent, KeyboardEventTrait};
    use input::event::PointerEvent;
    use input::Event;

    let wanted = std::env::var("SLINT_BACKEND").unwrap_or_default();
    let Some(rest) = wanted.strip_prefix("linuxkms") else {
        return Ok(());
    };
    let guard = std::cell::RefCell::new(QuitChordGuard::default());
    let mut builder = i_slint_backend_linuxkms::BackendBuilder::default().with_libinput_event_hook(
        Box::new(move |event| match event {
            Event::Keyboard(KeyboardEvent::Key(key)) => guard
                .borrow_mut()
                .swallow(key.key(), key.key_state() == KeyState::Pressed),
            Event::Pointer(PointerEvent::Motion(_)) => true,
            _ => false,
        }),
    );
    if let Some(renderer) = rest.strip_prefix('-').filter(|r| !r.is_empty()) {
        builder = builder.with_renderer_name(renderer.to_string());
    }
    let backend = builder
        .build()
        .map_err(|e| anyhow::anyhow!("the direct-KMS screen ({wanted}): {e}"))?;
    match slint::platform::set_platform(Box::new(backend)) {
        // The first-boot import screen came first: the guard is already in place.
        Ok(()) | Err(slint::platform::SetPlatformError::AlreadySet) => Ok(()),
        Err(e) => Err(anyhow::anyhow!("the direct-KMS screen ({wanted}): {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(guard: &mut QuitChordGuard, keys: &[(u32, bool)]) -> Vec<bool> {
        keys.iter().map(|&(k, p)| guard.swallow(k, p)).collect()
    }

    #[test]
    fn ctrl_alt_delete_and_backspace_are_swallowed_with_either_side() {
        for (ctrl, alt, key) in [
            (KEY_LEFTCTRL, KEY_LEFTALT, KEY_DELETE),
            (KEY_RIGHTCTRL, KEY_RIGHTALT, KEY_BACKSPACE),
            (KEY_LEFTCTRL, KEY_RIGHTALT, KEY_DELETE),
        ] {
            let mut g = QuitChordGuard::default();
            let got = feed(
                &mut g,
                &[(ctrl, true), (alt, true), (key, true), (key, false)],
            );
            assert_eq!(got, [false, false, true, false], "{ctrl} {alt} {key}");
            // Held: pressed again (a burst) is swallowed again.
            assert!(g.swallow(key, true));
        }
    }

    #[test]
    fn delete_and_backspace_alone_or_with_one_modifier_pass() {
        let mut g = QuitChordGuard::default();
        assert!(
            !g.swallow(KEY_BACKSPACE, true),
            "the scanner's or an editor's backspace"
        );
        let got = feed(&mut g, &[(KEY_LEFTCTRL, true), (KEY_DELETE, true)]);
        assert_eq!(got, [false, false]);
        let got = feed(
            &mut g,
            &[
                (KEY_LEFTCTRL, false),
                (KEY_LEFTALT, true),
                (KEY_DELETE, true),
            ],
        );
        assert_eq!(got, [false; 3]);
    }

    #[test]
    fn a_released_modifier_is_forgotten() {
        let mut g = QuitChordGuard::default();
        let got = feed(
            &mut g,
            &[
                (KEY_LEFTCTRL, true),
                (KEY_LEFTALT, true),
                (KEY_LEFTALT, false),
                (KEY_DELETE, true),
            ],
        );
        assert_eq!(got, [false; 4]);
        // Both Ctrl keys held, one let go: the other still counts.
        let got = feed(
            &mut g,
            &[
                (KEY_RIGHTCTRL, true),
                (KEY_LEFTCTRL, false),
                (KEY_RIGHTALT, true),
                (KEY_BACKSPACE, true),
            ],
        );
        assert_eq!(got, [false, false, false, true]);
    }
}
