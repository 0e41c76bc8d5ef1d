//! First boot: a kiosk without a room package takes its room's package from the USB stick
//! an invigilator inserts. No PIN is asked: only a package the exam office signed, for this
//! room, valid now and made with this kiosk's face model is taken, and it is checked again
//! after it is copied (the stick could change between the check and the copy), then moved
//! into place in one rename.

use std::path::{Path, PathBuf};

use ed25519_dalek::VerifyingKey;

use crate::decision::RoomRef;
use crate::package::format::PACKAGE_FILE;
use crate::package::open;

/// Where on the stick this room's package may be: the stick's top, `SITE/ROOM`, or
/// `packages/SITE/ROOM` (as `package build` writes them).
pub fn candidates(stick: &Path, room: &RoomRef) -> Vec<PathBuf> {
    vec![
        stick.to_path_buf(),
        stick.join(&room.site).join(&room.room),
        stick.join("packages").join(&room.site).join(&room.room),
    ]
}

/// What came of a look at the stick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No package for this room there (no stick, or nothing on it).
    Nothing,
    /// Imported from this directory.
    Imported(PathBuf),
    /// A package there was refused: why, naming it.
    Refused(String),
}

/// Look at the stick; import this room's package into `to` when one verifies.
pub fn import(
    stick: &Path,
    room: &RoomRef,
    office: &VerifyingKey,
    template_model: &str,
    now_ms: i64,
    to: &Path,
) -> Found {
    let Some(from) = candidates(stick, room)
        .into_iter()
        .find(|d| d.join(PACKAGE_FILE).is_file())
    else {
        return Found::Nothing;
    };
    let check = |dir: &Path| {
        open::open(dir, office, Some(room), now_ms)
            .and_then(|p| open::check_template_model(&p, template_model))
            .map_err(|e| format!("the package in {}: {e}", from.display()))
    };
    if let Err(why) = check(&from) {
        return Found::Refused(why);
    }
    let mut partial = to.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let copied = copy_files(&from, &partial).and_then(|()| check(&partial));
    if let Err(why) = copied {
        let _ = std::fs::remove_dir_all(&partial);
        return Found::Refused(why);
    }
    if let Err(e) = std::fs::rename(&partial, to) {
        let _ = std::fs::remove_dir_all(&partial);
        return Found::Refused(format!("moving the package into {}: {e}", to.display()));
    }
    Found::Imported(from)
}

/// Copy the regular files of `from` (a package is flat) into a new directory `to`.
fn copy_files(from: &Path, to: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let entries = std::fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", from.display()))?;
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            std::fs::copy(entry.path(), to.join(entry.file_name()))
                .map_err(|e| format!("copying {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_package_may_be_on_top_or_under_its_site_and_room() {
        let room = RoomRef {
            site: "S01".into(),
            room: "R101".into(),
        };
        let c = candidates(Path::new("/media/examgate-usb"), &room);
        assert_eq!(
            c,
            [
                PathBuf::from("/media/examgate-usb"),
                PathBuf::from("/media/examgate-usb/S01/R101"),
                PathBuf::from("/media/examgate-usb/packages/S01/R101"),
            ]
        );
        let empty = std::env::temp_dir().join(format!("examgate-import-{}", std::process::id()));
        let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]).verifying_key();
        assert_eq!(
            import(&empty, &room, &key, "x", 0, &empty.join("to")),
            Found::Nothing
        );
    }
}
