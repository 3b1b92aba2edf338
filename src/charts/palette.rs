//! The one palette of every chart: node states, outcomes, series, verdicts
//! and the neutral inks. Based on the Okabe–Ito colour-blind-safe set.
//!
//! Invariant: a name always maps to the same colour, in every chart and on
//! every run (fixed tables, and a fixed hash for unknown names).

use crate::observe::NodeState;
use plotters::style::RGBColor;

/// Text and marker ink.
pub const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (notes, tick labels).
pub const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
/// Axis lines.
pub const AXIS: RGBColor = RGBColor(0x44, 0x44, 0x44);
/// Grid lines.
pub const GRID: RGBColor = RGBColor(0xDD, 0xDD, 0xDD);
/// Alternate row shading.
pub const STRIPE: RGBColor = RGBColor(0xF3, 0xF3, 0xF3);
/// Background.
pub const WHITE: RGBColor = RGBColor(0xFF, 0xFF, 0xFF);
/// Nodes in repair (capacity chart).
pub const IN_REPAIR: RGBColor = RGBColor(0x55, 0x55, 0x55);

/// The colour of a node state: Ready a pale bluish green (the usual state,
/// so the others stand out), NotReady orange, Unknown grey, Rebooting
/// blue, Reimaging reddish purple, Redeploying vermillion; the peers'
/// phases take Paul Tol's muted set (Draining sky blue, Recreating green,
/// Deleting wine, Provisioning teal, Fencing indigo).
pub fn state_colour(s: NodeState) -> RGBColor {
    match s {
        NodeState::Ready => RGBColor(0x9F, 0xD8, 0xBF),
        NodeState::NotReady => RGBColor(0xE6, 0x9F, 0x00),
        NodeState::Unknown => RGBColor(0x99, 0x99, 0x99),
        NodeState::Rebooting => RGBColor(0x00, 0x72, 0xB2),
        NodeState::Reimaging => RGBColor(0xCC, 0x79, 0xA7),
        NodeState::Redeploying => RGBColor(0xD5, 0x5E, 0x00),
        NodeState::Draining => RGBColor(0x56, 0xB4, 0xE9),
        NodeState::Recreating => RGBColor(0x11, 0x77, 0x33),
        NodeState::Deleting => RGBColor(0x88, 0x22, 0x55),
        NodeState::Provisioning => RGBColor(0x44, 0xAA, 0x99),
        NodeState::Fencing => RGBColor(0x33, 0x22, 0x88),
    }
}

/// Exclusions in `Exclusion::ALL` order, and their shades (yellows and
/// browns: "not repaired on purpose").
const EXCLUDED: [(&str, RGBColor); 7] = [
    ("network-misconfiguration", RGBColor(0xDD, 0xCC, 0x77)),
    ("never-registered", RGBColor(0xF0, 0xE4, 0x42)),
    ("taint-shutdown", RGBColor(0xB5, 0x9B, 0x3A)),
    ("taint-to-be-deleted", RGBColor(0x8C, 0x7A, 0x2E)),
    ("upgrading", RGBColor(0xE2, 0xC2, 0x75)),
    ("cluster-too-small", RGBColor(0xF7, 0xEB, 0xA0)),
    ("all-nodes-not-ready", RGBColor(0xC8, 0xB5, 0x60)),
];

/// Colours for names no table knows (Paul Tol's muted set), picked by a
/// fixed hash of the name.
const EXTRA: [RGBColor; 6] = [
    RGBColor(0x88, 0x22, 0x55),
    RGBColor(0x44, 0xAA, 0x99),
    RGBColor(0x11, 0x77, 0x33),
    RGBColor(0x33, 0x22, 0x88),
    RGBColor(0xAA, 0x44, 0x99),
    RGBColor(0x99, 0x99, 0x33),
];

/// FNV-1a, 64 bit: a hash that is the same on every platform and run.
fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The colour of an incident outcome, by its name (`Outcome::name`).
pub fn outcome_colour(name: &str) -> RGBColor {
    match name {
        "self-healed" => RGBColor(0x00, 0x9E, 0x73),
        "repaired-by-reboot" => RGBColor(0x56, 0xB4, 0xE9),
        "repaired-by-reimage" => RGBColor(0xCC, 0x79, 0xA7),
        "repaired-by-redeploy" => RGBColor(0xD5, 0x5E, 0x00),
        "repaired-by-recreate" => RGBColor(0x11, 0x77, 0x33),
        "repaired-by-replace" => RGBColor(0x44, 0xAA, 0x99),
        "repaired-by-snr-reboot" => RGBColor(0x33, 0x22, 0x88),
        "gave-up-exhausted" => RGBColor(0x33, 0x33, 0x33),
        "gave-up-timeout" => RGBColor(0x88, 0x88, 0x88),
        "open-at-horizon" => RGBColor(0xC8, 0xC8, 0xC8),
        _ => {
            if let Some(rest) = name.strip_prefix("excluded:") {
                EXCLUDED
                    .iter()
                    .find(|(n, _)| *n == rest)
                    .map(|(_, c)| *c)
                    .unwrap_or(EXCLUDED[(fnv(rest) % 7) as usize].1)
            } else {
                EXTRA[(fnv(name) % EXTRA.len() as u64) as usize]
            }
        }
    }
}

/// Series colours, in order (pools, CDF series).
const SERIES: [RGBColor; 7] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x22, 0x22, 0x22),
];

/// The colour of the `i`-th series of a chart (cycles after seven).
pub fn series_colour(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// The colour of a comparison verdict: better green, worse vermillion,
/// a significant difference with no better direction ("higher", "lower")
/// dark grey, anything else light grey.
pub fn verdict_colour(verdict: &str) -> RGBColor {
    match verdict {
        "better" => RGBColor(0x00, 0x9E, 0x73),
        "worse" => RGBColor(0xD5, 0x5E, 0x00),
        "higher" | "lower" => RGBColor(0x66, 0x66, 0x66),
        // Okabe-Ito reddish purple: neither better nor worse.
        "conflict: see warnings" => RGBColor(0xCC, 0x79, 0xA7),
        _ => RGBColor(0xBB, 0xBB, 0xBB),
    }
}

/// `#rrggbb`, for HTML legends that must match the charts.
pub fn hex(c: RGBColor) -> String {
    format!("#{:02x}{:02x}{:02x}", c.0, c.1, c.2)
}

/// Black or white, whichever reads better on `bg`.
pub(crate) fn text_on(bg: RGBColor) -> RGBColor {
    let l = 299 * u32::from(bg.0) + 587 * u32::from(bg.1) + 114 * u32::from(bg.2);
    if l > 140_000 { INK } else { WHITE }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_fixed_and_distinct() {
        let states: Vec<_> = NodeState::ALL.iter().map(|&s| state_colour(s)).collect();
        for (i, a) in states.iter().enumerate() {
            for b in &states[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(hex(outcome_colour("self-healed")), "#009e73");
        assert_eq!(
            outcome_colour("excluded:upgrading"),
            outcome_colour("excluded:upgrading")
        );
        assert_ne!(
            outcome_colour("excluded:upgrading"),
            outcome_colour("excluded:never-registered")
        );
        assert_eq!(outcome_colour("whatever"), outcome_colour("whatever"));
    }
}
