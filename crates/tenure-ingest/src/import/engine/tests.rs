//! The fast path stores exactly what the parser stores: the same files go
//! through both into two stores holding the same history, and every table
//! an import writes must come out the same, or both imports fail with the
//! same error.

use super::super::{ImportError, ImportSummary, Reader, import_events_by};
use super::{engine_import, without_repeats};
use crate::segment::Limits;
use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};
use std::path::Path;
use tenure_core::model::Entity;
use tenure_core::{EntityChange, Taxonomy};
use tenure_store::DuckStore;

/// The tables an events import writes (the rollups through its refresh).
const TABLES: &[&str] = &[
    "SELECT * EXCLUDE (write_no) FROM events",
    // A declined attempt leaves a gap in the write numbers: the order of
    // the changes is what must match.
    "SELECT * EXCLUDE (seq), row_number() OVER (ORDER BY seq) FROM account_changes",
    "SELECT * EXCLUDE (seq), row_number() OVER (ORDER BY seq) FROM user_changes",
    "SELECT * FROM accounts",
    "SELECT * FROM users",
    "SELECT * FROM groups",
    // Users by id: the numbers depend on the order a refresh meets them.
    "SELECT * EXCLUDE (user_num), user_id FROM activity_daily LEFT JOIN user_numbers USING (user_num)",
    "SELECT * FROM social_events",
    "SELECT * EXCLUDE (user_num), user_id FROM user_firsts JOIN user_numbers USING (user_num)",
    "SELECT * FROM user_months",
    "SELECT * FROM user_last",
];

fn imported_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap()
}

/// What a store holds, table by table, in a fixed order.
fn contents(store: &DuckStore) -> Vec<Vec<Vec<String>>> {
    TABLES
        .iter()
        .map(|sql| store.strings(&format!("{sql} ORDER BY ALL")).unwrap())
        .collect()
}

/// A store holding the same history on both sides: users u0..u3 in
/// accounts acct-0..acct-3 (so tracks naming no account take their user's)
/// and, with `events`, a few events already (so the import stages its rows
/// and drops the ids already stored).
fn store(dir: &Path, name: &str, events: bool) -> DuckStore {
    let mut store = DuckStore::open(&dir.join(name)).unwrap();
    let mut lines: Vec<Value> = (0..4)
        .map(|i| {
            json!({"type": "identify", "userId": format!("u{i}"), "messageId": format!("h{i}"),
                   "timestamp": "2026-01-01T00:00:00Z",
                   "context": {"groupId": format!("acct-{i}")}})
        })
        .collect();
    if events {
        lines.extend((0..3).map(|i| {
            json!({"type": "track", "userId": "u0", "event": "Signed In",
                   "messageId": format!("m{i}"), "timestamp": "2026-01-02T00:00:00Z"})
        }));
    }
    let file = dir.join(format!("{name}-history.jsonl"));
    std::fs::write(&file, jsonl(&lines)).unwrap();
    import(&mut store, &file, Reader::Parser).unwrap();
    store
}

fn jsonl(lines: &[Value]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn import(store: &mut DuckStore, file: &Path, reader: Reader) -> Result<ImportSummary, String> {
    import_events_by(
        store,
        file,
        &Taxonomy::default(),
        Limits::default(),
        imported_at(),
        Box::new(|_| {}),
        reader,
    )
    .map_err(|e: ImportError| e.to_string())
}

/// The fast path alone (no rollup refresh), with the default taxonomy and
/// limits.
fn fast(store: &mut DuckStore, file: &Path) -> Result<Option<ImportSummary>, ImportError> {
    engine_import(
        store,
        file,
        &Taxonomy::default(),
        Limits::default(),
        imported_at(),
        &mut |_| {},
    )
}

/// Imports `text` through both readers into stores with the same history
/// and checks they end the same; returns whether the engine took the file.
fn same_both_ways(text: &str, events: bool, gzip: bool) -> Result<bool, TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(if gzip { "f.jsonl.gz" } else { "f.jsonl" });
    if gzip {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(text.as_bytes()).unwrap();
        std::fs::write(&file, enc.finish().unwrap()).unwrap();
    } else {
        std::fs::write(&file, text).unwrap();
    }
    let mut parsed = store(dir.path(), "parsed", events);
    let want = import(&mut parsed, &file, Reader::Parser);
    let mut engine = store(dir.path(), "engine", events);
    let taken = {
        let found = fast(&mut engine, &file).map_err(|e| e.to_string());
        matches!(found, Ok(Some(_)))
    };
    // The engine's attempt left nothing behind when it declined; the full
    // import (which takes the fast path again when it can) must match.
    let mut fresh = store(dir.path(), "fresh", events);
    let got = import(&mut fresh, &file, Reader::Engine);
    prop_assert_eq!(&got, &want);
    prop_assert_eq!(contents(&fresh), contents(&parsed));
    if !taken {
        prop_assert_eq!(
            contents(&engine),
            contents(&store(dir.path(), "again", events))
        );
    }
    Ok(taken)
}

/// A time the engine reads exactly, with `day` of March 2026.
fn exact_time() -> impl Strategy<Value = String> {
    (
        1u32..28,
        0u32..24,
        0u32..60,
        prop_oneof![
            Just(String::new()),
            Just(".5".to_string()),
            Just(".123456".to_string()),
            Just(".010".to_string()),
        ],
        prop_oneof![
            Just("Z".to_string()),
            Just("+00:00".to_string()),
            Just("+02:00".to_string()),
            Just("-05:30".to_string()),
        ],
    )
        .prop_map(|(d, h, m, frac, zone)| format!("2026-03-{d:02}T{h:02}:{m:02}:07{frac}{zone}"))
}

/// Any time field: the exact ones and the forms only the parser reads (or
/// rejects).
fn any_time() -> impl Strategy<Value = Value> {
    prop_oneof![
        6 => exact_time().prop_map(Value::String),
        1 => Just(json!("2026-03-01T10:11:12")),
        1 => Just(json!("2026-03-01 10:11:12Z")),
        1 => Just(json!("2026-03-01T10:11:12.1234567Z")),
        1 => Just(json!("2026-02-30T10:00:00Z")),
        1 => Just(json!("2026-03-01")),
        1 => Just(json!("2026-03-01T10:11:12+0200")),
        1 => Just(json!(1_700_000_000)),
        1 => Just(Value::Null),
    ]
}

/// A field to set or leave out.
fn maybe<T: Strategy<Value = Value>>(weight: u32, s: T) -> impl Strategy<Value = Option<Value>> {
    prop_oneof![weight => s.prop_map(Some), 10 - weight => Just(None)]
}

/// The fields of a track call the engine takes, for `user` (a track user:
/// no other call in a clean file names them).
fn clean_track() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just(json!("u0")),
            Just(json!("u1")),
            Just(json!("u2 é")),
            Just(json!("a\"b")),
            Just(Value::Null)
        ],
        maybe(3, Just(json!("anon-1"))),
        prop_oneof![
            Just("Signed In"),
            Just("Insight Shared"),
            Just("Message Sent"),
            Just("Custom thing")
        ],
        maybe(
            8,
            prop_oneof![
                Just(json!({"channel": "email", "n": 3})),
                Just(json!({"message_id": "x1", "recipient_id": "r1"})),
                Just(json!({"nested": {"a": [1, 2, "3"]}, "t": "line\nbreak"})),
                Just(Value::Null),
            ],
        ),
        maybe(
            8,
            prop_oneof![
                Just(json!({"groupId": "acct-9"})),
                Just(json!({"ip": "10.0.0.1"})),
                Just(json!({"groupId": null, "library": {"name": "x"}})),
                Just(Value::Null),
            ],
        ),
        maybe(9, exact_time().prop_map(Value::String)),
        maybe(3, exact_time().prop_map(Value::String)),
        maybe(4, exact_time().prop_map(Value::String)),
        maybe(4, exact_time().prop_map(Value::String)),
    )
        .prop_map(
            |(user, anonymous, event, properties, context, t, ot, sent, received)| {
                let mut m = json!({"type": "track", "event": event});
                let user = if user.is_null() && anonymous.is_none() {
                    json!("u3")
                } else {
                    user
                };
                m["userId"] = user;
                let fields = [
                    ("anonymousId", anonymous),
                    ("properties", properties),
                    ("context", context),
                    ("timestamp", t),
                    ("originalTimestamp", ot),
                    ("sentAt", sent),
                    ("receivedAt", received),
                ];
                for (key, value) in fields {
                    if let Some(v) = value {
                        m[key] = v;
                    }
                }
                m
            },
        )
}

/// Other calls for users no track names (w0, w1).
fn clean_other() -> impl Strategy<Value = Value> {
    (0u32..2, 0u32..4, exact_time()).prop_flat_map(|(w, a, t)| {
        prop_oneof![
            Just(
                json!({"type": "identify", "userId": format!("w{w}"), "timestamp": t,
                        "traits": {"email": format!("w{w}@example.com"), "role": "analyst"},
                        "context": {"groupId": format!("acct-{a}")}})
            ),
            Just(
                json!({"type": "group", "userId": format!("w{w}"), "groupId": format!("acct-{a}"),
                        "timestamp": t, "traits": {"plan": "pro", "seats_purchased": 5}})
            ),
            Just(
                json!({"type": "page", "userId": format!("w{w}"), "name": "Home", "timestamp": t})
            ),
        ]
    })
}

/// Numbered messages: each gets its own `messageId`.
fn numbered(messages: Vec<Value>) -> Vec<Value> {
    messages
        .into_iter()
        .enumerate()
        .map(|(i, mut m)| {
            m["messageId"] = json!(format!("n{i}"));
            m
        })
        .collect()
}

/// Changes a clean message in one way the engine must not take, or the
/// parser must reject.
fn spoil(m: &mut Value, how: u32) {
    match how {
        0 => m["userId"] = json!(7),
        1 => m["userId"] = json!("   "),
        2 => m["messageId"] = json!("n0"),
        3 => {
            m.as_object_mut().unwrap().remove("messageId");
        }
        4 => m["event"] = json!(""),
        5 => m["event"] = json!(5),
        6 => m["properties"] = json!([1, 2]),
        7 => m["context"] = json!({"groupId": 42}),
        8 => m["context"] = json!("ctx"),
        9 => m["type"] = json!("Track"),
        10 => m["userId"] = json!(true),
        11 => {
            // A track naming no account for a user another call moves.
            *m = json!({"type": "track", "userId": "w0", "event": "Signed In",
                        "messageId": m["messageId"].clone()});
        }
        12 => m["messageId"] = json!(12345),
        _ => m["sentAt"] = json!("yesterday"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Files of messages the engine maps exactly: it takes them, and the
    /// stores end the same as through the parser.
    #[test]
    fn the_engine_takes_clean_files_and_stores_what_the_parser_does(
        tracks in proptest::collection::vec(clean_track(), 1..40),
        others in proptest::collection::vec(clean_other(), 0..6),
        blank_lines in any::<bool>(),
        events in any::<bool>(),
        gzip in any::<bool>(),
    ) {
        let mut messages = tracks;
        let step = messages.len() / (others.len() + 1) + 1;
        for (i, other) in others.into_iter().enumerate() {
            messages.insert(((i + 1) * step).min(messages.len()), other);
        }
        let mut text = jsonl(&numbered(messages));
        if blank_lines {
            text = text.replacen('\n', "\n\n  \n", 1);
        }
        prop_assert!(same_both_ways(&text, events, gzip)?, "the engine declined a clean file");
    }

    /// The same files with one message spoiled: whatever path the import
    /// takes, it ends as the parser's does (the same rows, or the same
    /// error naming the same line).
    #[test]
    fn any_file_ends_as_through_the_parser(
        tracks in proptest::collection::vec(clean_track(), 1..20),
        others in proptest::collection::vec(clean_other(), 0..4),
        spoiled in any::<prop::sample::Index>(),
        how in 0u32..16,
        time in any_time(),
        events in any::<bool>(),
    ) {
        let mut messages = numbered(tracks.into_iter().chain(others).collect());
        let i = spoiled.index(messages.len());
        if how < 14 {
            spoil(&mut messages[i], how);
        }
        messages[0]["timestamp"] = time;
        same_both_ways(&jsonl(&messages), events, false)?;
    }
}

/// Each spoiling sends a clean file to the parser, and a file the engine
/// reads itself is stored the same either way.
#[test]
fn each_spoiling_is_declined_and_a_clean_file_is_taken() {
    let clean = numbered(vec![
        json!({"type": "track", "userId": "u1", "event": "Signed In",
               "timestamp": "2026-03-01T10:00:00.5+02:00", "context": {"groupId": "acct-1"}}),
        json!({"type": "identify", "userId": "w0", "timestamp": "2026-03-01T10:00:00Z",
               "traits": {"email": "w0@example.com"}}),
        json!({"type": "track", "userId": "u2", "event": "Company Viewed",
               "sentAt": "2026-03-01T10:00:05Z", "receivedAt": "2026-03-01T10:00:07Z",
               "timestamp": "2026-03-01T10:00:00Z"}),
    ]);
    assert!(same_both_ways(&jsonl(&clean), false, false).unwrap());
    for how in 0..14 {
        let mut spoilt = clean.clone();
        spoil(&mut spoilt[2], how);
        assert!(
            !same_both_ways(&jsonl(&spoilt), false, false).unwrap(),
            "spoiling {how} was taken: {spoilt:?}"
        );
    }
}

/// The first read takes a line holding `"type":"track"` for a track and
/// parses the rest: when that is wrong, or the other calls' ids clash with
/// each other or with a track's, the file goes to the parser and is stored
/// as the parser stores it. Tracks written another way are parsed as
/// other calls would be, so the engine declines them too.
#[test]
fn the_first_reads_guesses_are_checked() {
    let track = |id: &str, user: &str| {
        json!({"type": "track", "userId": user, "event": "Signed In", "messageId": id,
               "timestamp": "2026-03-01T10:00:00Z", "context": {"groupId": "acct-1"}})
    };
    let identify = |id: &str, traits: Value| {
        json!({"type": "identify", "userId": "w0", "messageId": id,
               "timestamp": "2026-03-01T09:00:00Z", "traits": traits})
    };
    let clean = jsonl(&[
        track("t1", "u1"),
        identify("i1", json!({"role": "analyst"})),
        track("t2", "u2"),
    ]);
    assert!(same_both_ways(&clean, false, false).unwrap());
    let declined = [
        // Another call holding the text of a track's type.
        jsonl(&[track("t1", "u1"), identify("i1", json!({"type": "track"}))]),
        // A track the first read does not recognise as one.
        format!(
            "{}{}",
            jsonl(&[track("t1", "u1")]),
            r#"{"type": "track", "userId": "u2", "event": "E", "messageId": "t2"}"#
        ),
        // Another call with a track's id, and two other calls with one id.
        jsonl(&[track("t1", "u1"), identify("t1", json!({}))]),
        jsonl(&[
            track("t1", "u1"),
            identify("i1", json!({})),
            identify("i1", json!({"role": "x"})),
        ]),
    ];
    for text in declined {
        for events in [false, true] {
            assert!(!same_both_ways(&text, events, false).unwrap(), "{text}");
        }
    }
}

/// A file of several of the first read's blocks, its other calls spread
/// over them: they are put back in file order (a user's group call before
/// their identify, say, resolves the identify's account), and the file is
/// stored as the parser stores it.
#[test]
fn other_calls_across_blocks_keep_their_order() {
    let padding = "x".repeat(300);
    let messages: Vec<Value> = (0..24_000)
        .map(|i| {
            let user = format!("w{}", i % 7);
            match i % 1000 {
                0 => json!({"type": "group", "userId": user, "groupId": format!("acct-{}", i % 5),
                            "timestamp": format!("2026-03-01T10:{:02}:00Z", i / 1000)}),
                500 => json!({"type": "identify", "userId": user,
                              "timestamp": format!("2026-03-01T10:{:02}:30Z", i / 1000),
                              "traits": {"role": format!("r{i}")}}),
                _ => json!({"type": "track", "userId": format!("u{}", i % 4), "event": "Signed In",
                            "timestamp": "2026-03-01T09:00:00Z",
                            "context": {"groupId": "acct-1"}, "properties": {"pad": padding}}),
            }
        })
        .collect();
    let text = jsonl(&numbered(messages));
    assert!(text.len() > 2 * 4 * 1024 * 1024, "{}", text.len());
    assert!(same_both_ways(&text, false, false).unwrap());
}

/// The changes the commit keeps of `changes` (staged in this order into a
/// store holding none): per entity and field, in time and then staging
/// order, each whose value differs from the one before (none: `null`).
fn kept_at_commit(changes: &[EntityChange]) -> Vec<EntityChange> {
    let mut order: Vec<usize> = (0..changes.len()).collect();
    order.sort_by_key(|&i| {
        let c = &changes[i];
        (c.entity, c.id.clone(), c.field.clone(), c.at, i)
    });
    let mut kept = Vec::new();
    let mut before: Option<(&EntityChange, String)> = None;
    for i in order {
        let c = &changes[i];
        let text = c.value.to_string();
        let previous = match &before {
            Some((b, t)) if b.entity == c.entity && b.id == c.id && b.field == c.field => t.clone(),
            _ => "null".to_string(),
        };
        if text != previous {
            kept.push(c.clone());
        }
        before = Some((c, text));
    }
    kept
}

proptest! {
    /// Leaving out the repeats keeps exactly what the commit would keep of
    /// all the changes, in the same order.
    #[test]
    fn leaving_out_repeats_keeps_what_the_commit_keeps(
        changes in proptest::collection::vec(
            (any::<bool>(), 0u8..3, 0u8..2, 0u8..4, 0i64..4),
            0..60,
        )
    ) {
        let values = [json!(1), json!(1.0), json!("a"), Value::Null];
        let changes: Vec<EntityChange> = changes
            .into_iter()
            .map(|(user, id, field, value, minute)| {
                let entity = if user { Entity::User } else { Entity::Account };
                let at = imported_at() + chrono::Duration::minutes(minute);
                EntityChange::new(entity, &format!("e{id}"), &format!("f{field}"),
                                  values[value as usize].clone(), at)
            })
            .collect();
        let reduced = without_repeats(changes.clone());
        prop_assert_eq!(kept_at_commit(&reduced), kept_at_commit(&changes));
    }
}

/// Into a store with no trait history, where the engine leaves out the
/// repeated changes before staging, it stores what the parser stores.
#[test]
fn a_first_import_stores_the_changes_the_parser_does() {
    let mut messages = Vec::new();
    for i in 0..40 {
        let user = format!("w{}", i % 3);
        let minute = 59 - i;
        messages.push(json!({"type": "identify", "userId": user,
                             "timestamp": format!("2026-03-01T10:{minute:02}:00Z"),
                             "traits": {"role": if i % 7 == 0 { "admin" } else { "analyst" },
                                        "email": format!("{user}@example.com")}}));
        messages.push(
            json!({"type": "group", "userId": user, "groupId": format!("acct-{}", i % 2),
                             "timestamp": "2026-03-01T11:00:00Z",
                             "traits": {"plan": if i % 5 == 0 { "pro" } else { "free" }}}),
        );
        messages.push(json!({"type": "track", "userId": "u1", "event": "Signed In",
                             "timestamp": "2026-03-01T09:00:00Z", "context": {"groupId": "acct-1"}}));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.jsonl");
    std::fs::write(&file, jsonl(&numbered(messages))).unwrap();
    let mut parsed = DuckStore::open(&dir.path().join("parsed")).unwrap();
    let want = import(&mut parsed, &file, Reader::Parser).unwrap();
    let mut engine = DuckStore::open(&dir.path().join("engine")).unwrap();
    let found = fast(&mut engine, &file).unwrap();
    assert_eq!(found.as_ref(), Some(&want));
    assert!(
        want.changes_stored > 0 && want.changes_stored < 200,
        "{want:?}"
    );
    tenure_store::Store::refresh_rollups(&mut engine).unwrap();
    assert_eq!(contents(&engine), contents(&parsed));
}

/// Lines DuckDB's reader rejects or reads another way (not an object,
/// two on a line, a byte order mark, bad UTF-8) get the parser's error.
#[test]
fn lines_the_reader_cannot_map_get_the_parsers_error() {
    let good = r#"{"type":"track","userId":"u1","event":"E","messageId":"a"}"#;
    for bad in [
        "5",
        "null",
        "[]",
        r#"{"type":"track"} {"type":"track"}"#,
        "{\"type\":\"track\",\n",
        "\u{feff}{}",
        r#"{"type":"track","userId":"u1","userId":"u2","event":"E","messageId":"b"}"#,
    ] {
        let text = format!("{good}\n{bad}\n");
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.jsonl");
        std::fs::write(&file, &text).unwrap();
        let mut parsed = store(dir.path(), "parsed", false);
        let want = import(&mut parsed, &file, Reader::Parser);
        let mut fresh = store(dir.path(), "fresh", false);
        let got = import(&mut fresh, &file, Reader::Engine);
        assert_eq!(got, want, "{bad:?}");
        assert_eq!(contents(&fresh), contents(&parsed), "{bad:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.jsonl");
    let mut bytes = format!("{good}\n").into_bytes();
    bytes.extend_from_slice(b"{\"type\":\"track\",\"userId\":\"\xff\"}\n");
    std::fs::write(&file, bytes).unwrap();
    let mut parsed = store(dir.path(), "parsed", false);
    let mut fresh = store(dir.path(), "fresh", false);
    assert_eq!(
        import(&mut fresh, &file, Reader::Engine),
        import(&mut parsed, &file, Reader::Parser)
    );
}

/// The engine re-serialises the objects it reads: minified, numbers in
/// their shortest form; the parser keeps them as sent (`--exact`).
#[test]
fn the_engine_stores_objects_minified_and_the_parser_as_sent() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("f.jsonl");
    std::fs::write(
        &file,
        r#"{"type":"track","userId":"u1","event":"E","messageId":"a","properties":{ "price": 1.50 }}"#,
    )
    .unwrap();
    let stored = |reader| {
        let mut s = store(dir.path(), &format!("{reader:?}"), false);
        import(&mut s, &file, reader).unwrap();
        s.strings("SELECT properties FROM events WHERE message_id = 'a'")
            .unwrap()
    };
    assert_eq!(stored(Reader::Engine), [[r#"{"price":1.5}"#]]);
    assert_eq!(stored(Reader::Parser), [[r#"{ "price": 1.50 }"#]]);
}

/// The bar advances by the file's size exactly once, whether the engine
/// reads the file or declines it after reading and the parser reads it
/// again; the store's read reports fractions that never go back and end
/// at 1.
#[test]
fn progress_adds_up_to_the_file_once_either_way() {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};
    use tenure_store::{Dedup, NdjsonFile, Store};
    let clean = numbered(vec![
        json!({"type": "track", "userId": "u1", "event": "Signed In", "timestamp": "2026-03-01T10:00:00Z"});
        50
    ]);
    let mut spoilt = clean.clone();
    spoil(&mut spoilt[40], 0);
    for (messages, taken) in [(clean, true), (spoilt, false)] {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f.jsonl");
        let text = jsonl(&messages);
        std::fs::write(&file, &text).unwrap();
        let mut store = store(dir.path(), "s", false);
        let fractions = Mutex::new(Vec::new());
        store.begin_write(Dedup::AgainstAll).unwrap();
        let ndjson = NdjsonFile {
            path: file.clone(),
            gzip: false,
            max_message_bytes: 32 * 1024,
            kinds: Vec::new(),
            imported_at: imported_at(),
            tracks: 50,
            movers: Vec::new(),
            other_ids: Vec::new(),
        };
        let staged = store
            .stage_ndjson(&ndjson, &|f| fractions.lock().unwrap().push(f))
            .unwrap();
        store.abort_write().unwrap();
        assert_eq!(staged.is_some(), taken);
        let fractions = fractions.into_inner().unwrap();
        assert_eq!(fractions.last(), Some(&1.0), "{fractions:?}");
        assert!(fractions.windows(2).all(|w| w[0] <= w[1]), "{fractions:?}");

        let shown = std::sync::Arc::new(AtomicU64::new(0));
        let counter = shown.clone();
        import_events_by(
            &mut store,
            &file,
            &Taxonomy::default(),
            Limits::default(),
            imported_at(),
            Box::new(move |n| {
                counter.fetch_add(n, Ordering::Relaxed);
            }),
            Reader::Engine,
        )
        .unwrap();
        assert_eq!(
            shown.load(Ordering::Relaxed),
            text.len() as u64,
            "taken: {taken}"
        );
    }
}
