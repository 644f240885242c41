//! Keeps secrets out of stored provider ids. Some providers build ids from the credential
//! itself (Flanks investment `_id` is credentials_token + ISIN); an id is kept as the provider
//! gave it except that any run of the secret (8 characters or more) becomes `~`.

use super::model::Snapshot;

/// The shortest run of the secret that is removed from an id.
const MIN_RUN: usize = 8;

/// `id` with every run of `secret` of at least [`MIN_RUN`] characters replaced by `~`.
pub fn scrub(id: &str, secret: &str) -> Option<String> {
    if secret.len() < MIN_RUN || !secret.is_ascii() {
        return id.contains(secret).then(|| id.replace(secret, "~"));
    }
    let s = secret.as_bytes();
    let mut out = id.to_string();
    let mut changed = false;
    let mut i = 0;
    while i + MIN_RUN <= s.len() {
        let window = &secret[i..i + MIN_RUN];
        match out.find(window) {
            Some(p) => {
                let o = out.as_bytes();
                let mut len = MIN_RUN;
                while i + len < s.len() && p + len < o.len() && o[p + len] == s[i + len] {
                    len += 1;
                }
                out.replace_range(p..p + len, "~");
                changed = true;
                i += len;
            }
            None => i += 1,
        }
    }
    changed.then_some(out)
}

fn scrub_in_place(id: &mut String, secret: &str) {
    if let Some(clean) = scrub(id, secret) {
        *id = clean;
    }
}

impl super::ProviderFailure {
    /// Removes `secret` from the provider's code and wording (some providers echo ids).
    pub fn scrub_secret(mut self, secret: &str) -> Self {
        for text in [&mut self.provider_code, &mut self.provider_message]
            .into_iter()
            .flatten()
        {
            scrub_in_place(text, secret);
        }
        self
    }
}

impl Snapshot {
    /// Removes `secret` from every provider id and reference in the snapshot.
    pub fn scrub_secret(&mut self, secret: &str) {
        for a in &mut self.accounts {
            scrub_in_place(&mut a.provider_id, secret);
        }
        for h in &mut self.holdings {
            scrub_in_place(&mut h.provider_id, secret);
            if let Some(r) = h.account_ref.as_mut() {
                scrub_in_place(r, secret);
            }
        }
        for t in &mut self.transactions {
            scrub_in_place(&mut t.provider_id, secret);
            scrub_in_place(&mut t.account_ref, secret);
        }
        for l in &mut self.liabilities {
            scrub_in_place(&mut l.provider_id, secret);
        }
        for c in &mut self.cards {
            scrub_in_place(&mut c.provider_id, secret);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_and_partial_secrets_leave_ids() {
        let token = "sbx-cred-0123456789abcdef0123456789abcdef";
        assert_eq!(
            scrub(&format!("{token}IE00B4L5Y983"), token).as_deref(),
            Some("~IE00B4L5Y983")
        );
        assert_eq!(
            scrub("acc456789abcdef0123j1", token).as_deref(),
            Some("acc~j1")
        );
        assert_eq!(scrub("acc-1", token), None);
        // Short runs shared by chance stay.
        assert_eq!(scrub("x0123y", token), None);
        assert_eq!(scrub("id-ab", "ab").as_deref(), Some("id-~"));
        let f = crate::domain::ProviderFailure::new(crate::domain::FailureKind::InvalidLogin)
            .with_message(format!("LoginId {token} is unknown"))
            .scrub_secret(token);
        assert_eq!(f.provider_message.as_deref(), Some("LoginId ~ is unknown"));
    }
}
