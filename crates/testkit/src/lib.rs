//! Test-only helpers (WebDriver client, keychain session).
