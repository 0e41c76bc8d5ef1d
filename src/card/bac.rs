//! Basic Access Control (ICAO 9303-11 §4.3): GET CHALLENGE, MUTUAL AUTHENTICATE with keys
//! derived from the MRZ, then 3DES secure messaging. The arithmetic is split from the two
//! APDUs so Appendix D's worked example checks it byte for byte.

use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use super::apdu::{Command, Status};
use super::crypto::{self, Cipher};
use super::mrz::AccessKey;
use super::sm::Session;
use super::{Channel, Error};

/// Kenc and Kmac from the MRZ key seed (9303-11 §9.7.2: Kseed = SHA-1(MRZ information)
/// truncated to 16 bytes).
pub fn basic_keys(key: &AccessKey) -> (Zeroizing<Vec<u8>>, Zeroizing<Vec<u8>>) {
    let seed = Zeroizing::new(Sha1::digest(key.as_str().as_bytes())[..16].to_vec());
    (
        crypto::kdf(&seed, 1, Cipher::Tdes),
        crypto::kdf(&seed, 2, Cipher::Tdes),
    )
}

/// The MUTUAL AUTHENTICATE command data: E_IFD ‖ M_IFD.
pub fn authenticate_data(
    kenc: &[u8],
    kmac: &[u8],
    rnd_ifd: &[u8; 8],
    rnd_ic: &[u8; 8],
    k_ifd: &[u8; 16],
) -> Result<Vec<u8>, Error> {
    let mut s = rnd_ifd.to_vec();
    s.extend_from_slice(rnd_ic);
    s.extend_from_slice(k_ifd);
    let e = crypto::cbc_encrypt(Cipher::Tdes, kenc, &[0; 8], &s)?;
    let m = crypto::retail_mac(kmac, &crypto::pad(&e, 8))?;
    let mut out = e;
    out.extend_from_slice(&m);
    Ok(out)
}

/// The session from the chip's answer: checks its MAC and that it returns our nonce.
pub fn session_from_answer(
    kenc: &[u8],
    kmac: &[u8],
    answer: &[u8],
    rnd_ifd: &[u8; 8],
    rnd_ic: &[u8; 8],
    k_ifd: &[u8; 16],
) -> Result<Session, Error> {
    if answer.len() != 40 {
        return Err(Error::Malformed {
            what: "MUTUAL AUTHENTICATE response",
            reason: format!("{} bytes, expected 40", answer.len()),
        });
    }
    let (e, m) = answer.split_at(32);
    if !crypto::same(m, &crypto::retail_mac(kmac, &crypto::pad(e, 8))?) {
        return Err(Error::Malformed {
            what: "MUTUAL AUTHENTICATE response",
            reason: "MAC does not verify".into(),
        });
    }
    let r = Zeroizing::new(crypto::cbc_decrypt(Cipher::Tdes, kenc, &[0; 8], e)?);
    if r[..8] != rnd_ic[..] || r[8..16] != rnd_ifd[..] {
        return Err(Error::Malformed {
            what: "MUTUAL AUTHENTICATE response",
            reason: "the chip did not return our nonces".into(),
        });
    }
    let seed: Zeroizing<Vec<u8>> =
        Zeroizing::new(k_ifd.iter().zip(&r[16..32]).map(|(a, b)| a ^ b).collect());
    let mut ssc = rnd_ic[4..8].to_vec();
    ssc.extend_from_slice(&rnd_ifd[4..8]);
    Ok(Session::new(
        Cipher::Tdes,
        &crypto::kdf(&seed, 1, Cipher::Tdes),
        &crypto::kdf(&seed, 2, Cipher::Tdes),
        &ssc,
    ))
}

/// Run BAC on the selected LDS1 application.
pub fn establish(
    ch: &mut Channel<'_>,
    key: &AccessKey,
    random: &mut dyn FnMut(&mut [u8]),
) -> Result<Session, Error> {
    // GET CHALLENGE: 00 84 00 00 08
    let challenge = ch.send(&Command::new(0x00, 0x84, 0x00, 0x00).with_le(8))?;
    match challenge.status() {
        Status::Ok => {}
        Status::InsNotSupported | Status::ClaNotSupported => {
            return Err(Error::Unsupported(
                "BAC (the chip accepts PACE only)".into(),
            ))
        }
        _ => {
            return Err(Error::Status {
                command: "GET CHALLENGE",
                sw: challenge.sw,
            })
        }
    }
    let rnd_ic: [u8; 8] = challenge
        .data
        .as_slice()
        .try_into()
        .map_err(|_| Error::Malformed {
            what: "GET CHALLENGE response",
            reason: format!("{} bytes, expected 8", challenge.data.len()),
        })?;
    let (kenc, kmac) = basic_keys(key);
    let mut rnd_ifd = [0u8; 8];
    let mut k_ifd = Zeroizing::new([0u8; 16]);
    random(&mut rnd_ifd);
    random(k_ifd.as_mut());
    let data = authenticate_data(&kenc, &kmac, &rnd_ifd, &rnd_ic, &k_ifd)?;
    // MUTUAL AUTHENTICATE: 00 82 00 00 28 <E_IFD M_IFD> 28
    let answer = ch.send(
        &Command::new(0x00, 0x82, 0x00, 0x00)
            .with_data(&data)
            .with_le(40),
    )?;
    match answer.status() {
        Status::Ok => session_from_answer(&kenc, &kmac, &answer.data, &rnd_ifd, &rnd_ic, &k_ifd),
        Status::AuthenticationFailed | Status::SecurityNotSatisfied => {
            Err(Error::AccessDenied { protocol: "BAC" })
        }
        Status::InsNotSupported => Err(Error::Unsupported(
            "BAC (the chip accepts PACE only)".into(),
        )),
        _ => Err(Error::Status {
            command: "MUTUAL AUTHENTICATE",
            sw: answer.sw,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::apdu::Response;
    use crate::card::crypto::hex;

    fn arr<const N: usize>(s: &str) -> [u8; N] {
        hex(s).try_into().expect("test vector length")
    }

    #[test]
    fn appendix_d3_mutual_authentication_and_session_keys() {
        let key = AccessKey::from_fields("L898902C", "690806", "940623").expect("D.2 MRZ");
        let (kenc, kmac) = basic_keys(&key);
        let (rnd_ic, rnd_ifd, k_ifd) = (
            arr::<8>("4608F91988702212"),
            arr::<8>("781723860C06C226"),
            arr::<16>("0B795240CB7049B01C19B33E32804F0B"),
        );
        assert_eq!(
            authenticate_data(&kenc, &kmac, &rnd_ifd, &rnd_ic, &k_ifd).expect("cmd data"),
            hex("72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F25F1448EEA8AD90A7")
        );
        let answer =
            hex("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449");
        let mut session =
            session_from_answer(&kenc, &kmac, &answer, &rnd_ifd, &rnd_ic, &k_ifd).expect("D.3");
        // D.4: the first protected command under the derived keys and SSC 887022120C06C226.
        let apdu = session
            .protect(&Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(&[0x01, 0x1E]))
            .expect("protect");
        assert_eq!(
            apdu,
            hex("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
        );
        let reply = Response::parse(&hex("990290008E08FA855A5D4C50A8ED9000")).expect("reply");
        assert_eq!(session.unprotect(&reply).expect("verifies").sw, 0x9000);
    }

    #[test]
    fn an_answer_for_other_nonces_is_refused() {
        let key = AccessKey::from_fields("L898902C", "690806", "940623").expect("D.2 MRZ");
        let (kenc, kmac) = basic_keys(&key);
        let answer =
            hex("46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F2F2D235D074D7449");
        let other = arr::<8>("0000000000000000");
        let r = session_from_answer(
            &kenc,
            &kmac,
            &answer,
            &other,
            &arr::<8>("4608F91988702212"),
            &arr::<16>("0B795240CB7049B01C19B33E32804F0B"),
        );
        assert!(matches!(r, Err(Error::Malformed { .. })));
    }
}
