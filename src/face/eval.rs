//! Accuracy of the engine on a labelled photo set, per group and overall: the operating
//! points a threshold decision rests on (TAR at a target FAR, the FAR and TAR at the door's
//! threshold), the share of photos with each quality issue or without a face, and how often
//! a bona fide face fails the liveness check. Every claim about accuracy names its group: the
//! people at this door are not the people the models were trained on.
//!
//! Pure: the engine's per-photo results arrive as [`Photo`] values.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::embed::{cosine, Embedding};
use super::quality::QualityIssue;

/// The group every photo belongs to when the labels have no `group` column.
pub const UNGROUPED: &str = "all";
/// The row that covers every photo (its impostor pairs include pairs across groups).
pub const OVERALL: &str = "overall";

/// One row of a labels file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// The photo, resolved against the labels file's directory.
    pub path: PathBuf,
    /// Who is in it: photos with one identity are genuine pairs.
    pub identity: String,
    /// The population the person belongs to (e.g. `general`, `east_asian`).
    pub group: String,
}

/// A labels file that cannot be used, naming the line and the value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LabelsError {
    /// The header lacks a required column.
    #[error("labels header has no `{column}` column (found: {found})")]
    MissingColumn {
        /// The column required.
        column: &'static str,
        /// The header as read.
        found: String,
    },
    /// A row has fewer fields than the header names.
    #[error("labels line {line}: {found} fields, the header has {expected}")]
    ShortRow {
        /// 1-based line number.
        line: usize,
        /// Fields found.
        found: usize,
        /// Fields in the header.
        expected: usize,
    },
    /// A required field is empty.
    #[error("labels line {line}: `{column}` is empty")]
    EmptyField {
        /// 1-based line number.
        line: usize,
        /// The column.
        column: &'static str,
    },
    /// One photo listed twice would count a photo against itself as a genuine pair.
    #[error("labels line {line}: {path} is listed twice (first on line {first})")]
    Duplicate {
        /// 1-based line number of the repeat.
        line: usize,
        /// The first line naming it.
        first: usize,
        /// The path.
        path: String,
    },
    /// No rows.
    #[error("labels file lists no photos")]
    Empty,
}

/// Parse a labels CSV (`path,identity[,group]`, header first; plain comma-separated fields
/// without quoting). Paths are taken relative to `base`.
pub fn parse_labels(text: &str, base: &Path) -> Result<Vec<Label>, LabelsError> {
    let mut lines = text
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err(LabelsError::Empty);
    };
    let columns: Vec<&str> = header.split(',').map(str::trim).collect();
    let find = |name: &'static str| columns.iter().position(|c| *c == name);
    let missing = |column| LabelsError::MissingColumn {
        column,
        found: header.to_string(),
    };
    let path_at = find("path").ok_or_else(|| missing("path"))?;
    let identity_at = find("identity").ok_or_else(|| missing("identity"))?;
    let group_at = find("group");
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut labels = Vec::new();
    for (line, row) in lines {
        let fields: Vec<&str> = row.split(',').map(str::trim).collect();
        if fields.len() < columns.len() {
            return Err(LabelsError::ShortRow {
                line,
                found: fields.len(),
                expected: columns.len(),
            });
        }
        let field = |at: usize, column: &'static str| {
            let v = fields[at];
            if v.is_empty() {
                Err(LabelsError::EmptyField { line, column })
            } else {
                Ok(v)
            }
        };
        let path = field(path_at, "path")?;
        let identity = field(identity_at, "identity")?;
        let group = match group_at {
            Some(at) => field(at, "group")?,
            None => UNGROUPED,
        };
        if let Some(&first) = seen.get(path) {
            return Err(LabelsError::Duplicate {
                line,
                first,
                path: path.to_string(),
            });
        }
        seen.insert(path.to_string(), line);
        labels.push(Label {
            path: base.join(path),
            identity: identity.to_string(),
            group: group.to_string(),
        });
    }
    if labels.is_empty() {
        return Err(LabelsError::Empty);
    }
    Ok(labels)
}

/// What the engine made of one labelled photo.
#[derive(Debug, Clone)]
pub struct Photo {
    /// The file.
    pub path: PathBuf,
    /// Who is in it.
    pub identity: String,
    /// Their group.
    pub group: String,
    /// The embedding of the largest face; `None` when no face was found (every pair with
    /// this photo is then a rejection, as it would be at the door).
    pub embedding: Option<Embedding>,
    /// Quality issues of that face.
    pub issues: Vec<QualityIssue>,
    /// Liveness of that face.
    pub liveness: Option<f32>,
    /// The measurements behind the issues.
    pub quality: Option<super::quality::Quality>,
}

/// Genuine and impostor scores of the photos `keep` selects (both photos of a pair).
/// A pair with a photo without a face scores `-inf`: rejected at every threshold.
#[derive(Debug, Clone, Default)]
pub struct Scores {
    /// Same identity.
    pub genuine: Vec<f32>,
    /// Different identities.
    pub impostor: Vec<f32>,
}

impl Scores {
    /// Every pair among the photos `keep` accepts.
    pub fn of(photos: &[Photo], keep: impl Fn(&Photo) -> bool) -> Scores {
        let chosen: Vec<&Photo> = photos.iter().filter(|p| keep(p)).collect();
        let mut scores = Scores::default();
        for (i, a) in chosen.iter().enumerate() {
            for b in &chosen[i + 1..] {
                let score = match (&a.embedding, &b.embedding) {
                    (Some(x), Some(y)) => cosine(x, y),
                    _ => f32::NEG_INFINITY,
                };
                if a.identity == b.identity {
                    scores.genuine.push(score);
                } else {
                    scores.impostor.push(score);
                }
            }
        }
        scores
    }
}

/// Share of `scores` at or above `threshold` (the door accepts `score >= threshold`); 0 for
/// no scores.
pub fn accept_rate(scores: &[f32], threshold: f32) -> f64 {
    if scores.is_empty() {
        return 0.0;
    }
    scores.iter().filter(|&&s| s >= threshold).count() as f64 / scores.len() as f64
}

/// A threshold chosen for a target false-accept rate, and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OperatingPoint {
    /// The target FAR.
    pub far_target: f64,
    /// The lowest threshold whose FAR on these impostor pairs is at most the target.
    pub threshold: f32,
    /// The FAR reached at it.
    pub far: f64,
    /// The share of genuine pairs accepted at it.
    pub tar: f64,
    /// Whether the set can tell: fewer than 1/target impostor pairs put the threshold just
    /// above the highest impostor score, which says nothing about the target itself.
    pub resolved: bool,
}

/// The lowest threshold with `FAR <= far_target` on `scores.impostor`, and the TAR there.
/// `None` without impostor pairs.
pub fn operating_point(scores: &Scores, far_target: f64) -> Option<OperatingPoint> {
    let mut impostor: Vec<f32> = scores.impostor.clone();
    if impostor.is_empty() {
        return None;
    }
    impostor.sort_by(|a, b| b.total_cmp(a));
    let allowed = (far_target * impostor.len() as f64).floor() as usize;
    // Everything strictly above the first impostor score that must be rejected is accepted.
    let threshold = match impostor.get(allowed) {
        Some(&rejected) if rejected.is_finite() => rejected.next_up(),
        // Every impostor pair with a face may be accepted: the lowest cosine there is.
        _ => -1.0,
    };
    Some(OperatingPoint {
        far_target,
        threshold,
        far: accept_rate(&impostor, threshold),
        tar: accept_rate(&scores.genuine, threshold),
        resolved: impostor.len() as f64 * far_target >= 1.0,
    })
}

/// One group's figures (or the overall row).
#[derive(Debug, Clone, Serialize)]
pub struct GroupReport {
    /// The group, or [`OVERALL`].
    pub group: String,
    /// Photos.
    pub photos: usize,
    /// Distinct identities.
    pub identities: usize,
    /// Photos in which no face was found.
    pub no_face: usize,
    /// Genuine pairs.
    pub genuine_pairs: usize,
    /// Impostor pairs.
    pub impostor_pairs: usize,
    /// TAR at each target FAR, with its threshold.
    pub operating_points: Vec<OperatingPoint>,
    /// The threshold evaluated.
    pub threshold: f32,
    /// FAR at that threshold.
    pub far_at_threshold: f64,
    /// TAR at that threshold.
    pub tar_at_threshold: f64,
    /// Share of photos with a face that have each quality issue (every issue listed, zeros
    /// included, so reports line up).
    pub issues: Vec<(QualityIssue, f64)>,
    /// The liveness threshold evaluated.
    pub liveness_threshold: f32,
    /// Bona fide presentation classification error rate: share of photos with a face whose
    /// liveness is below the threshold (every photo here is a real face).
    pub bpcer: f64,
}

/// Every quality issue, in the order reports list them.
pub const ISSUES: [QualityIssue; 7] = [
    QualityIssue::SeveralFaces,
    QualityIssue::TooSmall,
    QualityIssue::Blurred,
    QualityIssue::TooDark,
    QualityIssue::TooBright,
    QualityIssue::NotFrontal,
    QualityIssue::EyesClosed,
];

/// Figures for the photos `keep` selects.
pub fn group_report(
    name: &str,
    photos: &[Photo],
    keep: impl Fn(&Photo) -> bool + Copy,
    fars: &[f64],
    threshold: f32,
    liveness_threshold: f32,
) -> GroupReport {
    let chosen: Vec<&Photo> = photos.iter().filter(|p| keep(p)).collect();
    let scores = Scores::of(photos, keep);
    let with_face: Vec<&&Photo> = chosen.iter().filter(|p| p.embedding.is_some()).collect();
    let share = |n: usize| {
        if with_face.is_empty() {
            0.0
        } else {
            n as f64 / with_face.len() as f64
        }
    };
    let identities: std::collections::BTreeSet<&str> =
        chosen.iter().map(|p| p.identity.as_str()).collect();
    GroupReport {
        group: name.to_string(),
        photos: chosen.len(),
        identities: identities.len(),
        no_face: chosen.len() - with_face.len(),
        genuine_pairs: scores.genuine.len(),
        impostor_pairs: scores.impostor.len(),
        operating_points: fars
            .iter()
            .filter_map(|&far| operating_point(&scores, far))
            .collect(),
        threshold,
        far_at_threshold: accept_rate(&scores.impostor, threshold),
        tar_at_threshold: accept_rate(&scores.genuine, threshold),
        issues: ISSUES
            .iter()
            .map(|&issue| {
                (
                    issue,
                    share(
                        with_face
                            .iter()
                            .filter(|p| p.issues.contains(&issue))
                            .count(),
                    ),
                )
            })
            .collect(),
        liveness_threshold,
        bpcer: share(
            with_face
                .iter()
                .filter(|p| p.liveness.is_some_and(|l| l < liveness_threshold))
                .count(),
        ),
    }
}

/// One report per group (sorted by name), then the overall row when there is more than one
/// group.
pub fn report(
    photos: &[Photo],
    fars: &[f64],
    threshold: f32,
    liveness_threshold: f32,
) -> Vec<GroupReport> {
    let groups: std::collections::BTreeSet<&str> =
        photos.iter().map(|p| p.group.as_str()).collect();
    let mut rows: Vec<GroupReport> = groups
        .iter()
        .map(|g| {
            group_report(
                g,
                photos,
                |p| p.group == *g,
                fars,
                threshold,
                liveness_threshold,
            )
        })
        .collect();
    if groups.len() > 1 {
        rows.push(group_report(
            OVERALL,
            photos,
            |_| true,
            fars,
            threshold,
            liveness_threshold,
        ));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(identity: &str, group: &str, v: &[f32]) -> Photo {
        Photo {
            path: PathBuf::from(identity),
            quality: None,
            identity: identity.into(),
            group: group.into(),
            embedding: Embedding::from_raw(v),
            issues: vec![],
            liveness: Some(0.9),
        }
    }

    #[test]
    fn labels_resolve_paths_and_default_the_group() {
        let labels = parse_labels(
            "\u{feff}path,identity\r\na/1.jpg,A\r\n\r\nb/1.jpg,B\n",
            Path::new("/set"),
        )
        .expect("valid");
        assert_eq!(
            labels[1],
            Label {
                path: PathBuf::from("/set/b/1.jpg"),
                identity: "B".into(),
                group: UNGROUPED.into()
            }
        );
        let grouped =
            parse_labels("group,path,identity\nx,a.jpg,A\n", Path::new(".")).expect("valid");
        assert_eq!(grouped[0].group, "x");
    }

    #[test]
    fn bad_labels_name_the_line_and_the_value() {
        let base = Path::new(".");
        assert_eq!(
            parse_labels("file,identity\n", base),
            Err(LabelsError::MissingColumn {
                column: "path",
                found: "file,identity".into()
            })
        );
        assert_eq!(
            parse_labels("path,identity,group\na.jpg,A\n", base),
            Err(LabelsError::ShortRow {
                line: 2,
                found: 2,
                expected: 3
            })
        );
        assert_eq!(
            parse_labels("path,identity\na.jpg,\n", base),
            Err(LabelsError::EmptyField {
                line: 2,
                column: "identity"
            })
        );
        assert_eq!(
            parse_labels("path,identity\na.jpg,A\nb.jpg,B\na.jpg,A\n", base),
            Err(LabelsError::Duplicate {
                line: 4,
                first: 2,
                path: "a.jpg".into()
            })
        );
        assert_eq!(
            parse_labels("path,identity\n", base),
            Err(LabelsError::Empty)
        );
    }

    #[test]
    fn pairs_split_by_identity_and_a_missing_face_is_rejected() {
        let mut photos = vec![
            photo("A", "g", &[1.0, 0.0]),
            photo("A", "g", &[1.0, 0.1]),
            photo("B", "g", &[0.0, 1.0]),
        ];
        photos[2].embedding = None;
        let s = Scores::of(&photos, |_| true);
        assert_eq!(s.genuine.len(), 1);
        assert!(s.genuine[0] > 0.99);
        assert_eq!(s.impostor, vec![f32::NEG_INFINITY; 2]);
    }

    #[test]
    fn the_operating_point_is_the_lowest_threshold_within_the_target() {
        let scores = Scores {
            genuine: vec![0.9, 0.5, 0.3],
            // Ten impostors: FAR 0.1 allows one false accept.
            impostor: vec![0.6, 0.4, 0.2, 0.1, 0.0, 0.0, -0.1, -0.1, -0.2, -0.3],
        };
        let p = operating_point(&scores, 0.1).expect("impostors");
        assert!(p.threshold > 0.4 && p.threshold < 0.4001, "{}", p.threshold);
        assert_eq!((p.far, p.resolved), (0.1, true));
        assert!((p.tar - 2.0 / 3.0).abs() < 1e-9);
        // No false accept allowed: just above the highest impostor, and the set cannot tell
        // a FAR of 1e-3 from that.
        let strict = operating_point(&scores, 1e-3).expect("impostors");
        assert!(strict.threshold > 0.6 && strict.threshold < 0.6001);
        assert_eq!((strict.far, strict.resolved), (0.0, false));
        assert!((strict.tar - 1.0 / 3.0).abs() < 1e-9);
        assert!(operating_point(&Scores::default(), 0.1).is_none());
    }

    #[test]
    fn groups_are_reported_apart_and_together() {
        let photos = vec![
            photo("A", "x", &[1.0, 0.0]),
            photo("A", "x", &[0.9, 0.1]),
            photo("B", "y", &[0.8, 0.2]),
            photo("C", "y", &[0.0, 1.0]),
        ];
        let rows = report(&photos, &[0.5], 0.5, 0.95);
        let names: Vec<&str> = rows.iter().map(|r| r.group.as_str()).collect();
        assert_eq!(names, ["x", "y", OVERALL]);
        assert_eq!((rows[0].genuine_pairs, rows[0].impostor_pairs), (1, 0));
        assert_eq!((rows[1].genuine_pairs, rows[1].impostor_pairs), (0, 1));
        // Overall adds the cross-group pairs: A–B twice and A–C twice.
        assert_eq!((rows[2].genuine_pairs, rows[2].impostor_pairs), (1, 5));
        // Only the two A–B pairs reach 0.5.
        assert!((rows[2].far_at_threshold - 2.0 / 5.0).abs() < 1e-9);
        assert_eq!(rows[0].tar_at_threshold, 1.0);
        assert_eq!(rows[0].bpcer, 1.0, "liveness 0.9 is below 0.95");
    }
}
