//! The slint adapter: copies a [`View`] into the window's properties, turns the window's
//! callbacks into [`Command`]s, and renders offscreen for screenshots. The screens
//! themselves are in src/ui/*.slint; the decisions about what to show are in
//! src/kiosk/view.rs and station.rs. Nothing else in the crate names a slint type.

pub mod headless;
pub mod keyboard;

use std::rc::Rc;

use image::RgbImage;
use slint::{Model, ModelRc, SharedPixelBuffer, SharedString, VecModel};

use crate::decision::{DenyReason, ReferReason};
use crate::journal::actions::ReasonCode;
use crate::kiosk::door::{Device, Hint as DoorHint};
use crate::kiosk::station::{Command, IncidentKind as Kind};
use crate::kiosk::view::{self, Notice, PinMessage as Msg, View};
use crate::kiosk::worker::Update;

// The code slint-build generates from src/ui/*.slint (it uses unsafe internally).
#[allow(
    missing_docs,
    unsafe_code,
    clippy::all,
    clippy::pedantic,
    clippy::restriction
)]
mod generated {
    slint::include_modules!();
}

pub use generated::AppWindow;
use generated::*;

/// The window's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Language {
    /// 中文 (the default).
    #[default]
    Chinese,
    /// English.
    English,
}

impl Language {
    /// From a command-line value: zh or en.
    pub fn parse(text: &str) -> Option<Language> {
        match text {
            "zh" | "zh_CN" | "zh-CN" => Some(Language::Chinese),
            "en" => Some(Language::English),
            _ => None,
        }
    }

    /// The other one.
    pub fn other(self) -> Language {
        match self {
            Language::Chinese => Language::English,
            Language::English => Language::Chinese,
        }
    }

    /// Short code for file names.
    pub fn code(self) -> &'static str {
        match self {
            Language::Chinese => "zh",
            Language::English => "en",
        }
    }
}

/// Switch every @tr string of the running UI (call after the window exists).
pub fn set_language(ui: &AppWindow, lang: Language) {
    let locale = match lang {
        Language::Chinese => "zh_CN",
        Language::English => "",
    };
    // Only fails for a locale with no bundled catalogue; zh_CN is bundled by build.rs.
    let _ = slint::select_bundled_translation(locale);
    ui.set_english(lang == Language::English);
}

/// A picture for an `image` property.
pub fn picture(img: &RgbImage) -> slint::Image {
    slint::Image::from_rgb8(SharedPixelBuffer::clone_from_slice(
        img.as_raw(),
        img.width(),
        img.height(),
    ))
}

fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::from(Rc::new(VecModel::from(items)))
}

fn hint(h: Option<DoorHint>) -> Hint {
    match h {
        None => Hint::None,
        Some(DoorHint::PlaceDocument) => Hint::PlaceDocument,
        Some(DoorHint::TapAgain) => Hint::TapAgain,
        Some(DoorHint::NotInRoster) => Hint::NotInRoster,
        Some(DoorHint::NotATicket) => Hint::NotATicket,
        Some(DoorHint::LookAtCamera) => Hint::LookAtCamera,
        Some(DoorHint::ComeCloser) => Hint::ComeCloser,
        Some(DoorHint::LookStraight) => Hint::LookStraight,
        Some(DoorHint::HoldStill) => Hint::HoldStill,
        Some(DoorHint::RemoveCovering) => Hint::RemoveMask,
    }
}

fn screen(s: view::Screen) -> Screen {
    match s {
        view::Screen::Idle => Screen::Idle,
        view::Screen::Reading => Screen::Reading,
        view::Screen::Capture => Screen::Capture,
        view::Screen::Result => Screen::Result,
        view::Screen::DeviceError => Screen::DeviceError,
        view::Screen::Pin => Screen::Pin,
        view::Screen::Invigilator => Screen::Invigilator,
        view::Screen::Review => Screen::Review,
        view::Screen::Incidents => Screen::Incidents,
        view::Screen::Seal => Screen::Seal,
        view::Screen::Clock => Screen::Clock,
        view::Screen::NoPackage => Screen::NoPackage,
    }
}

fn reason(r: &ReferReason) -> Reason {
    match r {
        ReferReason::AlreadyAdmitted => Reason::AlreadyAdmitted,
        ReferReason::PassiveAuthFailed(_) => Reason::PassiveAuthFailed,
        ReferReason::RegistrationMismatch { .. } => Reason::RegistrationMismatch,
        ReferReason::PortraitMismatch { .. } => Reason::PortraitMismatch,
        ReferReason::DocumentNumberMismatch => Reason::DocumentNumberMismatch,
        ReferReason::NameMismatch => Reason::NameMismatch,
        ReferReason::LivenessLow { .. } => Reason::LivenessLow,
        ReferReason::NoUsableFace { .. } => Reason::NoUsableFace,
        ReferReason::PaperMismatch { .. } => Reason::PaperMismatch,
        ReferReason::DocumentUnreadable { .. } => Reason::DocumentUnreadable,
    }
}

fn code(c: Code) -> ReasonCode {
    match c {
        Code::IdentityConfirmed => ReasonCode::IdentityConfirmedByHand,
        Code::PhotoOutdated => ReasonCode::RegistrationPhotoOutdated,
        Code::DocumentUnreadable => ReasonCode::DocumentUnreadable,
        Code::TechnicalFailure => ReasonCode::TechnicalFailure,
        Code::DuplicateKioskError => ReasonCode::DuplicateWasKioskError,
        Code::IdentityNotConfirmed => ReasonCode::IdentityNotConfirmed,
        Code::Impersonation => ReasonCode::Impersonation,
        Code::RefusedChecks => ReasonCode::RefusedChecks,
    }
}

fn empty() -> slint::Image {
    slint::Image::default()
}

/// Copy `v` into the window.
pub fn show(ui: &AppWindow, v: &View) {
    ui.set_screen(screen(v.screen));
    ui.set_room(v.room.as_str().into());
    ui.set_subject(v.subject.as_str().into());
    ui.set_clock(v.clock.as_str().into());
    ui.set_countdown(v.countdown.as_str().into());
    ui.set_late(v.late);
    ui.set_admitted(v.admitted as i32);
    ui.set_expected(v.expected as i32);
    ui.set_referred(v.referred as i32);
    ui.set_denied(v.denied as i32);
    ui.set_hint(hint(v.hint));
    ui.set_preview(v.preview.as_ref().map_or_else(empty, picture));
    match &v.verdict {
        Some(view::Verdict::Admit { seat, name }) => {
            ui.set_outcome(Outcome::Admit);
            ui.set_seat(i32::from(*seat));
            ui.set_name(name.as_str().into());
        }
        Some(view::Verdict::Refer) => ui.set_outcome(Outcome::Refer),
        Some(view::Verdict::Deny {
            reason,
            go_to,
            come_back_at,
        }) => {
            ui.set_outcome(Outcome::Deny);
            ui.set_deny_why(match reason {
                DenyReason::NotInRoster => DenyWhy::NotInRoster,
                DenyReason::NotInThisSession => DenyWhy::NotInSession,
                DenyReason::Late { .. } => DenyWhy::Late,
                DenyReason::WrongRoom => DenyWhy::WrongRoom,
                DenyReason::TooEarly => DenyWhy::TooEarly,
            });
            if let Some((site, room, seat)) = go_to {
                ui.set_go_site(site.as_str().into());
                ui.set_go_room(room.as_str().into());
                ui.set_go_seat(i32::from(*seat));
            }
            ui.set_come_back_at(come_back_at.clone().unwrap_or_default().into());
        }
        None => {}
    }
    ui.set_camera_missing(v.missing.contains(&Device::Camera));
    ui.set_reader_missing(v.missing.contains(&Device::Reader));
    ui.set_software_missing(v.missing.contains(&Device::Software));
    ui.set_pin_purpose(match v.pin_purpose {
        view::PinPurpose::Unlock => PinPurpose::Unlock,
        view::PinPurpose::SecondForAdmit => PinPurpose::SecondForAdmit,
        view::PinPurpose::SecondForSeal => PinPurpose::SecondForSeal,
        view::PinPurpose::SecondForClock => PinPurpose::SecondForClock,
    });
    let (message, tries, until) = match &v.pin_message {
        Msg::None => (PinMessage::None, 0, String::new()),
        Msg::Wrong { tries_left } => (PinMessage::Wrong, *tries_left as i32, String::new()),
        Msg::Locked { until } => (PinMessage::Locked, 0, until.clone()),
        Msg::SamePerson => (PinMessage::SamePerson, 0, String::new()),
        Msg::Unknown => (PinMessage::Unknown, 0, String::new()),
    };
    ui.set_pin_message(message);
    ui.set_tries_left(tries);
    ui.set_locked_until(until.into());
    ui.set_people(model(
        v.people
            .iter()
            .map(|(id, name)| PersonRow {
                id: id.as_str().into(),
                name: name.as_str().into(),
            })
            .collect(),
    ));
    ui.set_seats(model(
        v.seats
            .iter()
            .map(|(n, s)| SeatView {
                number: i32::from(*n),
                state: match s {
                    view::SeatState::Empty => SeatState::Empty,
                    view::SeatState::Expected => SeatState::Expected,
                    view::SeatState::Admitted => SeatState::Admitted,
                    view::SeatState::Referred => SeatState::Referred,
                    view::SeatState::Denied => SeatState::Denied,
                },
            })
            .collect(),
    ));
    ui.set_referrals(model(
        v.referrals
            .iter()
            .map(|r| ReferralRow {
                ticket: r.ticket.as_str().into(),
                name: r.name.as_str().into(),
                high: r.high,
            })
            .collect(),
    ));
    ui.set_invigilator(v.invigilator.as_str().into());
    ui.set_sealed(v.sealed);
    ui.set_seal_code(v.seal_code.as_str().into());
    if let Some(r) = &v.review {
        ui.set_review_ticket(r.ticket.as_str().into());
        ui.set_review_name(r.name.as_str().into());
        ui.set_thumbnail(r.thumbnail.as_ref().map_or_else(empty, picture));
        ui.set_portrait(r.portrait.as_ref().map_or_else(empty, picture));
        ui.set_live(r.live.as_ref().map_or_else(empty, picture));
        ui.set_registration_score(r.registration_score.as_str().into());
        ui.set_portrait_score(r.portrait_score.as_str().into());
        ui.set_liveness(r.liveness.as_str().into());
        ui.set_reasons(model(
            r.reasons
                .iter()
                .map(|(x, d)| ReasonRow {
                    reason: reason(x),
                    detail: d.as_str().into(),
                })
                .collect(),
        ));
    }
    ui.set_incidents_recorded(model(
        v.incidents
            .iter()
            .map(|s| SharedString::from(s.as_str()))
            .collect(),
    ));
    let (kind, detail) = match &v.notice {
        Notice::None => (NoticeKind::None, String::new()),
        Notice::Exported(path) => (NoticeKind::Exported, path.clone()),
        Notice::Resolved(_) => (NoticeKind::Resolved, String::new()),
        Notice::IncidentRecorded => (NoticeKind::Incident, String::new()),
        Notice::PaperChecked => (NoticeKind::PaperChecked, String::new()),
        Notice::Failed(why) => (NoticeKind::Failed, why.clone()),
        Notice::Fault(stage) => (NoticeKind::Fault, stage.clone()),
        Notice::ClockConfirmed(offset) => (NoticeKind::ClockConfirmed, offset.clone()),
    };
    ui.set_notice_kind(kind);
    ui.set_notice_detail(detail.into());
    let c = v.clock_check.clone().unwrap_or_default();
    ui.set_kiosk_time(c.kiosk_time.into());
    ui.set_kiosk_date(c.kiosk_date.into());
    ui.set_corrected_time(c.corrected_time.into());
    ui.set_clock_offset(c.offset.into());
    ui.set_session_start(c.session_start.into());
    ui.set_late_cutoff(c.late_cutoff.into());
    ui.set_clock_confirmed(c.confirmed);
    ui.set_clock_needs_second(c.needs_second);
    ui.set_door_waits(c.door_waits);
    ui.set_refused(v.refused.as_str().into());
}

/// Send every button of the window as a command through `send`; the language button is
/// handled here (it changes nothing but the words).
pub fn connect(ui: &AppWindow, send: impl Fn(Command) + Clone + 'static) {
    let s = send.clone();
    ui.on_scanned(move |code| s(Command::Scan(code.to_string())));
    let s = send.clone();
    ui.on_open_invigilator(move || s(Command::OpenInvigilator));
    let s = send.clone();
    ui.on_pin_submit(move |id, pin| {
        s(Command::Pin {
            id: id.to_string(),
            pin: crate::invigilator::Pin::new(pin.as_str()),
        })
    });
    let s = send.clone();
    ui.on_pin_cancel(move || s(Command::PinCancel));
    let s = send.clone();
    ui.on_review(move |t| s(Command::Review(t.to_string())));
    let s = send.clone();
    ui.on_review_seat(move |n| {
        if let Ok(n) = u16::try_from(n) {
            s(Command::ReviewSeat(n));
        }
    });
    let s = send.clone();
    ui.on_resolve(move |c| s(Command::Resolve(code(c))));
    let s = send.clone();
    ui.on_show_incidents(move || s(Command::ShowIncidents));
    let s = send.clone();
    ui.on_record_incident(move |k| {
        s(Command::RecordIncident(match k {
            IncidentKind::Unwell => Kind::Unwell,
            IncidentKind::Disturbance => Kind::Disturbance,
            IncidentKind::DeviceFault => Kind::DeviceFault,
            IncidentKind::SuspectedCheating => Kind::SuspectedCheating,
        }))
    });
    let s = send.clone();
    ui.on_show_seal(move || s(Command::ShowSeal));
    let s = send.clone();
    ui.on_seal(move || s(Command::Seal));
    let s = send.clone();
    ui.on_export(move || s(Command::Export));
    let s = send.clone();
    ui.on_back(move || s(Command::Back));
    let s = send.clone();
    ui.on_lock(move || s(Command::Lock));
    let s = send.clone();
    ui.on_show_clock(move || s(Command::ShowClock));
    let s = send.clone();
    ui.on_adjust_clock(move |seconds| s(Command::AdjustClock(i64::from(seconds))));
    let s = send;
    ui.on_confirm_clock(move || s(Command::ConfirmClock));
    let weak = ui.as_weak();
    ui.on_switch_language(move || {
        if let Some(ui) = weak.upgrade() {
            let now = if ui.get_english() {
                Language::English
            } else {
                Language::Chinese
            };
            set_language(&ui, now.other());
        }
    });
}

/// The screen as the worker last described it, with live frames and hints merged in.
#[derive(Debug, Clone, Default)]
pub struct Screenful {
    /// The view.
    pub view: View,
}

impl Screenful {
    /// Merge an update; returns whether the screen changed.
    pub fn apply(&mut self, u: &Update) -> bool {
        match u {
            Update::View(v) => self.view = (**v).clone(),
            Update::Frame(f) => {
                self.view.screen = view::Screen::Capture;
                self.view.preview = Some(f.clone());
            }
            Update::Screen(s) => {
                self.view.screen = *s;
                self.view.hint = match s {
                    view::Screen::Capture => Some(DoorHint::LookAtCamera),
                    _ => None,
                };
            }
            Update::Hint(h) => self.view.hint = Some(*h),
            Update::Decision(..) | Update::Failed(_) | Update::Said(_) => return false,
        }
        true
    }

    /// A short text that changes when something a screenshot should show changes.
    pub fn signature(&self) -> String {
        let v = &self.view;
        format!(
            "{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{}|{}|{:?}|{}|{}",
            v.screen,
            v.preview.is_some(),
            v.hint,
            v.verdict,
            v.pin_message,
            v.pin_purpose,
            v.notice,
            v.referrals.len(),
            v.incidents.len(),
            v.missing,
            v.sealed,
            v.seal_code
        )
    }
}

/// Every string the seat-map model holds, for tests.
pub fn seat_count(ui: &AppWindow) -> usize {
    ui.get_seats().row_count()
}
