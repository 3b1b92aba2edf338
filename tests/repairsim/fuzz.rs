//! The fuzzer (`repairsim::fuzz`, `examples/fuzz.rs`) as a test: a few
//! thousand seeded mutants of the shipped scenarios, `--set` arguments and
//! golden files hold its oracle, and its machinery does what it says.

use repairsim::fuzz::{self, Broken, Corpus};
use std::path::Path;

fn corpus() -> Corpus {
    Corpus::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
        .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn seeded_mutants_of_scenarios_sets_and_goldens_neither_panic_nor_fail_silently() {
    let corpus = corpus();
    let (counts, findings) = fuzz::campaign(&corpus, 14, 0..3_000, |_| true);
    if let Some(f) = findings.first() {
        panic!(
            "{} findings; the first, execution {}: {}\ninput: {:#?}",
            findings.len(),
            f.index,
            f.broken,
            f.input
        );
    }
    assert_eq!((counts.execs, counts.panics, counts.other), (3_000, 0, 0));
    // Every way through the harness was taken.
    for (what, n) in [
        ("bad --set", counts.bad_arg),
        ("refused", counts.refused),
        ("simulated", counts.simulated),
        ("golden refused", counts.golden_refused),
        ("golden compared", counts.golden_compared),
    ] {
        assert!(n > 0, "no execution ended {what}: {counts:?}");
    }
}

#[test]
fn an_execution_is_a_function_of_the_seed_and_its_index() {
    let corpus = corpus();
    for i in [0, 1, 2_999] {
        assert_eq!(fuzz::generate(&corpus, 7, i), fuzz::generate(&corpus, 7, i));
    }
    let inputs: Vec<_> = (0..20).map(|i| fuzz::generate(&corpus, 7, i)).collect();
    let other: Vec<_> = (0..20).map(|i| fuzz::generate(&corpus, 8, i)).collect();
    assert_ne!(inputs, other);
}

#[test]
fn a_panic_under_the_fuzzer_is_caught_with_its_message_and_location() {
    let r: Result<(), Broken> = fuzz::guarded(|| panic!("boom {}", 42));
    let Err(Broken::Panic(m)) = r else {
        panic!("not caught: {r:?}")
    };
    assert!(m.contains("boom 42"), "{m}");
    assert!(m.contains("tests/repairsim/fuzz.rs"), "{m}");
    assert_eq!(fuzz::guarded(|| 5), Ok(5));
}
