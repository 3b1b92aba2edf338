//! SIGINT and SIGTERM: the staging directories go, one line says so, and
//! the process exits 130 or 143 (128 + the signal). The outputs stay as
//! they were before the run: absent, or the previous complete run. A
//! commit already under way finishes first (see [`crate::report::staging`]).

use std::io::{IsTerminal, Write};

/// Starts the thread that waits for SIGINT and SIGTERM. Before it runs,
/// the signals kill the process as usual.
#[cfg(unix)]
pub fn install() {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use signal_hook::iterator::Signals;
    let Ok(mut signals) = Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            crate::report::staging::abandon_all();
            let name = if signal == SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            };
            let mut err = std::io::stderr().lock();
            // A progress bar may hold the line.
            let newline = if err.is_terminal() { "\n" } else { "" };
            let _ = writeln!(
                err,
                "{newline}repairsim: stopped by {name}; the outputs are as they were before the run"
            );
            std::process::exit(128 + signal);
        }
    });
}

/// Elsewhere the signals kill the process as usual; the next run removes
/// what it left ([`crate::report::staging`]).
#[cfg(not(unix))]
pub fn install() {}
