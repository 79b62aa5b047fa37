//! Progress of long work (reports, dashboard builds): a bar on a terminal,
//! one plain line per step otherwise (logs, pipes, CI), on stderr so the
//! output proper stays clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// A count of steps done out of a known total.
pub struct Progress {
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    done: std::cell::Cell<u64>,
}

impl Progress {
    /// Starts a progress of `total` steps.
    pub fn new(label: &str, total: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            // The template is fixed and valid; the default style stands if not.
            if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(label.to_owned());
            bar
        });
        Progress {
            bar,
            label: label.to_owned(),
            total,
            done: std::cell::Cell::new(0),
        }
    }

    /// Marks the start of the next step, named `what`.
    pub fn step(&self, what: &str) {
        let n = self.done.get() + 1;
        self.done.set(n);
        match &self.bar {
            Some(bar) => {
                bar.set_message(what.to_owned());
                bar.set_position(n - 1);
            }
            None => eprintln!("{} {n}/{} {what}", self.label, self.total),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
