//! The app's one passphrase-protected file format, shared by the book export
//! (`book/transfer.rs`) and the firm's invite (`firm/invite.rs`): an age file in passphrase
//! mode (scrypt key derivation, ChaCha20-Poly1305 stream; the `age` crate — no cryptography
//! is written here) whose plaintext starts with a line naming what the file is.
//!
//! The writer never leaves a half-written file under the final name (it writes a private
//! `.partial` and renames it); the reader refuses another kind of file, a wrong passphrase,
//! a cut or changed stream, each with a [`FileError`] its caller turns into its own words.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use zeroize::Zeroizing;

use crate::store::create_private_file;

/// Shorter passphrases are refused: the file may travel by mail or USB stick.
pub const MIN_PASSPHRASE_CHARS: usize = 12;
/// No line of a genuine file is longer (the secrets are short).
const MAX_LINE: u64 = 1 << 20;
/// The largest scrypt work factor (log2 N) a file may ask for. age's own bound is a timing of
/// this computer taken at each read, plus 4; on a busy computer that timing can drop far
/// enough to refuse a genuine file (seen: 12 against a file's 20). A fixed ceiling instead:
/// above what age's one-second calibration writes on today's fast computers (20 here), and
/// at most 4 GiB of scrypt memory for a forged file.
pub const MAX_WORK_FACTOR: u8 = 22;

/// Why a file was not written or not read. Holds no secret.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("choose a passphrase of at least {MIN_PASSPHRASE_CHARS} characters")]
    PassphraseTooShort,
    #[error("{0} already exists; choose a new file name")]
    Exists(PathBuf),
    #[error("the passphrase does not open this file")]
    WrongPassphrase,
    #[error("{0}")]
    Damaged(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl FileError {
    pub(crate) fn damaged(problem: &str) -> FileError {
        FileError::Damaged(problem.to_string())
    }
}

/// The passphrase a new file is written with, refused when too short.
pub fn new_passphrase(passphrase: &str) -> Result<SecretString, FileError> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(FileError::PassphraseTooShort);
    }
    Ok(SecretString::from(passphrase.to_owned()))
}

/// Writes a new file at `out` (which must not exist): the line `magic`, then what `body`
/// writes, all encrypted with `passphrase` on the way to the disk — `body` writes straight
/// into the encrypting writer, so no plaintext buffer of the secrets is made here.
pub fn write_new(
    out: &Path,
    passphrase: SecretString,
    magic: &str,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), FileError> {
    if out.exists() {
        return Err(FileError::Exists(out.to_path_buf()));
    }
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    let written = encrypt_to(&partial, passphrase, magic, body)
        .and_then(|()| Ok(std::fs::rename(&partial, out)?));
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

fn encrypt_to(
    path: &Path,
    passphrase: SecretString,
    magic: &str,
    body: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), FileError> {
    let file = create_private_file(path)?;
    let mut writer = age::Encryptor::with_user_passphrase(passphrase)
        .wrap_output(std::io::BufWriter::new(file))?;
    writeln!(writer, "{magic}")?;
    body(&mut writer)?;
    let mut inner = writer.finish()?;
    inner.flush()?;
    inner.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    Ok(())
}

/// Writes `value` as one JSON line (into an encrypting writer).
pub fn write_json_line(out: &mut dyn Write, value: &impl serde::Serialize) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(std::io::Error::other)?;
    writeln!(out)
}

/// The decrypted contents of a file, read front to back. Every read error is a
/// [`FileError::Damaged`]: age authenticates each chunk, so a changed byte fails the read.
pub struct EncryptedReader {
    inner: BufReader<age::stream::StreamReader<BufReader<File>>>,
}

impl EncryptedReader {
    /// Opens `from` with `passphrase` and checks its first line is `magic`.
    pub fn open(
        from: &Path,
        passphrase: SecretString,
        magic: &str,
    ) -> Result<EncryptedReader, FileError> {
        let file = File::open(from)?;
        let decryptor = age::Decryptor::new(BufReader::new(file)).map_err(refusal)?;
        if !decryptor.is_scrypt() {
            return Err(FileError::damaged("not a passphrase-protected file"));
        }
        let mut identity = age::scrypt::Identity::new(passphrase);
        identity.set_max_work_factor(MAX_WORK_FACTOR);
        let reader = decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .map_err(refusal)?;
        let mut reader = EncryptedReader {
            inner: BufReader::new(reader),
        };
        if reader.line()?.as_str() != magic {
            return Err(FileError::Damaged(format!("not an {magic} file")));
        }
        Ok(reader)
    }

    /// The next line, without its newline; a file that ends before it is damaged.
    pub fn line(&mut self) -> Result<Zeroizing<String>, FileError> {
        let mut line = Zeroizing::new(String::new());
        (&mut self.inner)
            .take(MAX_LINE)
            .read_line(&mut line)
            .map_err(stream_error)?;
        if !line.ends_with('\n') {
            return Err(FileError::damaged("the file ends early"));
        }
        line.pop();
        Ok(line)
    }

    pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, FileError> {
        self.inner.read(buf).map_err(stream_error)
    }

    /// Reads to the end, which is what makes age check the last chunk (a cut file fails
    /// here), and refuses anything left over.
    pub fn finish(mut self, after: &str) -> Result<(), FileError> {
        let mut rest = Zeroizing::new(Vec::new());
        self.inner.read_to_end(&mut rest).map_err(stream_error)?;
        if !rest.is_empty() {
            return Err(FileError::Damaged(format!("unexpected data after {after}")));
        }
        Ok(())
    }
}

/// age's refusals: a passphrase that does not open the file, or a file that is not one.
fn refusal(e: age::DecryptError) -> FileError {
    match e {
        age::DecryptError::DecryptionFailed
        | age::DecryptError::NoMatchingKeys
        | age::DecryptError::KeyDecryptionFailed => FileError::WrongPassphrase,
        age::DecryptError::ExcessiveWork { required, .. } => FileError::Damaged(format!(
            "its key derivation asks for work factor {required}, above the {MAX_WORK_FACTOR} \
             this app accepts"
        )),
        other => FileError::Damaged(other.to_string()),
    }
}

/// A read error inside the age stream: a chunk that does not authenticate or a cut file.
fn stream_error(e: std::io::Error) -> FileError {
    FileError::Damaged(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSPHRASE: &str = "a passphrase for the test";

    fn written(dir: &Path) -> PathBuf {
        let path = dir.join("file.age");
        let passphrase = new_passphrase(PASSPHRASE).unwrap();
        write_new(&path, passphrase, "test-magic", |w| writeln!(w, "body")).unwrap();
        path
    }

    #[test]
    fn a_file_round_trips_and_is_refused_when_it_exists_or_is_another_kind() {
        let dir = tempfile::tempdir().unwrap();
        let path = written(dir.path());
        let pass = || SecretString::from(PASSPHRASE.to_owned());
        let mut reader = EncryptedReader::open(&path, pass(), "test-magic").unwrap();
        assert_eq!(reader.line().unwrap().as_str(), "body");
        reader.finish("the body").unwrap();

        let again = write_new(&path, new_passphrase(PASSPHRASE).unwrap(), "x", |_| Ok(()));
        assert!(matches!(again, Err(FileError::Exists(_))));
        let other = EncryptedReader::open(&path, pass(), "other-magic")
            .err()
            .unwrap();
        assert!(matches!(other, FileError::Damaged(_)), "{other}");
        assert!(matches!(
            new_passphrase("short"),
            Err(FileError::PassphraseTooShort)
        ));
    }

    /// A forged header asking for more work than the ceiling is refused before any key
    /// derivation runs (it would take 8 GiB and many seconds).
    #[test]
    fn a_file_asking_for_excessive_work_is_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = written(dir.path());
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let stanza = text.find("-> scrypt ").unwrap();
        let end = stanza + text[stanza..].find('\n').unwrap();
        let factor_at = text[..end].rfind(' ').unwrap() + 1;
        let mut forged = bytes[..factor_at].to_vec();
        forged.extend_from_slice(b"23");
        forged.extend_from_slice(&bytes[end..]);
        let file = dir.path().join("forged.age");
        std::fs::write(&file, forged).unwrap();

        let started = std::time::Instant::now();
        let pass = SecretString::from(PASSPHRASE.to_owned());
        let err = EncryptedReader::open(&file, pass, "test-magic")
            .err()
            .unwrap();
        assert!(err.to_string().contains("work factor 23"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
