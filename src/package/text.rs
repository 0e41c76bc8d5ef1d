//! The office's input files as text. They are UTF-8; what spreadsheet programs write instead
//! is recognised and named, so the office can re-save the file rather than guess:
//! - Excel's "CSV UTF-8" starts with a byte-order mark, which is dropped (left in, it would
//!   make the first column's name `\u{feff}ticket` and the column "missing");
//! - Excel's "CSV (Comma delimited)" is in the Windows code page (GBK on Chinese Windows),
//!   and "Unicode Text" is UTF-16: both are refused with the line of the first bad byte and
//!   the way to save the file as UTF-8. Guessing GBK would put a wrong name on the door's
//!   screen whenever the guess is wrong.
//!
//! Line endings need nothing here: the CSV reader takes CRLF as well as LF.

use super::Problem;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// How to fix a file that is not UTF-8, for every refusal below.
const SAVE_AS: &str = "save it as UTF-8 (in Excel: Save As, \"CSV UTF-8 (Comma delimited)\")";

/// `bytes` as text, or why not (with the line of the first bad byte).
pub fn decode(bytes: &[u8]) -> Result<String, Problem> {
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(Problem::new(
            Some(1),
            format!("the file is UTF-16 text (Excel's \"Unicode Text\"): {SAVE_AS}"),
        ));
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_string()),
        Err(e) => {
            let at = e.valid_up_to();
            let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64 + 1;
            // A GBK character: a lead byte 0x81–0xFE and a trail byte 0x40–0xFE but 0x7F.
            let wide = matches!(bytes[at..], [0x81..=0xFE, 0x40..=0x7E | 0x80..=0xFE, ..]);
            let hint = if wide {
                " It looks like a Windows code page such as GBK (what Excel's \"CSV (Comma \
                 delimited)\" writes on Chinese Windows)."
            } else {
                ""
            };
            Err(Problem::new(
                Some(line),
                format!(
                    "not UTF-8 text (byte 0x{:02X} at offset {at}).{hint} {SAVE_AS}",
                    bytes[at]
                ),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_or_without_excels_bom_is_the_same_text() {
        let plain = "ticket,name\r\n2027010001,张伟\r\n";
        let with_bom = [UTF8_BOM, plain.as_bytes()].concat();
        assert_eq!(decode(plain.as_bytes()).expect("utf-8"), plain);
        assert_eq!(decode(&with_bom).expect("utf-8 with BOM"), plain);
    }

    #[test]
    fn gbk_is_refused_on_its_line_with_the_way_to_resave() {
        // "ticket,name\r\n2027010001,张伟\r\n" as Excel saves it on Chinese Windows (GBK).
        let gbk = b"ticket,name\r\n2027010001,\xD5\xC5\xCE\xB0\r\n";
        let e = decode(gbk).expect_err("GBK");
        assert_eq!(e.line, Some(2));
        assert!(e.reason.contains("0xD5") && e.reason.contains("GBK"), "{e}");
        assert!(e.reason.contains("CSV UTF-8"), "{e}");
    }

    #[test]
    fn utf16_is_refused_with_the_way_to_resave() {
        for bom in [&b"\xFF\xFE"[..], &b"\xFE\xFF"[..]] {
            let text = [bom, b"t\0i\0c\0k\0e\0t\0"].concat();
            let e = decode(&text).expect_err("UTF-16");
            assert!(
                e.reason.contains("UTF-16") && e.reason.contains("CSV UTF-8"),
                "{e}"
            );
        }
    }

    #[test]
    fn a_stray_latin1_byte_is_named_without_the_gbk_guess() {
        let e = decode(b"name\nJos\xE9\n").expect_err("latin-1");
        assert_eq!(e.line, Some(2));
        assert!(e.reason.contains("0xE9"), "{e}");
    }
}
