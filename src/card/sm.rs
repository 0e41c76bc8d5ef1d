//! Secure messaging (ISO/IEC 7816-4 §6, as profiled by ICAO 9303-11 §9.8): every command
//! after BAC or PACE is encrypted (DO87, or DO85 for odd INS) and MACed (DO8E) under the
//! session keys with a send-sequence counter; every response is checked the same way
//! (DO87/DO85, DO99 status, DO8E) before anything in it is used.

use zeroize::Zeroizing;

use super::apdu::{Command, Response};
use super::crypto::{self, Cipher};
use super::tlv;
use super::Error;

/// An established secure-messaging session.
pub struct Session {
    cipher: Cipher,
    ks_enc: Zeroizing<Vec<u8>>,
    ks_mac: Zeroizing<Vec<u8>>,
    ssc: Vec<u8>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Session({:?}, <keys>)", self.cipher)
    }
}

impl Session {
    /// A session with these keys and initial send-sequence counter (8 bytes for 3DES, 16
    /// for AES).
    pub fn new(cipher: Cipher, ks_enc: &[u8], ks_mac: &[u8], ssc: &[u8]) -> Session {
        Session {
            cipher,
            ks_enc: Zeroizing::new(ks_enc.to_vec()),
            ks_mac: Zeroizing::new(ks_mac.to_vec()),
            ssc: ssc.to_vec(),
        }
    }

    /// The cipher.
    pub fn cipher(&self) -> Cipher {
        self.cipher
    }

    /// Largest plain response a short SM APDU can carry: the protected response (DO87 +
    /// DO99 + DO8E) must fit in 256 bytes, which chips enforce whatever Le asks.
    pub fn max_read(&self) -> usize {
        match self.cipher {
            Cipher::Tdes => 231,
            Cipher::Aes(_) => 223,
        }
    }

    fn step(&mut self) {
        for b in self.ssc.iter_mut().rev() {
            *b = b.wrapping_add(1);
            if *b != 0 {
                break;
            }
        }
    }

    fn iv(&self) -> Result<Vec<u8>, Error> {
        Ok(match self.cipher {
            Cipher::Tdes => vec![0; 8],
            Cipher::Aes(_) => crypto::ecb_encrypt_block(self.cipher, &self.ks_enc, &self.ssc)?,
        })
    }

    fn mac(&self, data: &[u8]) -> Result<[u8; 8], Error> {
        let mut input = self.ssc.clone();
        input.extend_from_slice(data);
        let padded = crypto::pad(&input, self.cipher.block());
        Ok(match self.cipher {
            Cipher::Tdes => crypto::retail_mac(&self.ks_mac, &padded)?,
            Cipher::Aes(_) => crypto::cmac8(&self.ks_mac, &padded)?,
        })
    }

    /// The protected APDU for `cmd`.
    pub fn protect(&mut self, cmd: &Command) -> Result<Vec<u8>, Error> {
        self.step();
        let bs = self.cipher.block();
        let cla = cmd.cla | 0x0C;
        let mut body = Vec::new();
        if !cmd.data.is_empty() {
            body.extend(self.encrypt_data(cmd.ins, &cmd.data)?);
        }
        if let Some(le) = cmd.le {
            body.extend(tlv::encode(0x97, &[(le & 0xFF) as u8]));
        }
        let mut mac_input = crypto::pad(&[cla, cmd.ins, cmd.p1, cmd.p2], bs);
        mac_input.extend_from_slice(&body);
        body.extend(tlv::encode(0x8E, &self.mac(&mac_input)?));
        let mut apdu = vec![cla, cmd.ins, cmd.p1, cmd.p2, body.len() as u8];
        apdu.extend(body);
        apdu.push(0x00);
        Ok(apdu)
    }

    /// Check and decrypt a protected response. A plain error status (the chip ended the
    /// session: `6987`/`6988`) or a wrong MAC is an error; the session is then unusable.
    pub fn unprotect(&mut self, response: &Response) -> Result<Response, Error> {
        self.step();
        if response.data.is_empty() {
            return Err(Error::SecureMessaging(format!(
                "the chip answered {:04X} without secure messaging (session ended)",
                response.sw
            )));
        }
        let objects = tlv::parse_all(&response.data)?;
        let mut mac_input = Vec::new();
        let (mut encrypted, mut status, mut mac) = (None, None, None);
        for o in &objects {
            match o.tag {
                0x85 | 0x87 => {
                    mac_input.extend_from_slice(o.raw);
                    encrypted = Some((o.tag, o.value));
                }
                0x99 => {
                    mac_input.extend_from_slice(o.raw);
                    status = Some(o.value);
                }
                0x8E => mac = Some(o.value),
                other => {
                    return Err(Error::SecureMessaging(format!(
                        "unexpected data object {other:02X} in a response"
                    )))
                }
            }
        }
        let mac = mac.ok_or_else(|| Error::SecureMessaging("response has no MAC (DO8E)".into()))?;
        if !crypto::same(mac, &self.mac(&mac_input)?) {
            return Err(Error::SecureMessaging(
                "response MAC does not verify".into(),
            ));
        }
        let sw = match status {
            Some([a, b]) => u16::from_be_bytes([*a, *b]),
            _ => {
                return Err(Error::SecureMessaging(
                    "response has no status (DO99)".into(),
                ))
            }
        };
        let data = match encrypted {
            None => Vec::new(),
            Some((tag, value)) => {
                let cipher_text = if tag == 0x87 {
                    match value.split_first() {
                        Some((0x01, rest)) => rest,
                        _ => {
                            return Err(Error::SecureMessaging(
                                "DO87 without padding indicator 01".into(),
                            ))
                        }
                    }
                } else {
                    value
                };
                let plain =
                    crypto::cbc_decrypt(self.cipher, &self.ks_enc, &self.iv()?, cipher_text)?;
                crypto::unpad(&plain)
                    .ok_or_else(|| Error::SecureMessaging("bad padding in response data".into()))?
            }
        };
        Ok(Response { data, sw })
    }
}

impl Session {
    fn encrypt_data(&self, ins: u8, data: &[u8]) -> Result<Vec<u8>, Error> {
        let enc = crypto::cbc_encrypt(
            self.cipher,
            &self.ks_enc,
            &self.iv()?,
            &crypto::pad(data, self.cipher.block()),
        )?;
        Ok(if ins & 1 == 1 {
            tlv::encode(0x85, &enc)
        } else {
            let mut v = vec![0x01]; // padding-content indicator: method 2
            v.extend(enc);
            tlv::encode(0x87, &v)
        })
    }

    /// Card side (the emulated passport): check and decrypt a protected command.
    pub fn unwrap_command(&mut self, apdu: &[u8]) -> Result<Command, Error> {
        self.step();
        let broken = |why: &str| Error::SecureMessaging(why.to_string());
        let (header, rest) = apdu
            .split_at_checked(4)
            .ok_or_else(|| broken("command shorter than a header"))?;
        let body = match rest.split_first() {
            Some((&lc, tail)) => tail
                .get(..usize::from(lc))
                .ok_or_else(|| broken("Lc beyond the command"))?,
            None => &[][..],
        };
        let mut mac_input = crypto::pad(header, self.cipher.block());
        let (mut data, mut le, mut mac) = (None, None, None);
        for o in tlv::parse_all(body)? {
            match o.tag {
                0x85 | 0x87 => {
                    mac_input.extend_from_slice(o.raw);
                    data = Some((o.tag, o.value));
                }
                0x97 => {
                    mac_input.extend_from_slice(o.raw);
                    le = Some(match o.value {
                        [0] | [] => 256,
                        [n] => usize::from(*n),
                        _ => 256,
                    });
                }
                0x8E => mac = Some(o.value),
                _ => return Err(broken("unexpected data object in a command")),
            }
        }
        let mac = mac.ok_or_else(|| broken("command without MAC"))?;
        if !crypto::same(mac, &self.mac(&mac_input)?) {
            return Err(broken("command MAC does not verify"));
        }
        let plain = match data {
            None => Vec::new(),
            Some((tag, value)) => {
                let ct = if tag == 0x87 {
                    value.get(1..).ok_or_else(|| broken("empty DO87"))?
                } else {
                    value
                };
                let p = crypto::cbc_decrypt(self.cipher, &self.ks_enc, &self.iv()?, ct)?;
                crypto::unpad(&p).ok_or_else(|| broken("bad padding in command data"))?
            }
        };
        Ok(Command {
            cla: header[0] & !0x0C,
            ins: header[1],
            p1: header[2],
            p2: header[3],
            data: plain,
            le,
        })
    }

    /// Card side: the protected response to a command with `ins`.
    pub fn wrap_response(&mut self, ins: u8, data: &[u8], sw: u16) -> Result<Vec<u8>, Error> {
        self.step();
        let mut out = if data.is_empty() {
            Vec::new()
        } else {
            self.encrypt_data(ins, data)?
        };
        out.extend(tlv::encode(0x99, &sw.to_be_bytes()));
        let mac = self.mac(&out)?;
        out.extend(tlv::encode(0x8E, &mac));
        out.extend(sw.to_be_bytes());
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::crypto::hex;

    #[test]
    fn select_ef_com_is_protected_as_in_appendix_d4() {
        // 9303-11 D.4: KSenc, KSmac, SSC from D.3; SELECT EF.COM.
        let mut s = Session::new(
            Cipher::Tdes,
            &hex("979EC13B1CBFE9DCD01AB0FED307EAE5"),
            &hex("F1CB1F1FB5ADF208806B89DC579DC1F8"),
            &hex("887022120C06C226"),
        );
        let cmd = Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(&[0x01, 0x1E]);
        assert_eq!(
            s.protect(&cmd).expect("protect"),
            hex("0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800")
        );
        let answer = Response::parse(&hex("990290008E08FA855A5D4C50A8ED9000")).expect("response");
        let plain = s.unprotect(&answer).expect("MAC verifies");
        assert_eq!((plain.data.len(), plain.sw), (0, 0x9000));
    }

    #[test]
    fn the_card_side_reads_what_the_reader_side_writes_and_back() {
        for cipher in [Cipher::Tdes, Cipher::Aes(16), Cipher::Aes(32)] {
            let key = vec![0x42; cipher.key_len()];
            let ssc = vec![0; cipher.block()];
            let (mut reader, mut card) = (
                Session::new(cipher, &key, &key, &ssc),
                Session::new(cipher, &key, &key, &ssc),
            );
            let cmd = Command::new(0x00, 0xB1, 0, 0)
                .with_data(&[0x54, 0x02, 0x80, 0x00])
                .with_le(200);
            let seen = card
                .unwrap_command(&reader.protect(&cmd).expect("protect"))
                .expect("card unwraps");
            assert_eq!(seen, cmd);
            let wire = card.wrap_response(0xB1, b"data", 0x9000).expect("wrap");
            let r = reader
                .unprotect(&Response::parse(&wire).expect("response"))
                .expect("verifies");
            assert_eq!((r.data.as_slice(), r.sw), (&b"data"[..], 0x9000));
        }
    }

    #[test]
    fn a_flipped_bit_or_a_plain_error_ends_the_session() {
        let key = [7u8; 16];
        let mut s = Session::new(Cipher::Aes(16), &key, &key, &[0; 16]);
        let bad = Response::parse(&hex("990290008E080000000000000000 9000")).expect("response");
        assert!(matches!(s.unprotect(&bad), Err(Error::SecureMessaging(_))));
        let plain = Response::parse(&[0x69, 0x88]).expect("sw");
        assert!(
            matches!(s.unprotect(&plain), Err(Error::SecureMessaging(m)) if m.contains("6988"))
        );
    }
}
