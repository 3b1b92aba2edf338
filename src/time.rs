//! Simulated time: integer milliseconds from the scenario start.
//!
//! Time is never a float. [`SimTime`] is an instant, [`SimDuration`] a span;
//! both count milliseconds \[ms\]. Grids (kubelet ticks, auto-repair checks) are
//! global: a tick of period `P` happens at every multiple of `P`, so the next
//! tick that matters is computed with [`SimTime::ceil_to`] instead of being
//! simulated.

use std::fmt;
use std::ops::{Add, Sub};

/// An instant of simulated time [ms since the scenario start].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(pub u64);

/// A span of simulated time \[ms\].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

pub const MS: u64 = 1;
pub const SECOND: u64 = 1_000;
pub const MINUTE: u64 = 60 * SECOND;
pub const HOUR: u64 = 60 * MINUTE;
pub const DAY: u64 = 24 * HOUR;
/// A year of 365 days \[ms\]; used only for the horizon limit.
pub const YEAR: u64 = 365 * DAY;
/// The longest span a scenario may give, for the horizon or any other
/// duration: 100 years \[ms\].
pub const MAX_SPAN: u64 = 100 * YEAR;

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);

    /// Milliseconds since the start \[ms\].
    pub fn ms(self) -> u64 {
        self.0
    }

    /// The first multiple of `period` at or after `self`, or `u64::MAX`
    /// (never) when that multiple is not representable. O(1).
    pub fn ceil_to(self, period: SimDuration) -> SimTime {
        let p = period.0.max(1);
        SimTime(self.0.div_ceil(p).saturating_mul(p))
    }

    /// The last multiple of `period` at or before `self`. O(1).
    pub fn floor_to(self, period: SimDuration) -> SimTime {
        let p = period.0.max(1);
        SimTime(self.0 / p * p)
    }

    /// The last multiple of `period` strictly before `self` (0 at the start).
    pub fn last_tick_before(self, period: SimDuration) -> SimTime {
        let p = period.0.max(1);
        SimTime(self.0.saturating_sub(1) / p * p)
    }

    /// `self - earlier`, or zero when `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);

    /// `s` seconds, saturating at `u64::MAX` ms.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(SECOND))
    }
    /// `m` minutes, saturating at `u64::MAX` ms.
    pub const fn from_mins(m: u64) -> Self {
        SimDuration(m.saturating_mul(MINUTE))
    }
    /// `h` hours, saturating at `u64::MAX` ms.
    pub const fn from_hours(h: u64) -> Self {
        SimDuration(h.saturating_mul(HOUR))
    }
    /// Length \[ms\].
    pub fn ms(self) -> u64 {
        self.0
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}

/// Parses `"90s"`, `"5m"`, `"1h30m"`, `"1h00m35s"`, `"30d"`, `"250ms"`.
///
/// Units are `d`, `h`, `m`, `s` and `ms`, each at most once and in that order.
pub fn parse_duration(text: &str) -> Result<SimDuration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty duration; write e.g. \"90s\", \"5m\", \"1h30m\" or \"30d\"".into());
    }
    if s == "0" {
        return Ok(SimDuration::ZERO);
    }
    let units: [(&str, u64); 5] = [
        ("d", DAY),
        ("h", HOUR),
        ("m", MINUTE),
        ("s", SECOND),
        ("ms", MS),
    ];
    let bytes = s.as_bytes();
    let mut i = 0;
    let mut total: u64 = 0;
    let mut last_rank: Option<usize> = None;
    while i < bytes.len() {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if start == i {
            return Err(format!(
                "bad duration {text:?}: expected a number at {:?}; write e.g. \"90s\", \"5m\", \"1h30m\" or \"30d\"",
                &s[start..]
            ));
        }
        let n: u64 = s[start..i]
            .parse()
            .map_err(|_| format!("bad duration {text:?}: number too large"))?;
        let ustart = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        let unit = &s[ustart..i];
        // "1.5h": whole numbers only; say how to write it.
        if unit.is_empty() && bytes.get(i).is_some_and(|&b| b == b'.' || b == b',') {
            return Err(format!(
                "bad duration {text:?}: durations take whole numbers, not fractions; \
                 write e.g. \"1h30m\" for 1.5h, \"90s\" for 1.5m"
            ));
        }
        if unit.is_empty() {
            return Err(format!(
                "bad duration {text:?}: the number {} has no unit; units are d, h, m, s, ms \
                 (e.g. \"1h30m\")",
                &s[start..i]
            ));
        }
        let Some(rank) = units.iter().position(|(u, _)| *u == unit) else {
            return Err(format!(
                "bad duration {text:?}: unknown unit {unit:?}; units are d, h, m, s, ms (e.g. \"1h30m\")"
            ));
        };
        if last_rank.is_some_and(|r| r >= rank) {
            return Err(format!(
                "bad duration {text:?}: units must go from largest to smallest, each once (e.g. \"1h30m\")"
            ));
        }
        last_rank = Some(rank);
        total = n
            .checked_mul(units[rank].1)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("bad duration {text:?}: too large"))?;
    }
    Ok(SimDuration(total))
}

/// Formats a span as `"1h00m35s"`, `"4m"`, `"2d3h"` or `"250ms"`: the
/// inverse of [`parse_duration`].
pub fn format_duration(d: SimDuration) -> String {
    if d.0 == 0 {
        return "0s".into();
    }
    let units = [
        (DAY, "d"),
        (HOUR, "h"),
        (MINUTE, "m"),
        (SECOND, "s"),
        (MS, "ms"),
    ];
    let mut rest = d.0;
    let vals: Vec<u64> = units
        .iter()
        .map(|(u, _)| {
            let v = rest / u;
            rest %= u;
            v
        })
        .collect();
    let first = vals.iter().position(|v| *v > 0).unwrap_or(0);
    let last = vals.iter().rposition(|v| *v > 0).unwrap_or(0);
    let mut out = String::new();
    for i in first..=last {
        // Minutes and seconds after a larger unit are zero-padded: "1h00m35s".
        if i > first && (i == 2 || i == 3) {
            out.push_str(&format!("{:02}{}", vals[i], units[i].1));
        } else {
            out.push_str(&format!("{}{}", vals[i], units[i].1));
        }
    }
    out
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(*self))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(SimDuration(self.0)))
    }
}

/// Converts days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A wall-clock epoch for reports: the scenario `start` [ms since 1970, UTC].
/// The model never reads it; it only labels outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Epoch(pub i64);

impl Epoch {
    /// Parses an RFC 3339 UTC instant such as `2026-01-01T00:00:00Z`.
    pub fn parse(s: &str) -> Result<Epoch, String> {
        let err = || {
            format!(
                "bad start {s:?}: write an RFC 3339 UTC instant such as \"2026-01-01T00:00:00Z\""
            )
        };
        let b = s.as_bytes();
        if b.len() < 20 || !(s.ends_with('Z') || s.ends_with('z')) {
            return Err(err());
        }
        let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
            s.get(r).and_then(|t| t.parse::<i64>().ok()).ok_or_else(err)
        };
        if b[4] != b'-'
            || b[7] != b'-'
            || !(b[10] == b'T' || b[10] == b't')
            || b[13] != b':'
            || b[16] != b':'
        {
            return Err(err());
        }
        let (y, mo, d, h, mi, se) = (
            num(0..4)?,
            num(5..7)?,
            num(8..10)?,
            num(11..13)?,
            num(14..16)?,
            num(17..19)?,
        );
        let mut ms = 0;
        let rest = &s[19..s.len() - 1];
        if !rest.is_empty() {
            let frac = rest.strip_prefix('.').ok_or_else(err)?;
            if frac.is_empty() || frac.len() > 9 || !frac.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err());
            }
            let padded = format!("{frac:0<3}");
            ms = padded[..3].parse::<i64>().map_err(|_| err())?;
        }
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
            return Err(err());
        }
        let days = days_from_civil(y, mo as u32, d as u32);
        if civil_from_days(days) != (y, mo as u32, d as u32) {
            return Err(err());
        }
        Ok(Epoch(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000 + ms))
    }

    /// RFC 3339 text of `start + t`, with milliseconds only when non-zero.
    /// Saturates instead of overflowing (the text is then meaningless but
    /// no panic occurs; valid scenarios stay far below the limit).
    pub fn format(self, t: SimTime) -> String {
        let mut out = String::with_capacity(24);
        self.write(t, &mut out);
        out
    }

    /// [`Epoch::format`], appended to `out`: digit by digit, with no
    /// allocation beyond `out`'s growth (outputs format one per row).
    pub fn write(self, t: SimTime, out: &mut String) {
        let [y, m, d, h, mi, s, ms] = self.civil(t);
        if !(0..=9999).contains(&y) {
            use std::fmt::Write as _;
            let _ = write!(out, "{y:04}");
        } else {
            push_digits(out, y, 4);
        }
        for (sep, v) in [('-', m), ('-', d), ('T', h), (':', mi), (':', s)] {
            out.push(sep);
            push_digits(out, v, 2);
        }
        if ms != 0 {
            out.push('.');
            push_digits(out, ms, 3);
        }
        out.push('Z');
    }

    /// `start + t` on the proleptic Gregorian calendar, in UTC: year,
    /// month, day, hour, minute, second, millisecond.
    fn civil(self, t: SimTime) -> [i64; 7] {
        let total = self
            .0
            .saturating_add(i64::try_from(t.0).unwrap_or(i64::MAX));
        let days = total.div_euclid(DAY as i64);
        let rem = total.rem_euclid(DAY as i64);
        let (y, m, d) = civil_from_days(days);
        [
            y,
            i64::from(m),
            i64::from(d),
            rem / HOUR as i64,
            rem / MINUTE as i64 % 60,
            rem / SECOND as i64 % 60,
            rem % 1000,
        ]
    }
}

/// Appends `v` (0 ≤ v < 10^width) as exactly `width` decimal digits.
fn push_digits(out: &mut String, v: i64, width: u32) {
    for k in (0..width).rev() {
        let digit = (v / 10i64.pow(k)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Epoch::format` as it was written with `format!`: the oracle for the
    /// digit-by-digit writer.
    fn format_reference(e: Epoch, t: SimTime) -> String {
        let [y, m, d, h, mi, s, ms] = e.civil(t);
        if ms == 0 {
            format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
        } else {
            format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{ms:03}Z")
        }
    }

    #[test]
    fn the_rfc3339_writer_matches_format() {
        let epochs = [
            0i64,
            1_767_225_600_000,
            -62_135_596_800_000,
            -62_200_000_000_000,
            253_402_300_799_000,
            i64::MAX - 5,
        ];
        let mut x: u64 = 1;
        for e in epochs {
            for _ in 0..2_000 {
                x = x
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let t = SimTime(match x % 3 {
                    0 => x >> 22,
                    1 => (x >> 40) * 1000,
                    _ => x >> 1,
                });
                assert_eq!(
                    Epoch(e).format(t),
                    format_reference(Epoch(e), t),
                    "{e} {t:?}"
                );
            }
        }
    }

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!(parse_duration("90s").unwrap().ms(), 90_000);
        assert_eq!(parse_duration("5m").unwrap().ms(), 300_000);
        assert_eq!(parse_duration("1h30m").unwrap().ms(), 90 * MINUTE);
        assert_eq!(parse_duration("1h00m35s").unwrap().ms(), HOUR + 35 * SECOND);
        assert_eq!(parse_duration("30d").unwrap().ms(), 30 * DAY);
        assert_eq!(parse_duration("250ms").unwrap().ms(), 250);
        for bad in ["", "5", "m5", "5x", "1m1h", "5m5m", "-5m", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} should fail");
        }
    }

    /// Issue 11: `--from 1.5h` said `unknown unit ""`.
    #[test]
    fn a_fraction_or_a_bare_number_says_what_to_write() {
        let e = parse_duration("1.5h").unwrap_err();
        assert!(e.contains("whole numbers, not fractions"), "{e}");
        assert!(e.contains("\"1h30m\" for 1.5h"), "{e}");
        let e = parse_duration("5").unwrap_err();
        assert!(e.contains("the number 5 has no unit"), "{e}");
        assert!(!e.contains("unknown unit \"\""), "{e}");
    }

    #[test]
    fn format_round_trips() {
        for s in [
            "4m", "1h00m35s", "19m25s", "2d", "1d1h", "250ms", "1h16m", "3h00m30s",
        ] {
            let d = parse_duration(s).unwrap();
            assert_eq!(format_duration(d), s);
            assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
        }
    }

    #[test]
    fn grid_rounding() {
        let p = SimDuration::from_secs(10);
        assert_eq!(SimTime(3_630_000).ceil_to(p), SimTime(3_630_000));
        assert_eq!(SimTime(3_635_000).ceil_to(p), SimTime(3_640_000));
        assert_eq!(SimTime(10_830_000).last_tick_before(p), SimTime(10_820_000));
        assert_eq!(SimTime(10_825_000).last_tick_before(p), SimTime(10_820_000));
        assert_eq!(SimTime(10_830_000).floor_to(p), SimTime(10_830_000));
        assert_eq!(SimTime(10_835_000).floor_to(p), SimTime(10_830_000));
    }

    #[test]
    fn arithmetic_saturates_instead_of_overflowing() {
        let p = SimDuration::from_secs(10);
        assert_eq!(SimTime(u64::MAX).ceil_to(p), SimTime(u64::MAX));
        assert_eq!(SimTime(u64::MAX - 5).ceil_to(p), SimTime(u64::MAX));
        assert_eq!(
            SimTime(u64::MAX).ceil_to(SimDuration(u64::MAX)),
            SimTime(u64::MAX)
        );
        assert_eq!(SimTime(1).ceil_to(SimDuration(u64::MAX)), SimTime(u64::MAX));
        assert_eq!(
            SimTime(u64::MAX).ceil_to(SimDuration::ZERO),
            SimTime(u64::MAX)
        );
        assert_eq!(SimTime(u64::MAX).last_tick_before(p).ms() % 10_000, 0);
        assert_eq!(SimTime(u64::MAX) + SimDuration(1), SimTime(u64::MAX));
        assert_eq!(
            SimDuration(u64::MAX) + SimDuration(1),
            SimDuration(u64::MAX)
        );
        assert_eq!(SimTime(0) - SimTime(5), SimDuration::ZERO);
        assert_eq!(SimDuration::from_secs(u64::MAX), SimDuration(u64::MAX));
        assert_eq!(SimDuration::from_mins(u64::MAX), SimDuration(u64::MAX));
        assert_eq!(SimDuration::from_hours(u64::MAX), SimDuration(u64::MAX));
        assert!(parse_duration("18446744073709551615d").is_err());
        assert!(parse_duration("213503982334d15h").is_err());
        // Formatting far-off instants does not panic.
        let e = Epoch::parse("9999-12-31T23:59:59Z").unwrap();
        let _ = e.format(SimTime(u64::MAX));
        let _ = e.format(SimTime(i64::MAX as u64));
        let _ = format_duration(SimDuration(u64::MAX));
    }

    #[test]
    fn epoch_formats_rfc3339() {
        let e = Epoch::parse("2026-01-01T00:00:00Z").unwrap();
        assert_eq!(
            e.format(SimTime(HOUR + 35 * SECOND)),
            "2026-01-01T01:00:35Z"
        );
        assert_eq!(e.format(SimTime(31 * DAY)), "2026-02-01T00:00:00Z");
        assert_eq!(e.format(SimTime(5)), "2026-01-01T00:00:00.005Z");
        assert!(Epoch::parse("2026-02-30T00:00:00Z").is_err());
        assert!(Epoch::parse("yesterday").is_err());
    }
}
