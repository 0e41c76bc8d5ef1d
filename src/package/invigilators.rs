//! `invigilators.csv`: `id, name, rooms, pin`, UTF-8 with a header. `rooms` lists the rooms
//! an invigilator may unlock as `SITE/ROOM`, separated by `;`. The PIN leaves this module
//! only as an Argon2id hash ([`hash_pins`]); the plain PIN is wiped when dropped.
//!
//! Every problem is reported with its line; a room a package is built for needs two
//! invigilators, because a seal and a face-mismatch admission each need two people.

use std::collections::{BTreeMap, HashMap};

use zeroize::Zeroizing;

use super::exam::is_code;
use super::{table, Problem, Rooms};
use crate::decision::RoomRef;

/// Invigilators a room needs: two attest the seal.
pub const PER_ROOM: usize = 2;

/// One validated invigilator.
pub struct Invigilator {
    /// Login id.
    pub id: String,
    /// Name shown on the kiosk.
    pub name: String,
    /// Rooms this invigilator may unlock.
    pub rooms: Vec<RoomRef>,
    /// The PIN, wiped on drop; only its hash goes into a package.
    pub pin: Zeroizing<String>,
    /// Line in the file, for later problems (room coverage).
    pub line: u64,
}

impl std::fmt::Debug for Invigilator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Invigilator")
            .field("id", &self.id)
            .field("rooms", &self.rooms)
            .field("pin", &"<secret>")
            .finish()
    }
}

/// Why a PIN is refused, or `None` when it is acceptable.
pub fn weak_pin(pin: &str) -> Option<&'static str> {
    let digits: Vec<i32> = pin
        .chars()
        .filter_map(|c| c.to_digit(10))
        .map(|d| d as i32)
        .collect();
    if digits.len() != pin.chars().count()
        || !(crate::invigilator::MIN_PIN_DIGITS..=12).contains(&digits.len())
    {
        return Some("must be 9 to 12 digits");
    }
    let steps: Vec<i32> = digits.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.iter().all(|&s| s == 0) {
        return Some("is one digit repeated");
    }
    if steps.iter().all(|&s| s == 1) || steps.iter().all(|&s| s == -1) {
        return Some("is a run of consecutive digits");
    }
    None
}

fn parse_room(text: &str) -> Option<RoomRef> {
    RoomRef::parse(text)
}

/// Parse and validate `text` against the exam's rooms.
pub fn parse(text: &str, rooms: &Rooms) -> Result<Vec<Invigilator>, Vec<Problem>> {
    let required: Vec<String> = ["id", "name", "rooms", "pin"].map(String::from).to_vec();
    let table = table::read(text, &required)?;

    let mut problems = Vec::new();
    let mut out = Vec::new();
    let mut ids: HashMap<String, u64> = HashMap::new();
    for row in &table.rows {
        let row = match row {
            Ok(r) => r,
            Err(problem) => {
                problems.push(problem.clone());
                continue;
            }
        };
        let line = row.line;
        let get = |name: &str| table.get(row, name);
        let before = problems.len();
        let mut bad = |reason: String| problems.push(Problem::new(Some(line), reason));
        let id = get("id");
        if !is_code(id) {
            bad(format!(
                "id {id:?} must be 1–32 letters, digits, '-' or '_'"
            ));
        } else if let Some(first) = ids.get(id) {
            bad(format!(
                "duplicate invigilator id {id} (first on line {first})"
            ));
        } else {
            ids.insert(id.to_string(), line);
        }
        if get("name").is_empty() {
            bad("name is empty".to_string());
        }
        let mut assigned = Vec::new();
        for part in get("rooms").split(';').filter(|p| !p.trim().is_empty()) {
            match parse_room(part) {
                Some(r) if rooms.contains_key(&r) => assigned.push(r),
                Some(r) => bad(format!("unknown room {}/{}", r.site, r.room)),
                None => bad(format!("room {part:?} is not written SITE/ROOM")),
            }
        }
        if get("rooms").trim().is_empty() {
            bad("rooms is empty".to_string());
        }
        // The PIN is never echoed into a message.
        if let Some(why) = weak_pin(get("pin")) {
            bad(format!("pin {why}"));
        }
        if problems.len() == before {
            out.push(Invigilator {
                id: id.to_string(),
                name: get("name").to_string(),
                rooms: assigned,
                pin: Zeroizing::new(get("pin").to_string()),
                line,
            });
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// Problems with the rooms that get a package: each needs [`PER_ROOM`] invigilators.
pub fn coverage<'a>(
    invigilators: &[Invigilator],
    rooms: impl IntoIterator<Item = &'a RoomRef>,
) -> Vec<Problem> {
    let mut per_room: HashMap<&RoomRef, Vec<&str>> = HashMap::new();
    for i in invigilators {
        for r in &i.rooms {
            per_room.entry(r).or_default().push(&i.id);
        }
    }
    let mut short: BTreeMap<(String, String), Vec<&str>> = BTreeMap::new();
    for r in rooms {
        let ids = per_room.get(r).cloned().unwrap_or_default();
        if ids.len() < PER_ROOM {
            short.insert((r.site.clone(), r.room.clone()), ids);
        }
    }
    short
        .into_iter()
        .map(|((site, room), ids)| {
            let who = if ids.is_empty() {
                "no invigilator".to_string()
            } else {
                format!("only {}", ids.join(", "))
            };
            Problem::new(
                None,
                format!("room {site}/{room} has {who}; {PER_ROOM} are needed to seal a session"),
            )
        })
        .collect()
}

/// Each invigilator's PIN hashes, one per room they cover, each with its own salt
/// (Argon2id at [`crate::invigilator::PIN_PARAMS`]: deliberately slow), parallel to
/// `invigilators` and spread over `threads` threads. One room's package thus holds hashes
/// found in no other package: whoever wants the PIN from a stolen package pays the whole
/// guessing cost for that package alone, and nothing shows which rooms share a PIN.
pub fn hash_pins(invigilators: &[Invigilator], threads: usize) -> Vec<RoomHashes> {
    let pairs: Vec<(usize, RoomRef)> = invigilators
        .iter()
        .enumerate()
        .flat_map(|(i, inv)| inv.rooms.iter().map(move |r| (i, r.clone())))
        .collect();
    let hashes = super::parallel::map(&pairs, threads, |(i, _)| {
        crate::invigilator::hash_pin(&invigilators[*i].pin)
    });
    let mut out = vec![RoomHashes::new(); invigilators.len()];
    for ((i, room), hash) in pairs.into_iter().zip(hashes) {
        out[i].insert(room, hash);
    }
    out
}

/// One invigilator's PIN hash for each room they cover.
pub type RoomHashes = std::collections::BTreeMap<RoomRef, String>;

#[cfg(test)]
mod tests {
    use super::*;

    fn rooms() -> Rooms {
        ["R101", "R102"]
            .into_iter()
            .map(|r| {
                (
                    RoomRef {
                        site: "S01".into(),
                        room: r.into(),
                    },
                    30,
                )
            })
            .collect()
    }

    const HEADER: &str = "id,name,rooms,pin";
    const GOOD: [&str; 2] = [
        "T001,张老师,S01/R101;S01/R102,480613927",
        "T002,Ms Li,S01/R101,905127384",
    ];

    fn parse_rows(extra: &str) -> Result<Vec<Invigilator>, Vec<Problem>> {
        parse(
            &format!("{HEADER}\n{}\n{extra}\n", GOOD.join("\n")),
            &rooms(),
        )
    }

    #[test]
    fn a_valid_file_gives_every_invigilator_and_hashes_verify() {
        let list = parse_rows("").expect("valid");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].rooms.len(), 2);
        let hashes = hash_pins(&list, 2);
        let room = |r: &str| RoomRef {
            site: "S01".into(),
            room: r.into(),
        };
        let t001 = &hashes[0];
        assert_eq!(t001.len(), 2, "one hash per room covered");
        assert!(t001[&room("R101")].starts_with("$argon2id$v=19$m=65536,t=3,p=1$"));
        // r12: per-room salts: the two rooms' packages carry different hashes of one PIN.
        assert_ne!(t001[&room("R101")], t001[&room("R102")]);
        for h in t001.values() {
            assert!(crate::invigilator::pin_matches(h, "480613927"));
        }
        assert!(crate::invigilator::pin_matches(
            &hashes[1][&room("R101")],
            "905127384"
        ));
        assert!(!crate::invigilator::pin_matches(
            &hashes[1][&room("R101")],
            "480613927"
        ));
    }

    #[test]
    fn each_bad_row_is_reported_with_its_line_and_never_shows_the_pin() {
        let cases = [
            (
                "T001,Dup,S01/R101,551190273",
                "line 4: duplicate invigilator id T001 (first on line 2)",
            ),
            (
                "T003,Wang,S01/R999,551190273",
                "line 4: unknown room S01/R999",
            ),
            (
                "T003,Wang,R101,551190273",
                "line 4: room \"R101\" is not written SITE/ROOM",
            ),
            (
                "T003,Wang,S01/R101,12345678",
                "line 4: pin must be 9 to 12 digits",
            ),
            (
                "T003,Wang,S01/R101,777777777",
                "line 4: pin is one digit repeated",
            ),
            (
                "T003,Wang,S01/R101,123456789",
                "line 4: pin is a run of consecutive digits",
            ),
            ("T003,,S01/R101,551190273", "line 4: name is empty"),
            (
                "T 3,Wang,S01/R101,551190273",
                "line 4: id \"T 3\" must be 1–32 letters, digits, '-' or '_'",
            ),
        ];
        for (row, expected) in cases {
            let problems = parse_rows(row).expect_err(expected);
            let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
            assert!(
                shown.iter().any(|p| p == expected),
                "{expected}\n got {shown:?}"
            );
            assert!(!shown
                .iter()
                .any(|p| p.contains("551190") || p.contains("777777")));
        }
    }

    #[test]
    fn a_room_with_fewer_than_two_invigilators_is_named() {
        let list = parse_rows("").expect("valid");
        let r101 = RoomRef {
            site: "S01".into(),
            room: "R101".into(),
        };
        let r102 = RoomRef {
            site: "S01".into(),
            room: "R102".into(),
        };
        assert!(coverage(&list, [&r101]).is_empty());
        let problems = coverage(&list, [&r101, &r102]);
        assert_eq!(
            problems.iter().map(ToString::to_string).collect::<Vec<_>>(),
            vec!["room S01/R102 has only T001; 2 are needed to seal a session"]
        );
    }

    #[test]
    fn debug_output_hides_the_pin() {
        let list = parse_rows("").expect("valid");
        assert!(!format!("{list:?}").contains("480613927"));
    }
}
