//! `tenure serve`.

use super::{demo, init_tracing, load_config, open_store};
use crate::cli::ServeArgs;
use std::io::Write;
use std::sync::Arc;
use tenure_core::SystemClock;
use tenure_core::config::Overrides;
use tenure_store::Store;

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing("info");
    // --demo without --data: a fresh temporary store, removed on exit.
    let demo_dir = match (args.demo, &args.store.data) {
        (true, None) => Some(tempfile::Builder::new().prefix("tenure-demo-").tempdir()?),
        _ => None,
    };
    let mut store_args = args.store.clone();
    if let Some(dir) = &demo_dir {
        store_args.data = Some(dir.path().to_path_buf());
    }
    let config = load_config(
        &store_args,
        Overrides {
            data: None,
            listen: args.listen,
            dedup_window_days: args.dedup_window_days,
        },
    )?;
    let mut store = open_store(&config)?;
    let demo_keys = if args.demo {
        Some(demo::load(&mut store, &config, args.demo_preset)?)
    } else {
        None
    };
    if demo_keys.is_none() && store.live_keys()?.is_empty() {
        eprintln!(
            "note: this store has no keys yet; stop the server and run `tenure keys create --write --data {}` (and `--role admin`)",
            config.data_dir.display()
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let clock: Arc<dyn tenure_core::Clock> = match args.clock_start {
            Some(start) => Arc::new(tenure_core::time::StartedClock::new(start)),
            None => Arc::new(SystemClock),
        };
        let state = tenure_server::prepare(config.clone(), Box::new(store), clock)?;
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        tracing::info!(message = "Listening.", %addr, data = %config.data_dir.display());
        // Scripts and tests read the address (and demo keys) from these
        // lines. A closed stdout must not stop the server.
        let mut text = format!("tenure listening on http://{addr}\n");
        if let Some(keys) = &demo_keys {
            text += &format!(
                "demo admin key: {}\ndemo write key: {}\ntry: curl -H 'Authorization: Bearer {}' http://{addr}/api/v1/stats\ndashboard: http://{addr}/ (sign in with the admin key)\n",
                keys.admin, keys.write, keys.admin
            );
        }
        let mut stdout = std::io::stdout();
        let _ = stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush());
        tenure_server::serve(state, listener, shutdown_signal()).await?;
        tracing::info!(message = "Stopped cleanly.");
        Ok(())
    })
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!(message = "Shutdown requested; finishing in-flight batches.");
}
