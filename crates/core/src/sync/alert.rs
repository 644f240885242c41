//! The desktop notification after a background or daily update: only when connections
//! NEWLY need someone (a connection already waiting for its client is not news), naming how
//! many and for which clients — names only: never an account number, an institution's
//! account detail or a secret. The app only sends what this returns.

use super::run_report::{NeedsAction, RunReport};
use crate::settings::UiLocale;

/// Client names written out in a notification; more are counted ("and 2 more").
const NAMES_SHOWN: usize = 3;

/// A desktop notification's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub title: String,
    pub body: String,
}

/// The notification for a finished update, if it found connections that newly need someone.
pub fn alert_for(report: &RunReport, locale: UiLocale) -> Option<Alert> {
    let newly: Vec<&NeedsAction> = report.newly_needing().collect();
    if newly.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = Vec::new();
    for n in &newly {
        let name = n.client_name.trim();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    Some(Alert {
        title: title(newly.len(), locale),
        body: body(&names, locale),
    })
}

fn title(count: usize, locale: UiLocale) -> String {
    match (locale, count) {
        (UiLocale::En, 1) => "1 connection needs attention".into(),
        (UiLocale::En, n) => format!("{n} connections need attention"),
        (UiLocale::Es, 1) => "1 conexión necesita atención".into(),
        (UiLocale::Es, n) => format!("{n} conexiones necesitan atención"),
        (UiLocale::Fr, 1) => "1 connexion demande une action".into(),
        (UiLocale::Fr, n) => format!("{n} connexions demandent une action"),
    }
}

fn body(names: &[&str], locale: UiLocale) -> String {
    let shown = &names[..names.len().min(NAMES_SHOWN)];
    let more = names.len() - shown.len();
    let (and, more_word, open) = match locale {
        UiLocale::En => ("and", "more", "Open the health queue to see what to do."),
        UiLocale::Es => ("y", "más", "Abra Incidencias para ver qué hacer."),
        UiLocale::Fr => (
            "et",
            "autres",
            "Ouvrez la file de suivi pour savoir quoi faire.",
        ),
    };
    let listed = match (shown, more) {
        ([], _) => String::new(),
        ([only], 0) => (*only).to_string(),
        (_, 0) => {
            let (last, first) = shown.split_last().expect("two or more names");
            format!("{} {and} {last}", first.join(", "))
        }
        (_, n) => format!("{} {and} {n} {more_word}", shown.join(", ")),
    };
    if listed.is_empty() {
        open.to_string()
    } else {
        format!("{listed}. {open}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ConnectionStatus;

    fn needs(id: i64, client: &str, newly: bool) -> NeedsAction {
        NeedsAction {
            connection_id: id,
            client_id: id,
            client_name: client.into(),
            institution: "Banco X".into(),
            status: ConnectionStatus::PendingSca,
            newly,
        }
    }

    fn report(client: Vec<NeedsAction>, advisor: Vec<NeedsAction>) -> RunReport {
        RunReport {
            needs_client: client,
            needs_advisor: advisor,
            ..Default::default()
        }
    }

    #[test]
    fn nothing_new_means_no_notification() {
        assert_eq!(alert_for(&RunReport::default(), UiLocale::En), None);
        let old = report(vec![needs(1, "Ana Ruiz", false)], vec![]);
        assert_eq!(alert_for(&old, UiLocale::En), None);
    }

    #[test]
    fn it_names_how_many_and_which_clients() {
        let r = report(
            vec![
                needs(1, "Ana Ruiz", true),
                needs(2, "Ana Ruiz", true),
                needs(3, "Old News", false),
            ],
            vec![needs(4, "Luc Tremblay", true)],
        );
        let a = alert_for(&r, UiLocale::En).unwrap();
        assert_eq!(a.title, "3 connections need attention");
        assert_eq!(
            a.body,
            "Ana Ruiz and Luc Tremblay. Open the health queue to see what to do."
        );
        let es = alert_for(&r, UiLocale::Es).unwrap();
        assert_eq!(es.title, "3 conexiones necesitan atención");
        assert!(
            es.body.starts_with("Ana Ruiz y Luc Tremblay. "),
            "{}",
            es.body
        );
        let fr = alert_for(&report(vec![needs(1, "Ana", true)], vec![]), UiLocale::Fr).unwrap();
        assert_eq!(fr.title, "1 connexion demande une action");
        assert!(fr.body.starts_with("Ana. Ouvrez"), "{}", fr.body);
    }

    #[test]
    fn many_clients_are_counted_not_listed() {
        let names = ["A", "B", "C", "D", "E"];
        let r = report(
            names
                .iter()
                .enumerate()
                .map(|(i, n)| needs(i as i64, n, true))
                .collect(),
            vec![],
        );
        let a = alert_for(&r, UiLocale::En).unwrap();
        assert_eq!(a.title, "5 connections need attention");
        assert!(a.body.starts_with("A, B, C and 2 more. "), "{}", a.body);
        let three = report(r.needs_client[..3].to_vec(), vec![]);
        let a = alert_for(&three, UiLocale::En).unwrap();
        assert!(a.body.starts_with("A, B and C. "), "{}", a.body);
    }

    #[test]
    fn it_carries_names_only() {
        // The report holds no account number or secret to leak; the text uses names and
        // counts only, not the institution or the connection's id.
        let r = report(vec![needs(987_654, "Ana Ruiz", true)], vec![]);
        let a = alert_for(&r, UiLocale::En).unwrap();
        for text in [&a.title, &a.body] {
            assert!(
                !text.contains("987654") && !text.contains("Banco X"),
                "{text}"
            );
        }
    }
}
