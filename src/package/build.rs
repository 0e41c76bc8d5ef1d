//! `package build` (office side): read and validate every input, enrol the registration
//! photos, assemble one package per room, sign and write them. Nothing is written unless
//! every check passed (or the bad photos were skipped on request), and the output appears
//! all at once: packages are written into a staging directory renamed into place at the end.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use base64ct::{Base64, Encoding};
use sha2::{Digest, Sha256};

use super::enrol::{Enrolment, PhotoProblem};
use super::exam::Exam;
use super::format::{
    self, DirectoryEntry, PackageCandidate, PackageInvigilator, PackageSession, RoomPackage,
    DIRECTORY_FILE, FORMAT, PACKAGE_FILE, SIGNATURE_FILE,
};
use super::invigilators::Invigilator;
use super::roster::Candidate;
use super::{exam, invigilators, roster, trust, Problem};
use crate::decision::RoomRef;
use crate::platform::keystore::{hex, KeyStore};

/// Where the inputs are.
#[derive(Debug, Clone)]
pub struct InputPaths {
    /// `exam.toml`.
    pub exam: PathBuf,
    /// `candidates.csv`.
    pub candidates: PathBuf,
    /// `invigilators.csv`.
    pub invigilators: PathBuf,
    /// Directory of CSCA certificates.
    pub csca: PathBuf,
}

/// A problem in one input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    /// The file.
    pub file: PathBuf,
    /// The problem.
    pub problem: Problem,
}

impl std::fmt::Display for FileProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.file.display(), self.problem)
    }
}

/// The validated inputs (everything but the photos).
#[derive(Debug)]
pub struct Inputs {
    /// The exam.
    pub exam: Exam,
    /// Every candidate.
    pub candidates: Vec<Candidate>,
    /// Every invigilator.
    pub invigilators: Vec<Invigilator>,
    /// CSCA certificates, DER.
    pub csca: Vec<Vec<u8>>,
}

fn read_text(path: &Path) -> Result<String, FileProblem> {
    std::fs::read(path)
        .map_err(|e| Problem::new(None, e.to_string()))
        .and_then(|b| super::text::decode(&b))
        .map_err(|problem| FileProblem {
            file: path.to_path_buf(),
            problem,
        })
}

fn in_file(file: &Path, problems: Vec<Problem>) -> impl Iterator<Item = FileProblem> + '_ {
    problems.into_iter().map(move |problem| FileProblem {
        file: file.to_path_buf(),
        problem,
    })
}

/// Read and validate every input; every problem of every file is returned at once.
pub fn read_inputs(paths: &InputPaths) -> Result<Inputs, Vec<FileProblem>> {
    let mut problems = Vec::new();
    let exam = read_text(&paths.exam)
        .map_err(|p| vec![p])
        .and_then(|t| exam::parse(&t).map_err(|e| in_file(&paths.exam, e).collect()));
    // Without the exam the CSVs cannot be checked (their columns name its sessions).
    let exam = exam?;
    let rooms = exam.rooms();
    let candidates = match read_text(&paths.candidates) {
        Ok(t) => roster::parse(&t, &exam.session_ids(), &rooms)
            .map_err(|e| problems.extend(in_file(&paths.candidates, e)))
            .ok(),
        Err(p) => {
            problems.push(p);
            None
        }
    };
    let invigilators = match read_text(&paths.invigilators) {
        Ok(t) => invigilators::parse(&t, &rooms)
            .map_err(|e| problems.extend(in_file(&paths.invigilators, e)))
            .ok(),
        Err(p) => {
            problems.push(p);
            None
        }
    };
    let csca = trust::read_dir(&paths.csca)
        .map_err(|errors| {
            problems.extend(errors.into_iter().map(|e| FileProblem {
                file: e.path,
                problem: Problem::new(None, e.reason),
            }))
        })
        .ok();
    if let (Some(c), Some(i)) = (&candidates, &invigilators) {
        let used = rooms_with_candidates(c);
        problems.extend(in_file(
            &paths.invigilators,
            invigilators::coverage(i, used.keys()),
        ));
    }
    match (candidates, invigilators, csca) {
        (Some(candidates), Some(invigilators), Some(csca)) if problems.is_empty() => Ok(Inputs {
            exam,
            candidates,
            invigilators,
            csca,
        }),
        _ => Err(problems),
    }
}

/// Rooms that seat at least one candidate in some session, with those candidates.
pub fn rooms_with_candidates(candidates: &[Candidate]) -> BTreeMap<RoomRef, Vec<&Candidate>> {
    let mut rooms: BTreeMap<RoomRef, Vec<&Candidate>> = BTreeMap::new();
    for c in candidates {
        let mut seen = BTreeSet::new();
        for p in c.placements.values() {
            if seen.insert(&p.room) {
                rooms.entry(p.room.clone()).or_default().push(c);
            }
        }
    }
    rooms
}

/// A candidate left out because of the photo.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// Line in `candidates.csv`.
    pub line: u64,
    /// Ticket.
    pub ticket: String,
    /// Photo file name.
    pub photo: String,
    /// Why.
    pub problem: PhotoProblem,
}

impl std::fmt::Display for Skipped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: ticket {}: photo {}: {}",
            self.line, self.ticket, self.photo, self.problem
        )
    }
}

/// Candidates whose photo could not be enrolled, in file order.
pub fn photo_problems(
    candidates: &[Candidate],
    enrolments: &HashMap<String, Result<Enrolment, PhotoProblem>>,
) -> Vec<Skipped> {
    candidates
        .iter()
        .filter_map(|c| {
            match enrolments.get(&c.photo) {
                Some(Ok(_)) => None,
                Some(Err(problem)) => Some(problem.clone()),
                None => Some(PhotoProblem::Unreadable("not enrolled".to_string())),
            }
            .map(|problem| Skipped {
                line: c.line,
                ticket: c.ticket.0.clone(),
                photo: c.photo.clone(),
                problem,
            })
        })
        .collect()
}

/// Office material every package carries.
#[derive(Debug, Clone)]
pub struct OfficeMaterial {
    /// X25519 evidence public key.
    pub evidence_key: [u8; 32],
    /// SHA-256 of the embedding model.
    pub template_model: String,
    /// When the packages are built, exam-local (none: not recorded).
    pub built_at: Option<NaiveDateTime>,
}

/// What will be written: the shared directory and one package per room.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `directory.csv` text.
    pub directory: String,
    /// Packages, by room.
    pub packages: Vec<RoomPackage>,
}

/// Assemble every room's package (pure). Candidates without an enrolment (skipped photos)
/// are left out of the packages and of the directory. `pin_hashes` is parallel to
/// `inputs.invigilators`.
pub fn assemble(
    inputs: &Inputs,
    enrolments: &HashMap<String, Enrolment>,
    pin_hashes: &[super::invigilators::RoomHashes],
    office: &OfficeMaterial,
) -> Plan {
    let included: Vec<Candidate> = inputs
        .candidates
        .iter()
        .filter(|c| enrolments.contains_key(&c.photo))
        .cloned()
        .collect();
    let mut entries: Vec<DirectoryEntry> = included
        .iter()
        .flat_map(|c| {
            c.placements
                .iter()
                .map(|(session, placement)| DirectoryEntry {
                    ticket: c.ticket.clone(),
                    session: session.clone(),
                    placement: placement.clone(),
                })
        })
        .collect();
    let directory = format::write_directory(&mut entries);
    let directory_sha256 = hex(&Sha256::digest(directory.as_bytes()));
    let exam = &inputs.exam;
    let sessions: Vec<PackageSession> = exam
        .sessions
        .iter()
        .map(|s| PackageSession {
            id: s.id.clone(),
            subject: s.subject.clone(),
            entry_opens: s.window.entry_opens,
            start: s.window.start,
            late_cutoff: s.window.late_cutoff,
            end: s.end,
        })
        .collect();
    let seats = exam.rooms();
    let site_names: HashMap<&str, &str> = exam
        .sites
        .iter()
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let csca: Vec<String> = inputs
        .csca
        .iter()
        .map(|c| Base64::encode_string(c))
        .collect();

    let packages = rooms_with_candidates(&included)
        .into_iter()
        .map(|(room, candidates)| {
            let mut candidates: Vec<PackageCandidate> = candidates
                .into_iter()
                .map(|c| package_candidate(c, &room, &enrolments[&c.photo]))
                .collect();
            candidates.sort_by(|a, b| a.ticket.cmp(&b.ticket));
            let invigilators = inputs
                .invigilators
                .iter()
                .zip(pin_hashes)
                .filter_map(|(i, hashes)| {
                    hashes.get(&room).map(|hash| PackageInvigilator {
                        id: i.id.clone(),
                        name: i.name.clone(),
                        pin_hash: hash.clone(),
                    })
                })
                .collect();
            RoomPackage {
                format: FORMAT,
                exam: exam.name.clone(),
                utc_offset: exam.utc_offset.to_string(),
                valid_from: exam.valid_from,
                valid_until: exam.valid_until,
                site_name: site_names
                    .get(room.site.as_str())
                    .unwrap_or(&"")
                    .to_string(),
                seats: seats.get(&room).copied().unwrap_or(0),
                site: room.site,
                room: room.room,
                sessions: sessions.clone(),
                candidates,
                invigilators,
                csca: csca.clone(),
                office_evidence_key: hex(&office.evidence_key),
                template_model: office.template_model.clone(),
                directory_sha256: directory_sha256.clone(),
                policy: exam.policy,
                built_at: office.built_at,
            }
        })
        .collect();
    Plan {
        directory,
        packages,
    }
}

fn package_candidate(c: &Candidate, room: &RoomRef, e: &Enrolment) -> PackageCandidate {
    PackageCandidate {
        ticket: c.ticket.0.clone(),
        name: c.name.clone(),
        sex: c.sex.clone(),
        birth_date: c.birth_date,
        document_kind: format::document_kind_code(c.document_kind).to_string(),
        document_number: c.document_number.clone(),
        document_expiry: c.document_expiry,
        can: c.can.clone(),
        card_uid: c.card_uid.clone(),
        seats: c
            .placements
            .iter()
            .filter(|(_, p)| p.room == *room)
            .map(|(s, p)| (s.clone(), p.seat))
            .collect(),
        template: format::encode_template(&e.template),
        thumbnail_jpeg: Base64::encode_string(&e.thumbnail_jpeg),
        document_name: c.document_name.clone(),
    }
}

/// Why writing failed.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The output directory already holds something; a deployed build is never overwritten.
    #[error(
        "{0} exists and is not empty: choose a new directory (packages are never overwritten)"
    )]
    NotEmpty(PathBuf),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> WriteError + '_ {
    move |source| WriteError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The directory of one room's package inside `out`.
pub fn room_dir(out: &Path, room: &RoomRef) -> PathBuf {
    out.join(&room.site).join(&room.room)
}

/// Sign and write `plan` into `out` (created; must be absent or empty). Returns each room's
/// directory.
pub fn write(out: &Path, plan: &Plan, office: &dyn KeyStore) -> Result<Vec<PathBuf>, WriteError> {
    if out.exists() {
        let mut entries = std::fs::read_dir(out).map_err(io(out))?;
        if entries.next().is_some() {
            return Err(WriteError::NotEmpty(out.to_path_buf()));
        }
    }
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "packages".to_string());
    let staging = out.with_file_name(format!(".{name}.partial"));
    if staging.exists() {
        // Left by a build that died; it was never renamed into place, so nothing uses it.
        std::fs::remove_dir_all(&staging).map_err(io(&staging))?;
    }
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    let shared = staging.join(DIRECTORY_FILE);
    std::fs::write(&shared, &plan.directory).map_err(io(&shared))?;
    let mut dirs = Vec::new();
    for p in &plan.packages {
        let room = p.room_ref();
        let dir = room_dir(&staging, &room);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let json = serde_json::to_vec(p).expect("a RoomPackage is plain data and serializes");
        let sig = super::open::sign(&json, office);
        let sig_json = serde_json::to_vec_pretty(&sig).expect("a Signature serializes");
        for (file, bytes) in [(PACKAGE_FILE, &json), (SIGNATURE_FILE, &sig_json)] {
            let path = dir.join(file);
            std::fs::write(&path, bytes).map_err(io(&path))?;
        }
        // One directory for 923 rooms: hard links share it instead of 923 copies.
        let link = dir.join(DIRECTORY_FILE);
        if std::fs::hard_link(&shared, &link).is_err() {
            std::fs::copy(&shared, &link).map_err(io(&link))?;
        }
        dirs.push(room_dir(out, &room));
    }
    if out.exists() {
        std::fs::remove_dir(out).map_err(io(out))?;
    }
    std::fs::rename(&staging, out).map_err(io(out))?;
    Ok(dirs)
}
