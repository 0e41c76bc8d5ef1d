//! `office report`: the exam's reports from the office database, as CSV files for the
//! office's own tools and one self-contained HTML report (`index.html` and one page per
//! session, no network resources, Chinese labels with English beside them, exam-local
//! times). Charts are inline SVG: arrivals per minute per site against the late cutoff, and
//! a seat map per room coloured by status.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::facts::{Facts, Logged};
use super::proxies::ProxyPair;
use super::status::{self, RoomStatus};
use super::Error;
use crate::decision::{Decision, RoomRef};
use crate::journal::actions::Verdict;
use crate::journal::events::Event;

/// One admission of a ticket in a room (for the two-rooms check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TwoRooms {
    /// Session.
    pub session: String,
    /// Ticket.
    pub ticket: String,
    /// The rooms that admitted it.
    pub rooms: Vec<RoomRef>,
}

/// Tickets admitted in more than one room in one session.
pub fn admitted_in_two_rooms(f: &Facts) -> Vec<TwoRooms> {
    let mut seen: BTreeMap<(String, String), Vec<RoomRef>> = BTreeMap::new();
    for ((session, kiosk), r) in &f.replayed {
        let Some(room) = f.kiosks.get(kiosk) else {
            continue;
        };
        for ticket in r.tally.admitted.keys() {
            let rooms = seen.entry((session.clone(), ticket.0.clone())).or_default();
            if !rooms.contains(room) {
                rooms.push(room.clone());
            }
        }
    }
    seen.into_iter()
        .filter(|(_, rooms)| rooms.len() > 1)
        .map(|((session, ticket), mut rooms)| {
            rooms.sort();
            TwoRooms {
                session,
                ticket,
                rooms,
            }
        })
        .collect()
}

/// Write the CSV files and the HTML report into `out`; the files written.
pub fn write(
    f: &Facts,
    out: &Path,
    proxies: Option<&[ProxyPair]>,
    now_local: chrono::NaiveDateTime,
) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(out).map_err(Error::io(out))?;
    let rows = status::status(f);
    let mut written = Vec::new();
    let mut csv = |name: &str, header: &[&str], records: Vec<Vec<String>>| -> Result<(), Error> {
        let path = out.join(name);
        let mut w = csv::Writer::from_path(&path)
            .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
        let mut put = |r: &[String]| {
            w.write_record(r)
                .map_err(|e| Error::Input(format!("{}: {e}", path.display())))
        };
        put(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>())?;
        for r in &records {
            put(r)?;
        }
        w.flush().map_err(Error::io(&path))?;
        written.push(path);
        Ok(())
    };
    let n = |v: u32| v.to_string();
    csv(
        "attendance-rooms.csv",
        &[
            "session",
            "site",
            "room",
            "expected",
            "admitted",
            "referred",
            "denied",
            "absent",
            "export",
            "sealed",
            "seal_code",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.session.clone(),
                    r.site.clone(),
                    r.room.clone(),
                    n(r.expected),
                    n(r.admitted),
                    n(r.referred),
                    n(r.denied),
                    n(r.absent),
                    r.export.to_string(),
                    r.sealed.to_string(),
                    r.seal_code.clone().unwrap_or_default(),
                ]
            })
            .collect(),
    )?;
    let sum = |key: &dyn Fn(&RoomStatus) -> String| {
        let mut by: BTreeMap<String, [u32; 5]> = BTreeMap::new();
        for r in &rows {
            let e = by.entry(key(r)).or_default();
            for (slot, v) in e
                .iter_mut()
                .zip([r.expected, r.admitted, r.referred, r.denied, r.absent])
            {
                *slot += v;
            }
        }
        by
    };
    let counts = |k: String, v: [u32; 5]| {
        let mut row: Vec<String> = k.split('\u{0}').map(str::to_string).collect();
        row.extend(v.iter().map(|x| x.to_string()));
        row
    };
    csv(
        "attendance-sites.csv",
        &[
            "session", "site", "expected", "admitted", "referred", "denied", "absent",
        ],
        sum(&|r| format!("{}\u{0}{}", r.session, r.site))
            .into_iter()
            .map(|(k, v)| counts(k, v))
            .collect(),
    )?;
    csv(
        "attendance-sessions.csv",
        &[
            "session", "expected", "admitted", "referred", "denied", "absent",
        ],
        sum(&|r| r.session.clone())
            .into_iter()
            .map(|(k, v)| counts(k, v))
            .collect(),
    )?;
    let mut absentees = Vec::new();
    for s in &f.sessions {
        for room in &f.rooms {
            let admitted: HashSet<&str> = f
                .replayed
                .iter()
                .filter(|((sid, k), _)| *sid == s.id && f.kiosks.get(k) == Some(&room.room))
                .flat_map(|(_, r)| r.tally.admitted.keys().map(|t| t.0.as_str()))
                .collect();
            for t in f.seated(&s.id, &room.room) {
                if !admitted.contains(t.as_str()) {
                    let seat = &f.roster[&(s.id.clone(), t.clone())];
                    absentees.push(vec![
                        s.id.clone(),
                        t.clone(),
                        seat.name.clone(),
                        room.room.site.clone(),
                        room.room.room.clone(),
                        seat.seat.to_string(),
                    ]);
                }
            }
        }
    }
    csv(
        "absentees.csv",
        &["session", "ticket", "name", "site", "room", "seat"],
        absentees,
    )?;
    let t = |e: &Logged| f.local(e.at_ms).format("%Y-%m-%d %H:%M:%S").to_string();
    let resolutions: HashMap<(String, String, String), &Logged> = f
        .events
        .iter()
        .filter_map(|e| match &e.event {
            Event::Resolved(r) => Some((
                (
                    e.kiosk.clone(),
                    e.session.clone().unwrap_or_default(),
                    r.ticket.clone(),
                ),
                e,
            )),
            _ => None,
        })
        .collect();
    let mut referrals = Vec::new();
    let mut denials = Vec::new();
    for e in &f.events {
        let Event::Decision(d) = &e.event else {
            continue;
        };
        let session = e.session.clone().unwrap_or_default();
        match &d.decision {
            Decision::Refer { reasons } => {
                let why: Vec<String> = reasons.iter().map(|r| r.to_string()).collect();
                let resolved =
                    resolutions.get(&(e.kiosk.clone(), session.clone(), d.ticket.clone()));
                let (verdict, code, who, second) = match resolved.map(|x| &x.event) {
                    Some(Event::Resolved(r)) => (
                        match r.verdict {
                            Verdict::Admit { seat } => format!("admit seat {seat}"),
                            Verdict::Deny => "deny".to_string(),
                        },
                        serde_json::to_value(r.reason)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        r.invigilator.clone(),
                        r.second_invigilator.clone().unwrap_or_default(),
                    ),
                    _ => (
                        "unresolved".into(),
                        String::new(),
                        String::new(),
                        String::new(),
                    ),
                };
                referrals.push(vec![
                    session,
                    d.ticket.clone(),
                    e.room.site.clone(),
                    e.room.room.clone(),
                    t(e),
                    why.join("; "),
                    verdict,
                    code,
                    who,
                    second,
                ]);
            }
            Decision::Deny { reason, .. } => denials.push(vec![
                session,
                d.ticket.clone(),
                e.room.site.clone(),
                e.room.room.clone(),
                t(e),
                reason.to_string(),
            ]),
            Decision::Admit { .. } => {}
        }
    }
    csv(
        "referrals.csv",
        &[
            "session",
            "ticket",
            "site",
            "room",
            "time",
            "reasons",
            "resolution",
            "reason_code",
            "invigilator",
            "second_invigilator",
        ],
        referrals.clone(),
    )?;
    csv(
        "denials.csv",
        &["session", "ticket", "site", "room", "time", "reason"],
        denials.clone(),
    )?;
    let incidents: Vec<Vec<String>> = f
        .events
        .iter()
        .filter_map(|e| match &e.event {
            Event::Incident(i) => Some(vec![
                e.session.clone().unwrap_or_default(),
                e.room.site.clone(),
                e.room.room.clone(),
                t(e),
                i.invigilator.clone(),
                i.ticket.clone().unwrap_or_default(),
                i.text.clone(),
            ]),
            _ => None,
        })
        .collect();
    csv(
        "incidents.csv",
        &[
            "session",
            "site",
            "room",
            "time",
            "invigilator",
            "ticket",
            "text",
        ],
        incidents.clone(),
    )?;
    let manual: Vec<Vec<String>> = f
        .events
        .iter()
        .filter_map(|e| match &e.event {
            Event::ManualAdmission(m) => Some(vec![
                e.session.clone().unwrap_or_default(),
                m.ticket.clone(),
                e.room.site.clone(),
                e.room.room.clone(),
                m.seat.to_string(),
                t(e),
                serde_json::to_value(m.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                m.invigilator.clone(),
                m.second_invigilator.clone(),
            ]),
            _ => None,
        })
        .collect();
    csv(
        "manual-admissions.csv",
        &[
            "session",
            "ticket",
            "site",
            "room",
            "seat",
            "time",
            "reason_code",
            "invigilator",
            "second_invigilator",
        ],
        manual.clone(),
    )?;
    let ended: HashSet<&str> = f
        .sessions
        .iter()
        .filter(|s| s.end <= now_local)
        .map(|s| s.id.as_str())
        .collect();
    let missing: Vec<Vec<String>> = rows
        .iter()
        .filter(|r| ended.contains(r.session.as_str()) && (!r.export || !r.sealed))
        .map(|r| {
            vec![
                r.session.clone(),
                r.site.clone(),
                r.room.clone(),
                if r.export { "no seal" } else { "no export" }.to_string(),
            ]
        })
        .collect();
    csv(
        "rooms-missing.csv",
        &["session", "site", "room", "missing"],
        missing.clone(),
    )?;
    let two = admitted_in_two_rooms(f);
    csv(
        "admitted-in-two-rooms.csv",
        &["session", "ticket", "rooms"],
        two.iter()
            .map(|x| {
                vec![
                    x.session.clone(),
                    x.ticket.clone(),
                    x.rooms
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                ]
            })
            .collect(),
    )?;
    if let Some(pairs) = proxies {
        csv(
            "proxies.csv",
            &[
                "score",
                "ticket_a",
                "session_a",
                "kiosk_a",
                "event_a",
                "ticket_b",
                "session_b",
                "kiosk_b",
                "event_b",
            ],
            pairs
                .iter()
                .map(|p| {
                    vec![
                        format!("{:.3}", p.score),
                        p.a.0.clone(),
                        p.a.1.clone(),
                        p.a.2.clone(),
                        p.a.3.to_string(),
                        p.b.0.clone(),
                        p.b.1.clone(),
                        p.b.2.clone(),
                        p.b.3.to_string(),
                    ]
                })
                .collect(),
        )?;
    }
    let html = Html {
        f,
        rows: &rows,
        referrals: &referrals,
        denials: &denials,
        incidents: &incidents,
        manual: &manual,
        missing: &missing,
        two: &two,
        proxies,
    };
    let index = out.join("index.html");
    std::fs::write(&index, html.index()).map_err(Error::io(&index))?;
    written.push(index);
    for s in &f.sessions {
        let page = out.join(format!("session-{}.html", file_safe(&s.id)));
        std::fs::write(&page, html.session(s)).map_err(Error::io(&page))?;
        written.push(page);
    }
    Ok(written)
}

/// `id` as a file-name part: letters, digits, `-` and `_` kept, anything else `_`.
pub fn file_safe(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// HTML-escape.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:'Noto Sans CJK SC','WenQuanYi Zen Hei',sans-serif;margin:24px;color:#17324D;background:#F7F9FB}
table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #C9D3DD;padding:4px 8px;text-align:right}
th{background:#E4E8EC}td.t,th.t{text-align:left}h1,h2,h3{margin:16px 0 8px}.bad{color:#B3261E;font-weight:700}
.ok{color:#1E7B34}.maps{display:flex;flex-wrap:wrap;gap:12px}.map{background:white;border:1px solid #C9D3DD;padding:6px}
.legend span{display:inline-block;width:14px;height:14px;margin:0 4px 0 12px;vertical-align:middle}";

struct Html<'a> {
    f: &'a Facts,
    rows: &'a [RoomStatus],
    referrals: &'a [Vec<String>],
    denials: &'a [Vec<String>],
    incidents: &'a [Vec<String>],
    manual: &'a [Vec<String>],
    missing: &'a [Vec<String>],
    two: &'a [TwoRooms],
    proxies: Option<&'a [ProxyPair]>,
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        esc(title)
    )
}

fn table(head: &[&str], rows: &[Vec<String>]) -> String {
    let mut t = String::from("<table><tr>");
    for h in head {
        let _ = write!(t, "<th class=\"t\">{h}</th>");
    }
    t.push_str("</tr>");
    for r in rows {
        t.push_str("<tr>");
        for (i, c) in r.iter().enumerate() {
            let class = if c.parse::<f64>().is_ok() && i > 0 {
                ""
            } else {
                " class=\"t\""
            };
            let _ = write!(t, "<td{class}>{}</td>", esc(c));
        }
        t.push_str("</tr>");
    }
    t.push_str("</table>");
    t
}

impl Html<'_> {
    fn totals(&self, session: &str) -> [u32; 5] {
        let mut t = [0; 5];
        for r in self.rows.iter().filter(|r| r.session == session) {
            for (slot, v) in t
                .iter_mut()
                .zip([r.expected, r.admitted, r.referred, r.denied, r.absent])
            {
                *slot += v;
            }
        }
        t
    }

    fn index(&self) -> String {
        let f = self.f;
        let mut b = format!("<h1>{} 考务报告 Exam report</h1>", esc(&f.exam));
        b.push_str("<h2>场次 Sessions</h2><table><tr><th class=\"t\">场次 Session</th><th class=\"t\">科目 Subject</th><th class=\"t\">开考 Start</th><th>应到 Expected</th><th>入场 Admitted</th><th>核验 Referred</th><th>拒绝 Denied</th><th>缺考 Absent</th><th>已封存考场 Rooms sealed</th></tr>");
        for s in &f.sessions {
            let t = self.totals(&s.id);
            let rooms: Vec<&RoomStatus> = self.rows.iter().filter(|r| r.session == s.id).collect();
            let sealed = rooms.iter().filter(|r| r.sealed).count();
            let _ = write!(
                b,
                "<tr><td class=\"t\"><a href=\"session-{}.html\">{}</a></td><td class=\"t\">{}</td><td class=\"t\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{sealed} / {}</td></tr>",
                file_safe(&s.id),
                esc(&s.id),
                esc(&s.subject),
                s.start.format("%Y-%m-%d %H:%M"),
                t[0], t[1], t[2], t[3], t[4],
                rooms.len()
            );
        }
        b.push_str("</table>");
        b.push_str(&self.problems(None));
        page(&format!("{} 考务报告", f.exam), &b)
    }

    /// The lists that need the office's attention (all sessions, or one).
    fn problems(&self, session: Option<&str>) -> String {
        let keep =
            |r: &&Vec<String>| session.is_none_or(|s| r.first().map(String::as_str) == Some(s));
        let pick = |rows: &[Vec<String>]| rows.iter().filter(keep).cloned().collect::<Vec<_>>();
        let mut b = String::new();
        let missing = pick(self.missing);
        let _ = write!(
            b,
            "<h2>缺少导出或封存的考场 Rooms without an export or a seal ({})</h2>",
            missing.len()
        );
        b.push_str(&table(
            &["场次 Session", "考点 Site", "考场 Room", "缺少 Missing"],
            &missing,
        ));
        let two: Vec<Vec<String>> = self
            .two
            .iter()
            .filter(|x| session.is_none_or(|s| x.session == s))
            .map(|x| {
                vec![
                    x.session.clone(),
                    x.ticket.clone(),
                    x.rooms
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(" "),
                ]
            })
            .collect();
        let _ = write!(b, "<h2 class=\"{}\">同一场次在两个考场入场 Admitted in two rooms in one session ({})</h2>", if two.is_empty() { "ok" } else { "bad" }, two.len());
        b.push_str(&table(
            &["场次 Session", "准考证 Ticket", "考场 Rooms"],
            &two,
        ));
        match self.proxies {
            None => b.push_str("<h2>一人多证 One face, two tickets</h2><p>未检查：需要证据密钥 Not checked: run with --evidence-key</p>"),
            Some(pairs) => {
                let _ = write!(b, "<h2 class=\"{}\">一人多证 One face, two tickets ({})</h2>", if pairs.is_empty() { "ok" } else { "bad" }, pairs.len());
                // Both live crops side by side, inline: the report stays one self-contained
                // folder (and, with them, is evidence to be kept as such).
                b.push_str("<table><tr><th>相似度 Score</th><th class=\"t\">准考证 A Ticket A</th><th class=\"t\">现场照片 A Live crop A</th><th class=\"t\">准考证 B Ticket B</th><th class=\"t\">现场照片 B Live crop B</th></tr>");
                for p in pairs.iter().filter(|p| session.is_none_or(|s| p.a.1 == s || p.b.1 == s)) {
                    let img = |jpeg: &[u8]| {
                        format!(
                            "<img alt=\"live crop\" height=\"112\" src=\"data:image/jpeg;base64,{}\">",
                            <base64ct::Base64 as base64ct::Encoding>::encode_string(jpeg)
                        )
                    };
                    let _ = write!(
                        b,
                        "<tr><td>{:.3}</td><td class=\"t\">{}<br>{}</td><td class=\"t\">{}</td><td class=\"t\">{}<br>{}</td><td class=\"t\">{}</td></tr>",
                        p.score,
                        esc(&p.a.0),
                        esc(&p.a.1),
                        img(&p.crops.0),
                        esc(&p.b.0),
                        esc(&p.b.1),
                        img(&p.crops.1)
                    );
                }
                b.push_str("</table>");
                b.push_str("<p>现场照片用 office evidence 打开（会被记录）Live crops: examgate office evidence --ticket T (the opening is logged)</p>");
            }
        }
        b
    }

    fn session(&self, s: &super::facts::Session) -> String {
        let f = self.f;
        let t = self.totals(&s.id);
        let mut b = format!(
            "<p><a href=\"index.html\">← 总览 Overview</a></p><h1>{} · {} {}</h1><p>入场 Entry {} · 开考 Start {} · 迟到截止 Late cutoff {} · 结束 End {}</p>",
            esc(&f.exam),
            esc(&s.id),
            esc(&s.subject),
            s.entry_opens.format("%H:%M"),
            s.start.format("%H:%M"),
            s.late_cutoff.format("%H:%M"),
            s.end.format("%H:%M")
        );
        let _ = write!(b, "<p>应到 Expected {} · 入场 Admitted {} · 核验 Referred {} · 拒绝 Denied {} · 缺考 Absent {}</p>", t[0], t[1], t[2], t[3], t[4]);
        b.push_str("<h2>各考点每分钟到场 Arrivals per minute per site</h2>");
        b.push_str(&self.arrivals(s));
        b.push_str(&self.problems(Some(&s.id)));
        let pick = |rows: &[Vec<String>]| {
            rows.iter()
                .filter(|r| r.first() == Some(&s.id))
                .cloned()
                .collect::<Vec<_>>()
        };
        let referrals = pick(self.referrals);
        let _ = write!(
            b,
            "<h2>核验及处理 Referrals and their resolution ({})</h2>",
            referrals.len()
        );
        b.push_str(&table(
            &[
                "场次 Session",
                "准考证 Ticket",
                "考点 Site",
                "考场 Room",
                "时间 Time",
                "原因 Reasons",
                "处理 Resolution",
                "理由 Code",
                "监考 Invigilator",
                "第二监考 Second",
            ],
            &referrals,
        ));
        let denials = pick(self.denials);
        let _ = write!(b, "<h2>拒绝入场 Denials ({})</h2>", denials.len());
        b.push_str(&table(
            &[
                "场次 Session",
                "准考证 Ticket",
                "考点 Site",
                "考场 Room",
                "时间 Time",
                "原因 Reason",
            ],
            &denials,
        ));
        let manual = pick(self.manual);
        let _ = write!(b, "<h2>人工放行 Manual admissions ({})</h2>", manual.len());
        b.push_str(&table(
            &[
                "场次 Session",
                "准考证 Ticket",
                "考点 Site",
                "考场 Room",
                "座位 Seat",
                "时间 Time",
                "理由 Code",
                "监考 Invigilator",
                "第二监考 Second",
            ],
            &manual,
        ));
        let incidents = pick(self.incidents);
        let _ = write!(b, "<h2>事件 Incidents ({})</h2>", incidents.len());
        b.push_str(&table(
            &[
                "场次 Session",
                "考点 Site",
                "考场 Room",
                "时间 Time",
                "监考 Invigilator",
                "准考证 Ticket",
                "事件 Incident",
            ],
            &incidents,
        ));
        b.push_str("<h2>考场 Rooms</h2>");
        let rooms: Vec<Vec<String>> = self
            .rows
            .iter()
            .filter(|r| r.session == s.id)
            .map(|r| {
                vec![
                    format!("{}/{}", r.site, r.room),
                    r.expected.to_string(),
                    r.admitted.to_string(),
                    r.referred.to_string(),
                    r.denied.to_string(),
                    r.absent.to_string(),
                    if r.export {
                        "✔"
                    } else {
                        "✘ 未收到 missing"
                    }
                    .to_string(),
                    r.seal_code
                        .clone()
                        .unwrap_or_else(|| "✘ 未封存 unsealed".into()),
                ]
            })
            .collect();
        b.push_str(&table(
            &[
                "考场 Room",
                "应到 Expected",
                "入场 Admitted",
                "核验 Referred",
                "拒绝 Denied",
                "缺考 Absent",
                "导出 Export",
                "封存码 Seal code",
            ],
            &rooms,
        ));
        b.push_str("<h2>座位图 Seat maps</h2><p class=\"legend\"><span style=\"background:#1E7B34\"></span>入场 Admitted<span style=\"background:#B86E00\"></span>待核验 Referred<span style=\"background:#B3261E\"></span>拒绝 Denied<span style=\"background:white;border:1px solid #9AA6B2\"></span>缺考 Absent</p><div class=\"maps\">");
        for room in &f.rooms {
            b.push_str(&self.seat_map(s, &room.room, room.seats));
        }
        b.push_str("</div>");
        page(&format!("{} {}", f.exam, s.id), &b)
    }

    /// Admissions per minute per site, from entry opening to a little past the cutoff, with
    /// the late cutoff marked.
    fn arrivals(&self, s: &super::facts::Session) -> String {
        let f = self.f;
        let from = s.entry_opens;
        let minutes = ((s.late_cutoff - from).num_minutes() + 10).max(1) as usize;
        let mut by_site: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for e in &f.events {
            let (Event::Decision(d), Some(sid)) = (&e.event, &e.session) else {
                continue;
            };
            if *sid != s.id || !matches!(d.decision, Decision::Admit { .. }) {
                continue;
            }
            let m = (f.local(e.at_ms) - from).num_minutes();
            if m >= 0 && (m as usize) < minutes {
                by_site
                    .entry(e.room.site.clone())
                    .or_insert_with(|| vec![0; minutes])[m as usize] += 1;
            }
        }
        if by_site.is_empty() {
            return "<p>无入场记录 No admissions</p>".into();
        }
        let (w, h, left, bottom) = (720.0, 200.0, 40.0, 24.0);
        let peak = by_site
            .values()
            .flat_map(|v| v.iter().copied())
            .max()
            .unwrap_or(1)
            .max(1) as f64;
        let x = |m: f64| left + m * (w - left - 10.0) / minutes as f64;
        let y = |v: f64| h - bottom - v * (h - bottom - 10.0) / peak;
        let palette = [
            "#17324D", "#1E7B34", "#B86E00", "#6A3D9A", "#1F78B4", "#B3261E",
        ];
        let mut svg = format!("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"arrivals per minute\"><rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>");
        let cut = (s.late_cutoff - from).num_minutes() as f64;
        // The label left of the line: the cutoff sits near the chart's right edge.
        let _ = write!(svg, "<line x1=\"{0}\" x2=\"{0}\" y1=\"10\" y2=\"{1}\" stroke=\"#B3261E\" stroke-dasharray=\"4 3\"/><text x=\"{2}\" y=\"20\" font-size=\"12\" fill=\"#B3261E\" text-anchor=\"end\">迟到截止 late cutoff {3}</text>", x(cut), h - bottom, x(cut) - 4.0, s.late_cutoff.format("%H:%M"));
        let _ = write!(svg, "<line x1=\"{left}\" x2=\"{0}\" y1=\"{1}\" y2=\"{1}\" stroke=\"#9AA6B2\"/><text x=\"4\" y=\"{2}\" font-size=\"11\">{3}</text><text x=\"4\" y=\"{1}\" font-size=\"11\">0</text>", w - 10.0, h - bottom, y(peak) + 4.0, peak);
        for (k, t) in [(0.0, from), (cut, s.late_cutoff)] {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text>",
                x(k) - 12.0,
                h - 6.0,
                t.format("%H:%M")
            );
        }
        for (i, (site, counts)) in by_site.iter().enumerate() {
            let colour = palette[i % palette.len()];
            let points: Vec<String> = counts
                .iter()
                .enumerate()
                .map(|(m, &v)| format!("{:.1},{:.1}", x(m as f64 + 0.5), y(f64::from(v))))
                .collect();
            let _ = write!(svg, "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{colour}\">{}</text>", points.join(" "), left + 10.0, 24.0 + 14.0 * i as f64, esc(site));
        }
        svg.push_str("</svg>");
        svg
    }

    fn seat_map(&self, s: &super::facts::Session, room: &RoomRef, seats: u16) -> String {
        let f = self.f;
        let seated = f.seated(&s.id, room);
        if seated.is_empty() {
            return String::new();
        }
        let replayed: Vec<_> = f
            .kiosks
            .iter()
            .filter(|(_, r)| *r == room)
            .filter_map(|(k, _)| f.replayed.get(&(s.id.clone(), k.clone())))
            .collect();
        let mut colour: HashMap<u16, &str> = HashMap::new();
        for t in seated {
            let seat = f.roster[&(s.id.clone(), t.clone())].seat;
            let ticket = crate::decision::TicketNumber(t.clone());
            let c = if replayed
                .iter()
                .any(|r| r.tally.admitted.contains_key(&ticket))
            {
                "#1E7B34"
            } else if replayed
                .iter()
                .any(|r| r.tally.referrals.iter().any(|x| x.ticket == ticket))
            {
                "#B86E00"
            } else if replayed
                .iter()
                .any(|r| matches!(r.tally.outcomes.get(&ticket), Some(Decision::Deny { .. })))
            {
                "#B3261E"
            } else {
                "white"
            };
            colour.insert(seat, c);
        }
        let cols = 8u16;
        let cell = 16.0;
        let rows = seats.div_ceil(cols).max(1);
        let (w, h) = (f64::from(cols) * cell, f64::from(rows) * cell);
        let mut svg = format!("<div class=\"map\"><div>{}</div><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\">", esc(&room.to_string()));
        for n in 1..=seats {
            let (cx, cy) = (
                f64::from((n - 1) % cols) * cell,
                f64::from((n - 1) / cols) * cell,
            );
            let fill = colour.get(&n).copied().unwrap_or("#E4E8EC");
            let _ = write!(svg, "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\" stroke=\"#9AA6B2\"><title>{n}</title></rect>", cx + 1.0, cy + 1.0, cell - 2.0, cell - 2.0);
        }
        svg.push_str("</svg></div>");
        svg
    }
}
