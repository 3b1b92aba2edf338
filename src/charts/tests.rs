use super::*;

const PNG_SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const M: u64 = 60_000;
const H: u64 = 60 * M;

/// A tiny deterministic generator for sample data.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

/// `n` nodes over `span`, each with one incident: NotReady, then an
/// action (sometimes a failed reboot followed by a reimage), Ready.
fn sample_rows(n: usize, span: u64) -> Vec<TimelineRow> {
    let mut g = Lcg(7);
    (0..n)
        .map(|i| {
            let onset = g.next(span * 3 / 4);
            let detect = onset + 10 * M + g.next(M);
            let act = detect + 5 * M;
            let mut intervals = vec![(0, onset, NodeState::Ready)];
            let mut markers = vec![(act, MarkerKind::Start)];
            let first = if i % 5 == 0 {
                NodeState::Unknown
            } else {
                NodeState::NotReady
            };
            intervals.push((onset, act, first));
            let mut end = act + 4 * M + g.next(4 * M);
            if i % 4 == 1 {
                intervals.push((act, end, NodeState::Rebooting));
                markers.push((end, MarkerKind::Error));
                markers.push((end, MarkerKind::Start));
                let e2 = end + 20 * M + g.next(10 * M);
                intervals.push((end, e2, NodeState::Reimaging));
                end = e2;
            } else if i % 7 == 3 {
                intervals.push((act, end + 40 * M, NodeState::Redeploying));
                end += 40 * M;
            } else {
                intervals.push((act, end, NodeState::Rebooting));
            }
            markers.push((end, MarkerKind::End));
            intervals.push((end, span, NodeState::Ready));
            TimelineRow {
                node: format!("aks-pool{}-12345678-vmss{:06}", i % 3, i),
                intervals,
                markers,
            }
        })
        .collect()
}

fn sample_cdf() -> Vec<CdfSeries> {
    let mut g = Lcg(11);
    let mut a: Vec<u64> = (0..300).map(|_| 15 * M + g.next(20 * M)).collect();
    a.extend((0..20).map(|_| 40 * M + g.next(80 * M)));
    a.sort_unstable();
    let mut b: Vec<u64> = (0..300).map(|_| 12 * M + g.next(15 * M)).collect();
    b.sort_unstable();
    let n = a.len() as f64;
    let band = a
        .iter()
        .enumerate()
        .step_by(10)
        .map(|(i, &x)| {
            let p = (i + 1) as f64 / n;
            (x, (p - 0.06).max(0.0), (p + 0.06).min(1.0))
        })
        .collect();
    vec![
        CdfSeries::of_samples("baseline (320 incidents)".into(), a, Some(band)),
        CdfSeries::of_samples("candidate (300 incidents)".into(), b, None),
    ]
}

fn sample_outcomes() -> Vec<(String, Vec<(String, u64)>)> {
    let o = |v: [u64; 6]| {
        [
            "self-healed",
            "repaired-by-reboot",
            "repaired-by-reimage",
            "repaired-by-redeploy",
            "gave-up-timeout",
            "excluded:upgrading",
        ]
        .iter()
        .zip(v)
        .map(|(n, c)| (n.to_string(), c))
        .collect::<Vec<_>>()
    };
    vec![
        ("system".into(), o([4, 21, 6, 2, 1, 0])),
        ("user-linux".into(), o([9, 48, 13, 4, 0, 3])),
        ("gpu".into(), o([1, 6, 3, 1, 2, 0])),
        ("win".into(), o([2, 11, 5, 0, 0, 1])),
    ]
}

fn sample_capacity() -> (u64, Vec<PoolSeries>, Vec<(u64, u32)>) {
    let horizon = 7 * 24 * H;
    let mut g = Lcg(5);
    let mut repair = vec![(0u64, 0u32)];
    let pools = [("system", 3u32), ("user", 20), ("gpu", 6)]
        .iter()
        .map(|&(name, count)| {
            let mut ready = vec![(0u64, count)];
            let mut min = (0, count);
            let mut t = 0;
            while t < horizon {
                t += 2 * H + g.next(20 * H);
                let down = 1 + g.next(u64::from(count / 4).max(1)) as u32;
                let v = count - down.min(count);
                ready.push((t, v));
                if v < min.1 {
                    min = (t, v);
                }
                repair.push((t, down));
                t += 20 * M + g.next(40 * M);
                ready.push((t, count));
                repair.push((t, 0));
            }
            PoolSeries {
                pool: name.into(),
                count,
                ready,
                min,
            }
        })
        .collect();
    repair.sort_unstable();
    (horizon, pools, repair)
}

fn sample_deltas() -> Vec<Delta> {
    let d = |m: &str, pct: f64, w: f64, v: &str| Delta {
        metric: m.into(),
        pct,
        lo_pct: pct - w,
        hi_pct: pct + w,
        verdict: v.into(),
    };
    vec![
        d("mean time to recover", -18.4, 6.1, "better"),
        d(
            "p95 time to recover",
            -9.0,
            12.5,
            "no significant difference",
        ),
        d("mean time to detect", 0.4, 1.2, "no significant difference"),
        d("incidents gave up", 35.0, 20.0, "worse"),
        d("reboots per incident", 12.0, 4.0, "higher"),
        d("minimum Ready nodes (system)", 4.5, 3.0, "better"),
        d("node-hours not Ready", -22.0, 9.0, "better"),
    ]
}

/// The legend of an AKS timeline.
fn aks_states() -> Vec<NodeState> {
    crate::policy::providers::Provider::Aks
        .vocabulary()
        .states()
}

/// Every chart on its sample data.
fn all_samples() -> Vec<Chart> {
    let (horizon, pools, repair) = sample_capacity();
    vec![
        timeline(
            "Node timelines: 12 nodes with incidents",
            &sample_rows(12, 6 * H),
            (0, 6 * H),
            &aks_states(),
        ),
        timeline(
            "Node timelines: 200 nodes with incidents",
            &sample_rows(200, 3 * 24 * H),
            (0, 3 * 24 * H),
            &aks_states(),
        ),
        cdf(
            "time_to_recover",
            "Time to recover (fault onset to Ready again)",
            "time to recover",
            &sample_cdf(),
        ),
        outcomes(
            "outcomes_by_pool",
            "Incident outcomes by pool",
            &sample_outcomes(),
        ),
        capacity(
            "Capacity: Ready nodes per pool, and nodes in repair",
            horizon,
            &pools,
            &repair,
        ),
        deltas("Candidate vs baseline", &sample_deltas()),
    ]
}

/// The chart's SVG and PNG are well formed and the same size.
fn check(c: &Chart) {
    assert!(c.svg.starts_with("<svg"), "{}: {}", c.name, &c.svg[..40]);
    assert!(c.svg.trim_end().ends_with("</svg>"), "{}", c.name);
    assert!(c.png.starts_with(&PNG_SIGNATURE), "{}", c.name);
    assert!(!c.name.is_empty());
    let mut reader = png::Decoder::new(c.png.as_slice())
        .read_info()
        .expect("PNG decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG frame");
    let size = format!("width=\"{}\" height=\"{}\"", info.width, info.height);
    assert!(c.svg[..200].contains(&size), "{}: {size}", c.name);
}

#[test]
fn every_chart_renders_with_its_title_and_is_deterministic() {
    let a = all_samples();
    let b = all_samples();
    for (x, y) in a.iter().zip(&b) {
        check(x);
        assert!(x.svg.contains(&x.title), "{} lacks its title", x.name);
        assert!(x.svg.contains("font-family=\"sans-serif\""));
        assert!(x.svg == y.svg && x.png == y.png, "{} differs", x.name);
    }
    let names: Vec<&str> = a.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "timeline",
            "timeline",
            "time_to_recover",
            "outcomes_by_pool",
            "capacity",
            "deltas"
        ]
    );
    assert!(a[1].svg.contains("+160 more nodes"));
}

#[test]
fn empty_and_degenerate_inputs_do_not_panic() {
    let charts = [
        timeline("t", &[], (0, 0), &[]),
        timeline("t", &[], (u64::MAX, 3), &NodeState::ALL),
        timeline(
            "t",
            &[TimelineRow {
                node: String::new(),
                intervals: vec![(5, 1, NodeState::Ready), (u64::MAX, 0, NodeState::Unknown)],
                markers: vec![(u64::MAX, MarkerKind::Error)],
            }],
            (10, 10),
            &aks_states(),
        ),
        cdf("c", "c", "x", &[]),
        cdf(
            "c",
            "c",
            "x",
            &[CdfSeries::of_samples(
                String::new(),
                vec![],
                Some(vec![(0, f64::NAN, f64::INFINITY)]),
            )],
        ),
        cdf(
            "c",
            "c",
            "x",
            &[CdfSeries::of_samples("one".into(), vec![0], None)],
        ),
        cdf(
            "c",
            "c",
            "x",
            &[CdfSeries::of_samples(
                "huge, unsorted".into(),
                vec![u64::MAX, 3, u64::MAX - 1],
                Some(vec![]),
            )],
        ),
        outcomes("o", "o", &[]),
        outcomes("o", "o", &[("g".into(), vec![])]),
        outcomes(
            "o",
            "o",
            &[(
                "g".into(),
                vec![("x".into(), u64::MAX), ("y".into(), u64::MAX)],
            )],
        ),
        capacity("k", 0, &[], &[]),
        capacity(
            "k",
            10,
            &[PoolSeries {
                pool: "p".into(),
                count: 0,
                ready: vec![(20, u32::MAX), (5, 1)],
                min: (u64::MAX, 0),
            }],
            &[(0, u32::MAX)],
        ),
        deltas("d", &[]),
        deltas(
            "d",
            &[Delta {
                metric: "m".repeat(200),
                pct: f64::NAN,
                lo_pct: f64::INFINITY,
                hi_pct: f64::NEG_INFINITY,
                verdict: String::new(),
            }],
        ),
        deltas(
            "d",
            &[Delta {
                metric: "tiny".into(),
                pct: 1e-9,
                lo_pct: -1e-9,
                hi_pct: 2e-9,
                verdict: "lower".into(),
            }],
        ),
    ];
    for c in &charts {
        check(c);
    }
    assert!(charts[0].svg.contains("no incidents"));
}

#[test]
fn time_labels_pick_units_by_span() {
    assert_eq!(time_ticks_label(30 * M, 90 * M), "30m");
    assert_eq!(time_ticks_label(2 * H, 3 * 24 * H), "2h");
    assert_eq!(time_ticks_label(2 * 24 * H, 3 * 24 * H), "2d");
    assert_eq!(time_ticks_label(6 * H, 24 * H), "6h");
    assert_eq!(time_ticks_label(45_000, 2 * M), "45s");
}

/// Every sample chart, the empty ones too, decodes as a PNG with ink on
/// it (axes, labels, data). With `REPAIRSIM_CHART_SAMPLES=DIR` the samples
/// are also written there (SVG and PNG) for a person to look at:
/// `REPAIRSIM_CHART_SAMPLES=/tmp/charts-sample cargo test --lib charts::tests::samples`
#[test]
fn samples_decode_with_ink() {
    let dir = std::env::var_os("REPAIRSIM_CHART_SAMPLES").map(std::path::PathBuf::from);
    if let Some(d) = &dir {
        std::fs::create_dir_all(d).unwrap();
    }
    let mut charts = all_samples();
    charts.push(timeline("No incidents", &[], (0, 0), &aks_states()));
    charts.push(cdf("empty-cdf", "Time to detect", "time to detect", &[]));
    charts.push(outcomes(
        "empty-outcomes",
        "Incident outcomes by OS",
        &[
            ("linux".into(), vec![("self-healed".into(), 0)]),
            ("windows".into(), vec![]),
        ],
    ));
    let mut seen = std::collections::BTreeMap::new();
    for c in charts {
        let k = seen.entry(c.name.clone()).or_insert(0);
        *k += 1;
        let stem = if *k == 1 {
            c.name.clone()
        } else {
            format!("{}-{k}", c.name)
        };
        let (w, h, ink) = png_ink(&c.png);
        assert!(w >= 400 && h >= 200, "{stem}: {w}x{h}");
        assert!(
            ink > 0.01,
            "{stem}: only {ink} of the pixels differ from the background"
        );
        if let Some(d) = &dir {
            write(d, &stem, &c);
        }
    }
}

/// Width, height and the share of pixels that differ from the top-left one.
fn png_ink(bytes: &[u8]) -> (u32, u32, f64) {
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (frame.width, frame.height);
    let bpp = frame.line_size / w as usize;
    let pixels: Vec<&[u8]> = buf[..frame.buffer_size()].chunks(bpp).collect();
    let differ = pixels.iter().filter(|p| **p != pixels[0]).count();
    (w, h, differ as f64 / pixels.len() as f64)
}

fn write(dir: &std::path::Path, stem: &str, c: &Chart) {
    std::fs::write(dir.join(format!("{stem}.svg")), &c.svg).unwrap();
    std::fs::write(dir.join(format!("{stem}.png")), &c.png).unwrap();
}
