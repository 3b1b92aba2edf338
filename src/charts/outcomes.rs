//! Incident outcomes: one stacked bar per group.

use super::Chart;
use super::axis::count_axis;
use super::canvas::{
    Canvas, Frame, LABEL, Swatch, fit, header, header_height, item, map, render, text_width,
};
use super::palette::{INK, WHITE, outcome_colour, text_on};
use plotters::style::Color;
use plotters::style::text_anchor::{HPos, VPos};

const WIDTH: i32 = 900;
const HEIGHT: i32 = 520;

/// The x axis title from the file stem: "outcomes_by_pool" → "pool".
fn group_title(name: &str) -> String {
    match name.rfind("by_") {
        Some(i) if i + 3 < name.len() => {
            let g = name[i + 3..].replace('_', " ");
            if g == "os" { "OS".into() } else { g }
        }
        _ => "group".into(),
    }
}

pub(crate) fn outcomes(name: &str, title: &str, groups: &[(String, Vec<(String, u64)>)]) -> Chart {
    // Outcomes with a count anywhere, in order of first appearance.
    let mut names: Vec<&str> = Vec::new();
    for (_, counts) in groups {
        for (o, n) in counts {
            if *n > 0 && !names.contains(&o.as_str()) {
                names.push(o);
            }
        }
    }
    let legend = vec![
        names
            .iter()
            .map(|o| item(Swatch::Fill(outcome_colour(o)), *o))
            .collect::<Vec<_>>(),
    ];
    let totals: Vec<u64> = groups
        .iter()
        .map(|(_, c)| c.iter().fold(0u64, |a, (_, n)| a.saturating_add(*n)))
        .collect();
    let max = totals.iter().copied().max().unwrap_or(0);
    // Headroom for the totals above the bars.
    let (y_top, yt) = count_axis(max.saturating_add(max / 12), 6);
    let y_label_w = yt
        .iter()
        .map(|(_, l)| text_width(l, LABEL))
        .max()
        .unwrap_or(0);
    let top = header_height(WIDTH, &legend) + 14;
    let f = Frame {
        l: 52 + y_label_w + 12,
        t: top,
        r: WIDTH - 30,
        b: HEIGHT - 78,
    };
    let y_ticks: Vec<(i32, String)> = yt
        .into_iter()
        .map(|(v, l)| (map(v as f64, 0.0, y_top as f64, f.b, f.t), l))
        .collect();
    let n = groups.len().max(1) as i32;
    let slot = (f.r - f.l) / n;
    let bar_w = (slot * 3 / 5).clamp(4, 140);
    let group_title = group_title(name);
    render(
        name,
        title,
        WIDTH as u32,
        HEIGHT as u32,
        &|c: &dyn Canvas| {
            header(c, WIDTH, title, &legend);
            f.y_grid(c, &y_ticks);
            let py = |v: u64| map(v as f64, 0.0, y_top as f64, f.b, f.t);
            for (g, (label, counts)) in groups.iter().enumerate() {
                let cx = f.l + slot * g as i32 + slot / 2;
                let (x0, x1) = (cx - bar_w / 2, cx + bar_w / 2);
                let mut acc = 0u64;
                for (o, k) in counts {
                    if *k == 0 {
                        continue;
                    }
                    let (y0, y1) = (py(acc.saturating_add(*k)), py(acc));
                    acc = acc.saturating_add(*k);
                    let col = outcome_colour(o);
                    c.rect(x0, y0, x1, y1, col.to_rgba());
                    c.line(&[(x0, y0), (x1, y0)], WHITE.to_rgba(), 1);
                    let s = k.to_string();
                    if y1 - y0 >= 18 && text_width(&s, LABEL) + 6 <= bar_w {
                        c.text(
                            &s,
                            (cx, (y0 + y1) / 2),
                            LABEL,
                            text_on(col),
                            HPos::Center,
                            VPos::Center,
                        );
                    }
                }
                c.text(
                    &totals[g].to_string(),
                    (cx, py(totals[g]) - 6),
                    LABEL,
                    INK,
                    HPos::Center,
                    VPos::Bottom,
                );
                c.line(&[(cx, f.b), (cx, f.b + 5)], INK.to_rgba(), 1);
                c.text(
                    &fit(label, LABEL, slot - 8),
                    (cx, f.b + 8),
                    LABEL,
                    INK,
                    HPos::Center,
                    VPos::Top,
                );
            }
            f.axes(c);
            f.x_title(c, &group_title);
            f.y_title(c, "incidents", 20);
            if names.is_empty() {
                f.note(c, "no incidents");
            }
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn group_titles() {
        assert_eq!(super::group_title("outcomes_by_pool"), "pool");
        assert_eq!(super::group_title("outcomes_by_os"), "OS");
        assert_eq!(super::group_title("outcomes"), "group");
    }
}
