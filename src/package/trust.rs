//! CSCA trust list files: PEM (one or more `CERTIFICATE` blocks) or DER. Only the outer
//! framing is checked here (a DER SEQUENCE whose length covers the bytes); the certificate's
//! contents are parsed where passive authentication uses them.

use std::path::{Path, PathBuf};

use base64ct::{Base64, Encoding};

/// Why a trust list file is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct TrustError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub reason: String,
}

/// Length of the DER SEQUENCE at the start of `der`, header included, if well formed.
fn der_element_len(der: &[u8]) -> Option<usize> {
    crate::card::tlv::header(der, 0)
        .ok()
        .filter(|h| h.tag == 0x30)
        .map(|h| h.total())
}

/// The certificates in one file's bytes.
pub fn certificates(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if bytes.first() == Some(&0x30) {
        return match der_element_len(bytes) {
            Some(n) if n == bytes.len() => Ok(vec![bytes.to_vec()]),
            _ => Err("DER length does not match the file: truncated or not a certificate".into()),
        };
    }
    let text = std::str::from_utf8(bytes).map_err(|_| "neither DER nor PEM text".to_string())?;
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(begin) = rest.find("-----BEGIN CERTIFICATE-----") {
        let body_start = begin + "-----BEGIN CERTIFICATE-----".len();
        let end = rest[body_start..]
            .find("-----END CERTIFICATE-----")
            .ok_or("a BEGIN CERTIFICATE block has no END line")?;
        let body: String = rest[body_start..body_start + end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        let der = Base64::decode_vec(&body).map_err(|_| "a PEM block is not valid Base64")?;
        if der_element_len(&der) != Some(der.len()) {
            return Err("a PEM block does not hold one DER certificate".into());
        }
        out.push(der);
        rest = &rest[body_start + end..];
    }
    if out.is_empty() {
        return Err("no CERTIFICATE block found".into());
    }
    Ok(out)
}

/// Every certificate in every regular file of `dir`, files in name order.
pub fn read_dir(dir: &Path) -> Result<Vec<Vec<u8>>, Vec<TrustError>> {
    let err = |path: &Path, reason: String| TrustError {
        path: path.to_path_buf(),
        reason,
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| vec![err(dir, format!("cannot list the directory: {e}"))])?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    let mut certs = Vec::new();
    let mut problems = Vec::new();
    for p in &paths {
        match std::fs::read(p)
            .map_err(|e| e.to_string())
            .and_then(|b| certificates(&b))
        {
            Ok(mut c) => certs.append(&mut c),
            Err(reason) => problems.push(err(p, reason)),
        }
    }
    if certs.is_empty() && problems.is_empty() {
        problems.push(err(
            dir,
            "holds no certificate: passive authentication needs the CSCA list".into(),
        ));
    }
    if problems.is_empty() {
        Ok(certs)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DER: [u8; 6] = [0x30, 0x04, 0x02, 0x02, 0x01, 0x00];

    #[test]
    fn der_and_pem_give_the_same_bytes() {
        assert_eq!(certificates(&DER), Ok(vec![DER.to_vec()]));
        let pem = format!(
            "junk\n-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            Base64::encode_string(&DER)
        );
        assert_eq!(certificates(pem.as_bytes()), Ok(vec![DER.to_vec()]));
    }

    #[test]
    fn truncated_or_foreign_files_are_named() {
        assert!(certificates(&DER[..5])
            .expect_err("truncated")
            .contains("truncated"));
        assert!(certificates(b"hello")
            .expect_err("text")
            .contains("no CERTIFICATE"));
        assert!(certificates(&[0xff, 0xfe])
            .expect_err("binary")
            .contains("neither"));
    }
}
