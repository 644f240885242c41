//! End-to-end tests of the real app live in `tests/`; they are `#[ignore]`d so a plain
//! `cargo test --workspace` skips them. Run them against a built binary:
//!
//! ```sh
//! ADVISOR_DESK_APP=$(scripts/build-app.sh | tail -n1) \
//!   xvfb-run -a dbus-run-session -- cargo test -p advisor-desk-e2e -- --ignored
//! ```

pub mod app;
pub mod demo;
pub mod desktop;
pub mod firm;
pub mod inspect;
pub mod install;
pub mod ipc_recorder;
pub mod link_window;
pub mod notifications;
pub mod pages;
pub mod secret_scan;
pub mod ui;

pub use app::{artifacts_dir, listed_names, AppHome, RunningApp, ACTION, STARTUP};
