//! One face admitted under two tickets: a hired stand-in sitting several candidates' exams
//! is caught by comparing faces across tickets, not at one door. Every admission's sealed
//! crop and embedding (`[policy] seal_admissions`) is opened with the office evidence key,
//! and every admission is compared with every admission of another ticket, all sessions.
//! At city scale (~76,000 admissions, ~2.9 billion pairs) that is blocked matrix products
//! of unit vectors on every core; a province would want an approximate-nearest-neighbour
//! index instead (README, "Scale").

use std::collections::HashMap;

use ndarray::{s, Array2, ArrayView2};
use serde::Serialize;

use super::db::OfficeDb;
use super::facts::Facts;
use super::Error;
use crate::decision::Decision;
use crate::journal::events::Event;
use crate::journal::evidence::{self, EvidencePlain, SealedEvidence};

/// One admission with its opened evidence.
#[derive(Clone)]
pub struct Admission {
    /// Ticket.
    pub ticket: String,
    /// Session.
    pub session: String,
    /// Kiosk and sequence number of the decision event.
    pub kiosk: String,
    /// Sequence number.
    pub seq: u64,
    /// The live crop (JPEG).
    pub crop_jpeg: Vec<u8>,
    /// Its embedding (unit length).
    pub embedding: Vec<f32>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Admission({} {} {}#{})",
            self.ticket, self.session, self.kiosk, self.seq
        )
    }
}

/// Two admissions of different tickets whose faces match.
#[derive(Debug, Clone, Serialize)]
pub struct ProxyPair {
    /// Cosine score.
    pub score: f32,
    /// First admission: ticket, session, kiosk, event.
    pub a: (String, String, String, u64),
    /// Second admission.
    pub b: (String, String, String, u64),
    /// Both live crops (JPEG), for the report to show side by side; never serialized.
    #[serde(skip)]
    pub crops: (Vec<u8>, Vec<u8>),
}

/// Every admission (at the door, or a referral later admitted) whose sealed evidence holds
/// an embedding, opened with `secret`. Evidence that does not open is an error naming it:
/// the wrong key, or an altered row.
pub fn admissions(
    db: &OfficeDb,
    facts: &Facts,
    secret: &[u8; 32],
) -> Result<Vec<Admission>, Error> {
    let mut stmt = db
        .conn
        .prepare("SELECT kiosk_id, seq, sealed FROM evidence")
        .map_err(db.sql())?;
    let sealed: HashMap<(String, u64), Vec<u8>> = stmt
        .query_map([], |r| {
            Ok(((r.get(0)?, r.get::<_, i64>(1)? as u64), r.get(2)?))
        })
        .map_err(db.sql())?
        .collect::<Result<_, _>>()
        .map_err(db.sql())?;
    let mut out = Vec::new();
    for e in &facts.events {
        let (Event::Decision(d), Some(session)) = (&e.event, &e.session) else {
            continue;
        };
        // Admitted in the end (at the door, or on review), as the kiosk's replay says: an
        // admission undone by a wrong answer sheet is not one.
        let admitted = !matches!(d.decision, Decision::Deny { .. })
            && facts
                .replayed
                .get(&(session.clone(), e.kiosk.clone()))
                .is_some_and(|r| {
                    r.tally
                        .admitted
                        .contains_key(&crate::decision::TicketNumber(d.ticket.clone()))
                });
        let Some(bytes) = sealed.get(&(e.kiosk.clone(), e.seq)).filter(|_| admitted) else {
            continue;
        };
        let plain = evidence::open(secret, &SealedEvidence::from_bytes(bytes.clone()))
            .and_then(|p| EvidencePlain::decode(&p))
            .map_err(|err| {
                Error::Input(format!(
                    "evidence of kiosk {} event {} (ticket {}): {err}",
                    e.kiosk, e.seq, d.ticket
                ))
            })?;
        if let Some(embedding) = plain.embedding {
            out.push(Admission {
                ticket: d.ticket.clone(),
                session: session.clone(),
                kiosk: e.kiosk.clone(),
                seq: e.seq,
                crop_jpeg: plain.crop_jpeg,
                embedding,
            });
        }
    }
    Ok(out)
}

/// Rows per block of the matrix product: two 1024×512 f32 blocks and their 1024×1024
/// product stay in a few MB of cache-friendly memory.
const BLOCK: usize = 1024;

/// Every pair (i < j) of rows of `embeddings` (n × d, unit rows) with different `owner`s
/// and a cosine of at least `threshold`, best first. Blocks of rows are multiplied on every
/// core.
pub fn matches(
    embeddings: ArrayView2<'_, f32>,
    owner: &[usize],
    threshold: f32,
) -> Vec<(usize, usize, f32)> {
    let n = embeddings.nrows();
    let blocks: Vec<usize> = (0..n).step_by(BLOCK).collect();
    let threads = std::thread::available_parallelism().map_or(1, |p| p.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut found: Vec<(usize, usize, f32)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let b = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(&i0) = blocks.get(b) else { break };
                        let i1 = (i0 + BLOCK).min(n);
                        let a = embeddings.slice(s![i0..i1, ..]);
                        for &j0 in blocks.iter().filter(|&&j0| j0 >= i0) {
                            let j1 = (j0 + BLOCK).min(n);
                            let c = a.dot(&embeddings.slice(s![j0..j1, ..]).t());
                            for ((di, dj), &score) in c.indexed_iter() {
                                let (i, j) = (i0 + di, j0 + dj);
                                if j > i && score >= threshold && owner[i] != owner[j] {
                                    mine.push((i, j, score));
                                }
                            }
                        }
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            // A worker that panicked would silently lose its pairs: the panic goes on.
            .flat_map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    found.sort_by(|x, y| y.2.total_cmp(&x.2).then(x.0.cmp(&y.0)).then(x.1.cmp(&y.1)));
    found
}

/// The proxy pairs among `admissions` at `threshold`.
pub fn proxies(admissions: &[Admission], threshold: f32) -> Vec<ProxyPair> {
    let Some(d) = admissions.first().map(|a| a.embedding.len()) else {
        return Vec::new();
    };
    let usable: Vec<&Admission> = admissions
        .iter()
        .filter(|a| a.embedding.len() == d)
        .collect();
    let mut tickets: HashMap<&str, usize> = HashMap::new();
    let owner: Vec<usize> = usable
        .iter()
        .map(|a| {
            let next = tickets.len();
            *tickets.entry(a.ticket.as_str()).or_insert(next)
        })
        .collect();
    let flat: Vec<f32> = usable
        .iter()
        .flat_map(|a| a.embedding.iter().copied())
        .collect();
    let Ok(m) = Array2::from_shape_vec((usable.len(), d), flat) else {
        return Vec::new();
    };
    let who = |a: &Admission| (a.ticket.clone(), a.session.clone(), a.kiosk.clone(), a.seq);
    // One line per pair of tickets (their best-matching admissions): a candidate admitted
    // in four sessions is one suspect, not four.
    let mut seen = std::collections::HashSet::new();
    matches(m.view(), &owner, threshold)
        .into_iter()
        .filter(|&(i, j, _)| seen.insert((owner[i].min(owner[j]), owner[i].max(owner[j]))))
        .map(|(i, j, score)| {
            let (a, b) = if usable[i].ticket <= usable[j].ticket {
                (i, j)
            } else {
                (j, i)
            };
            ProxyPair {
                score,
                a: who(usable[a]),
                b: who(usable[b]),
                crops: (usable[a].crop_jpeg.clone(), usable[b].crop_jpeg.clone()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn only_other_tickets_above_the_threshold_across_blocks() {
        // 2,500 rows (three blocks): near-orthogonal noise, plus one face under tickets 7
        // and 2,400 and twice under ticket 9 (the same candidate twice is no proxy).
        let d = 64;
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut rnd = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let mut rows: Vec<Vec<f32>> = (0..2500)
            .map(|_| unit(&(0..d).map(|_| rnd()).collect::<Vec<_>>()))
            .collect();
        let face = unit(
            &(0..d)
                .map(|i| if i % 3 == 0 { 1.0 } else { 0.1 })
                .collect::<Vec<_>>(),
        );
        rows[7] = face.clone();
        rows[2400] = face.clone();
        rows[9] = unit(
            &(0..d)
                .map(|i| if i % 5 == 0 { 1.0 } else { 0.0 })
                .collect::<Vec<_>>(),
        );
        rows[10] = rows[9].clone();
        let mut owner: Vec<usize> = (0..2500).collect();
        owner[10] = 9;
        let m = Array2::from_shape_vec((2500, d), rows.concat()).expect("shape");
        let found = matches(m.view(), &owner, 0.9);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0, found[0].1), (7, 2400));
        assert!(found[0].2 > 0.999);
    }
}
