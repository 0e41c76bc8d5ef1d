//! Machine readable zones (ICAO 9303-3 §4.9 check digits; 9303-5 TD1, 9303-6 TD2 … 9303-4
//! TD3 layouts) and the key seed BAC and PACE derive from them (9303-11 §9.7.2: document
//! number, birth date and expiry, each with its check digit).

use zeroize::Zeroizing;

/// Why a text is not a usable MRZ.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MrzError {
    /// Not 90 (TD1), 72 (TD2) or 88 (TD3) characters once line breaks are removed.
    #[error("MRZ has {0} characters; TD1 has 90, TD2 72, TD3 88")]
    Length(usize),
    /// A character outside `A-Z 0-9 <`.
    #[error("MRZ character {0:?} is not A-Z, 0-9 or <")]
    Character(char),
    /// A check digit does not match.
    #[error("{field} check digit is {found}, expected {expected}")]
    CheckDigit {
        /// Which field.
        field: &'static str,
        /// Digit in the MRZ.
        found: char,
        /// Computed digit.
        expected: char,
    },
    /// A date that is not YYMMDD digits.
    #[error("{field} {value:?} is not YYMMDD")]
    Date {
        /// Which field.
        field: &'static str,
        /// The text.
        value: String,
    },
}

/// The 9303-3 check digit of `field` (weights 7, 3, 1; `<` counts 0).
pub fn check_digit(field: &str) -> Option<char> {
    let mut sum = 0u32;
    for (i, c) in field.chars().enumerate() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            '<' => 0,
            _ => return None,
        };
        sum += v * [7, 3, 1][i % 3];
    }
    char::from_digit(sum % 10, 10)
}

/// The MRZ's document format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Format {
    /// Three lines of 30 (ID cards).
    Td1,
    /// Two lines of 36.
    Td2,
    /// Two lines of 44 (passports).
    Td3,
}

/// Every field of an MRZ, as typed values.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct Mrz {
    /// Layout.
    pub format: Format,
    /// Document code (`P`, `I`, `ID`, …), fillers removed.
    pub document_code: String,
    /// Issuing state or organisation.
    pub issuing_state: String,
    /// Primary identifier (surname).
    pub surname: String,
    /// Secondary identifier (given names, space separated).
    pub given_names: String,
    /// Document number, fillers removed (extended numbers of TD1 included).
    pub document_number: String,
    /// Nationality.
    pub nationality: String,
    /// Birth date, YYMMDD.
    pub birth_date: String,
    /// `M`, `F` or `<`.
    pub sex: String,
    /// Expiry date, YYMMDD.
    pub expiry_date: String,
    /// Optional data, fillers removed.
    pub optional_data: String,
    /// Whether every check digit (including the composite) matched.
    pub check_digits_valid: bool,
}

impl std::fmt::Debug for Mrz {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Mrz({:?}, <personal data redacted>)", self.format)
    }
}

fn clean(s: &str) -> String {
    s.trim_end_matches('<').replace('<', " ").trim().to_string()
}

fn names(s: &str) -> (String, String) {
    let s = s.trim_end_matches('<');
    match s.split_once("<<") {
        Some((sur, given)) => (clean(sur), clean(given)),
        None => (clean(s), String::new()),
    }
}

fn normalise(text: &str) -> Result<String, MrzError> {
    let m: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if let Some(bad) = m
        .chars()
        .find(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '<'))
    {
        return Err(MrzError::Character(bad));
    }
    Ok(m)
}

fn slice(s: &str, from: usize, to: usize) -> &str {
    s.get(from..to).unwrap_or("")
}

fn digit_ok(field: &str, cd: &str) -> bool {
    check_digit(field).map(|c| c.to_string()) == Some(cd.to_string())
}

/// Parse an MRZ (line breaks and spaces ignored). Check digits are reported in
/// `check_digits_valid`, not refused: a chip's DG1 is what it is.
pub fn parse(text: &str) -> Result<Mrz, MrzError> {
    let m = normalise(text)?;
    match m.len() {
        90 => {
            let (l1, l2, l3) = (slice(&m, 0, 30), slice(&m, 30, 60), slice(&m, 60, 90));
            let (mut number, mut number_cd) =
                (slice(l1, 5, 14).to_string(), slice(l1, 14, 15).to_string());
            let mut optional = slice(l1, 15, 30).to_string();
            if number_cd == "<" {
                // Extended document number (9303-5 §4.2.2 note j): the rest sits in the
                // optional data, its last character the check digit.
                let ext = optional.split('<').next().unwrap_or("").to_string();
                if let Some(cd) = ext.chars().last() {
                    number.push_str(&ext[..ext.len() - 1]);
                    number_cd = cd.to_string();
                    optional = optional[ext.len()..].to_string();
                }
            }
            let composite = format!(
                "{}{}{}{}",
                slice(l1, 5, 30),
                slice(l2, 0, 7),
                slice(l2, 8, 15),
                slice(l2, 18, 29)
            );
            let valid = digit_ok(&number, &number_cd)
                && digit_ok(slice(l2, 0, 6), slice(l2, 6, 7))
                && digit_ok(slice(l2, 8, 14), slice(l2, 14, 15))
                && digit_ok(&composite, slice(l2, 29, 30));
            let (surname, given_names) = names(l3);
            Ok(Mrz {
                format: Format::Td1,
                document_code: clean(slice(l1, 0, 2)),
                issuing_state: clean(slice(l1, 2, 5)),
                surname,
                given_names,
                document_number: clean(&number),
                nationality: clean(slice(l2, 15, 18)),
                birth_date: slice(l2, 0, 6).to_string(),
                sex: slice(l2, 7, 8).to_string(),
                expiry_date: slice(l2, 8, 14).to_string(),
                optional_data: clean(&format!("{optional}{}", slice(l2, 18, 29))),
                check_digits_valid: valid,
            })
        }
        72 | 88 => {
            let half = m.len() / 2;
            let (l1, l2) = (slice(&m, 0, half), slice(&m, half, m.len()));
            let td3 = half == 44;
            let (opt_end, composite_at) = if td3 { (42, 43) } else { (35, 35) };
            let composite = if td3 {
                format!(
                    "{}{}{}",
                    slice(l2, 0, 10),
                    slice(l2, 13, 20),
                    slice(l2, 21, 43)
                )
            } else {
                format!(
                    "{}{}{}",
                    slice(l2, 0, 10),
                    slice(l2, 13, 20),
                    slice(l2, 21, 35)
                )
            };
            let mut valid = digit_ok(slice(l2, 0, 9), slice(l2, 9, 10))
                && digit_ok(slice(l2, 13, 19), slice(l2, 19, 20))
                && digit_ok(slice(l2, 21, 27), slice(l2, 27, 28))
                && digit_ok(&composite, slice(l2, composite_at, composite_at + 1));
            if td3 {
                // The personal number's check digit may be '<' when the field is empty.
                let (pn, pn_cd) = (slice(l2, 28, 42), slice(l2, 42, 43));
                valid &= digit_ok(pn, pn_cd) || (pn_cd == "<" && pn.chars().all(|c| c == '<'));
            }
            let (surname, given_names) = names(slice(l1, 5, half));
            Ok(Mrz {
                format: if td3 { Format::Td3 } else { Format::Td2 },
                document_code: clean(slice(l1, 0, 2)),
                issuing_state: clean(slice(l1, 2, 5)),
                surname,
                given_names,
                document_number: clean(slice(l2, 0, 9)),
                nationality: clean(slice(l2, 10, 13)),
                birth_date: slice(l2, 13, 19).to_string(),
                sex: slice(l2, 20, 21).to_string(),
                expiry_date: slice(l2, 21, 27).to_string(),
                optional_data: clean(slice(l2, 28, opt_end)),
                check_digits_valid: valid,
            })
        }
        n => Err(MrzError::Length(n)),
    }
}

/// A TD3 (passport) MRZ with correct check digits, for emulated documents. Names are
/// upper-cased; characters outside A-Z become fillers.
pub fn td3(
    surname: &str,
    given: &str,
    number: &str,
    nationality: &str,
    birth: &str,
    sex: char,
    expiry: &str,
) -> String {
    let field = |s: &str| -> String {
        s.to_ascii_uppercase()
            .chars()
            .map(|c| {
                if c.is_ascii_uppercase() || c.is_ascii_digit() {
                    c
                } else {
                    '<'
                }
            })
            .collect()
    };
    let pad = |s: String, n: usize| -> String { format!("{s:<<n$}").chars().take(n).collect() };
    let names = pad(format!("{}<<{}", field(surname), field(given)), 39);
    let line1 = format!("P<{}{}", pad(field(nationality), 3), names);
    let number = pad(field(number), 9);
    let cd = |s: &str| check_digit(s).unwrap_or('0');
    let optional = pad(String::new(), 14);
    let body = format!(
        "{number}{}{}{birth}{}{sex}{expiry}{}{optional}{}",
        cd(&number),
        pad(field(nationality), 3),
        cd(birth),
        cd(expiry),
        cd(&optional)
    );
    let composite = format!("{}{}{}", &body[0..10], &body[13..20], &body[21..43]);
    format!("{line1}{body}{}", cd(&composite))
}

/// The secret BAC and PACE-with-MRZ derive their keys from: document number, birth date and
/// expiry, each followed by its check digit (9303-11 §9.7.2). Wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessKey(Zeroizing<String>);

impl std::fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessKey(<secret>)")
    }
}

fn yymmdd(field: &'static str, value: &str) -> Result<(), MrzError> {
    let ok = value.len() == 6
        && value.chars().all(|c| c.is_ascii_digit())
        && matches!(
            &value[2..4],
            "01" | "02" | "03" | "04" | "05" | "06" | "07" | "08" | "09" | "10" | "11" | "12"
        );
    if ok {
        Ok(())
    } else {
        Err(MrzError::Date {
            field,
            value: value.to_string(),
        })
    }
}

impl AccessKey {
    /// From the printed fields (document number of any length, dates YYMMDD).
    pub fn from_fields(
        document_number: &str,
        birth: &str,
        expiry: &str,
    ) -> Result<AccessKey, MrzError> {
        let mut number = normalise(document_number)?;
        while number.len() < 9 {
            number.push('<');
        }
        yymmdd("birth date", birth)?;
        yymmdd("expiry date", expiry)?;
        let cd = |s: &str| check_digit(s).ok_or(MrzError::Character('?'));
        Ok(AccessKey(Zeroizing::new(format!(
            "{number}{}{birth}{}{expiry}{}",
            cd(&number)?,
            cd(birth)?,
            cd(expiry)?
        ))))
    }

    /// From a whole MRZ; its three check digits must be right (a wrong one means keys the
    /// chip will not accept).
    pub fn from_mrz(text: &str) -> Result<AccessKey, MrzError> {
        let mrz = parse(text)?;
        for (field, value, cd) in key_fields(&normalise(text)?) {
            let expected = check_digit(&value).unwrap_or('?');
            let found = cd.chars().next().unwrap_or('?');
            if expected != found {
                return Err(MrzError::CheckDigit {
                    field,
                    found,
                    expected,
                });
            }
        }
        AccessKey::from_fields(&mrz.document_number, &mrz.birth_date, &mrz.expiry_date)
    }

    /// The key seed string (`L898902C<369080619406236`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn key_fields(m: &str) -> Vec<(&'static str, String, String)> {
    if m.len() == 90 {
        let (l1, l2) = (slice(m, 0, 30), slice(m, 30, 60));
        vec![
            (
                "document number",
                slice(l1, 5, 14).to_string(),
                slice(l1, 14, 15).to_string(),
            ),
            (
                "birth date",
                slice(l2, 0, 6).to_string(),
                slice(l2, 6, 7).to_string(),
            ),
            (
                "expiry date",
                slice(l2, 8, 14).to_string(),
                slice(l2, 14, 15).to_string(),
            ),
        ]
        .into_iter()
        .filter(|(_, _, cd)| cd != "<")
        .collect()
    } else {
        let l2 = slice(m, m.len() / 2, m.len());
        vec![
            (
                "document number",
                slice(l2, 0, 9).to_string(),
                slice(l2, 9, 10).to_string(),
            ),
            (
                "birth date",
                slice(l2, 13, 19).to_string(),
                slice(l2, 19, 20).to_string(),
            ),
            (
                "expiry date",
                slice(l2, 21, 27).to_string(),
                slice(l2, 27, 28).to_string(),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // ICAO 9303-11 Appendix D.2 specimen (TD3) and 9303-5 specimen (TD1).
    const TD3: &str = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C<3UTO6908061F9406236ZE184226B<<<<<14";
    const TD1: &str = "I<UTOD231458907<<<<<<<<<<<<<<<7408122F1204159UTO<<<<<<<<<<<6ERIKSSON<<ANNA<MARIA<<<<<<<<<<";

    #[test]
    fn the_icao_specimens_parse_with_valid_check_digits() {
        let p = parse(TD3).expect("TD3");
        assert_eq!(p.format, Format::Td3);
        assert_eq!(
            (p.surname.as_str(), p.given_names.as_str()),
            ("ERIKSSON", "ANNA MARIA")
        );
        assert_eq!(
            (
                p.document_number.as_str(),
                p.birth_date.as_str(),
                p.expiry_date.as_str()
            ),
            ("L898902C", "690806", "940623")
        );
        assert_eq!(
            (
                p.sex.as_str(),
                p.nationality.as_str(),
                p.optional_data.as_str()
            ),
            ("F", "UTO", "ZE184226B")
        );
        assert!(p.check_digits_valid);
        let i = parse(TD1).expect("TD1");
        assert_eq!(
            (
                i.format,
                i.document_number.as_str(),
                i.document_code.as_str()
            ),
            (Format::Td1, "D23145890", "I")
        );
        assert!(i.check_digits_valid, "{i:?}");
        let spoiled = TD3.replace("6908061", "6908071");
        assert!(!parse(&spoiled).expect("parses").check_digits_valid);
    }

    #[test]
    fn a_built_td3_parses_with_valid_check_digits() {
        let m = td3(
            "Obama",
            "Barack",
            "L898902C3",
            "UTO",
            "110804",
            'M',
            "310415",
        );
        assert_eq!(m.len(), 88);
        let p = parse(&m).expect("parses");
        assert!(p.check_digits_valid, "{m}");
        assert_eq!(
            (p.surname.as_str(), p.document_number.as_str()),
            ("OBAMA", "L898902C3")
        );
        assert_eq!(
            AccessKey::from_mrz(&m).expect("key"),
            AccessKey::from_fields("L898902C3", "110804", "310415").expect("key")
        );
    }

    #[test]
    fn the_key_seed_is_the_one_in_appendix_d() {
        // 9303-11 D.2: "L898902C<369080619406236".
        assert_eq!(
            AccessKey::from_mrz(TD3).expect("valid").as_str(),
            "L898902C<369080619406236"
        );
        assert_eq!(
            AccessKey::from_fields("L898902C", "690806", "940623")
                .expect("valid")
                .as_str(),
            "L898902C<369080619406236"
        );
        assert_eq!(
            AccessKey::from_mrz(&TD3.replace("L898902C<3", "L898902C<4")),
            Err(MrzError::CheckDigit {
                field: "document number",
                found: '4',
                expected: '3'
            })
        );
        assert!(
            AccessKey::from_fields("L898902C", "691306", "940623").is_err(),
            "month 13"
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "[A-Z0-9<\n]{0,100}") {
            let _ = parse(&s);
            let _ = AccessKey::from_mrz(&s);
        }
    }
}
