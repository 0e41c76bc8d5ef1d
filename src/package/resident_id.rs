//! The 18-character resident identity number (GB 11643-1999): 6-digit area, 8-digit birth
//! date, 3-digit sequence, and a check character by ISO 7064 MOD 11-2 (`X` for 10).

use chrono::NaiveDate;

/// Why an identity number is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not 18 characters.
    #[error("has {0} characters, expected 18")]
    Length(usize),
    /// A non-digit among the first 17, or a last character other than a digit or X.
    #[error("has {0:?} where a digit is expected")]
    NotDigit(char),
    /// The embedded birth date is not a date.
    #[error("embeds birth date {0}, which is not a date")]
    BirthDate(String),
    /// The check character does not match.
    #[error("check character is {found}, expected {expected} (ISO 7064 MOD 11-2)")]
    CheckCharacter {
        /// Found.
        found: char,
        /// Computed.
        expected: char,
    },
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character for the first 17 digits; `None` unless given exactly 17 digits.
pub fn check_character(first17: &str) -> Option<char> {
    let digits: Vec<u32> = first17
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    if digits.len() != 17 {
        return None;
    }
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    Some(CHECK[(sum % 11) as usize])
}

/// Validate `id` (an `x` is taken as `X`).
pub fn validate(id: &str) -> Result<(), IdError> {
    let chars: Vec<char> = id.chars().map(|c| c.to_ascii_uppercase()).collect();
    if chars.len() != 18 {
        return Err(IdError::Length(chars.len()));
    }
    if let Some(c) = chars[..17].iter().find(|c| !c.is_ascii_digit()) {
        return Err(IdError::NotDigit(*c));
    }
    let found = chars[17];
    if !found.is_ascii_digit() && found != 'X' {
        return Err(IdError::NotDigit(found));
    }
    let birth: String = chars[6..14].iter().collect();
    if NaiveDate::parse_from_str(&birth, "%Y%m%d").is_err() {
        return Err(IdError::BirthDate(birth));
    }
    let first17: String = chars[..17].iter().collect();
    let expected = check_character(&first17).expect("17 ASCII digits, checked above");
    if found != expected {
        return Err(IdError::CheckCharacter { found, expected });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_worked_example_and_an_x_check_character_pass() {
        // GB 11643-1999 appendix example: 11010519491231002X.
        assert_eq!(validate("11010519491231002X"), Ok(()));
        assert_eq!(validate("11010519491231002x"), Ok(()));
        // 44052418800101001: weighted sum mod 11 = 8 -> check character '4'.
        assert_eq!(validate("440524188001010014"), Ok(()));
        assert_eq!(
            validate("440524188001010018"),
            Err(IdError::CheckCharacter {
                found: '8',
                expected: '4'
            })
        );
    }

    #[test]
    fn malformed_numbers_say_what_is_wrong() {
        assert_eq!(validate("1101051949123100"), Err(IdError::Length(16)));
        assert_eq!(validate("1101051949A231002X"), Err(IdError::NotDigit('A')));
        assert_eq!(
            validate("110105194913310021"),
            Err(IdError::BirthDate("19491331".into()))
        );
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(s in "\\PC{0,24}") {
            let _ = validate(&s);
        }
    }
}
