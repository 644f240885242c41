//! A progress bar on stderr for long jobs (indicatif: drawn only on a terminal, so scripts
//! see just the summary on stdout).

use indicatif::{ProgressBar, ProgressStyle};

pub struct Progress(ProgressBar);

impl Progress {
    pub fn new(total: u64, what: &'static str) -> Progress {
        let bar = ProgressBar::new(total);
        let template = format!("[{{bar:30}}] {{pos}}/{{len}} {what} {{wide_msg}} {{eta}}");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("#>-"));
        }
        Progress(bar)
    }

    pub fn step(&mut self, item: &str) {
        self.0.set_message(item.to_string());
        self.0.inc(1);
    }

    pub fn finish(self) {
        self.0.finish_and_clear();
    }
}
