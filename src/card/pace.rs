//! PACE (ICAO 9303-11 §4.4) with ECDH Generic Mapping and AES secure messaging, on the four
//! standardized curves the chips in use offer: brainpoolP256r1 (parameter id 13),
//! secp256r1 (12), brainpoolP384r1 (16), secp384r1 (15), with AES-128/192/256. The password
//! is the MRZ key seed or the CAN. The curve arithmetic is RustCrypto's.

use p256::elliptic_curve::point::AffineCoordinates;
use p256::elliptic_curve::sec1::{FromSec1Point, ModulusSize, ToSec1Point};
use p256::elliptic_curve::{
    ops::Reduce, AffinePoint, CurveArithmetic, FieldBytes, FieldBytesSize, Group, NonZeroScalar,
    ProjectivePoint, PublicKey, Scalar,
};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use super::apdu::{Command, Status};
use super::crypto::{self, Cipher};
use super::mrz::AccessKey;
use super::sm::Session;
use super::tlv;
use super::{Channel, Error};

/// id-PACE-ECDH-GM-AES-CBC-CMAC-128 (0.4.0.127.0.7.2.2.4.2.2), DER content bytes; -192 and
/// -256 end in 3 and 4.
const OID_ECDH_GM_AES: [u8; 9] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04, 0x02];

/// A standardized elliptic curve (9303-11 §9.5.1 table of domain parameter ids).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Curve {
    /// secp256r1, id 12.
    P256,
    /// brainpoolP256r1, id 13.
    BrainpoolP256,
    /// secp384r1, id 15.
    P384,
    /// brainpoolP384r1, id 16.
    BrainpoolP384,
}

impl Curve {
    /// From the standardized domain parameter id.
    pub fn from_id(id: u8) -> Option<Curve> {
        match id {
            12 => Some(Curve::P256),
            13 => Some(Curve::BrainpoolP256),
            15 => Some(Curve::P384),
            16 => Some(Curve::BrainpoolP384),
            _ => None,
        }
    }

    /// The id.
    pub fn id(self) -> u8 {
        match self {
            Curve::P256 => 12,
            Curve::BrainpoolP256 => 13,
            Curve::P384 => 15,
            Curve::BrainpoolP384 => 16,
        }
    }
}

/// Which password PACE runs with.
#[derive(Clone)]
pub enum Password {
    /// The MRZ key seed (reference 1).
    Mrz(AccessKey),
    /// The card access number (reference 2).
    Can(Zeroizing<String>),
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Password::Mrz(_) => "Password::Mrz(<secret>)",
            Password::Can(_) => "Password::Can(<secret>)",
        })
    }
}

impl Password {
    fn reference(&self) -> u8 {
        match self {
            Password::Mrz(_) => 1,
            Password::Can(_) => 2,
        }
    }

    /// K_pi = KDF(password, 3) (9303-11 §9.7.3): SHA-1 of the MRZ seed, or the CAN's ASCII.
    pub fn key(&self, cipher: Cipher) -> Zeroizing<Vec<u8>> {
        let secret = Zeroizing::new(match self {
            Password::Mrz(k) => Sha1::digest(k.as_str().as_bytes()).to_vec(),
            Password::Can(c) => c.as_bytes().to_vec(),
        });
        crypto::kdf(&secret, 3, cipher)
    }
}

/// One PACEInfo of EF.CardAccess we can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PaceInfo {
    /// AES key length, 16, 24 or 32.
    pub key_len: usize,
    /// Curve.
    pub curve: Curve,
}

impl PaceInfo {
    /// The protocol OID's content bytes.
    pub fn oid(&self) -> Vec<u8> {
        let mut oid = OID_ECDH_GM_AES.to_vec();
        oid.push(match self.key_len {
            16 => 2,
            24 => 3,
            _ => 4,
        });
        oid
    }
}

/// The PACEInfos in EF.CardAccess we support, in file order (9303-11 §9.2.1: SET OF
/// SecurityInfo; PACEInfo = SEQUENCE { protocol OID, version INTEGER, parameterId INTEGER }).
pub fn parse_card_access(bytes: &[u8]) -> Result<Vec<PaceInfo>, Error> {
    let set = tlv::unwrap(bytes, 0x31)?;
    let mut out = Vec::new();
    for info in tlv::parse_all(set)? {
        if info.tag != 0x30 {
            continue;
        }
        let fields = tlv::parse_all(info.value)?;
        let (Some(oid), Some(param)) = (fields.first(), fields.get(2)) else {
            continue;
        };
        if oid.tag != 0x06 || oid.value.len() != 10 || oid.value[..9] != OID_ECDH_GM_AES {
            continue;
        }
        let key_len = match oid.value[9] {
            2 => 16,
            3 => 24,
            4 => 32,
            _ => continue,
        };
        if let (0x02, [id]) = (param.tag, param.value) {
            if let Some(curve) = Curve::from_id(*id) {
                out.push(PaceInfo { key_len, curve });
            }
        }
    }
    Ok(out)
}

/// One GENERAL AUTHENTICATE step: the tag to send and its value → the chip's value.
type Exchange<'a> = dyn FnMut(u32, &[u8]) -> Result<Vec<u8>, Error> + 'a;

/// The shared secret K, our ephemeral public key, the chip's ephemeral public key.
type Agreement = (Zeroizing<Vec<u8>>, Vec<u8>, Vec<u8>);

/// The curve operations GM needs, on one RustCrypto curve.
struct Ops<C>(std::marker::PhantomData<C>);

impl<C> Ops<C>
where
    C: CurveArithmetic,
    FieldBytesSize<C>: ModulusSize,
    AffinePoint<C>:
        FromSec1Point<C> + ToSec1Point<C> + AffineCoordinates<FieldRepr = FieldBytes<C>>,
    Scalar<C>: Reduce<FieldBytes<C>>,
{
    fn field_len() -> usize {
        FieldBytes::<C>::default().len()
    }

    /// A big-endian integer of up to the field size, reduced mod n.
    fn scalar(bytes: &[u8]) -> Option<Scalar<C>> {
        let n = Self::field_len();
        if bytes.len() > n {
            return None;
        }
        let mut repr = FieldBytes::<C>::default();
        repr[n - bytes.len()..].copy_from_slice(bytes);
        Some(<Scalar<C> as Reduce<FieldBytes<C>>>::reduce(&repr))
    }

    fn random_scalar(random: &mut dyn FnMut(&mut [u8])) -> NonZeroScalar<C> {
        loop {
            let mut repr = FieldBytes::<C>::default();
            random(&mut repr);
            if let Some(s) = NonZeroScalar::<C>::from_repr(repr).into_option() {
                return s;
            }
        }
    }

    fn decode(bytes: &[u8]) -> Result<ProjectivePoint<C>, Error> {
        PublicKey::<C>::from_sec1_bytes(bytes)
            .map(|k| k.to_projective())
            .map_err(|_| Error::Malformed {
                what: "PACE public key",
                reason: "not a point on the curve".into(),
            })
    }

    fn encode(p: &ProjectivePoint<C>) -> Vec<u8> {
        let a: AffinePoint<C> = (*p).into();
        a.to_sec1_point(false).as_bytes().to_vec()
    }

    fn x(p: &ProjectivePoint<C>) -> Vec<u8> {
        let a: AffinePoint<C> = (*p).into();
        a.x().to_vec()
    }

    /// Steps 2–3 of GM and the key agreement, driven by `exchange` (one GENERAL AUTHENTICATE
    /// per call: tag to send, value → chip's value). Returns (K, our PK_eph, chip's PK_eph).
    fn agree(
        nonce: &[u8],
        random: &mut dyn FnMut(&mut [u8]),
        exchange: &mut Exchange<'_>,
    ) -> Result<Agreement, Error> {
        let g = ProjectivePoint::<C>::generator();
        let s = Self::scalar(nonce).ok_or_else(|| Error::Malformed {
            what: "PACE nonce",
            reason: format!("{} bytes is longer than the field", nonce.len()),
        })?;
        let sk_map = Self::random_scalar(random);
        let pk_map = g * *sk_map;
        let chip_map = Self::decode(&exchange(0x81, &Self::encode(&pk_map))?)?;
        let mapped = g * s + chip_map * *sk_map;
        let sk_eph = Self::random_scalar(random);
        let pk_eph = mapped * *sk_eph;
        let ours = Self::encode(&pk_eph);
        let theirs = exchange(0x83, &ours)?;
        if theirs == ours {
            return Err(Error::Malformed {
                what: "PACE",
                reason: "the chip echoed our ephemeral key".into(),
            });
        }
        let shared = Self::decode(&theirs)? * *sk_eph;
        Ok((Zeroizing::new(Self::x(&shared)), ours, theirs))
    }

    fn secret(bytes: &[u8]) -> Result<Scalar<C>, Error> {
        Self::scalar(bytes).ok_or_else(|| Error::Malformed {
            what: "PACE",
            reason: "secret longer than the field".into(),
        })
    }

    /// G~ = s·G + sk_map·PK_map(peer).
    fn mapped(nonce: &[u8], sk_map: &[u8], peer_map: &[u8]) -> Result<ProjectivePoint<C>, Error> {
        let g = ProjectivePoint::<C>::generator();
        Ok(g * Self::secret(nonce)? + Self::decode(peer_map)? * Self::secret(sk_map)?)
    }

    /// sk·G, encoded.
    fn public(sk: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(Self::encode(
            &(ProjectivePoint::<C>::generator() * Self::secret(sk)?),
        ))
    }

    /// sk_eph·G~, encoded.
    fn ephemeral(
        nonce: &[u8],
        sk_map: &[u8],
        peer_map: &[u8],
        sk_eph: &[u8],
    ) -> Result<Vec<u8>, Error> {
        Ok(Self::encode(
            &(Self::mapped(nonce, sk_map, peer_map)? * Self::secret(sk_eph)?),
        ))
    }

    /// x(sk_eph·PK_eph(peer)).
    fn shared(sk_eph: &[u8], peer_eph: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        Ok(Zeroizing::new(Self::x(
            &(Self::decode(peer_eph)? * Self::secret(sk_eph)?),
        )))
    }
}

/// `Ops::<the curve's RustCrypto type>::$f(args)` for a runtime [`Curve`].
macro_rules! on_curve {
    ($curve:expr, $f:ident ( $($arg:expr),* $(,)? )) => {
        match $curve {
            Curve::P256 => Ops::<p256::NistP256>::$f($($arg),*),
            Curve::BrainpoolP256 => Ops::<bp256::BrainpoolP256r1>::$f($($arg),*),
            Curve::P384 => Ops::<p384::NistP384>::$f($($arg),*),
            Curve::BrainpoolP384 => Ops::<bp384::BrainpoolP384r1>::$f($($arg),*),
        }
    };
}

/// Chip side (the emulated passport): the public key of `sk` on the standard generator.
pub(crate) fn chip_public(curve: Curve, sk: &[u8]) -> Result<Vec<u8>, Error> {
    on_curve!(curve, public(sk))
}

/// Chip side: its ephemeral public key on the mapped generator.
pub(crate) fn chip_ephemeral(
    curve: Curve,
    nonce: &[u8],
    sk_map: &[u8],
    peer_map: &[u8],
    sk_eph: &[u8],
) -> Result<Vec<u8>, Error> {
    on_curve!(curve, ephemeral(nonce, sk_map, peer_map, sk_eph))
}

/// Chip side: the shared secret K = x(sk_eph · PK_eph(peer)).
pub(crate) fn chip_shared(
    curve: Curve,
    sk_eph: &[u8],
    peer_eph: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    on_curve!(curve, shared(sk_eph, peer_eph))
}

/// Bytes in a scalar of `curve`.
pub(crate) fn scalar_len(curve: Curve) -> usize {
    match curve {
        Curve::P256 | Curve::BrainpoolP256 => 32,
        Curve::P384 | Curve::BrainpoolP384 => 48,
    }
}

/// The authentication token T = CMAC(KSmac, 7F49 { 06 OID, 86 public key })[..8].
pub fn token(ks_mac: &[u8], oid: &[u8], public: &[u8]) -> Result<[u8; 8], Error> {
    let mut inner = tlv::encode(0x06, oid);
    inner.extend(tlv::encode(0x86, public));
    Ok(crypto::cmac8(ks_mac, &tlv::encode(0x7F49, &inner))?)
}

fn general_authenticate(
    ch: &mut Channel<'_>,
    tag: u32,
    value: &[u8],
    last: bool,
) -> Result<Vec<u8>, Error> {
    // 10 86 00 00 (command chaining while not the last step) Lc 7C { tag value } 00
    let cla = if last { 0x00 } else { 0x10 };
    let data = tlv::encode(
        0x7C,
        &if value.is_empty() && tag == 0 {
            Vec::new()
        } else {
            tlv::encode(tag, value)
        },
    );
    let r = ch.send(
        &Command::new(cla, 0x86, 0x00, 0x00)
            .with_data(&data)
            .with_le(256),
    )?;
    match r.status() {
        Status::Ok => Ok(tlv::unwrap(&r.data, 0x7C)?.to_vec()),
        Status::AuthenticationFailed | Status::SecurityNotSatisfied => {
            Err(Error::AccessDenied { protocol: "PACE" })
        }
        _ => Err(Error::Status {
            command: "GENERAL AUTHENTICATE",
            sw: r.sw,
        }),
    }
}

fn value_of(dynamic: &[u8], tag: u32) -> Result<Vec<u8>, Error> {
    Ok(tlv::find(dynamic, tag)?.value.to_vec())
}

/// Run PACE with `info` and `password` on the card (before selecting the application).
pub fn establish(
    ch: &mut Channel<'_>,
    info: PaceInfo,
    password: &Password,
    random: &mut dyn FnMut(&mut [u8]),
) -> Result<Session, Error> {
    let cipher = Cipher::Aes(info.key_len);
    let oid = info.oid();
    // MSE:Set AT: 00 22 C1 A4 Lc { 80 OID, 83 password ref, 84 parameter id }
    let mut data = tlv::encode(0x80, &oid);
    data.extend(tlv::encode(0x83, &[password.reference()]));
    data.extend(tlv::encode(0x84, &[info.curve.id()]));
    let r = ch.send(&Command::new(0x00, 0x22, 0xC1, 0xA4).with_data(&data))?;
    match r.status() {
        Status::Ok => {}
        // 6A88, referenced data not found: the chip has no such password (no CAN set).
        Status::Unknown(0x6A, 0x88) => return Err(Error::AccessDenied { protocol: "PACE" }),
        _ => {
            return Err(Error::Status {
                command: "MSE:Set AT",
                sw: r.sw,
            })
        }
    }
    // Step 1: the encrypted nonce.
    let z = value_of(&general_authenticate(ch, 0, &[], false)?, 0x80)?;
    let kpi = password.key(cipher);
    let nonce = Zeroizing::new(crypto::cbc_decrypt(cipher, &kpi, &[0; 16], &z)?);
    let mut step = |tag: u32, value: &[u8]| -> Result<Vec<u8>, Error> {
        value_of(&general_authenticate(ch, tag, value, false)?, tag + 1)
    };
    let (k, ours, theirs) = on_curve!(info.curve, agree(&nonce, random, &mut step))?;
    let ks_enc = crypto::kdf(&k, 1, cipher);
    let ks_mac = crypto::kdf(&k, 2, cipher);
    let ours_token = token(&ks_mac, &oid, &theirs)?;
    let answer = general_authenticate(ch, 0x85, &ours_token, true)?;
    let chip_token = value_of(&answer, 0x86)?;
    if !crypto::same(&chip_token, &token(&ks_mac, &oid, &ours)?) {
        return Err(Error::Malformed {
            what: "PACE",
            reason: "the chip's authentication token does not verify".into(),
        });
    }
    Ok(Session::new(cipher, &ks_enc, &ks_mac, &[0; 16]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::crypto::hex;

    #[test]
    fn appendix_g1_card_access_and_password_key() {
        // 9303-11 G.1: EF.CardAccess = 3114 3012 060A 04007F00070202040202 020102 02010D.
        let infos = parse_card_access(&hex("31143012060A04007F0007020204020202010202010D"))
            .expect("parses");
        assert_eq!(
            infos,
            vec![PaceInfo {
                key_len: 16,
                curve: Curve::BrainpoolP256
            }]
        );
        let key = AccessKey::from_fields("T22000129", "640812", "101031").expect("G.1 MRZ");
        let kpi = Password::Mrz(key).key(Cipher::Aes(16));
        assert_eq!(*kpi, hex("89DED1B26624EC1E634C1989302849DD"));
        let nonce = crypto::cbc_decrypt(
            Cipher::Aes(16),
            &kpi,
            &[0; 16],
            &hex("95A3A016522EE98D01E76CB6B98B42C3"),
        )
        .expect("decrypt");
        assert_eq!(nonce, hex("3F00C4D39D153F2B2A214A078D899B22"));
    }

    #[test]
    fn appendix_g1_generic_mapping_key_agreement_and_tokens() {
        type O = Ops<bp256::BrainpoolP256r1>;
        let script: Vec<Vec<u8>> = vec![
            // 9303-11 G.1: the chip's mapping key, then its ephemeral key.
            hex("04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F5730D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"),
            hex("049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"),
        ];
        // The terminal's private keys of G.1, fed as the "random" bytes.
        let mut secrets = vec![
            hex("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99"),
            hex("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595"),
        ]
        .into_iter();
        let mut random = |buf: &mut [u8]| buf.copy_from_slice(&secrets.next().expect("two keys"));
        let mut sent = Vec::new();
        let mut answers = script.into_iter();
        let mut exchange = |tag: u32, value: &[u8]| {
            sent.push((tag, value.to_vec()));
            Ok(answers.next().expect("two answers"))
        };
        let (k, ours, theirs) = O::agree(
            &hex("3F00C4D39D153F2B2A214A078D899B22"),
            &mut random,
            &mut exchange,
        )
        .expect("agree");
        assert_eq!(sent[0].1, hex("047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"));
        assert_eq!(ours, hex("042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"));
        assert_eq!(
            *k,
            hex("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
        );
        let ks_enc = crypto::kdf(&k, 1, Cipher::Aes(16));
        let ks_mac = crypto::kdf(&k, 2, Cipher::Aes(16));
        assert_eq!(*ks_enc, hex("F5F0E35C0D7161EE6724EE513A0D9A7F"));
        assert_eq!(*ks_mac, hex("FE251C7858B356B24514B3BD5F4297D1"));
        let oid = PaceInfo {
            key_len: 16,
            curve: Curve::BrainpoolP256,
        }
        .oid();
        assert_eq!(
            token(&ks_mac, &oid, &theirs).expect("T_IFD").to_vec(),
            hex("C2B0BD78D94BA866")
        );
        assert_eq!(
            token(&ks_mac, &oid, &ours).expect("T_IC").to_vec(),
            hex("3ABB9674BCE93C08")
        );
    }
}
