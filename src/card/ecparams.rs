//! Explicit elliptic-curve domain parameters (RFC 3279 §2.3.5 `ECParameters`, as BSI
//! TR-03111 §4.1.1 and many Brainpool Document Signers write them) recognised as one of the
//! four curves passive authentication verifies on (ICAO 9303-11 §5, 9303-12 §7): a key
//! whose SubjectPublicKeyInfo spells out p, a, b, G and n instead of naming the curve is
//! verified on the named curve when, and only when, every parameter equals it.

use super::tlv;

/// One supported curve: its OID and its parameters as big-endian hex (from the RustCrypto
/// crates that implement it: `p256`, `p384`, `bp256`, `bp384` 0.14).
struct Known {
    oid: &'static str,
    p: &'static str,
    a: &'static str,
    b: &'static str,
    gx: &'static str,
    gy: &'static str,
    n: &'static str,
}

const CURVES: [Known; 4] = [
    Known {
        oid: "1.2.840.10045.3.1.7", // secp256r1
        p: "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
        a: "ffffffff00000001000000000000000000000000fffffffffffffffffffffffc",
        b: "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
        gx: "6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296",
        gy: "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5",
        n: "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
    },
    Known {
        oid: "1.3.132.0.34", // secp384r1
        p: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
        a: "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000fffffffc",
        b: "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
        gx: "aa87ca22be8b05378eb1c71ef320ad746e1d3b628ba79b9859f741e082542a385502f25dbf55296c3a545e3872760ab7",
        gy: "3617de4a96262c6f5d9e98bf9292dc29f8f41dbd289a147ce9da3113b5f0b8c00a60b1ce1d7e819d7a431d7c90ea0e5f",
        n: "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
    },
    Known {
        oid: "1.3.36.3.3.2.8.1.1.7", // brainpoolP256r1
        p: "a9fb57dba1eea9bc3e660a909d838d726e3bf623d52620282013481d1f6e5377",
        a: "7d5a0975fc2c3057eef67530417affe7fb8055c126dc5c6ce94a4b44f330b5d9",
        b: "26dc5c6ce94a4b44f330b5d9bbd77cbf958416295cf7e1ce6bccdc18ff8c07b6",
        gx: "8bd2aeb9cb7e57cb2c4b482ffc81b7afb9de27e1e3bd23c23a4453bd9ace3262",
        gy: "547ef835c3dac4fd97f8461a14611dc9c27745132ded8e545c1d54c72f046997",
        n: "a9fb57dba1eea9bc3e660a909d838d718c397aa3b561a6f7901e0e82974856a7",
    },
    Known {
        oid: "1.3.36.3.3.2.8.1.1.11", // brainpoolP384r1
        p: "8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b412b1da197fb71123acd3a729901d1a71874700133107ec53",
        a: "7bc382c63d8c150c3c72080ace05afa0c2bea28e4fb22787139165efba91f90f8aa5814a503ad4eb04a8c7dd22ce2826",
        b: "04a8c7dd22ce28268b39b55416f0447c2fb77de107dcd2a62e880ea53eeb62d57cb4390295dbc9943ab78696fa504c11",
        gx: "1d1c64f068cf45ffa2a63a81b7c13f6b8847a3e77ef14fe3db7fcafe0cbd10e8e826e03436d646aaef87b2e247d4af1e",
        gy: "8abe1d7520f9c2a45cb1eb8e95cfd55262b70b29feec5864e19c054ff99129280e4646217791811142820341263c5315",
        n: "8cb91e82a3386d280f5d6f7e50e641df152f7109ed5456b31f166e6cac0425a7cf3ab6af6b7fc3103b883202e9046565",
    },
];

/// id-fieldType prime-field (X9.62).
const PRIME_FIELD: &str = "1.2.840.10045.1.1";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("the curve table is hex"))
        .collect()
}

/// An unsigned big-endian integer without leading zero bytes (INTEGER and OCTET STRING
/// encodings of the same number compare equal).
fn magnitude(b: &[u8]) -> &[u8] {
    let zeros = b.iter().take_while(|&&x| x == 0).count();
    &b[zeros..]
}

fn oid_text(bytes: &[u8]) -> Option<String> {
    der::asn1::ObjectIdentifier::from_bytes(bytes)
        .ok()
        .map(|o| o.to_string())
}

/// The named curve OID whose parameters `params` (the DER of an `ECParameters` SEQUENCE)
/// spell out; `None` when they are malformed or are no supported curve. The optional seed
/// and cofactor are not compared: p, a, b, G and n fix the group (all four have cofactor 1).
pub fn named_curve(params: &[u8]) -> Option<&'static str> {
    let fields = tlv::parse_all(tlv::unwrap(params, 0x30).ok()?).ok()?;
    // version 1, fieldID, curve, base, order[, cofactor]
    let [version, field, curve, base, order, ..] = fields.as_slice() else {
        return None;
    };
    if version.tag != 0x02 || version.value != [1] {
        return None;
    }
    let field = tlv::parse_all(tlv::unwrap(field.raw, 0x30).ok()?).ok()?;
    let [ftype, prime] = field.as_slice() else {
        return None;
    };
    if ftype.tag != 0x06 || oid_text(ftype.value)? != PRIME_FIELD || prime.tag != 0x02 {
        return None;
    }
    let curve = tlv::parse_all(tlv::unwrap(curve.raw, 0x30).ok()?).ok()?;
    let (a, b) = match curve.as_slice() {
        [a, b, ..] if a.tag == 0x04 && b.tag == 0x04 => (a.value, b.value),
        _ => return None,
    };
    if base.tag != 0x04 || order.tag != 0x02 {
        return None;
    }
    CURVES.iter().find_map(|k| {
        let mut g = vec![0x04];
        g.extend(unhex(k.gx));
        g.extend(unhex(k.gy));
        let same = magnitude(prime.value) == unhex(k.p).as_slice()
            && magnitude(a) == magnitude(&unhex(k.a))
            && magnitude(b) == magnitude(&unhex(k.b))
            && base.value == g.as_slice()
            && magnitude(order.value) == unhex(k.n).as_slice();
        same.then_some(k.oid)
    })
}

/// The explicit `ECParameters` DER of the named curve `oid` (version 1, prime field,
/// uncompressed base point, cofactor 1), as a Document Signer writing them would; for the
/// test PKI and tests.
pub fn explicit(oid: &str) -> Option<Vec<u8>> {
    let k = CURVES.iter().find(|k| k.oid == oid)?;
    let int = |hex: &str| {
        let mut v = unhex(hex);
        if v.first().is_some_and(|b| b & 0x80 != 0) {
            v.insert(0, 0);
        }
        tlv::encode(0x02, &v)
    };
    let prime_field = der::asn1::ObjectIdentifier::new_unwrap(PRIME_FIELD);
    let mut field = tlv::encode(0x06, prime_field.as_bytes());
    field.extend(int(k.p));
    let mut curve = tlv::encode(0x04, &unhex(k.a));
    curve.extend(tlv::encode(0x04, &unhex(k.b)));
    let mut g = vec![0x04];
    g.extend(unhex(k.gx));
    g.extend(unhex(k.gy));
    let mut body = tlv::encode(0x02, &[1]);
    body.extend(tlv::encode(0x30, &field));
    body.extend(tlv::encode(0x30, &curve));
    body.extend(tlv::encode(0x04, &g));
    body.extend(int(k.n));
    body.extend(tlv::encode(0x02, &[1]));
    Some(tlv::encode(0x30, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_curve_round_trips_and_a_changed_parameter_is_no_curve() {
        for k in &CURVES {
            let params = explicit(k.oid).expect("known");
            assert_eq!(named_curve(&params), Some(k.oid));
            // Flip one bit of the last byte (the cofactor's neighbour: the order n).
            let mut bad = params.clone();
            let at = bad.len() - 4;
            bad[at] ^= 1;
            assert_eq!(named_curve(&bad), None, "{}", k.oid);
        }
        assert_eq!(named_curve(&[0x30, 0x00]), None);
    }

    #[test]
    fn the_table_matches_the_curve_crates() {
        // The public key of the secret scalar 1 is the generator G of each implementation.
        macro_rules! generator {
            ($curve:ty, $len:expr) => {{
                let mut one = vec![0u8; $len];
                one[$len - 1] = 1;
                let key = ecdsa::SigningKey::<$curve>::from_slice(&one).expect("scalar 1");
                key.verifying_key().to_sec1_point(false).as_bytes().to_vec()
            }};
        }
        let points = [
            generator!(p256::NistP256, 32),
            generator!(p384::NistP384, 48),
            generator!(bp256::BrainpoolP256r1, 32),
            generator!(bp384::BrainpoolP384r1, 48),
        ];
        for (k, g) in CURVES.iter().zip(points) {
            let mut want = vec![0x04];
            want.extend(unhex(k.gx));
            want.extend(unhex(k.gy));
            assert_eq!(g, want, "{}", k.oid);
        }
    }
}
