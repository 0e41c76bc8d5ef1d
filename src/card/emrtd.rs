//! Reading an eMRTD end to end: identify the card, choose PACE when EF.CardAccess offers a
//! supported PACEInfo (else BAC), read EF.COM, DG1, DG2 and EF.SOD under secure messaging,
//! parse them and run passive authentication. A failed check is part of the result; only a
//! read that could not complete is an error.

use zeroize::Zeroizing;

use super::apdu::{Command, Status};
use super::files::{self, Com, Portrait};
use super::lds::{self, File};
use super::mrz::{AccessKey, Mrz};
use super::pa::{self, PaReport};
use super::pace::{self, Curve, PaceInfo, Password};
use super::sod;
use super::{bac, Channel, Deadline, Error, Transport};
use crate::platform::clock::Stopwatch;

/// What opens the chip.
#[derive(Debug, Clone)]
pub enum Access {
    /// The MRZ key seed (BAC, or PACE with the MRZ).
    Mrz(AccessKey),
    /// The card access number (PACE only).
    Can(Zeroizing<String>),
}

/// Which access protocol ran.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "protocol")]
pub enum Protocol {
    /// Basic Access Control, 3DES.
    #[serde(rename = "BAC")]
    Bac,
    /// PACE ECDH-GM.
    #[serde(rename = "PACE")]
    Pace {
        /// Curve.
        curve: Curve,
        /// AES key length in bits.
        aes_bits: usize,
        /// `mrz` or `can`.
        password: &'static str,
    },
}

/// Time and APDUs per file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FileTiming {
    /// File name.
    pub file: String,
    /// Bytes.
    pub bytes: usize,
    /// Milliseconds.
    pub ms: f64,
    /// APDUs.
    pub apdus: u32,
}

/// A completed read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct DocumentRead {
    /// The access protocol.
    pub access: Protocol,
    /// EF.COM.
    pub com: Com,
    /// DG1's MRZ, or why it could not be parsed (a non-ASCII or malformed MRZ is reported
    /// beside the passive-authentication result, which says whether DG1 is the one signed).
    /// Serialized as the MRZ, or as `{"error": why}`.
    #[serde(serialize_with = "mrz_or_error")]
    pub dg1: Result<Mrz, String>,
    /// DG2's portrait.
    #[serde(skip)]
    pub portrait: Portrait,
    /// Passive authentication.
    pub passive_authentication: PaReport,
    /// Milliseconds for access control.
    pub access_ms: f64,
    /// Per file.
    pub files: Vec<FileTiming>,
    /// Milliseconds in all.
    pub total_ms: f64,
    /// APDUs in all.
    pub apdus: u32,
}

fn mrz_or_error<S: serde::Serializer>(dg1: &Result<Mrz, String>, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    match dg1 {
        Ok(mrz) => mrz.serialize(s),
        Err(why) => std::collections::BTreeMap::from([("error", why)]).serialize(s),
    }
}

/// The card's UID (`FF CA 00 00 00`, PC/SC part 3), if the reader reports one before
/// `deadline`.
pub fn uid(t: &mut dyn Transport, deadline: &Deadline) -> Option<Vec<u8>> {
    // FF CA 00 00 Le=00: GET DATA, the UID (PC/SC part 3 §3.2.2.1.3).
    let r = super::exchange(
        t,
        &Command::new(0xFF, 0xCA, 0x00, 0x00).with_le(256),
        deadline,
    )
    .ok()?;
    (r.status() == Status::Ok && !r.data.is_empty()).then_some(r.data)
}

/// The PACEInfos EF.CardAccess offers (empty when the file is absent).
fn card_access(ch: &mut Channel<'_>) -> Result<Vec<PaceInfo>, Error> {
    match lds::read_file(ch, File::CardAccess) {
        Ok(Some(bytes)) => pace::parse_card_access(&bytes),
        Ok(None) => Ok(Vec::new()),
        // Chips without PACE answer with other "not here" statuses too.
        Err(Error::Status { .. }) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Whether the card holds an eMRTD application (plain SELECT; works before access control).
pub fn is_emrtd(t: &mut dyn Transport, deadline: &Deadline) -> Result<bool, Error> {
    let mut ch = Channel::with_deadline(t, deadline.clone());
    if !card_access(&mut ch)?.is_empty() {
        return Ok(true);
    }
    match lds::select_application(&mut ch) {
        Ok(()) => Ok(true),
        Err(Error::Malformed { .. }) | Err(Error::Status { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

fn open(
    ch: &mut Channel<'_>,
    access: &Access,
    random: &mut dyn FnMut(&mut [u8]),
) -> Result<Protocol, Error> {
    let offered = card_access(ch)?;
    if let Some(info) = offered.first().copied() {
        let (password, name) = match access {
            Access::Mrz(k) => (Password::Mrz(k.clone()), "mrz"),
            Access::Can(c) => (Password::Can(c.clone()), "can"),
        };
        let session = pace::establish(ch, info, &password, random)?;
        ch.secure(session);
        lds::select_application(ch)?;
        return Ok(Protocol::Pace {
            curve: info.curve,
            aes_bits: info.key_len * 8,
            password: name,
        });
    }
    let Access::Mrz(key) = access else {
        return Err(Error::Unsupported(
            "a CAN was given but the chip offers no PACE; give the MRZ".into(),
        ));
    };
    lds::select_application(ch)?;
    let session = bac::establish(ch, key, random)?;
    ch.secure(session);
    Ok(Protocol::Bac)
}

/// Read the document on `t` with `access`, checking it against the `csca` trust list with
/// certificates valid at `at_utc_ms` (the time of the read). EF.COM, DG1, DG2 and EF.SOD
/// are read, and DG14 and DG15 when EF.COM lists them; all are hashed. The read stops with [`Error::DeadlinePassed`] at the first APDU after `deadline`; a file
/// declaring more than its cap ([`File::max_len`]) stops it with [`Error::FileTooLarge`].
pub fn read(
    t: &mut dyn Transport,
    access: &Access,
    csca: &[Vec<u8>],
    at_utc_ms: i64,
    random: &mut dyn FnMut(&mut [u8]),
    deadline: &Deadline,
) -> Result<DocumentRead, Error> {
    let whole = Stopwatch::start();
    let mut ch = Channel::with_deadline(t, deadline.clone());
    let watch = Stopwatch::start();
    let protocol = open(&mut ch, access, random)?;
    let access_ms = watch.ms();
    let mut timings = Vec::new();
    let mut read = |ch: &mut Channel<'_>, file: File| -> Result<Option<Vec<u8>>, Error> {
        let (watch, before) = (Stopwatch::start(), ch.apdus);
        let bytes = lds::read_file(ch, file)?;
        timings.push(FileTiming {
            file: file.name(),
            bytes: bytes.as_ref().map_or(0, Vec::len),
            ms: watch.ms(),
            apdus: ch.apdus - before,
        });
        Ok(bytes)
    };
    let missing = |f: File| Error::Malformed {
        what: "eMRTD",
        reason: format!("{} is missing", f.name()),
    };
    let com_bytes = read(&mut ch, File::Com)?.ok_or_else(|| missing(File::Com))?;
    let dg1_bytes = read(&mut ch, File::Dg(1))?.ok_or_else(|| missing(File::Dg(1)))?;
    let dg2_bytes = read(&mut ch, File::Dg(2))?.ok_or_else(|| missing(File::Dg(2)))?;
    let com = files::parse_com(&com_bytes)?;
    let sod_bytes = read(&mut ch, File::Sod)?;
    let parsed_sod = sod_bytes
        .as_deref()
        .ok_or_else(|| "EF.SOD is missing".to_string())
        .and_then(|b| sod::parse(b).map_err(|e| e.to_string()));
    // DG14 (chip authentication keys) and DG15 (active authentication key) are not used
    // here, but when present they are signed like the others: a changed one is tampering.
    // Listed in EF.COM or hashed in EF.SOD (EF.COM is not signed: dropping a group from it
    // must not drop it from the check).
    let mut extra = Vec::new();
    for dg in [14, 15] {
        let in_sod = parsed_sod
            .as_ref()
            .is_ok_and(|s| s.hashes.iter().any(|(n, _)| *n == dg));
        if com.files.contains(&File::Dg(dg)) || in_sod {
            if let Some(bytes) = read(&mut ch, File::Dg(dg))? {
                extra.push((File::Dg(dg), bytes));
            }
        }
    }
    let dg1 = files::parse_dg1(&dg1_bytes).map_err(|e| e.to_string());
    let portrait = files::parse_dg2(&dg2_bytes)?;
    let mut hashed: Vec<(File, &[u8])> = vec![(File::Dg(1), &dg1_bytes), (File::Dg(2), &dg2_bytes)];
    hashed.extend(extra.iter().map(|(f, b)| (*f, b.as_slice())));
    let passive_authentication = pa::verify(
        parsed_sod.as_ref().map_err(Clone::clone),
        &hashed,
        csca,
        at_utc_ms,
    );
    Ok(DocumentRead {
        access: protocol,
        com,
        dg1,
        portrait,
        passive_authentication,
        access_ms,
        files: timings,
        total_ms: whole.ms(),
        apdus: ch.apdus,
    })
}
