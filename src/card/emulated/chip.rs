//! An eMRTD chip in-process, behind [`Transport`]: the LDS1 application with EF.COM, DG1,
//! DG2 and an EF.SOD signed by a run-time test PKI, access control by BAC and, when asked,
//! PACE (ECDH-GM, AES) with the MRZ or a CAN, secure messaging, and READ BINARY by short
//! file id or offset (odd INS above 32767) with responses capped as real chips cap them.
//! The demo taps it as a passport; unit tests read it without pcscd.

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use super::pki::TestPki;
use crate::card::apdu::Command;
use crate::card::crypto::{self, Cipher};
use crate::card::lds::{File, LDS1_AID};
use crate::card::mrz::{self, AccessKey};
use crate::card::pace::{self, Curve, PaceInfo};
use crate::card::sm::Session;
use crate::card::transport::{Transport, TransportError};
use crate::card::{bac, files, tlv, Error};

/// What the emulated document holds.
#[derive(Clone)]
pub struct Document {
    /// The MRZ (TD1, TD2 or TD3), check digits valid.
    pub mrz: String,
    /// Portrait, JPEG or JPEG 2000 bytes.
    pub portrait: Vec<u8>,
    /// Offer PACE with this curve and AES key length (EF.CardAccess present).
    pub pace: Option<PaceInfo>,
    /// Accept PACE with this CAN as well as the MRZ.
    pub can: Option<String>,
    /// Refuse BAC (PACE only).
    pub pace_only: bool,
    /// The card UID.
    pub uid: Vec<u8>,
}

impl std::fmt::Debug for Document {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Document(<MRZ>, {} byte portrait, {:?})",
            self.portrait.len(),
            self.pace
        )
    }
}

/// Where the chip's nonces and keys come from (the OS generator, or a fixed one in tests).
pub type RandomSource = Box<dyn FnMut(&mut [u8]) + Send>;

struct PaceRun {
    info: PaceInfo,
    kpi: Zeroizing<Vec<u8>>,
    nonce: Zeroizing<Vec<u8>>,
    sk_map: Zeroizing<Vec<u8>>,
    peer_map: Vec<u8>,
    sk_eph: Zeroizing<Vec<u8>>,
    peer_eph: Vec<u8>,
    ours_eph: Vec<u8>,
}

/// The emulated chip.
pub struct EmulatedPassport {
    files: Vec<(File, Vec<u8>)>,
    csca: Vec<u8>,
    key: AccessKey,
    doc: Document,
    random: RandomSource,
    app_selected: bool,
    current: Option<File>,
    challenge: Option<[u8; 8]>,
    pace: Option<PaceRun>,
    session: Option<Session>,
}

const ATR: [u8; 5] = [0x3B, 0x80, 0x80, 0x01, 0x01];
const OK: u16 = 0x9000;

impl EmulatedPassport {
    /// Build the chip: files, a fresh test PKI, the signed EF.SOD.
    pub fn new(doc: Document, mut random: RandomSource) -> Result<EmulatedPassport, Error> {
        let key = AccessKey::from_mrz(&doc.mrz)?;
        mrz::parse(&doc.mrz)?;
        let frame = crate::imaging::decode(&doc.portrait).map_err(|e| Error::Malformed {
            what: "emulated portrait",
            reason: e.to_string(),
        })?;
        let format = match crate::imaging::sniff_format(&doc.portrait) {
            Some(crate::imaging::ImageFormat::Jp2 | crate::imaging::ImageFormat::J2k) => 1,
            _ => 0,
        };
        let mut com = tlv::encode(0x5F01, b"0107");
        com.extend(tlv::encode(0x5F36, b"040000"));
        com.extend(tlv::encode(0x5C, &[0x61, 0x75]));
        let com = tlv::encode(0x60, &com);
        let compact: String = doc.mrz.chars().filter(|c| !c.is_whitespace()).collect();
        let dg1 = tlv::encode(0x61, &tlv::encode(0x5F1F, compact.as_bytes()));
        let dg2 = files::build_dg2(
            &doc.portrait,
            format,
            frame.width() as u16,
            frame.height() as u16,
        );
        let pki = TestPki::generate(&mut *random)?;
        let sod = pki.sign_sod(&[(1, &dg1), (2, &dg2)])?;
        let mut files = vec![
            (File::Com, com),
            (File::Dg(1), dg1),
            (File::Dg(2), dg2),
            (File::Sod, sod),
        ];
        if let Some(info) = doc.pace {
            let mut v = tlv::encode(0x06, &info.oid());
            v.extend(tlv::encode(0x02, &[2]));
            v.extend(tlv::encode(0x02, &[info.curve.id()]));
            files.push((File::CardAccess, tlv::encode(0x31, &tlv::encode(0x30, &v))));
        }
        Ok(EmulatedPassport {
            files,
            csca: pki.csca,
            key,
            doc,
            random,
            app_selected: false,
            current: None,
            challenge: None,
            pace: None,
            session: None,
        })
    }

    /// The CSCA certificate (DER) that signed this chip's DS: the reader's trust list.
    pub fn csca(&self) -> Vec<u8> {
        self.csca.clone()
    }

    /// Replace `file`'s bytes with `bytes` (added when absent), leaving EF.SOD as signed: a
    /// hostile or tampered chip for tests (a file declaring gigabytes, a changed group).
    pub fn replace_file(&mut self, file: File, bytes: Vec<u8>) {
        match self.files.iter_mut().find(|(f, _)| *f == file) {
            Some((_, b)) => *b = bytes,
            None => self.files.push((file, bytes)),
        }
    }

    /// A power cycle: access control and selection are gone (as when a card leaves the field).
    pub fn reset(&mut self) {
        self.app_selected = false;
        self.current = None;
        self.challenge = None;
        self.pace = None;
        self.session = None;
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut b = vec![0u8; n];
        (self.random)(&mut b);
        b
    }

    fn file(&self, f: File) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(g, _)| *g == f)
            .map(|(_, b)| b.as_slice())
    }

    fn read_binary(&mut self, cmd: &Command, cap: usize) -> (Vec<u8>, u16) {
        let (file, offset) = if cmd.ins == 0xB1 {
            let offset = tlv::find(&cmd.data, 0x54).map(|t| {
                t.value
                    .iter()
                    .fold(0usize, |a, &b| (a << 8) | usize::from(b))
            });
            match offset {
                Ok(o) => (self.current, o),
                Err(_) => return (Vec::new(), 0x6700),
            }
        } else if cmd.p1 & 0x80 != 0 {
            let sfi = cmd.p1 & 0x1F;
            let f = [File::CardAccess, File::Com, File::Sod]
                .into_iter()
                .find(|f| f.sfi() == sfi)
                .or_else(|| (1..=16).contains(&sfi).then_some(File::Dg(sfi)));
            (f, usize::from(cmd.p2))
        } else {
            (
                self.current,
                (usize::from(cmd.p1) << 8) | usize::from(cmd.p2),
            )
        };
        let Some(file) = file else {
            return (Vec::new(), 0x6986);
        };
        // EF.CardAccess lives in the MF; the LDS files need the application and access control.
        let allowed = match file {
            File::CardAccess => true,
            _ => self.app_selected && self.session.is_some(),
        };
        if !allowed {
            return (Vec::new(), 0x6982);
        }
        let Some(content) = self.file(file).map(<[u8]>::to_vec) else {
            return (Vec::new(), 0x6A82);
        };
        self.current = Some(file);
        if offset > content.len() {
            return (Vec::new(), 0x6B00);
        }
        let want = cmd.le.unwrap_or(256).min(cap);
        if cmd.ins == 0xB1 {
            let n = want.saturating_sub(4).min(content.len() - offset);
            (tlv::encode(0x53, &content[offset..offset + n]), OK)
        } else {
            let n = want.min(content.len() - offset);
            (content[offset..offset + n].to_vec(), OK)
        }
    }

    fn mutual_authenticate(&mut self, data: &[u8]) -> Result<(Vec<u8>, u16), Error> {
        let Some(rnd_ic) = self.challenge.take() else {
            return Ok((Vec::new(), 0x6985));
        };
        let (kenc, kmac) = bac::basic_keys(&self.key);
        if data.len() != 40 {
            return Ok((Vec::new(), 0x6700));
        }
        let (e, m) = data.split_at(32);
        if !crypto::same(m, &crypto::retail_mac(&kmac, &crypto::pad(e, 8))?) {
            return Ok((Vec::new(), 0x6300));
        }
        let s = Zeroizing::new(crypto::cbc_decrypt(Cipher::Tdes, &kenc, &[0; 8], e)?);
        if s[8..16] != rnd_ic {
            return Ok((Vec::new(), 0x6300));
        }
        let rnd_ifd: [u8; 8] = s[..8]
            .try_into()
            .map_err(|_| Error::SecureMessaging("nonce".into()))?;
        let k_ifd: [u8; 16] = s[16..32]
            .try_into()
            .map_err(|_| Error::SecureMessaging("key".into()))?;
        let k_ic: [u8; 16] = self
            .bytes(16)
            .try_into()
            .map_err(|_| Error::SecureMessaging("key".into()))?;
        // The chip's answer is the reader's computation with the roles swapped.
        let answer = bac::authenticate_data(&kenc, &kmac, &rnd_ic, &rnd_ifd, &k_ic)?;
        let session = bac::session_from_answer(&kenc, &kmac, &answer, &rnd_ifd, &rnd_ic, &k_ifd)?;
        // session_from_answer derived the keys from k_ifd ^ k_ic with the reader's SSC.
        self.session = Some(session);
        Ok((answer, OK))
    }

    fn general_authenticate(&mut self, cmd: &Command) -> Result<(Vec<u8>, u16), Error> {
        let Some(run) = self.pace.as_mut() else {
            return Ok((Vec::new(), 0x6985));
        };
        let inner = tlv::unwrap(&cmd.data, 0x7C)?.to_vec();
        let reply = |tag: u32, value: &[u8]| Ok((tlv::encode(0x7C, &tlv::encode(tag, value)), OK));
        let curve: Curve = run.info.curve;
        if inner.is_empty() {
            let cipher = Cipher::Aes(run.info.key_len);
            let z = crypto::cbc_encrypt(cipher, &run.kpi, &[0; 16], &run.nonce)?;
            return reply(0x80, &z);
        }
        let item = tlv::parse_one(&inner, 0)?.0;
        match item.tag {
            0x81 => {
                run.peer_map = item.value.to_vec();
                let public = pace::chip_public(curve, &run.sk_map)?;
                reply(0x82, &public)
            }
            0x83 => {
                run.peer_eph = item.value.to_vec();
                run.ours_eph = pace::chip_ephemeral(
                    curve,
                    &run.nonce,
                    &run.sk_map,
                    &run.peer_map,
                    &run.sk_eph,
                )?;
                let ours = run.ours_eph.clone();
                reply(0x84, &ours)
            }
            0x85 => {
                let cipher = Cipher::Aes(run.info.key_len);
                let k = pace::chip_shared(curve, &run.sk_eph, &run.peer_eph)?;
                let (ks_enc, ks_mac) = (crypto::kdf(&k, 1, cipher), crypto::kdf(&k, 2, cipher));
                let oid = run.info.oid();
                if !crypto::same(item.value, &pace::token(&ks_mac, &oid, &run.ours_eph)?) {
                    self.pace = None;
                    return Ok((Vec::new(), 0x6300));
                }
                let t = pace::token(&ks_mac, &oid, &run.peer_eph)?;
                self.session = Some(Session::new(cipher, &ks_enc, &ks_mac, &[0; 16]));
                self.pace = None;
                reply(0x86, &t)
            }
            _ => Ok((Vec::new(), 0x6A80)),
        }
    }

    fn mse_set_at(&mut self, cmd: &Command) -> Result<(Vec<u8>, u16), Error> {
        let Some(info) = self.doc.pace else {
            return Ok((Vec::new(), 0x6D00));
        };
        if tlv::find(&cmd.data, 0x80).map(|t| t.value.to_vec()).ok() != Some(info.oid()) {
            return Ok((Vec::new(), 0x6A80));
        }
        let password = match tlv::find(&cmd.data, 0x83)
            .map(|t| t.value.to_vec())
            .ok()
            .as_deref()
        {
            Some([1]) => Sha1::digest(self.key.as_str().as_bytes()).to_vec(),
            Some([2]) => match &self.doc.can {
                Some(can) => can.as_bytes().to_vec(),
                None => return Ok((Vec::new(), 0x6A88)),
            },
            _ => return Ok((Vec::new(), 0x6A88)),
        };
        let cipher = Cipher::Aes(info.key_len);
        let n = pace::scalar_len(info.curve);
        // One AES block: the nonce length is a multiple of the block size (9303-11 §4.4.3.3).
        let nonce = Zeroizing::new(self.bytes(16));
        // Scalars a little below the order: the top byte cleared keeps them in range.
        let scalar = |me: &mut Self| {
            let mut s = me.bytes(n);
            s[0] &= 0x3F;
            s[n - 1] |= 1;
            Zeroizing::new(s)
        };
        let (sk_map, sk_eph) = (scalar(self), scalar(self));
        self.pace = Some(PaceRun {
            info,
            kpi: crypto::kdf(&password, 3, cipher),
            nonce,
            sk_map,
            peer_map: Vec::new(),
            sk_eph,
            peer_eph: Vec::new(),
            ours_eph: Vec::new(),
        });
        Ok((Vec::new(), OK))
    }

    /// SELECT by AID, plain or protected: only the LDS1 application is here.
    fn select_application(&mut self, aid: &[u8]) -> (Vec<u8>, u16) {
        if aid == LDS1_AID {
            self.app_selected = true;
            self.current = None;
            (Vec::new(), OK)
        } else {
            (Vec::new(), 0x6A82)
        }
    }

    /// One plain (unprotected) command.
    fn plain(&mut self, cmd: &Command) -> Result<(Vec<u8>, u16), Error> {
        // Bit 4 of CLA is command chaining (PACE's GENERAL AUTHENTICATE); FF is PC/SC's own.
        let cla = if cmd.cla == 0xFF {
            0xFF
        } else {
            cmd.cla & 0xEF
        };
        Ok(match (cla, cmd.ins) {
            (0xFF, 0xCA) => (self.doc.uid.clone(), OK),
            (0x00, 0xA4) if cmd.p1 == 0x04 => self.select_application(&cmd.data),
            (0x00, 0xB0) => self.read_binary(cmd, 256),
            (0x00, 0x84) if !self.doc.pace_only => {
                let c: [u8; 8] = self
                    .bytes(8)
                    .try_into()
                    .map_err(|_| Error::SecureMessaging("challenge".into()))?;
                self.challenge = Some(c);
                (c.to_vec(), OK)
            }
            (0x00, 0x82) if !self.doc.pace_only => self.mutual_authenticate(&cmd.data)?,
            (0x00, 0x84) | (0x00, 0x82) => (Vec::new(), 0x6D00),
            (0x00, 0x22) => self.mse_set_at(cmd)?,
            (0x00, 0x86) => self.general_authenticate(cmd)?,
            _ => (Vec::new(), 0x6982),
        })
    }

    fn secure(&mut self, cmd: &Command, cap: usize) -> (Vec<u8>, u16) {
        match (cmd.ins, cmd.p1) {
            (0xA4, 0x04) => self.select_application(&cmd.data),
            (0xA4, 0x02) => {
                let fid = u16::from_be_bytes([
                    cmd.data.first().copied().unwrap_or(0),
                    cmd.data.get(1).copied().unwrap_or(0),
                ]);
                let f = match fid {
                    0x011E => Some(File::Com),
                    0x011D => Some(File::Sod),
                    0x0101..=0x0110 => Some(File::Dg((fid & 0xFF) as u8)),
                    _ => None,
                };
                match f.filter(|f| self.file(*f).is_some()) {
                    Some(f) => {
                        self.current = Some(f);
                        (Vec::new(), OK)
                    }
                    None => (Vec::new(), 0x6A82),
                }
            }
            (0xB0 | 0xB1, _) => self.read_binary(cmd, cap),
            _ => (Vec::new(), 0x6D00),
        }
    }
}

impl Transport for EmulatedPassport {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let fail = |e: Error| TransportError::Other(format!("emulated chip: {e}"));
        let protected =
            apdu.first().is_some_and(|c| c & 0x0C == 0x0C) && apdu.first() != Some(&0xFF);
        if let (true, Some(mut session)) = (protected, self.session.take()) {
            let cmd = match session.unwrap_command(apdu) {
                Ok(c) => c,
                // A broken SM command ends the session with a plain 6988, as chips do.
                Err(_) => return Ok(vec![0x69, 0x88]),
            };
            let cap = session.max_read();
            self.session = Some(session);
            let (data, sw) = self.secure(&cmd, cap);
            let Some(session) = self.session.as_mut() else {
                return Ok(vec![0x69, 0x88]);
            };
            return session.wrap_response(cmd.ins, &data, sw).map_err(fail);
        }
        // Any plain command ends a running session.
        self.session = None;
        let Some(cmd) = parse_command(apdu) else {
            return Ok(vec![0x67, 0x00]);
        };
        let (mut data, sw) = self.plain(&cmd).map_err(fail)?;
        data.extend(sw.to_be_bytes());
        Ok(data)
    }

    fn atr(&self) -> Vec<u8> {
        ATR.to_vec()
    }
}

/// A short command APDU from its bytes.
fn parse_command(apdu: &[u8]) -> Option<Command> {
    let (&[cla, ins, p1, p2], rest) = apdu.split_first_chunk::<4>()?;
    let mut cmd = Command::new(cla, ins, p1, p2);
    match rest {
        [] => {}
        [le] => cmd.le = Some(if *le == 0 { 256 } else { usize::from(*le) }),
        [lc, tail @ ..] => {
            let lc = usize::from(*lc);
            cmd.data = tail.get(..lc)?.to_vec();
            match tail.get(lc..)? {
                [] => {}
                [le] => cmd.le = Some(if *le == 0 { 256 } else { usize::from(*le) }),
                _ => return None,
            }
        }
    }
    Some(cmd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::emrtd::{self, Access, Protocol};
    use crate::card::pa::PaResult;
    use crate::card::Deadline;
    use crate::platform::clock::Stopwatch;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    /// The chip behind a reader that counts APDUs and answers each after `delay`: a slow or
    /// stalling card.
    struct Slow {
        chip: EmulatedPassport,
        delay: Duration,
        sent: Arc<AtomicU32>,
    }

    impl Transport for Slow {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(self.delay);
            self.chip.transmit(apdu)
        }

        fn atr(&self) -> Vec<u8> {
            self.chip.atr()
        }
    }

    const SPECIMEN: &str =
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<L898902C<3UTO6908061F9406236ZE184226B<<<<<14";
    const FACE: &[u8] = include_bytes!("../../../tests/fixtures/emrtd/face.jpg");
    /// 2026-06-01T00:00:00Z: within the emulated PKI's validity (2025–2045).
    const READ_AT: i64 = 1_780_272_000_000;

    /// Deterministic bytes for tests (SplitMix64).
    fn counter(seed: u64) -> impl FnMut(&mut [u8]) + Send {
        let mut state = seed;
        move |buf: &mut [u8]| {
            for b in buf.iter_mut() {
                state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = state;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                *b = (z ^ (z >> 31)) as u8;
            }
        }
    }

    fn passport(pace: Option<PaceInfo>, pace_only: bool, portrait: &[u8]) -> EmulatedPassport {
        EmulatedPassport::new(
            Document {
                mrz: SPECIMEN.into(),
                portrait: portrait.to_vec(),
                pace,
                can: Some("123456".into()),
                pace_only,
                uid: vec![0x08, 1, 2, 3],
            },
            Box::new(counter(1)),
        )
        .expect("emulated passport")
    }

    fn mrz() -> Access {
        Access::Mrz(AccessKey::from_mrz(SPECIMEN).expect("specimen"))
    }

    #[test]
    fn bac_read_verifies_against_the_chips_own_csca() {
        let mut chip = passport(None, false, FACE);
        let csca = vec![chip.csca()];
        let doc = emrtd::read(
            &mut chip,
            &mrz(),
            &csca,
            READ_AT,
            &mut counter(9),
            &Deadline::never(),
        )
        .expect("BAC read");
        assert_eq!(doc.access, Protocol::Bac);
        assert_eq!(doc.portrait.image, FACE);
        assert_eq!(
            doc.passive_authentication.result,
            PaResult::Valid,
            "{:?}",
            doc.passive_authentication
        );
        assert_eq!(
            emrtd::uid(&mut chip, &Deadline::never()),
            Some(vec![0x08, 1, 2, 3])
        );
    }

    #[test]
    fn pace_on_every_curve_with_mrz_and_can() {
        for (curve, key_len) in [
            (Curve::BrainpoolP256, 16),
            (Curve::P256, 24),
            (Curve::BrainpoolP384, 32),
            (Curve::P384, 16),
        ] {
            let mut chip = passport(Some(PaceInfo { key_len, curve }), true, FACE);
            let csca = vec![chip.csca()];
            for (access, password) in [
                (mrz(), "mrz"),
                (Access::Can(Zeroizing::new("123456".into())), "can"),
            ] {
                chip.reset();
                let doc = emrtd::read(
                    &mut chip,
                    &access,
                    &csca,
                    READ_AT,
                    &mut counter(5),
                    &Deadline::never(),
                )
                .unwrap_or_else(|e| panic!("{curve:?} {password}: {e}"));
                assert_eq!(
                    doc.access,
                    Protocol::Pace {
                        curve,
                        aes_bits: key_len * 8,
                        password
                    }
                );
                assert_eq!(doc.passive_authentication.result, PaResult::Valid);
            }
            chip.reset();
            let wrong = emrtd::read(
                &mut chip,
                &Access::Can(Zeroizing::new("654321".into())),
                &csca,
                READ_AT,
                &mut counter(5),
                &Deadline::never(),
            );
            assert!(
                matches!(wrong, Err(Error::AccessDenied { protocol: "PACE" })),
                "{wrong:?}"
            );
        }
    }

    #[test]
    fn a_wrong_mrz_is_refused_and_plain_reads_are_not_allowed() {
        let mut chip = passport(None, false, FACE);
        let wrong =
            Access::Mrz(AccessKey::from_fields("L898902C", "690806", "940624").expect("fields"));
        let err = emrtd::read(
            &mut chip,
            &wrong,
            &[],
            READ_AT,
            &mut counter(2),
            &Deadline::never(),
        )
        .expect_err("wrong key");
        assert!(
            matches!(err, Error::AccessDenied { protocol: "BAC" }),
            "{err:?}"
        );
        chip.reset();
        // SELECT the application, then READ BINARY DG1 by SFI without access control: 6982.
        let select = Command::new(0x00, 0xA4, 0x04, 0x0C)
            .with_data(&LDS1_AID)
            .to_bytes();
        assert_eq!(chip.transmit(&select).expect("select"), [0x90, 0x00]);
        assert_eq!(
            chip.transmit(&[0x00, 0xB0, 0x81, 0x00, 0x00])
                .expect("read"),
            [0x69, 0x82]
        );
    }

    #[test]
    fn a_portrait_over_32767_bytes_reads_with_odd_ins() {
        // A JPEG padded with a comment segment to 40 KB: still a valid JPEG for the decoder.
        let mut big = FACE[..2].to_vec();
        let comment = vec![b'x'; 40_000];
        for chunk in comment.chunks(60_000) {
            big.extend([0xFF, 0xFE]);
            big.extend(((chunk.len() + 2) as u16).to_be_bytes());
            big.extend(chunk);
        }
        big.extend(&FACE[2..]);
        let mut chip = passport(None, false, &big);
        let csca = vec![chip.csca()];
        let doc = emrtd::read(
            &mut chip,
            &mrz(),
            &csca,
            READ_AT,
            &mut counter(3),
            &Deadline::never(),
        )
        .expect("large read");
        assert_eq!(doc.portrait.image, big);
        assert_eq!(doc.passive_authentication.result, PaResult::Valid);
    }

    #[test]
    fn r12_an_expired_deadline_stops_the_read_between_apdus() {
        let sent = Arc::new(AtomicU32::new(0));
        let mut slow = Slow {
            chip: passport(None, false, FACE),
            delay: Duration::ZERO,
            sent: sent.clone(),
        };
        let csca = vec![slow.chip.csca()];
        // The deadline passes once the card has answered 12 APDUs (mid-read: BAC is done,
        // the files are being read).
        let seen = sent.clone();
        let deadline = Deadline::from_fn(Duration::from_millis(1), move || {
            seen.load(Ordering::SeqCst) >= 12
        });
        let err = emrtd::read(
            &mut slow,
            &mrz(),
            &csca,
            READ_AT,
            &mut counter(4),
            &deadline,
        )
        .expect_err("the deadline passed");
        assert!(
            matches!(err, Error::DeadlinePassed { limit_ms: 1, .. }),
            "{err:?}"
        );
        assert_eq!(
            sent.load(Ordering::SeqCst),
            12,
            "no APDU after the deadline"
        );
    }

    #[test]
    fn r12_a_file_declaring_4_gib_is_refused_before_it_is_read() {
        let sent = Arc::new(AtomicU32::new(0));
        let mut chip = passport(None, false, FACE);
        // 75 84 FFFFFFFF: DG2 claiming 4 GiB, then a few bytes.
        let mut huge = vec![0x75, 0x84, 0xFF, 0xFF, 0xFF, 0xFF];
        huge.extend([0u8; 300]);
        chip.replace_file(File::Dg(2), huge);
        let csca = vec![chip.csca()];
        let mut slow = Slow {
            chip,
            delay: Duration::ZERO,
            sent: sent.clone(),
        };
        let err = emrtd::read(
            &mut slow,
            &mrz(),
            &csca,
            READ_AT,
            &mut counter(4),
            &Deadline::never(),
        )
        .expect_err("refused");
        match err {
            Error::FileTooLarge {
                file,
                declared,
                limit,
            } => {
                assert_eq!(file, "DG2");
                assert_eq!(declared, 6 + 0xFFFF_FFFF);
                assert_eq!(limit, 256 * 1024);
            }
            other => panic!("{other:?}"),
        }
        // Access control and EF.COM, DG1 and DG2's first chunk: no more READ BINARY for DG2.
        assert!(sent.load(Ordering::SeqCst) < 12, "{sent:?}");
        // An EF.COM over 1 KiB is refused the same way.
        let mut chip = passport(None, false, FACE);
        chip.replace_file(File::Com, tlv::encode(0x60, &[0u8; 1100]));
        let err = emrtd::read(
            &mut chip,
            &mrz(),
            &[],
            READ_AT,
            &mut counter(4),
            &Deadline::never(),
        )
        .expect_err("refused");
        assert!(
            matches!(&err, Error::FileTooLarge { file, limit: 1024, .. } if file == "EF.COM"),
            "{err:?}"
        );
    }

    #[test]
    fn r12_time_a_hostile_card_holds_the_door_is_bounded_by_the_deadline() {
        // A card answering every APDU after 15 ms: a whole read takes about 40 APDUs, so
        // 0.6 s; the deadline of 200 ms stops it at the first APDU after 200 ms.
        let delay = Duration::from_millis(15);
        let limit = Duration::from_millis(200);
        let mut slow = Slow {
            chip: passport(None, false, FACE),
            delay,
            sent: Arc::new(AtomicU32::new(0)),
        };
        let csca = vec![slow.chip.csca()];
        let watch = Stopwatch::start();
        let err = emrtd::read(
            &mut slow,
            &mrz(),
            &csca,
            READ_AT,
            &mut counter(4),
            &Deadline::after(limit),
        )
        .expect_err("the slow card is stopped");
        let held = watch.elapsed();
        assert!(matches!(err, Error::DeadlinePassed { .. }), "{err:?}");
        // At most the deadline plus the one APDU under way (and scheduling on a busy host).
        assert!(
            held <= limit + delay + Duration::from_millis(150),
            "held the door {held:?} for a {limit:?} deadline"
        );
    }

    #[test]
    fn r12_a_non_ascii_dg1_is_a_parse_failure_beside_a_complete_pa_result() {
        let mut chip = passport(None, false, FACE);
        let csca = vec![chip.csca()];
        // The specimen MRZ with one byte turned into invalid UTF-8 (0xC3 0x28).
        let mut line = SPECIMEN.as_bytes().to_vec();
        line[5] = 0xC3;
        line[6] = 0x28;
        chip.replace_file(File::Dg(1), tlv::encode(0x61, &tlv::encode(0x5F1F, &line)));
        let doc = emrtd::read(
            &mut chip,
            &mrz(),
            &csca,
            READ_AT,
            &mut counter(4),
            &Deadline::never(),
        )
        .expect("the read completes");
        let why = doc.dg1.as_ref().expect_err("DG1 does not parse");
        assert!(why.contains("ASCII"), "{why}");
        let pa = &doc.passive_authentication;
        assert_eq!(pa.result, PaResult::HashMismatch { dg: 1 });
        assert_eq!(
            pa.dg_hashes,
            vec![("DG1".into(), false), ("DG2".into(), true)]
        );
        assert!(pa.sod_signature && pa.ds_by_csca && pa.certificates_valid);
    }

    #[test]
    fn r12_dg15_listed_in_ef_com_is_read_and_checked() {
        let mut chip = passport(None, false, FACE);
        let csca = vec![chip.csca()];
        // EF.COM listing DG1, DG2 and DG15 (tag 6F); DG15 holds a key the SOD never hashed.
        let mut com = tlv::encode(0x5F01, b"0107");
        com.extend(tlv::encode(0x5F36, b"040000"));
        com.extend(tlv::encode(0x5C, &[0x61, 0x75, 0x6F]));
        chip.replace_file(File::Com, tlv::encode(0x60, &com));
        chip.replace_file(File::Dg(15), tlv::encode(0x6F, &[0x30, 0x00]));
        let doc = emrtd::read(
            &mut chip,
            &mrz(),
            &csca,
            READ_AT,
            &mut counter(4),
            &Deadline::never(),
        )
        .expect("read");
        assert!(
            doc.files.iter().any(|f| f.file == "DG15"),
            "{:?}",
            doc.files
        );
        assert_eq!(
            doc.passive_authentication.result,
            PaResult::MissingHash { dg: 15 }
        );
        // DG1 and DG2 still authenticate on their own.
        assert!(doc.passive_authentication.authenticates(2));
    }
}
