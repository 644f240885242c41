//! Test-only helpers (WebDriver client, keychain session).

pub mod webdriver;
