//! `tenure serve`.

use super::{init_tracing, load_config, open_store};
use crate::cli::ServeArgs;
use std::sync::Arc;
use tenure_core::SystemClock;
use tenure_core::config::Overrides;
use tenure_store::Store;

pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing("info");
    let config = load_config(
        &args.store,
        Overrides {
            data: None,
            listen: args.listen,
            dedup_window_days: args.dedup_window_days,
        },
    )?;
    let store = open_store(&config)?;
    if store.live_keys()?.is_empty() {
        eprintln!(
            "note: this store has no keys yet; stop the server and run `tenure keys create --write --data {}` (and `--role admin`)",
            config.data_dir.display()
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let state = tenure_server::prepare(config.clone(), Box::new(store), Arc::new(SystemClock))?;
        let listener = tokio::net::TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        tracing::info!(message = "Listening.", %addr, data = %config.data_dir.display());
        // Scripts and tests read the address from this line.
        println!("tenure listening on http://{addr}");
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
