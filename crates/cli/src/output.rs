//! Printing results and errors, as text for people or JSON for scripts.

use std::process::ExitCode;

use serde::Serialize;

use advisor_desk_core::{CoreError, IpcError};

use crate::Context;

/// Prints `value` as pretty JSON.
pub fn json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot encode output: {e}"),
    }
}

/// Reports an error on stderr (as `{"error": {code, message}}` with `--json`) and picks the
/// exit code from its kind.
pub fn error(ctx: &Context, e: &CoreError) -> ExitCode {
    failure(ctx, &IpcError::from(e), 0);
    crate::exit::for_error(e.code())
}

/// Reports `{code, message}` on stderr like [`error`] and exits with `exit` (0: the caller
/// picks the code).
pub fn failure(ctx: &Context, ipc: &IpcError, exit: u8) -> ExitCode {
    if ctx.json {
        #[derive(Serialize)]
        struct Wrapped<'a> {
            error: &'a IpcError,
        }
        match serde_json::to_string(&Wrapped { error: ipc }) {
            Ok(s) => eprintln!("{s}"),
            Err(_) => eprintln!("error: {}", ipc.message),
        }
    } else {
        eprintln!("error: {}", ipc.message);
    }
    ExitCode::from(exit)
}
