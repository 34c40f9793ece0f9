//! `tenure gen`: writes a generated dataset, with a progress bar on a
//! terminal and a summary line.

use crate::cli::{GenArgs, PresetArg};
use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use tenure_gen::{Params, Preset};

pub fn preset(arg: PresetArg) -> Preset {
    match arg {
        PresetArg::Small => Preset::Small,
        PresetArg::Medium => Preset::Medium,
        PresetArg::Large => Preset::Large,
    }
}

/// Generates `params` into `dir` with a progress bar (hidden when stderr is
/// not a terminal).
pub fn generate(params: &Params, dir: &std::path::Path) -> anyhow::Result<tenure_gen::Summary> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "generating [{bar:30}] {human_pos}/~{human_len} events {per_sec} eta {eta}",
        )
        .expect("the template is valid")
        .progress_chars("=> "),
    );
    let summary = tenure_gen::generate(params, dir, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })
    .with_context(|| format!("generating into {}", dir.display()));
    bar.finish_and_clear();
    summary
}

pub fn run(args: GenArgs) -> anyhow::Result<()> {
    let mut params = preset(args.preset.unwrap_or(PresetArg::Small)).params(args.seed);
    if let Some(n) = args.accounts {
        params.accounts = n;
    }
    if let Some(n) = args.users_per_account {
        params.users_per_account = n;
    }
    if let Some(n) = args.months {
        params.months = n;
    }
    if let Some(end) = &args.end {
        params.end = chrono::NaiveDate::parse_from_str(end, "%Y-%m-%d")
            .map_err(|_| anyhow::anyhow!("--end: {end:?} is not a date (YYYY-MM-DD)"))?;
    }
    params.noise = args.noise.unwrap_or(0.0);
    params.validate().map_err(|e| anyhow::anyhow!("--{e}"))?;
    let s = generate(&params, &args.out)?;
    println!(
        "{}: {} accounts, {} users, {} events ({} noise lines), {:.1} MB gzip, {:.1}s ({:.0} events/s)",
        args.out.display(),
        s.accounts,
        s.users,
        s.events,
        s.noise_lines,
        s.gzip_bytes as f64 / 1e6,
        s.seconds,
        s.events as f64 / s.seconds.max(1e-9)
    );
    Ok(())
}
