//! Reading a secret line — a file's passphrase, a database password — never from an argument:
//! from a file named by an option, else typed at the terminal (twice when it is being chosen),
//! else, when stdin is not a terminal, its first line.

use std::io::{BufRead, IsTerminal};
use std::path::Path;

use zeroize::Zeroizing;

use advisor_desk_core::CoreError;

/// The secret from `file` (its first line) when given, else from the terminal or stdin.
pub fn secret_line(
    file: Option<&Path>,
    prompt: &str,
    confirm: bool,
) -> Result<Zeroizing<String>, CoreError> {
    if let Some(file) = file {
        let text = Zeroizing::new(
            std::fs::read_to_string(file)
                .map_err(|e| CoreError::invalid(format!("cannot read {}: {e}", file.display())))?,
        );
        let first = text.lines().next().unwrap_or("");
        return Ok(Zeroizing::new(first.to_string()));
    }
    if !std::io::stdin().is_terminal() {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line)?;
        let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_string());
        return Ok(trimmed);
    }
    let first = Zeroizing::new(rpassword::prompt_password(format!("{prompt}: "))?);
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password(format!("{prompt} again: "))?);
        if *again != *first {
            return Err(CoreError::invalid(format!(
                "the two entries of the {} differ; nothing was written",
                prompt.to_lowercase()
            )));
        }
    }
    Ok(first)
}
