//! Arguments as they arrive over IPC. The shell takes every argument as the JSON the page sent
//! (absent included) and decodes it here, so a value the core does not know — an unknown enum
//! variant, a missing argument or field, a wrong type, an id that cannot be one — is refused
//! like any other bad input, as `{code: "invalid_input", message}`, instead of the bridge's
//! untyped string. The shell's argument types (`src-tauri/src/commands/args.rs`) apply these
//! rules to each argument by name.

use serde::de::DeserializeOwned;

use crate::error::{CoreError, Result};

/// Longest JSON text accepted for one argument (forms and queries are far below it).
pub const MAX_ARG_BYTES: usize = 64 * 1024;

/// Decodes the argument `name` into `T`, or says what was wrong with it.
pub fn decode<T: DeserializeOwned>(name: &str, value: serde_json::Value) -> Result<T> {
    let size = value.to_string().len();
    if size > MAX_ARG_BYTES {
        return Err(CoreError::invalid(format!(
            "the {name} argument is too large ({size} bytes, at most {MAX_ARG_BYTES})"
        )));
    }
    serde_json::from_value(value).map_err(|e| CoreError::invalid(format!("invalid {name}: {e}")))
}

/// A required argument: absent or `null` is refused, anything else decoded like [`decode`].
pub fn required<T: DeserializeOwned>(name: &str, value: Option<serde_json::Value>) -> Result<T> {
    match value {
        None | Some(serde_json::Value::Null) => Err(CoreError::invalid(format!(
            "the {name} argument is missing"
        ))),
        Some(v) => decode(name, v),
    }
}

/// An optional argument: absent or `null` is `None`.
pub fn optional<T: DeserializeOwned>(
    name: &str,
    value: Option<serde_json::Value>,
) -> Result<Option<T>> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(v) => decode(name, v).map(Some),
    }
}

/// A row id: a positive whole number (whether it names a row is the reader's `not_found`).
pub fn id(name: &str, value: Option<serde_json::Value>) -> Result<i64> {
    let id: i64 = required(name, value)?;
    if id <= 0 {
        return Err(CoreError::invalid(format!(
            "invalid {name}: {id} is not an id"
        )));
    }
    Ok(id)
}

/// An optional row id.
pub fn optional_id(name: &str, value: Option<serde_json::Value>) -> Result<Option<i64>> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        some => id(name, some).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::clients::NewClient;
    use crate::links::LinkFlow;
    use crate::reads::export::ExportKind;
    use crate::reads::TransactionQuery;
    use crate::settings::ProviderEnvironment;
    use crate::ErrorCode;

    fn refused<T: DeserializeOwned + std::fmt::Debug>(name: &str, v: serde_json::Value) -> String {
        let e = decode::<T>(name, v).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput);
        e.to_string()
    }

    #[test]
    fn known_values_decode() {
        let flow: LinkFlow = decode("flow", json!("flanks_link")).unwrap();
        assert_eq!(flow, LinkFlow::FlanksLink);
        let kind: ExportKind = decode("kind", json!("book")).unwrap();
        assert_eq!(kind, ExportKind::Book);
        let env: ProviderEnvironment = decode("environment", json!("production")).unwrap();
        assert_eq!(env, ProviderEnvironment::Production);
    }

    #[test]
    fn unknown_variants_wrong_types_and_missing_fields_are_typed_refusals() {
        let m = refused::<LinkFlow>("flow", json!("carrier_pigeon"));
        assert!(
            m.starts_with("invalid flow: unknown variant `carrier_pigeon`"),
            "{m}"
        );
        refused::<LinkFlow>("flow", json!(3));
        refused::<ExportKind>("kind", json!(null));
        refused::<ProviderEnvironment>("environment", json!("staging"));
        let m = refused::<TransactionQuery>("query", json!({ "offset": 0 }));
        assert!(m.contains("missing field `limit`"), "{m}");
        refused::<TransactionQuery>("query", json!({ "offset": -1, "limit": 10 }));
        refused::<TransactionQuery>(
            "query",
            json!({ "offset": 0, "limit": 10, "account_ids": "1" }),
        );
        refused::<NewClient>("client", json!({ "name": "A", "kind": "company" }));
    }

    #[test]
    fn an_oversized_argument_is_refused_before_decoding() {
        let huge = json!({ "name": "x".repeat(MAX_ARG_BYTES + 1) });
        let m = refused::<NewClient>("client", huge);
        assert!(m.contains("too large"), "{m}");
    }

    #[test]
    fn ids_and_required_arguments_are_refused_with_a_code() {
        for bad in [
            None,
            Some(json!(null)),
            Some(json!("7")),
            Some(json!(1.5)),
            Some(json!(0)),
            Some(json!(-3)),
            Some(json!({"id": 1})),
        ] {
            let e = id("clientId", bad.clone()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::InvalidInput, "{bad:?}");
            assert!(e.to_string().contains("clientId"), "{e}");
        }
        assert_eq!(id("clientId", Some(json!(42))).unwrap(), 42);
        assert_eq!(optional_id("clientId", None).unwrap(), None);
        assert_eq!(optional_id("clientId", Some(json!(5))).unwrap(), Some(5));
        assert!(optional_id("clientId", Some(json!(-5))).is_err());
        let missing = required::<bool>("localIfProviderFails", None).unwrap_err();
        assert_eq!(missing.code(), ErrorCode::InvalidInput);
        assert!(required::<bool>("x", Some(json!(true))).unwrap());
        assert!(required::<String>("path", Some(json!(3))).is_err());
        assert_eq!(optional::<String>("url", Some(json!(null))).unwrap(), None);
    }
}
