use zeroize::Zeroizing;

/// A secret value. It redacts itself in `Debug` and `Display`, is wiped from memory when
/// dropped, and deliberately implements neither `Serialize` nor `Clone`-into-string helpers:
/// the only way out is [`Secret::expose`], which call sites use right where an HTTP request is
/// built.
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(Zeroizing::new(value.into()))
    }

    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Clone for Secret {
    fn clone(&self) -> Self {
        Secret::new(self.expose().to_string())
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        // Not constant-time: secrets are compared only in tests and reconciliation.
        self.expose() == other.expose()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static_assertions::assert_not_impl_any!(Secret: serde::Serialize, std::fmt::Pointer);

    #[test]
    fn debug_and_display_never_show_the_value() {
        let s = Secret::new("tok_live_123456");
        let shown = format!("{s:?} {s} {:?}", Some(&s));
        assert!(!shown.contains("tok_live"), "{shown}");
        assert!(shown.contains("redacted"));
        assert_eq!(s.expose(), "tok_live_123456");
    }

    #[test]
    fn a_struct_holding_a_secret_cannot_derive_serialize_so_it_is_never_in_ipc() {
        // The compile-time assertion above is the real guard; this checks the Debug of a
        // containing struct, which is what ends up in logs.
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Request {
            url: String,
            token: Secret,
        }
        let r = Request {
            url: "https://x".into(),
            token: Secret::new("abc-secret"),
        };
        assert!(!format!("{r:?}").contains("abc-secret"));
    }
}
