//! Drawing in pixels on either backend, the bundled font, and the layout
//! pieces every chart shares (title, legend, axes).
//!
//! Every chart is one function drawing on a `&dyn Canvas`; [`render`]
//! runs it once on an SVG string and once on an RGB buffer it encodes as
//! PNG. Drawing errors are ignored: a chart is always returned.

use super::Chart;
use super::MarkerKind;
use super::palette::{self, AXIS, GRID, INK, MUTED};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::sync::Once;

/// The one font family, registered from the bundled DejaVu Sans.
pub(crate) const FAMILY: &str = "sans-serif";

/// Text sizes (plotters units: the SVG shows `size / 1.24` px, so 18 is
/// about 14.5 px).
pub(crate) const TITLE: f64 = 26.0;
pub(crate) const LABEL: f64 = 18.0;
pub(crate) const AXIS_TITLE: f64 = 19.0;

static FONT: Once = Once::new();

pub(crate) fn ensure_font() {
    FONT.call_once(|| {
        let _ =
            plotters::style::register_font(FAMILY, FontStyle::Normal, super::metrics::FONT_BYTES);
    });
}

fn font(size: f64) -> FontDesc<'static> {
    FontDesc::new(FontFamily::Name(FAMILY), size, FontStyle::Normal)
}

/// Width of `s` in pixels at `size` (the PNG's; the SVG's is a little less).
pub(crate) fn text_width(s: &str, size: f64) -> i32 {
    match super::metrics::layout(s, size) {
        Some((_, w)) => w,
        None => (s.chars().count() as f64 * size * 0.6) as i32,
    }
}

/// `s`, shortened in the middle with "…" to fit `max_w` pixels.
pub(crate) fn fit(s: &str, size: f64, max_w: i32) -> String {
    if text_width(s, size) <= max_w {
        return s.to_string();
    }
    let chars: Vec<char> = s.chars().collect();
    let mut keep = chars.len();
    while keep > 1 {
        keep -= 1;
        let head = keep.div_ceil(2);
        let tail = keep - head;
        let t: String = chars[..head]
            .iter()
            .chain(std::iter::once(&'…'))
            .chain(&chars[chars.len() - tail..])
            .collect();
        if text_width(&t, size) <= max_w {
            return t;
        }
    }
    "…".into()
}

/// Pixel drawing, the same on both backends.
pub(crate) trait Canvas {
    fn rect(&self, x0: i32, y0: i32, x1: i32, y1: i32, c: RGBAColor);
    fn line(&self, pts: &[(i32, i32)], c: RGBAColor, w: u32);
    fn polygon(&self, pts: &[(i32, i32)], c: RGBAColor);
    fn circle(&self, at: (i32, i32), r: i32, c: RGBAColor, filled: bool, w: u32);
    fn text(&self, s: &str, at: (i32, i32), size: f64, c: RGBColor, h: HPos, v: VPos);
    /// Text rotated a quarter turn anticlockwise, centred on `at`.
    fn text_up(&self, s: &str, at: (i32, i32), size: f64, c: RGBColor);
}

struct Surface<'a, DB: DrawingBackend> {
    area: &'a DrawingArea<DB, Shift>,
    /// The PNG: text is drawn glyph by glyph (see [`super::metrics`]) and
    /// moved down by [`BITMAP_TEXT_DY`] of its size, since the ab_glyph
    /// rasteriser puts it higher than the SVG's `dy` does.
    bitmap: bool,
}

impl<DB: DrawingBackend> Surface<'_, DB> {
    /// Draws `s` with its ink starting at `at` along the text direction
    /// (`up`: rotated, reading upwards), glyph by glyph when `bitmap`.
    fn glyphs(&self, s: &str, at: (i32, i32), style: &TextStyle, up: bool) {
        let Some((glyphs, _)) = super::metrics::layout(s, style.font.get_size()) else {
            return;
        };
        for (c, x) in glyphs {
            if c.is_whitespace() {
                continue;
            }
            let p = if up {
                (at.0, at.1 - x)
            } else {
                (at.0 + x, at.1)
            };
            let _ = self.area.draw(&Text::new(c.to_string(), p, style.clone()));
        }
    }
}

fn shape(c: RGBAColor, filled: bool, w: u32) -> ShapeStyle {
    ShapeStyle {
        color: c,
        filled,
        stroke_width: w,
    }
}

impl<DB: DrawingBackend> Canvas for Surface<'_, DB> {
    fn rect(&self, x0: i32, y0: i32, x1: i32, y1: i32, c: RGBAColor) {
        let _ = self
            .area
            .draw(&Rectangle::new([(x0, y0), (x1, y1)], shape(c, true, 0)));
    }

    fn line(&self, pts: &[(i32, i32)], c: RGBAColor, w: u32) {
        for run in without_reversals(pts) {
            let _ = self.area.draw(&PathElement::new(run, shape(c, false, w)));
        }
    }

    fn polygon(&self, pts: &[(i32, i32)], c: RGBAColor) {
        if pts.len() >= 3 {
            let _ = self
                .area
                .draw(&Polygon::new(pts.to_vec(), shape(c, true, 0)));
        }
    }

    fn circle(&self, at: (i32, i32), r: i32, c: RGBAColor, filled: bool, w: u32) {
        let _ = self
            .area
            .draw(&Circle::new(at, r.max(1) as u32, shape(c, filled, w)));
    }

    fn text(&self, s: &str, at: (i32, i32), size: f64, c: RGBColor, h: HPos, v: VPos) {
        if s.is_empty() {
            return;
        }
        let style = TextStyle::from(font(size)).color(&c).pos(Pos::new(h, v));
        if !self.bitmap {
            let _ = self.area.draw(&Text::new(s.to_string(), at, style));
            return;
        }
        let w = text_width(s, size);
        let x = match h {
            HPos::Left => at.0,
            HPos::Center => at.0 - w / 2,
            HPos::Right => at.0 - w,
        };
        let dy = (size * BITMAP_TEXT_DY).round() as i32;
        let style = style.pos(Pos::new(HPos::Left, v));
        self.glyphs(s, (x, at.1 + dy), &style, false);
    }

    fn text_up(&self, s: &str, at: (i32, i32), size: f64, c: RGBColor) {
        if s.is_empty() {
            return;
        }
        let style = TextStyle::from(font(size))
            .color(&c)
            .pos(Pos::new(HPos::Center, VPos::Center))
            .transform(FontTransform::Rotate270);
        if !self.bitmap {
            let _ = self.area.draw(&Text::new(s.to_string(), at, style));
            return;
        }
        let style = style.pos(Pos::new(HPos::Left, VPos::Center));
        let dx = (size * BITMAP_TEXT_DY).round() as i32;
        let w = text_width(s, size);
        self.glyphs(s, (at.0 + dx, at.1 + w / 2), &style, true);
    }
}

/// Draws a chart `w` × `h` on both backends.
pub(crate) fn render(name: &str, title: &str, w: u32, h: u32, draw: &dyn Fn(&dyn Canvas)) -> Chart {
    ensure_font();
    let (w, h) = (w.clamp(200, 4000), h.clamp(150, 4000));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        let _ = root.fill(&palette::WHITE);
        draw(&Surface {
            area: &root,
            bitmap: false,
        });
        let _ = root.present();
    }
    let mut rgb = vec![255u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&Surface {
            area: &root,
            bitmap: true,
        });
        let _ = root.present();
    }
    Chart {
        name: name.to_string(),
        title: title.to_string(),
        svg,
        png: encode_png(&rgb, w, h),
    }
}

const BITMAP_TEXT_DY: f64 = 0.15;

/// RGB8 pixels as a PNG (fixed settings, so fixed bytes): indexed when
/// the image has at most 256 colours (palette in colour order), which
/// makes it about a third the size, else RGB.
fn encode_png(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    let pixel = |p: &[u8]| u32::from(p[0]) << 16 | u32::from(p[1]) << 8 | u32::from(p[2]);
    let mut colours: Vec<u32> = rgb.chunks_exact(3).map(pixel).collect();
    colours.sort_unstable();
    colours.dedup();
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Best);
    let data: Vec<u8> = if colours.len() <= 256 {
        enc.set_color(png::ColorType::Indexed);
        enc.set_palette(
            colours
                .iter()
                .flat_map(|c| [(c >> 16) as u8, (c >> 8) as u8, *c as u8])
                .collect::<Vec<u8>>(),
        );
        enc.set_filter(png::FilterType::NoFilter);
        rgb.chunks_exact(3)
            .map(|p| colours.binary_search(&pixel(p)).unwrap_or(0) as u8)
            .collect()
    } else {
        enc.set_color(png::ColorType::Rgb);
        enc.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
        rgb.to_vec()
    };
    if let Ok(mut wr) = enc.write_header() {
        let _ = wr.write_image_data(&data);
        let _ = wr.finish();
    }
    out
}

/// Maps `v` in `d0..d1` to pixels `p0..p1`, clamped to the ends.
pub(crate) fn map(v: f64, d0: f64, d1: f64, p0: i32, p1: i32) -> i32 {
    let f = if d1 == d0 || !v.is_finite() {
        0.0
    } else {
        ((v - d0) / (d1 - d0)).clamp(0.0, 1.0)
    };
    (f64::from(p0) + f * f64::from(p1 - p0)).round() as i32
}

/// Maps a time `t` in `from..to` [ms] to pixels `p0..p1`, clamped.
pub(crate) fn map_t(t: u64, from: u64, to: u64, p0: i32, p1: i32) -> i32 {
    let span = to.saturating_sub(from).max(1);
    let off = t.clamp(from, from.saturating_add(span)) - from;
    map(off as f64, 0.0, span as f64, p0, p1)
}

/// What a legend entry shows beside its label.
pub(crate) enum Swatch {
    Fill(RGBColor),
    Line(RGBColor),
    Dashed(RGBColor),
    Band(RGBColor),
    Dot(RGBColor),
    Marker(MarkerKind),
    Whisker,
    Area(RGBColor),
}

pub(crate) struct Item {
    pub swatch: Swatch,
    pub label: String,
}

pub(crate) fn item(swatch: Swatch, label: impl Into<String>) -> Item {
    Item {
        swatch,
        label: label.into(),
    }
}

const SWATCH_W: i32 = 24;
const ITEM_GAP: i32 = 26;
const LEGEND_LINE: i32 = 28;
const TITLE_BLOCK: i32 = 52;

/// Legend groups laid out in lines no wider than `max_w`: a group starts
/// a new line; a group too wide wraps.
fn legend_lines(groups: &[Vec<Item>], max_w: i32) -> Vec<Vec<(&Item, i32)>> {
    let mut lines: Vec<Vec<(&Item, i32)>> = Vec::new();
    for g in groups {
        let mut line: Vec<(&Item, i32)> = Vec::new();
        let mut used = 0;
        for it in g {
            let w = SWATCH_W + 8 + text_width(&it.label, LABEL);
            let add = if line.is_empty() { w } else { ITEM_GAP + w };
            if !line.is_empty() && used + add > max_w {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            used += if line.is_empty() { w } else { ITEM_GAP + w };
            line.push((it, w));
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// Height of the title and legend above the plot.
pub(crate) fn header_height(width: i32, legend: &[Vec<Item>]) -> i32 {
    TITLE_BLOCK + LEGEND_LINE * legend_lines(legend, width - 40).len() as i32 + 6
}

/// Draws the title and the legend (each line centred) at the top.
pub(crate) fn header(c: &dyn Canvas, width: i32, title: &str, legend: &[Vec<Item>]) {
    let t = fit(title, TITLE, width - 40);
    c.text(&t, (width / 2, 26), TITLE, INK, HPos::Center, VPos::Center);
    for (i, line) in legend_lines(legend, width - 40).iter().enumerate() {
        let total: i32 =
            line.iter().map(|(_, w)| w).sum::<i32>() + ITEM_GAP * (line.len() as i32 - 1).max(0);
        let mut x = (width - total) / 2;
        let y = TITLE_BLOCK + LEGEND_LINE * i as i32 + LEGEND_LINE / 2;
        for (it, w) in line {
            swatch(c, &it.swatch, x, y);
            c.text(
                &it.label,
                (x + SWATCH_W + 8, y),
                LABEL,
                INK,
                HPos::Left,
                VPos::Center,
            );
            x += w + ITEM_GAP;
        }
    }
}

fn swatch(c: &dyn Canvas, s: &Swatch, x: i32, y: i32) {
    let (x1, cx) = (x + SWATCH_W, x + SWATCH_W / 2);
    match s {
        Swatch::Fill(col) => {
            c.rect(x, y - 7, x1, y + 7, col.to_rgba());
        }
        Swatch::Line(col) => c.line(&[(x, y), (x1, y)], col.to_rgba(), 3),
        Swatch::Dashed(col) => {
            dashed_h(c, x, x1, y, col.mix(0.8), 2);
        }
        Swatch::Band(col) => c.rect(x, y - 7, x1, y + 7, col.mix(BAND_ALPHA)),
        Swatch::Dot(col) => {
            c.circle((cx, y), 5, col.to_rgba(), true, 0);
            c.circle((cx, y), 5, INK.to_rgba(), false, 1);
        }
        Swatch::Marker(k) => marker(c, *k, cx, y, 5),
        Swatch::Whisker => whisker(c, x + 2, x1 - 2, y, 6),
        Swatch::Area(col) => {
            c.rect(x, y - 7, x1, y + 7, col.mix(AREA_ALPHA));
            c.line(&[(x, y - 7), (x1, y - 7)], col.to_rgba(), 2);
        }
    }
}

pub(crate) const BAND_ALPHA: f64 = 0.22;
pub(crate) const AREA_ALPHA: f64 = 0.25;

/// A horizontal dashed line.
pub(crate) fn dashed_h(c: &dyn Canvas, x0: i32, x1: i32, y: i32, col: RGBAColor, w: u32) {
    let mut x = x0;
    while x < x1 {
        c.line(&[(x, y), ((x + 6).min(x1), y)], col, w);
        x += 10;
    }
}

/// An error bar from `x0` to `x1` at `y`, caps `cap` px high.
pub(crate) fn whisker(c: &dyn Canvas, x0: i32, x1: i32, y: i32, cap: i32) {
    let ink = INK.to_rgba();
    c.line(&[(x0, y), (x1, y)], ink, 2);
    c.line(&[(x0, y - cap), (x0, y + cap)], ink, 2);
    c.line(&[(x1, y - cap), (x1, y + cap)], ink, 2);
}

/// A timeline marker centred on (x, y), `r` px from centre to edge: a
/// right-pointing triangle for Start, a ring for End, a cross for Error;
/// dark, with a white halo so overlapping markers stay apart.
pub(crate) fn marker(c: &dyn Canvas, k: MarkerKind, x: i32, y: i32, r: i32) {
    let white = palette::WHITE.to_rgba();
    let ink = INK.to_rgba();
    match k {
        MarkerKind::Start => {
            let h = r + 2;
            c.polygon(
                &[(x - h, y - h - 2), (x - h, y + h + 2), (x + h + 2, y)],
                white,
            );
            c.polygon(&[(x - r, y - r), (x - r, y + r), (x + r, y)], ink);
        }
        MarkerKind::End => {
            c.circle((x, y), r + 2, white, true, 0);
            c.circle((x, y), r, ink, true, 0);
            c.circle((x, y), (r - 2).max(1), white, true, 0);
        }
        MarkerKind::Error => {
            let d = r - 1;
            let (a, b) = (
                [(x - d, y - d), (x + d, y + d)],
                [(x - d, y + d), (x + d, y - d)],
            );
            c.line(&a, white, 6);
            c.line(&b, white, 6);
            c.line(&a, ink, 3);
            c.line(&b, ink, 3);
        }
    }
}

/// A plot rectangle in pixels: left, top, right, bottom.
#[derive(Clone, Copy)]
pub(crate) struct Frame {
    pub l: i32,
    pub t: i32,
    pub r: i32,
    pub b: i32,
}

impl Frame {
    /// Vertical grid lines at `ticks` (pixel x, label); labels below the
    /// frame unless `labels` is false.
    pub(crate) fn x_grid(&self, c: &dyn Canvas, ticks: &[(i32, String)], labels: bool) {
        for (x, l) in ticks {
            c.line(&[(*x, self.t), (*x, self.b)], GRID.to_rgba(), 1);
            if labels {
                c.line(&[(*x, self.b), (*x, self.b + 5)], AXIS.to_rgba(), 1);
                c.text(l, (*x, self.b + 8), LABEL, MUTED, HPos::Center, VPos::Top);
            }
        }
    }

    /// Horizontal grid lines at `ticks` (pixel y, label); labels left.
    pub(crate) fn y_grid(&self, c: &dyn Canvas, ticks: &[(i32, String)]) {
        for (y, l) in ticks {
            c.line(&[(self.l, *y), (self.r, *y)], GRID.to_rgba(), 1);
            c.line(&[(self.l - 5, *y), (self.l, *y)], AXIS.to_rgba(), 1);
            c.text(l, (self.l - 9, *y), LABEL, MUTED, HPos::Right, VPos::Center);
        }
    }

    /// The left and bottom axis lines.
    pub(crate) fn axes(&self, c: &dyn Canvas) {
        c.line(
            &[(self.l, self.t), (self.l, self.b), (self.r, self.b)],
            AXIS.to_rgba(),
            1,
        );
    }

    /// The x axis title, centred below the tick labels.
    pub(crate) fn x_title(&self, c: &dyn Canvas, s: &str) {
        c.text(
            s,
            ((self.l + self.r) / 2, self.b + 40),
            AXIS_TITLE,
            INK,
            HPos::Center,
            VPos::Top,
        );
    }

    /// The y axis title, rotated, centred on the frame at `x`.
    pub(crate) fn y_title(&self, c: &dyn Canvas, s: &str, x: i32) {
        c.text_up(s, (x, (self.t + self.b) / 2), AXIS_TITLE, INK);
    }

    /// A note centred in the frame (e.g. "no incidents").
    pub(crate) fn note(&self, c: &dyn Canvas, s: &str) {
        c.text(
            s,
            ((self.l + self.r) / 2, (self.t + self.b) / 2),
            AXIS_TITLE,
            MUTED,
            HPos::Center,
            VPos::Center,
        );
    }
}

/// A polyline cut where it turns back on itself (down then up in one
/// pixel column): plotters draws a wide line's U-turn as specks. Drops
/// repeated points; returns runs of at least two points.
pub(crate) fn without_reversals(pts: &[(i32, i32)]) -> Vec<Vec<(i32, i32)>> {
    let mut runs: Vec<Vec<(i32, i32)>> = Vec::new();
    let mut run: Vec<(i32, i32)> = Vec::new();
    for &p in pts {
        if run.last() == Some(&p) {
            continue;
        }
        if run.len() >= 2 {
            let (a, b) = (run[run.len() - 2], run[run.len() - 1]);
            let (d1, d2) = ((b.0 - a.0, b.1 - a.1), (p.0 - b.0, p.1 - b.1));
            let collinear = d1.0 * d2.1 == d1.1 * d2.0;
            let opposite = d1.0 * d2.0 + d1.1 * d2.1 < 0;
            if collinear && opposite {
                runs.push(std::mem::replace(&mut run, vec![b]));
            }
        }
        run.push(p);
    }
    if run.len() >= 2 {
        runs.push(run);
    }
    runs
}

/// Pixel polyline without redundant points: each run of points in one
/// pixel column keeps its first, lowest, highest and last point, and
/// points in the middle of a straight horizontal or vertical run go.
/// Keeps SVGs of long series small without changing a pixel.
pub(crate) fn compress(pts: Vec<(i32, i32)>) -> Vec<(i32, i32)> {
    let mut c = Compressor::default();
    pts.into_iter().for_each(|p| c.push(p));
    c.finish()
}

/// [`compress`], point by point: memory is the output's, which is at
/// most four points per pixel column, however long the input.
#[derive(Debug, Default)]
pub(crate) struct Compressor {
    /// The open column: x, first, lowest, highest and last y.
    col: Option<(i32, i32, i32, i32, i32)>,
    out: Vec<(i32, i32)>,
}

impl Compressor {
    pub(crate) fn push(&mut self, (x, y): (i32, i32)) {
        match &mut self.col {
            Some(c) if c.0 == x => {
                c.2 = c.2.min(y);
                c.3 = c.3.max(y);
                c.4 = y;
            }
            _ => {
                self.close();
                self.col = Some((x, y, y, y, y));
            }
        }
    }

    /// Emits the open column's points in drawing order.
    fn close(&mut self) {
        let Some((x, first, lo, hi, last)) = self.col.take() else {
            return;
        };
        let (a, b) = if last >= first { (lo, hi) } else { (hi, lo) };
        for y in [first, a, b, last] {
            // The last point kept is the last one emitted (see `keep`).
            if self.out.last() != Some(&(x, y)) {
                self.keep((x, y));
            }
        }
    }

    /// Appends `p`, dropping the previous point when it sits in the
    /// middle of a straight horizontal or vertical run.
    fn keep(&mut self, p: (i32, i32)) {
        let out = &mut self.out;
        if out.len() >= 2 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            let straight = (a.0 == b.0 && b.0 == p.0) || (a.1 == b.1 && b.1 == p.1);
            let between = if a.0 == b.0 {
                (a.1 <= b.1) == (b.1 <= p.1)
            } else {
                (a.0 <= b.0) == (b.0 <= p.0)
            };
            if straight && between {
                out.pop();
            }
        }
        out.push(p);
    }

    pub(crate) fn finish(mut self) -> Vec<(i32, i32)> {
        self.close();
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_keeps_the_shape() {
        let p = vec![
            (0, 0),
            (1, 0),
            (2, 0),
            (2, 5),
            (2, 3),
            (2, 4),
            (3, 4),
            (9, 4),
        ];
        assert_eq!(compress(p), vec![(0, 0), (2, 0), (2, 5), (2, 4), (9, 4)]);
        assert!(compress(vec![]).is_empty());
        assert_eq!(compress(vec![(1, 1)]), vec![(1, 1)]);
    }

    #[test]
    fn lines_are_cut_at_u_turns() {
        let p = [(0, 0), (5, 0), (5, 9), (5, 2), (5, 2), (8, 2)];
        assert_eq!(
            without_reversals(&p),
            vec![vec![(0, 0), (5, 0), (5, 9)], vec![(5, 9), (5, 2), (8, 2)]]
        );
        assert!(without_reversals(&[(1, 1), (1, 1)]).is_empty());
    }

    #[test]
    fn fit_shortens_in_the_middle() {
        assert_eq!(fit("abc", LABEL, 1000), "abc");
        let s = fit("aks-nodepool1-12345678-vmss000001", LABEL, 150);
        assert!(s.contains('…') && s.ends_with('1') && s.starts_with('a'));
        assert!(text_width(&s, LABEL) <= 150);
    }
}
