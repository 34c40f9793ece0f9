//! The written files: the same seed gives the same bytes (with any number of
//! threads), every message passes Tenure's own ingestion validation, noise
//! lines are exactly the ones rejected or duplicated, and the planted
//! archetypes are exactly what the engagement definitions find.

use flate2::read::MultiGzDecoder;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::Path;
use tenure_core::{ActivityKind, CallType, Taxonomy};
use tenure_gen::{Params, Preset, generate};
use tenure_ingest::segment::parse_line;
use tenure_ingest::{Limits, Source};

/// (user id, "YYYY-MM").
type UserMonth = (String, String);

fn make(params: &Params) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    generate(params, dir.path(), &mut |_, _| {}).unwrap();
    dir
}

fn digest(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        out.insert(name, format!("{:x}", Sha256::digest(&bytes)));
    }
    out
}

fn lines(dir: &Path) -> Vec<String> {
    let mut text = String::new();
    MultiGzDecoder::new(std::fs::File::open(dir.join("events.jsonl.gz")).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(str::to_string).collect()
}

#[test]
fn same_seed_same_bytes_with_any_number_of_threads() {
    let params = Preset::Small.params(7);
    let a = digest(make(&params).path());
    let one_thread = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap()
        .install(|| digest(make(&params).path()));
    assert_eq!(a, one_thread);
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        [
            "accounts.csv",
            "events.jsonl.gz",
            "truth.csv",
            "truth.json",
            "users.csv"
        ]
    );
    let other = digest(make(&Preset::Small.params(8)).path());
    assert_ne!(a["events.jsonl.gz"], other["events.jsonl.gz"]);
    assert_ne!(a["truth.csv"], other["truth.csv"]);
}

#[test]
fn every_message_is_valid_and_noise_is_exactly_what_is_rejected_or_repeated() {
    let taxonomy = Taxonomy::default();
    let source = Source::Import {
        imported_at: chrono::Utc::now(),
    };
    // Without noise: everything is accepted, ids are unique, users and
    // accounts exist, times are inside the window.
    let clean = make(&Preset::Small.params(3));
    let users: HashSet<String> = std::fs::read_to_string(clean.path().join("users.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap().to_string())
        .collect();
    let mut ids = HashSet::new();
    let all = lines(clean.path());
    assert!(all.len() > 10_000, "{}", all.len());
    let mut kinds = HashMap::new();
    let mut in_window = false;
    for (i, line) in all.iter().enumerate() {
        let m = parse_line(line, Limits::default(), &taxonomy, source)
            .unwrap_or_else(|e| panic!("line {}: {e}: {line}", i + 1));
        assert!(ids.insert(m.event.message_id.clone()), "line {}", i + 1);
        assert!(
            users.contains(m.event.user_id.as_deref().unwrap()),
            "{line}"
        );
        let account = m.event.account_id.as_deref().unwrap();
        assert!(account.starts_with("acct-"), "{line}");
        // Inside the window, but for the identify and group calls that
        // bring state changes from before it (at the start of the file).
        let t = m.event.timestamp.to_rfc3339();
        let history = matches!(m.event.call, CallType::Identify | CallType::Group);
        assert!(t.as_str() < "2026-11-01", "{line}");
        assert!(t.as_str() >= "2026-05-01" || history, "{line}");
        if t.as_str() >= "2026-05-01" {
            in_window = true;
        } else {
            assert!(!in_window, "history comes first: {line}");
        }
        *kinds.entry(m.event.kind).or_insert(0u64) += 1;
    }
    // Every activity kind of the taxonomy occurs; nothing is `other`.
    for kind in [
        ActivityKind::Consume,
        ActivityKind::Login,
        ActivityKind::Research,
        ActivityKind::Maintain,
        ActivityKind::Share,
        ActivityKind::Message,
        ActivityKind::Portal,
        ActivityKind::Error,
        ActivityKind::Lifecycle,
    ] {
        assert!(kinds.contains_key(&kind), "no {kind:?} events");
    }
    assert!(!kinds.contains_key(&ActivityKind::Other), "{kinds:?}");

    // With noise: the rejected lines and the repeated ids are exactly the
    // ones noise.csv lists.
    let mut params = Preset::Small.params(3);
    params.noise = 0.01;
    let noisy = make(&params);
    let listed: Vec<(u64, String)> = std::fs::read_to_string(noisy.path().join("noise.csv"))
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.split(',');
            (
                f.next().unwrap().parse().unwrap(),
                f.next().unwrap().to_string(),
            )
        })
        .collect();
    assert!(listed.len() > 100, "{}", listed.len());
    let noisy_lines = lines(noisy.path());
    assert_eq!(noisy_lines.len(), all.len() + listed.len());
    let (mut rejected, mut repeated) = (Vec::new(), Vec::new());
    let mut seen = HashSet::new();
    for (i, line) in noisy_lines.iter().enumerate() {
        match parse_line(line, Limits::default(), &taxonomy, source) {
            Err(_) => rejected.push(i as u64 + 1),
            Ok(m) if !seen.insert(m.event.message_id.clone()) => repeated.push(i as u64 + 1),
            Ok(_) => {}
        }
    }
    let expect = |dup: bool| -> Vec<u64> {
        listed
            .iter()
            .filter(|(_, k)| (k == "duplicate") == dup)
            .map(|(l, _)| *l)
            .collect()
    };
    assert_eq!(rejected, expect(false));
    assert_eq!(repeated, expect(true));
    // The real messages are the same with or without noise.
    assert_eq!(seen.len(), all.len());
}

/// The engagement category of a set of kinds, by the definitions of the
/// engagement report (never-activated users are dormant there).
fn category(k: &HashMap<&str, u32>, social: u32) -> &'static str {
    let n = |kind: &str| k.get(kind).copied().unwrap_or(0);
    let platform = [
        "login", "research", "maintain", "share", "message", "portal",
    ];
    if n("research") + n("maintain") >= 1 && social >= 2 {
        "engaging"
    } else if platform.iter().any(|p| n(p) > 0) {
        "interacting"
    } else if n("consume") > 0 {
        "consuming"
    } else {
        "dormant"
    }
}

#[test]
fn planted_archetypes_are_what_the_category_rules_find() {
    for seed in [1, 2] {
        let dir = make(&Preset::Small.params(seed));
        let taxonomy = Taxonomy::default();
        let source = Source::Import {
            imported_at: chrono::Utc::now(),
        };
        // (user, month) -> kind -> count, and social actions.
        let mut seen: HashMap<UserMonth, (HashMap<&str, u32>, u32)> = HashMap::new();
        for line in lines(dir.path()) {
            let m = parse_line(&line, Limits::default(), &taxonomy, source).unwrap();
            let e = m.event;
            let month = e.timestamp.format("%Y-%m").to_string();
            let slot = seen.entry((e.user_id.unwrap(), month)).or_default();
            *slot.0.entry(e.kind.as_str()).or_insert(0) += 1;
            if e.kind == ActivityKind::Share || e.event.as_deref() == Some("Message Sent") {
                slot.1 += 1;
            }
        }
        let truth = std::fs::read_to_string(dir.path().join("truth.csv")).unwrap();
        let (mut rows, mut agree) = (0, 0);
        let mut mismatches = Vec::new();
        for line in truth.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let planted = if f[3] == "never_activated" {
                "dormant"
            } else {
                f[3]
            };
            let empty = (HashMap::new(), 0);
            let (kinds, social) = seen
                .get(&(f[1].to_string(), f[0].to_string()))
                .unwrap_or(&empty);
            let found = category(kinds, *social);
            rows += 1;
            if found == planted {
                agree += 1;
            } else {
                mismatches.push(format!("{line} -> {found} {kinds:?}"));
            }
        }
        assert!(rows > 1000, "{rows}");
        assert_eq!(
            agree,
            rows,
            "seed {seed}: {:#?}",
            &mismatches[..mismatches.len().min(10)]
        );
    }
}
