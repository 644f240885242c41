//! Looks for known secret values in raw bytes: files of any kind (SQLite pages, WAL, WebKit
//! storage, logs, CSV) and recorded IPC payloads, in the forms a value takes once stored or
//! sent (UTF-8, UTF-16 either way round, percent-encoded, JSON-escaped, base64) and by its
//! random tail alone (a token whose `sbx-cred-` prefix was stripped is still the token).
//!
//! One pass per haystack: a rolling hash of every 16-byte window (ASCII case folded) is looked
//! up among the needles' first 16 bytes, then the whole needle is compared.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Needles shorter than this cannot be told apart from chance matches.
pub const MIN_LEN: usize = 16;
const BASE: u64 = 0x0100_0000_01b3;
const FILTER_BITS: u32 = 22;

/// One value to look for, named for the report (`access_token`, `typed flinks/api_key`, …).
#[derive(Debug, Clone)]
pub struct Secret {
    pub label: String,
    pub value: String,
}

impl Secret {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Secret {
        Secret {
            label: label.into(),
            value: value.into(),
        }
    }
}

/// Where a secret was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub label: String,
    /// The secret's own value (a sandbox test value, safe to print).
    pub value: String,
    /// Which encoding matched: `utf8`, `utf16le`, `percent`, `tail`, …
    pub form: &'static str,
    /// A file path or an IPC record's name.
    pub place: String,
    pub offset: usize,
    /// Printable bytes around the match.
    pub context: String,
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, as {}) in {} at byte {}: …{}…",
            self.label, self.value, self.form, self.place, self.offset, self.context
        )
    }
}

struct Needle {
    secret: usize,
    form: &'static str,
    folded: Vec<u8>,
}

/// The needles of a set of secrets, ready to scan many haystacks.
pub struct Scanner {
    secrets: Vec<Secret>,
    needles: Vec<Needle>,
    by_hash: HashMap<u64, Vec<usize>>,
    filter: Vec<u64>,
    top: u64,
}

/// What one scan of files looked at and found.
#[derive(Debug, Default)]
pub struct Report {
    pub files: Vec<PathBuf>,
    pub bytes: u64,
    pub hits: Vec<Hit>,
}

impl Report {
    pub fn merge(&mut self, other: Report) {
        self.files.extend(other.files);
        self.bytes += other.bytes;
        self.hits.extend(other.hits);
    }
}

impl Scanner {
    /// Panics on a value shorter than [`MIN_LEN`]: scanning for it would prove nothing.
    pub fn new(secrets: Vec<Secret>) -> Scanner {
        let mut needles: Vec<Needle> = Vec::new();
        for (i, s) in secrets.iter().enumerate() {
            assert!(
                s.value.len() >= MIN_LEN,
                "{} is too short to scan for ({} bytes): {:?}",
                s.label,
                s.value.len(),
                s.value
            );
            for (form, bytes) in forms(&s.value) {
                let folded = bytes.to_ascii_lowercase();
                if folded.len() < MIN_LEN || needles.iter().any(|n| n.folded == folded) {
                    continue;
                }
                needles.push(Needle {
                    secret: i,
                    form,
                    folded,
                });
            }
        }
        let mut by_hash: HashMap<u64, Vec<usize>> = HashMap::new();
        let mut filter = vec![0u64; 1 << (FILTER_BITS - 6)];
        for (i, n) in needles.iter().enumerate() {
            let h = hash(&n.folded[..MIN_LEN]);
            by_hash.entry(h).or_default().push(i);
            let bit = filter_bit(h);
            filter[bit >> 6] |= 1 << (bit & 63);
        }
        let top = (0..MIN_LEN - 1).fold(1u64, |acc, _| acc.wrapping_mul(BASE));
        Scanner {
            secrets,
            needles,
            by_hash,
            filter,
            top,
        }
    }

    pub fn secrets(&self) -> &[Secret] {
        &self.secrets
    }

    /// How many encodings are looked for in all.
    pub fn needle_count(&self) -> usize {
        self.needles.len()
    }

    pub fn scan_bytes(&self, place: &str, hay: &[u8]) -> Vec<Hit> {
        let mut hits = Vec::new();
        if hay.len() < MIN_LEN {
            return hits;
        }
        let fold = |b: u8| u64::from(b.to_ascii_lowercase());
        let mut h = hash(&hay[..MIN_LEN].to_ascii_lowercase());
        let mut i = 0;
        loop {
            let bit = filter_bit(h);
            if self.filter[bit >> 6] & (1 << (bit & 63)) != 0 {
                if let Some(list) = self.by_hash.get(&h) {
                    for &n in list {
                        let needle = &self.needles[n];
                        let end = i + needle.folded.len();
                        if end <= hay.len() && hay[i..end].eq_ignore_ascii_case(&needle.folded) {
                            let secret = &self.secrets[needle.secret];
                            hits.push(Hit {
                                label: secret.label.clone(),
                                value: secret.value.clone(),
                                form: needle.form,
                                place: place.to_string(),
                                offset: i,
                                context: context(hay, i, end),
                            });
                        }
                    }
                }
            }
            if i + MIN_LEN >= hay.len() {
                break;
            }
            h = h
                .wrapping_sub(fold(hay[i]).wrapping_mul(self.top))
                .wrapping_mul(BASE)
                .wrapping_add(fold(hay[i + MIN_LEN]));
            i += 1;
        }
        hits
    }

    pub fn scan_file(&self, path: &Path) -> std::io::Result<Report> {
        let bytes = std::fs::read(path)?;
        Ok(Report {
            files: vec![path.to_path_buf()],
            bytes: bytes.len() as u64,
            hits: self.scan_bytes(&path.display().to_string(), &bytes),
        })
    }

    /// Every regular file under `dir` (symlinks are not followed). A file that disappears
    /// while the scan runs is skipped; any other read error panics (an unread file would be
    /// an unchecked one).
    pub fn scan_tree(&self, dir: &Path) -> Report {
        let mut report = Report::default();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let entries = match std::fs::read_dir(&d) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => panic!("cannot list {}: {e}", d.display()),
            };
            let mut entries: Vec<_> = entries.flatten().collect();
            entries.sort_by_key(|e| e.path());
            for entry in entries {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    stack.push(path);
                } else if kind.is_file() {
                    match self.scan_file(&path) {
                        Ok(r) => report.merge(r),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => panic!("cannot read {}: {e}", path.display()),
                    }
                }
            }
        }
        report
    }
}

fn hash(window: &[u8]) -> u64 {
    window.iter().fold(0u64, |h, &b| {
        h.wrapping_mul(BASE)
            .wrapping_add(u64::from(b.to_ascii_lowercase()))
    })
}

fn filter_bit(h: u64) -> usize {
    (h.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - FILTER_BITS)) as usize
}

fn context(hay: &[u8], start: usize, end: usize) -> String {
    let from = start.saturating_sub(40);
    let to = (end + 40).min(hay.len());
    hay[from..to]
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect()
}

/// The encodings a stored or transmitted value may take.
pub fn forms(value: &str) -> Vec<(&'static str, Vec<u8>)> {
    let mut out = vec![("utf8", value.as_bytes().to_vec())];
    out.push((
        "utf16le",
        value.encode_utf16().flat_map(u16::to_le_bytes).collect(),
    ));
    out.push((
        "utf16be",
        value.encode_utf16().flat_map(u16::to_be_bytes).collect(),
    ));
    out.push(("percent", percent_encode(value, false).into_bytes()));
    out.push(("form", percent_encode(value, true).into_bytes()));
    let json = serde_json::to_string(value).expect("a string serialises");
    out.push(("json", json.as_bytes()[1..json.len() - 1].to_vec()));
    out.push((
        "json-slash",
        json[1..json.len() - 1].replace('/', "\\/").into_bytes(),
    ));
    out.push(("base64", base64(value.as_bytes()).into_bytes()));
    if let Some(tail) = random_tail(value) {
        out.push(("tail", tail.as_bytes().to_vec()));
    }
    if is_uuid(value) {
        out.push(("uuid-hex", value.replace('-', "").into_bytes()));
    }
    out
}

/// `sbx-cred-0123…` → the random part after the last `-`, when it is long enough to be unique.
fn random_tail(value: &str) -> Option<&str> {
    let (_, tail) = value.rsplit_once('-')?;
    (tail.len() >= MIN_LEN && tail.len() < value.len()).then_some(tail)
}

fn is_uuid(v: &str) -> bool {
    let parts: Vec<_> = v.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// RFC 3986 unreserved characters stay; `form` writes a space as `+`.
pub fn percent_encode(value: &str, form: bool) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' if form => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner() -> Scanner {
        Scanner::new(vec![
            Secret::new("token", "sbx-cred-0123456789abcdef01234567"),
            Secret::new("login", "1c25f529-a551-4755-84a1-5a4db0d62fb4"),
            Secret::new("typed", "e2e key/\"with\"+odd&chars"),
        ])
    }

    fn forms_found(s: &Scanner, hay: &[u8]) -> Vec<(&'static str, String)> {
        s.scan_bytes("t", hay)
            .into_iter()
            .map(|h| (h.form, h.label))
            .collect()
    }

    #[test]
    fn finds_each_form_anywhere_and_nothing_else() {
        let s = scanner();
        assert!(s.needle_count() > 10);
        for (form, bytes) in forms("e2e key/\"with\"+odd&chars") {
            let mut hay = b"\x00\x01 before ".to_vec();
            hay.extend(&bytes);
            hay.extend(b" after \xff");
            let found = forms_found(&s, &hay);
            assert!(
                found.contains(&(form, "typed".to_string())),
                "{form}: {found:?}"
            );
        }
        // Case folded (an upper-cased hex token), at the very start and the very end.
        assert_eq!(
            forms_found(&s, b"SBX-CRED-0123456789ABCDEF01234567").len(),
            2,
            "the token and its tail"
        );
        assert_eq!(
            forms_found(&s, b"xx 0123456789abcdef01234567"),
            vec![("tail", "token".to_string())]
        );
        assert_eq!(
            forms_found(&s, b"1c25f529a551475584a15a4db0d62fb4"),
            vec![("uuid-hex", "login".to_string())]
        );
        // Near misses are not hits.
        assert!(forms_found(&s, b"sbx-cred-0123456789abcdef0123456").is_empty());
        assert!(forms_found(&s, b"").is_empty());
        assert!(forms_found(&s, &vec![b'a'; 100_000]).is_empty());
    }

    #[test]
    fn base64_matches_the_rfc_examples() {
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }

    #[test]
    #[should_panic(expected = "too short")]
    fn refuses_a_short_value() {
        Scanner::new(vec![Secret::new("short", "abc")]);
    }
}
