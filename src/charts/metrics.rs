//! Horizontal glyph metrics of the bundled font, read from its `cmap`,
//! `hhea` and `hmtx` tables: text widths for layout, and per-glyph
//! positions for the bitmap.
//!
//! Why: plotters' ab_glyph renderer puts each glyph's ink at the pen
//! position, ignoring the left side bearing, so "baseline" renders as
//! "baseli ne". The bitmap canvas draws glyph by glyph at the positions
//! computed here instead. Plain integer and float arithmetic: the same on
//! every machine.

use std::sync::OnceLock;

pub(crate) static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

struct Metrics {
    data: &'static [u8],
    /// Offset of the format-4 cmap subtable.
    cmap4: Option<usize>,
    hmtx: usize,
    n_hmetrics: u16,
    /// Ascender − descender in font units: ab_glyph's pixel scale divides by it.
    height: f64,
}

fn u16_at(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*d.get(o)?, *d.get(o + 1)?]))
}

fn u32_at(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *d.get(o)?,
        *d.get(o + 1)?,
        *d.get(o + 2)?,
        *d.get(o + 3)?,
    ]))
}

fn table(d: &[u8], tag: &[u8; 4]) -> Option<usize> {
    let n = u16_at(d, 4)? as usize;
    (0..n).find_map(|i| {
        let r = 12 + 16 * i;
        (d.get(r..r + 4)? == tag).then(|| u32_at(d, r + 8).map(|o| o as usize))?
    })
}

fn parse(d: &'static [u8]) -> Option<Metrics> {
    let hhea = table(d, b"hhea")?;
    let ascender = u16_at(d, hhea + 4)? as i16;
    let descender = u16_at(d, hhea + 6)? as i16;
    let n_hmetrics = u16_at(d, hhea + 34)?;
    let hmtx = table(d, b"hmtx")?;
    let cmap = table(d, b"cmap")?;
    let n = u16_at(d, cmap + 2)? as usize;
    let cmap4 = (0..n).find_map(|i| {
        let r = cmap + 4 + 8 * i;
        let (platform, encoding) = (u16_at(d, r)?, u16_at(d, r + 2)?);
        let sub = cmap + u32_at(d, r + 4)? as usize;
        let unicode = (platform == 3 && encoding == 1) || platform == 0;
        (unicode && u16_at(d, sub)? == 4).then_some(sub)
    });
    let height = f64::from(i32::from(ascender) - i32::from(descender));
    (height > 0.0).then_some(Metrics {
        data: d,
        cmap4,
        hmtx,
        n_hmetrics,
        height,
    })
}

impl Metrics {
    /// The glyph of `c` (0, the missing glyph, outside the BMP or the map).
    fn glyph(&self, c: char) -> u16 {
        let (Some(sub), Ok(c)) = (self.cmap4, u16::try_from(u32::from(c))) else {
            return 0;
        };
        self.lookup4(sub, c).unwrap_or(0)
    }

    fn lookup4(&self, sub: usize, c: u16) -> Option<u16> {
        let d = self.data;
        let segs = u16_at(d, sub + 6)? as usize / 2;
        let ends = sub + 14;
        let starts = ends + 2 * segs + 2;
        let deltas = starts + 2 * segs;
        let ranges = deltas + 2 * segs;
        let i = (0..segs).find(|&i| u16_at(d, ends + 2 * i).is_some_and(|e| e >= c))?;
        let start = u16_at(d, starts + 2 * i)?;
        if start > c {
            return None;
        }
        let delta = u16_at(d, deltas + 2 * i)?;
        let ro = u16_at(d, ranges + 2 * i)? as usize;
        if ro == 0 {
            return Some(c.wrapping_add(delta));
        }
        let at = ranges + 2 * i + ro + 2 * (c - start) as usize;
        let g = u16_at(d, at)?;
        (g != 0).then(|| g.wrapping_add(delta))
    }

    /// (advance width, left side bearing) of glyph `g`, in font units.
    fn h_metrics(&self, g: u16) -> (u16, i16) {
        let d = self.data;
        let n = self.n_hmetrics.max(1);
        let adv = u16_at(d, self.hmtx + 4 * usize::from(g.min(n - 1))).unwrap_or(0);
        let lsb = if g < n {
            u16_at(d, self.hmtx + 4 * usize::from(g) + 2)
        } else {
            u16_at(d, self.hmtx + 4 * usize::from(n) + 2 * usize::from(g - n))
        };
        (adv, lsb.unwrap_or(0) as i16)
    }
}

fn metrics() -> Option<&'static Metrics> {
    static M: OnceLock<Option<Metrics>> = OnceLock::new();
    M.get_or_init(|| parse(FONT_BYTES)).as_ref()
}

/// Each character of `s` with where its ink starts, relative to the pen
/// start \[px\], and the width of the whole string, at plotters `size`.
/// None if the font cannot be read.
pub(crate) fn layout(s: &str, size: f64) -> Option<(Vec<(char, i32)>, i32)> {
    let m = metrics()?;
    let scale = size / m.height;
    let mut pen = 0.0f64;
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        let (adv, lsb) = m.h_metrics(m.glyph(c));
        out.push((c, (pen + f64::from(lsb) * scale).floor() as i32));
        pen += f64::from(adv) * scale;
    }
    Some((out, pen.round() as i32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_bundled_font() {
        let m = metrics().expect("font tables");
        assert_ne!(m.glyph('a'), 0);
        assert_ne!(m.glyph('…'), 0);
        let (adv_i, lsb_i) = m.h_metrics(m.glyph('i'));
        let (adv_m, _) = m.h_metrics(m.glyph('m'));
        assert!(adv_m > adv_i && lsb_i > 0);
        let (g, w) = layout("ab", 18.0).unwrap();
        assert_eq!(g.len(), 2);
        assert!(w > 15 && w < 30, "{w}");
    }
}
