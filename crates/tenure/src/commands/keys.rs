//! `tenure keys create|list|revoke`.

use super::{load_config, open_store};
use crate::cli::{Format, KeyRole, KeysCommand};
use tenure_core::Role;
use tenure_core::config::Overrides;
use tenure_core::time::format_timestamp;
use tenure_store::Store;

pub fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    match cmd {
        KeysCommand::Create {
            store,
            write,
            role,
            account,
            label,
        } => {
            let role = match (write, role) {
                (true, _) => Role::Write,
                (false, Some(KeyRole::Admin)) => Role::Admin,
                (false, Some(KeyRole::Viewer)) => Role::Viewer,
                (false, Some(KeyRole::AccountAdmin)) => Role::AccountAdmin,
                (false, None) => anyhow::bail!("say --write or --role"),
            };
            if account.is_some() && role != Role::AccountAdmin {
                anyhow::bail!("--account goes with --role account-admin only");
            }
            let config = load_config(&store, Overrides::default())?;
            let mut store = open_store(&config)?;
            let (secret, key) =
                tenure_server::keys::generate(role, account, label, chrono::Utc::now());
            store.create_key(&key)?;
            println!("created {} key {}", role.as_str(), key.id);
            if role == Role::Write {
                println!(
                    "send it as HTTP Basic auth user name (empty password), or as writeKey in the body"
                );
            } else {
                println!("send it as: Authorization: Bearer <key>");
            }
            println!("the secret is shown once, on the next line:");
            println!("{secret}");
        }
        KeysCommand::List { store, format } => {
            let config = load_config(&store, Overrides::default())?;
            let keys = open_store(&config)?.list_keys()?;
            match format {
                Format::Json => println!("{}", serde_json::to_string_pretty(&keys)?),
                Format::Table => {
                    println!(
                        "{:<18} {:<14} {:<14} {:<14} {:<22} {:<10} label",
                        "id", "role", "account", "prefix", "created", "status"
                    );
                    for k in keys {
                        println!(
                            "{:<18} {:<14} {:<14} {:<14} {:<22} {:<10} {}",
                            k.id,
                            k.role.as_str(),
                            k.account_id.as_deref().unwrap_or("-"),
                            k.prefix,
                            format_timestamp(k.created_at),
                            if k.revoked_at.is_some() {
                                "revoked"
                            } else {
                                "live"
                            },
                            k.label.as_deref().unwrap_or("")
                        );
                    }
                }
            }
        }
        KeysCommand::Revoke { store, id } => {
            let config = load_config(&store, Overrides::default())?;
            let mut store = open_store(&config)?;
            if store.revoke_key(&id, chrono::Utc::now())? {
                println!("revoked {id}");
            } else {
                anyhow::bail!("no live key with id {id}");
            }
        }
    }
    Ok(())
}
