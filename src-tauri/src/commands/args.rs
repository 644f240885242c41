//! Command arguments decoded by the core's rules (`advisor_desk_core::ipc`). Tauri hands each
//! argument its name and the page's JSON; a bad one is refused as the core's
//! `{code: "invalid_input", message}` before the command runs. A command states its arguments
//! as these types (`client_id: Id`, `flow: Arg<LinkFlow>`) instead of decoding each one.

use advisor_desk_core::error::Result as CoreResult;
use advisor_desk_core::ipc;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tauri::ipc::{CommandArg, CommandItem, InvokeBody, InvokeError};
use tauri::Runtime;

use crate::error::CommandError;

/// A required argument: absent or `null` is refused.
pub struct Arg<T>(pub T);

/// An optional argument: absent or `null` is `None`.
pub struct OptionalArg<T>(pub Option<T>);

/// A row id: a positive whole number.
pub struct Id(pub i64);

/// An optional row id.
pub struct OptionalId(pub Option<i64>);

/// Applies `rule` to the argument `key` of `payload` (absent when the page sent no such key
/// or a bytes body).
fn decode<V>(
    payload: &InvokeBody,
    key: &str,
    rule: impl FnOnce(&str, Option<Value>) -> CoreResult<V>,
) -> Result<V, InvokeError> {
    let value = match payload {
        InvokeBody::Json(args) => args.get(key).cloned(),
        InvokeBody::Raw(_) => None,
    };
    rule(key, value).map_err(|e| CommandError::from(e).into())
}

impl<'de, R: Runtime, T: DeserializeOwned> CommandArg<'de, R> for Arg<T> {
    fn from_command(item: CommandItem<'de, R>) -> Result<Self, InvokeError> {
        decode(item.message.payload(), item.key, ipc::required).map(Arg)
    }
}

impl<'de, R: Runtime, T: DeserializeOwned> CommandArg<'de, R> for OptionalArg<T> {
    fn from_command(item: CommandItem<'de, R>) -> Result<Self, InvokeError> {
        decode(item.message.payload(), item.key, ipc::optional).map(OptionalArg)
    }
}

impl<'de, R: Runtime> CommandArg<'de, R> for Id {
    fn from_command(item: CommandItem<'de, R>) -> Result<Self, InvokeError> {
        decode(item.message.payload(), item.key, ipc::id).map(Id)
    }
}

impl<'de, R: Runtime> CommandArg<'de, R> for OptionalId {
    fn from_command(item: CommandItem<'de, R>) -> Result<Self, InvokeError> {
        decode(item.message.payload(), item.key, ipc::optional_id).map(OptionalId)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refusal<V: std::fmt::Debug>(r: Result<V, InvokeError>) -> Value {
        r.unwrap_err().0
    }

    #[test]
    fn arguments_are_read_by_name_and_refused_as_code_and_message() {
        let body = InvokeBody::Json(json!({
            "clientId": 7, "flow": "flanks_link", "url": null, "bad": "7"
        }));
        assert_eq!(decode(&body, "clientId", ipc::id).unwrap(), 7);
        let flow: String = decode(&body, "flow", ipc::required).unwrap();
        assert_eq!(flow, "flanks_link");
        let url: Option<String> = decode(&body, "url", ipc::optional).unwrap();
        assert_eq!(url, None);
        assert_eq!(decode(&body, "sessionId", ipc::optional_id).unwrap(), None);

        assert_eq!(
            refusal(decode(&body, "bad", ipc::id)),
            json!({"code": "invalid_input", "message": "invalid bad: invalid type: string \"7\", expected i64"})
        );
        assert_eq!(
            refusal(decode::<bool>(&body, "localIfProviderFails", ipc::required)),
            json!({"code": "invalid_input", "message": "the localIfProviderFails argument is missing"})
        );
        // A bytes body carries no named argument.
        let raw = InvokeBody::Raw(vec![1, 2, 3]);
        assert_eq!(
            refusal(decode(&raw, "connectionId", ipc::id))["code"],
            "invalid_input"
        );
    }
}
