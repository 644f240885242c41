//! The message a client receives with the links to reauthorize their banks: subject and body
//! in the client's language (en / es / fr), and a `mailto:` URL for the advisor's mail client.
//!
//! The composer only sees what is meant for the client: their name, each bank's name, the
//! provider link (its one-time state and the provider's SCA / reset token or Flinks
//! `requestId` are for the client to use) and its expiry. It is never given a connection's
//! credentials_token or loginId, so it cannot put one in a message.

use chrono::{Datelike, Timelike};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::Serialize;

use super::LinkPurpose;
use crate::clients::Language;
use crate::time::Timestamp;

/// One bank's link in a message.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct MessageLink {
    pub connection_id: i64,
    pub institution: String,
    pub purpose: LinkPurpose,
    pub url: String,
    pub expires_at: Timestamp,
}

/// A ready message for one client.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ipc-types", derive(ts_rs::TS))]
pub struct ClientMessage {
    pub client_id: i64,
    pub client_name: String,
    pub email: Option<String>,
    pub language: Language,
    pub links: Vec<MessageLink>,
    pub subject: String,
    pub body: String,
    /// `mailto:` with the address, subject and body; `None` without an e-mail address.
    pub mailto: Option<String>,
}

/// Who the message is for and who signs it.
pub struct Recipient<'a> {
    pub client_id: i64,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub language: Language,
    /// The advisor's name (`advisor.name`), the signature; left out when unset.
    pub advisor: Option<&'a str>,
}

struct Words {
    subject_one: &'static str,
    subject_many: &'static str,
    hello: &'static str,
    why: &'static str,
    until: &'static str,
    once: &'static str,
    unexpected: &'static str,
    regards: &'static str,
    months: [&'static str; 12],
    date: fn(day: u32, month: &str, year: i32) -> String,
}

fn words(language: Language) -> Words {
    match language {
        Language::En => Words {
            subject_one: "Please reconnect your bank",
            subject_many: "Please reconnect your banks",
            hello: "Hello",
            why: "To keep your accounts up to date in our review, your bank needs you to confirm \
                  your access again. It takes a minute:",
            until: "The link works until",
            once: "and only once.",
            unexpected: "If you did not expect this message, please call me before opening a link.",
            regards: "Best regards,",
            months: crate::time::MONTHS_EN,
            date: |d, m, y| format!("{d} {m} {y}"),
        },
        Language::Es => Words {
            subject_one: "Vuelva a conectar su banco",
            subject_many: "Vuelva a conectar sus bancos",
            hello: "Hola",
            why: "Para mantener sus cuentas al día en nuestra revisión, su banco necesita que \
                  vuelva a confirmar su acceso. Es un minuto:",
            until: "El enlace funciona hasta el",
            once: "y una sola vez.",
            unexpected: "Si no esperaba este mensaje, llámeme antes de abrir un enlace.",
            regards: "Un saludo,",
            months: crate::time::MONTHS_ES,
            date: |d, m, y| format!("{d} de {m} de {y}"),
        },
        Language::Fr => Words {
            subject_one: "Veuillez reconnecter votre banque",
            subject_many: "Veuillez reconnecter vos banques",
            hello: "Bonjour",
            why: "Pour garder vos comptes à jour dans notre suivi, votre banque vous demande de \
                  confirmer à nouveau votre accès. Cela prend une minute :",
            until: "Le lien fonctionne jusqu'au",
            once: "et une seule fois.",
            unexpected: "Si vous n'attendiez pas ce message, appelez-moi avant d'ouvrir un lien.",
            regards: "Cordialement,",
            months: crate::time::MONTHS_FR,
            date: |d, m, y| format!("{d} {m} {y}"),
        },
    }
}

/// What the client does on the bank's page, in their language.
fn step(language: Language, purpose: LinkPurpose) -> &'static str {
    match (language, purpose) {
        (Language::En, LinkPurpose::Sca) => "confirm it is you with your bank's security check",
        (Language::En, LinkPurpose::Reset) => {
            "sign in again with your online banking user and password"
        }
        (Language::En, LinkPurpose::Mfa) => "answer your bank's security question",
        (Language::En, LinkPurpose::New) => "connect your account",
        (Language::Es, LinkPurpose::Sca) => {
            "confirme su identidad con la verificación de seguridad de su banco"
        }
        (Language::Es, LinkPurpose::Reset) => {
            "vuelva a entrar con el usuario y la contraseña de su banca online"
        }
        (Language::Es, LinkPurpose::Mfa) => "responda a la pregunta de seguridad de su banco",
        (Language::Es, LinkPurpose::New) => "conecte su cuenta",
        (Language::Fr, LinkPurpose::Sca) => {
            "confirmez votre identité avec la vérification de sécurité de votre banque"
        }
        (Language::Fr, LinkPurpose::Reset) => {
            "reconnectez-vous avec l'identifiant et le mot de passe de votre banque en ligne"
        }
        (Language::Fr, LinkPurpose::Mfa) => "répondez à la question de sécurité de votre banque",
        (Language::Fr, LinkPurpose::New) => "connectez votre compte",
    }
}

/// An expiry as the client reads it: the date in words and the time in UTC (the client's
/// time zone is not known).
fn expiry(w: &Words, at: Timestamp) -> String {
    let month = w.months[at.month0() as usize];
    format!(
        "{}, {:02}:{:02} UTC",
        (w.date)(at.day(), month, at.year()),
        at.hour(),
        at.minute()
    )
}

/// Subject and body for one client and their links (at least one).
pub fn compose(to: &Recipient<'_>, links: Vec<MessageLink>) -> ClientMessage {
    let w = words(to.language);
    let subject = match links.as_slice() {
        [one] => format!("{}: {}", w.subject_one, one.institution),
        _ => w.subject_many.to_string(),
    };
    let mut body = format!("{} {},\n\n{}\n", w.hello, to.name, w.why);
    for l in &links {
        body.push_str(&format!(
            "\n{} — {}:\n{}\n",
            l.institution,
            step(to.language, l.purpose),
            l.url
        ));
    }
    // Every link of one message is sent at once: the earliest expiry is the one to keep.
    if let Some(first) = links.iter().map(|l| l.expires_at).min() {
        body.push_str(&format!(
            "\n{} {}, {}\n",
            w.until,
            expiry(&w, first),
            w.once
        ));
    }
    body.push_str(&format!("{}\n\n{}\n", w.unexpected, w.regards));
    if let Some(advisor) = to.advisor.map(str::trim).filter(|a| !a.is_empty()) {
        body.push_str(advisor);
        body.push('\n');
    }
    let mailto = to.email.map(|e| mailto(e, &subject, &body));
    ClientMessage {
        client_id: to.client_id,
        client_name: to.name.to_string(),
        email: to.email.map(str::to_string),
        language: to.language,
        links,
        subject,
        body,
        mailto,
    }
}

/// Everything but RFC 3986's unreserved characters is escaped (RFC 6068: `&`, `=`, `?`, `#`,
/// `%` and spaces must be; line breaks as `%0D%0A`).
const MAILTO_FIELD: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The address keeps its `@`; anything that could start another field is escaped.
const MAILTO_ADDRESS: &AsciiSet = &MAILTO_FIELD.remove(b'@');

/// A `mailto:` URL with the address, the subject and the body (RFC 6068).
pub fn mailto(address: &str, subject: &str, body: &str) -> String {
    let crlf = body.replace("\r\n", "\n").replace('\n', "\r\n");
    let to = utf8_percent_encode(address, MAILTO_ADDRESS).to_string();
    format!(
        "mailto:{to}?subject={}&body={}",
        utf8_percent_encode(subject, MAILTO_FIELD),
        utf8_percent_encode(&crlf, MAILTO_FIELD)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        crate::time::from_db(s).unwrap()
    }

    fn link(id: i64, bank: &str, purpose: LinkPurpose, expires: &str) -> MessageLink {
        MessageLink {
            connection_id: id,
            institution: bank.into(),
            purpose,
            url: format!("https://platform.example/link?token=t{id}&state=s{id}"),
            expires_at: at(expires),
        }
    }

    fn to(language: Language, email: Option<&'static str>) -> Recipient<'static> {
        Recipient {
            client_id: 7,
            name: "Ana Ruiz",
            email,
            language,
            advisor: Some("Marta Gil"),
        }
    }

    #[test]
    fn one_bank_in_english_names_it_the_step_the_link_and_its_expiry() {
        let m = compose(
            &to(Language::En, Some("ana@example.com")),
            vec![link(
                1,
                "Banco Uno",
                LinkPurpose::Sca,
                "2026-12-05T21:00:00.000Z",
            )],
        );
        assert_eq!(m.subject, "Please reconnect your bank: Banco Uno");
        assert!(m.body.starts_with("Hello Ana Ruiz,\n\n"), "{}", m.body);
        assert!(m.body.contains(
            "Banco Uno — confirm it is you with your bank's security check:\n\
             https://platform.example/link?token=t1&state=s1\n"
        ));
        assert!(m
            .body
            .contains("The link works until 5 December 2026, 21:00 UTC, and only once."));
        assert!(m.body.ends_with("Best regards,\nMarta Gil\n"));
    }

    #[test]
    fn many_banks_in_spanish_and_french_list_each_with_its_step() {
        let links = vec![
            link(1, "Banco Uno", LinkPurpose::Sca, "2026-03-02T09:05:00.000Z"),
            link(
                2,
                "Banco Dos",
                LinkPurpose::Reset,
                "2026-03-01T18:30:00.000Z",
            ),
        ];
        let es = compose(&to(Language::Es, None), links.clone());
        assert_eq!(es.subject, "Vuelva a conectar sus bancos");
        assert!(es.body.starts_with("Hola Ana Ruiz,"));
        assert!(es.body.contains("Banco Uno — confirme su identidad"));
        assert!(es.body.contains(
            "Banco Dos — vuelva a entrar con el usuario y la contraseña de su banca online:"
        ));
        // The earliest expiry of the two.
        assert!(es.body.contains(
            "El enlace funciona hasta el 1 de marzo de 2026, 18:30 UTC, y una sola vez."
        ));
        assert_eq!(es.mailto, None, "no address, no mailto");
        let fr = compose(&to(Language::Fr, None), links);
        assert_eq!(fr.subject, "Veuillez reconnecter vos banques");
        assert!(fr.body.contains("jusqu'au 1 mars 2026, 18:30 UTC"));
        assert!(fr.body.contains("Banco Dos — reconnectez-vous"));
    }

    #[test]
    fn mailto_escapes_every_field_separator_and_uses_crlf() {
        let m = mailto("ana+bank@example.com", "A & B?", "line one\nx=1&y=2 #3");
        assert_eq!(
            m,
            "mailto:ana%2Bbank@example.com?subject=A%20%26%20B%3F\
             &body=line%20one%0D%0Ax%3D1%26y%3D2%20%233"
        );
        let full = compose(
            &to(Language::En, Some("ana@example.com")),
            vec![link(
                1,
                "Banco Uno",
                LinkPurpose::Mfa,
                "2026-12-05T21:00:00.000Z",
            )],
        );
        let url = full.mailto.unwrap();
        assert!(url.starts_with("mailto:ana@example.com?subject=Please%20reconnect"));
        // The link's own `&` and `=` are inside the body, escaped: one subject, one body.
        assert_eq!(url.matches('&').count(), 1, "{url}");
        assert!(url.contains("token%3Dt1%26state%3Ds1"));
    }

    #[test]
    fn without_an_advisor_name_the_message_ends_with_the_greeting() {
        let mut r = to(Language::En, None);
        r.advisor = Some("  ");
        let m = compose(
            &r,
            vec![link(1, "B", LinkPurpose::Sca, "2026-12-05T21:00:00.000Z")],
        );
        assert!(m.body.ends_with("Best regards,\n"));
    }
}
