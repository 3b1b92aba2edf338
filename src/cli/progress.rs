//! The progress bar of long commands: on standard error, and only when it
//! is a terminal, so that pipes, CI logs and redirected runs get nothing.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
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
        "{elapsed_precise} {pos} replications (at most {len}) {per_sec} {msg}"
    } else {
        "{elapsed_precise} [{bar:40}] {pos}/{len} replications {per_sec} eta {eta} {msg}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        pb.set_style(style.progress_chars("=> "));
    }
    pb
}
