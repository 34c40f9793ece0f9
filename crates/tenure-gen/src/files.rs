//! Writes the output directory: `accounts.csv`, `users.csv`,
//! `events.jsonl.gz`, `truth.csv`, `truth.json` (and `noise.csv` with
//! `--noise`).
//!
//! Events go out month by month: a month's events are drawn in parallel by
//! account, sorted by time, then rendered and compressed in parallel in
//! fixed chunks, each chunk one gzip member (a multi-member gzip file, which
//! every gzip reader reads as one stream). Chunk boundaries depend only on
//! the data, so the bytes do not depend on the number of threads.

use crate::activity::{Ev, account_month};
use crate::noise;
use crate::params::{ParamError, Params};
use crate::render::{self, REGIONS, TEAMS};
use crate::truth;
use crate::world::World;
use libdeflater::{CompressionLvl, Compressor};
use rayon::prelude::*;
use serde_json::json;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Events per gzip member.
const CHUNK: usize = 64 * 1024;
/// Chunks rendered at once (bounds the memory of rendered text).
const CHUNKS_IN_FLIGHT: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum GenError {
    #[error(transparent)]
    Params(#[from] ParamError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What was written.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Summary {
    pub accounts: u64,
    pub users: u64,
    /// Messages in `events.jsonl.gz`, noise lines not included.
    pub events: u64,
    pub noise_lines: u64,
    /// Size of `events.jsonl.gz`.
    pub gzip_bytes: u64,
    pub seconds: f64,
}

struct Out {
    path: PathBuf,
    file: BufWriter<File>,
}

impl Out {
    fn create(dir: &Path, name: &str) -> Result<Out, GenError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|source| GenError::Io {
            path: path.clone(),
            source,
        })?;
        Ok(Out {
            path,
            file: BufWriter::with_capacity(1 << 20, file),
        })
    }

    fn err(&self) -> impl Fn(std::io::Error) -> GenError + '_ {
        |source| GenError::Io {
            path: self.path.clone(),
            source,
        }
    }

    fn finish(mut self) -> Result<(), GenError> {
        self.file.flush().map_err(self.err())
    }

    /// Writes a whole file with `f`, naming the file in any error.
    fn write_all(
        dir: &Path,
        name: &str,
        f: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<()>,
    ) -> Result<(), GenError> {
        let mut out = Out::create(dir, name)?;
        let result = f(&mut out.file);
        result.map_err(out.err())?;
        out.finish()
    }
}

/// Generates everything into `dir` (created if missing). `progress` gets the
/// number of events written so far and an estimate of the total.
pub fn generate(
    params: &Params,
    dir: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Summary, GenError> {
    params.validate()?;
    let started = Instant::now();
    std::fs::create_dir_all(dir).map_err(|source| GenError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let w = World::build(params);
    write_accounts(&w, dir)?;
    write_users(&w, dir)?;
    let mut events = Out::create(dir, "events.jsonl.gz")?;
    let mut truth_rows = Out::create(dir, "truth.csv")?;
    let mut noise_rows = if params.noise > 0.0 {
        let mut out = Out::create(dir, "noise.csv")?;
        writeln!(out.file, "line,kind,message_id").map_err(out.err())?;
        Some(out)
    } else {
        None
    };
    writeln!(
        truth_rows.file,
        "month,user_id,account_id,archetype,licensed"
    )
    .map_err(truth_rows.err())?;
    let estimate = estimate_events(&w);
    let mut carry: Vec<Ev> = Vec::new();
    let (mut n, mut line, mut noise_lines, mut gzip_bytes) = (0u64, 0u64, 0u64, 0u64);
    for m in 0..w.cal.month_count() {
        let mut month: Vec<Ev> = (0..params.accounts)
            .into_par_iter()
            .flat_map_iter(|a| {
                let mut v = Vec::new();
                account_month(&w, a, m, &mut v);
                v
            })
            .collect();
        month.append(&mut carry);
        month.par_sort_unstable();
        let cut = month.partition_point(|e| e.ts < w.cal.months[m + 1]);
        carry = month.split_off(cut);
        for group in month.chunks(CHUNK * CHUNKS_IN_FLIGHT) {
            let base = n;
            let parts: Vec<Part> = group
                .par_chunks(CHUNK)
                .enumerate()
                .map(|(i, chunk)| render_chunk(&w, chunk, base + (i * CHUNK) as u64))
                .collect();
            for part in parts {
                events.file.write_all(&part.gzip).map_err(events.err())?;
                gzip_bytes += part.gzip.len() as u64;
                if let Some(out) = noise_rows.as_mut() {
                    for (local, kind, id) in &part.noise {
                        writeln!(
                            out.file,
                            "{},{},{}",
                            line + local,
                            kind.name(),
                            id.as_deref().unwrap_or("")
                        )
                        .map_err(out.err())?;
                    }
                }
                noise_lines += part.noise.len() as u64;
                line += part.lines;
            }
            n += group.len() as u64;
            progress(n, estimate.max(n));
        }
        truth::month_rows(&w, m, &mut truth_rows.file).map_err(truth_rows.err())?;
    }
    events.finish()?;
    truth_rows.finish()?;
    if let Some(out) = noise_rows {
        out.finish()?;
    }
    let summary = Summary {
        accounts: w.accounts.len() as u64,
        users: w.users.len() as u64,
        events: n,
        noise_lines,
        gzip_bytes,
        seconds: started.elapsed().as_secs_f64(),
    };
    let counts = json!({"accounts": summary.accounts, "users": summary.users,
                        "events": summary.events, "noise_lines": summary.noise_lines});
    let mut out = Out::create(dir, "truth.json")?;
    serde_json::to_writer_pretty(&mut out.file, &truth::document(&w, counts)).map_err(|e| {
        GenError::Io {
            path: out.path.clone(),
            source: e.into(),
        }
    })?;
    out.file.write_all(b"\n").map_err(out.err())?;
    out.finish()?;
    Ok(summary)
}

/// One gzip member: rendered, compressed lines and the noise among them.
struct Part {
    gzip: Vec<u8>,
    lines: u64,
    /// (line within the part, 1-based; kind; messageId carried).
    noise: Vec<(u64, noise::Noise, Option<String>)>,
}

fn render_chunk(w: &World, chunk: &[Ev], first: u64) -> Part {
    let mut text = Vec::with_capacity(chunk.len() * 240);
    let mut noise_at = Vec::new();
    let mut lines = 0u64;
    for (i, e) in chunk.iter().enumerate() {
        let n = first + i as u64;
        let start = text.len();
        render::message(w, e, n, &mut text);
        lines += 1;
        if let Some(kind) = noise::after(w.params.seed, w.params.noise, n) {
            let original = text[start..].to_vec();
            let id = noise::write(kind, w.params.seed, n, &original, &mut text);
            lines += 1;
            noise_at.push((lines, kind, id));
        }
    }
    let mut compressor = Compressor::new(CompressionLvl::new(2).expect("a valid level"));
    let mut gzip = vec![0; compressor.gzip_compress_bound(text.len())];
    let size = compressor
        .gzip_compress(&text, &mut gzip)
        .expect("the bound is enough");
    gzip.truncate(size);
    Part {
        gzip,
        lines,
        noise: noise_at,
    }
}

/// A rough count of events, for the progress bar only.
fn estimate_events(w: &World) -> u64 {
    let present = w
        .archetypes
        .iter()
        .filter(|&&c| (1..=3).contains(&c))
        .count() as u64;
    present * 20
}

fn write_accounts(w: &World, dir: &Path) -> Result<(), GenError> {
    Out::write_all(dir, "accounts.csv", |out| {
        writeln!(
            out,
            "id,name,plan,mrr,seats_purchased,renewal_date,archived,has_portal_access,csm_owner,created_at,region,industry"
        )?;
        for (a, acc) in w.accounts.iter().enumerate() {
            let renewal = next_anniversary(w, acc.created);
            writeln!(
                out,
                "acct-{a},{},{},{},{},{},false,{},{},{},{},{}",
                names::company(w.params.seed, a as u64),
                acc.plan.name(),
                acc.seats * acc.plan.seat_price(),
                acc.seats,
                w.cal.date(renewal),
                acc.portal,
                names::CSMS[acc.csm as usize],
                w.cal.timestamp(acc.created),
                REGIONS[acc.region as usize],
                names::INDUSTRIES[acc.industry as usize],
            )?;
        }
        Ok(())
    })
}

/// The first anniversary of `created` on or after the window's start.
fn next_anniversary(w: &World, created: i64) -> i64 {
    let year = 365 * crate::calendar::DAY;
    let mut t = created + year;
    while t < w.cal.start {
        t += year;
    }
    t
}

fn write_users(w: &World, dir: &Path) -> Result<(), GenError> {
    Out::write_all(dir, "users.csv", |out| {
        writeln!(
            out,
            "id,account_id,email,name,role,seat_assigned_at,groups,created_at"
        )?;
        for (u, user) in w.users.iter().enumerate() {
            let (first, last) = names::person(w.params.seed, u as u64);
            writeln!(
                out,
                "usr-{u},acct-{},{},{} {},{},{},{};{},{}",
                user.account,
                names::email(w, u as u32),
                first,
                last,
                names::ROLES[user.role as usize],
                user.seat.map(|s| w.cal.timestamp(s)).unwrap_or_default(),
                REGIONS[user.region as usize],
                TEAMS[user.team as usize],
                w.cal.timestamp(user.created),
            )?;
        }
        Ok(())
    })
}

/// Made-up names.
pub(crate) mod names {
    use crate::rng::mix;

    pub const CSMS: &[&str] = &[
        "ann", "bob", "chen", "dara", "eli", "fatima", "goran", "hana",
    ];
    pub const INDUSTRIES: &[&str] = &[
        "software",
        "finance",
        "healthcare",
        "manufacturing",
        "retail",
        "consulting",
    ];
    pub const ROLES: &[&str] = &["admin", "manager", "analyst", "sales_rep"];
    const HEADS: &[&str] = &[
        "Nor", "Vel", "Quan", "Bri", "Ox", "Lum", "Tera", "Cor", "Zen", "Ast", "Kin", "Mar", "Sol",
        "Pax", "Ver", "Hal",
    ];
    const TAILS: &[&str] = &[
        "vex", "ora", "tix", "nova", "gate", "line", "wise", "core", "ly", "sys", "io", "ant",
    ];
    const KINDS: &[&str] = &[
        "Labs",
        "Group",
        "Partners",
        "Systems",
        "Capital",
        "Health",
        "Logistics",
        "Media",
    ];
    const FIRST: &[&str] = &[
        "Ava", "Ben", "Carla", "Dev", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jon", "Kira",
        "Liam", "Maya", "Noah", "Olga", "Pablo", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
        "Wei", "Yara", "Zoe",
    ];
    const LAST: &[&str] = &[
        "Adams", "Berg", "Costa", "Diaz", "Evans", "Fischer", "Garcia", "Haas", "Ito", "Jensen",
        "Kowalski", "Lopez", "Moreau", "Novak", "Okafor", "Patel", "Rossi", "Silva", "Tanaka",
        "Weber",
    ];

    fn pick(list: &[&'static str], h: u64) -> &'static str {
        list[(h % list.len() as u64) as usize]
    }

    pub fn company(seed: u64, a: u64) -> String {
        let h = mix(seed ^ mix(a ^ 0xC0));
        format!(
            "{}{} {}",
            pick(HEADS, h),
            pick(TAILS, h >> 16),
            pick(KINDS, h >> 32)
        )
    }

    pub fn person(seed: u64, u: u64) -> (&'static str, &'static str) {
        let h = mix(seed ^ mix(u ^ 0x9E));
        (pick(FIRST, h), pick(LAST, h >> 20))
    }

    /// User `u`'s email: on its account's domain.
    pub fn email(w: &crate::world::World, u: u32) -> String {
        let (first, last) = person(w.params.seed, u64::from(u));
        format!(
            "{}.{}.{u}@acct{}.example.com",
            first.to_lowercase(),
            last.to_lowercase(),
            w.users[u as usize].account
        )
    }
}
