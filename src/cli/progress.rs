//! The progress bar of long commands: on standard error, and only when it
//! is a terminal, so that pipes, CI logs and redirected runs get nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::fmt;
use std::io::IsTerminal;

/// A bar over `total` replications (a spinner-like counter when the total
/// is only an upper bound, as with `--until-ci`), hidden when standard
/// error is not a terminal or `quiet` is set.
pub fn bar(total: u64, upper_bound_only: bool, quiet: bool) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    let template = if upper_bound_only {
        "{elapsed_precise} {pos} replications (at most {len}) {rate} {msg}"
    } else {
        "{elapsed_precise} [{bar:25}] {pos}/{len} {rate} eta {eta} {msg}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(
            style
                .with_key("rate", |s: &ProgressState, w: &mut dyn fmt::Write| {
                    let _ = write!(w, "{:.0}/s", s.per_sec());
                })
                .progress_chars("=> "),
        );
    }
    pb
}
