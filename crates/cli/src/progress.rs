//! Progress of long work (reports, dashboard builds): a bar on a terminal,
//! one plain line per step otherwise (logs, pipes, CI), on stderr so the
//! output proper stays clean.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use peitto_i18n::{Lang, text};
use std::io::IsTerminal;

/// A count of steps done out of a known total, in the user's language.
pub struct Progress {
    lang: Lang,
    bar: Option<ProgressBar>,
    label: String,
    total: u64,
    done: u64,
}

impl Progress {
    /// Progress shown in `lang`.
    pub fn new(lang: Lang) -> Progress {
        Progress {
            lang,
            bar: None,
            label: String::new(),
            total: 0,
            done: 0,
        }
    }
}

impl peitto_jobs::Progress for Progress {
    fn begin(&mut self, label: &'static str, total: u64) {
        self.label = text(self.lang, label).to_owned();
        self.total = total;
        self.done = 0;
        self.bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
            // The template is fixed and valid; the default style stands if not.
            if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(self.label.clone());
            bar
        });
    }

    fn step(&mut self, what: &str) {
        self.done += 1;
        match &self.bar {
            Some(bar) => {
                bar.set_message(what.to_owned());
                bar.set_position(self.done - 1);
            }
            None => eprintln!("{} {}/{} {what}", self.label, self.done, self.total),
        }
    }

    fn end(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
