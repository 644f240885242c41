//! The one error type every command returns. It serialises as the core's `{code, message}`
//! so the UI switches on a stable code instead of parsing a sentence.

use advisor_desk_core::{CoreError, IpcError};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(transparent)]
#[error("{} ({})", .0.message, .0.code)]
pub struct CommandError(pub IpcError);

impl From<CoreError> for CommandError {
    fn from(e: CoreError) -> Self {
        CommandError(IpcError::from(e))
    }
}

impl From<IpcError> for CommandError {
    fn from(e: IpcError) -> Self {
        CommandError(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_code_and_message_only() {
        let e = CommandError::from(CoreError::invalid("a client needs a name"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "invalid_input", "message": "a client needs a name"})
        );
    }
}
