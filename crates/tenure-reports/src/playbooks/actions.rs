//! The outbox items of an occurrence that fires: one per action, keyed by
//! its idempotency key, carrying everything the sender needs (the
//! rendered message, the webhook body to sign) except secrets, which the
//! sender reads from the config.

use super::Occurrence;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tenure_core::delivery::idempotency_key;
use tenure_core::messages::Templates;
use tenure_core::playbooks::{Action, Playbook, Recipient};
use tenure_store::{AccountAt, OutboxItem, OutboxStatus, UserActivity};

/// What a template sees (see `tenure_core::messages`).
fn context(
    playbook: &Playbook,
    o: &Occurrence,
    account: Option<&AccountAt>,
    user: Option<&UserActivity>,
) -> Value {
    json!({
        "playbook": playbook.name,
        "trigger": playbook.trigger.name(),
        "summary": o.summary,
        "data": o.data,
        "user": {
            "id": o.user_id,
            "email": user.and_then(|u| u.email.clone()),
        },
        "account": {
            "id": o.account_id,
            "name": account.and_then(|a| a.name.clone()),
            "plan": account.and_then(|a| a.plan.clone()),
            "csm_owner": account.and_then(|a| a.csm_owner.clone()),
        },
    })
}

/// A rendered template, or the error as the item's payload (the sender
/// then makes it a dead letter naming the template).
fn render(templates: &Templates, name: &str, context: &Value) -> Value {
    match templates.render(name, context) {
        Ok(m) => json!({"subject": m.subject, "body": m.body}),
        Err(e) => json!({"error": e}),
    }
}

pub(super) fn items(
    templates: &Templates,
    playbook: &Playbook,
    o: &Occurrence,
    account: Option<&AccountAt>,
    user: Option<&UserActivity>,
    occurred_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<OutboxItem> {
    let subject_key = format!(
        "{}/{}",
        o.account_id.as_deref().unwrap_or(""),
        o.user_id.as_deref().unwrap_or("")
    );
    let ctx = context(playbook, o, account, user);
    playbook
        .actions
        .iter()
        .enumerate()
        .map(|(i, action)| {
            let payload = match action {
                Action::Webhook { url, slack, .. } => {
                    let body = if *slack {
                        json!({"text": format!("*{}*: {}", playbook.name, o.summary)})
                    } else {
                        json!({
                            "playbook": playbook.name,
                            "trigger": playbook.trigger.name(),
                            "subject": {"account_id": o.account_id, "user_id": o.user_id},
                            "occurred_at": occurred_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                            "data": o.data,
                        })
                    };
                    json!({"url": url, "body": body.to_string()})
                }
                Action::Email { to, template } => {
                    let (address, missing) = match to {
                        Recipient::User => (
                            user.and_then(|u| u.email.clone()),
                            format!(
                                "user {} has no email",
                                o.user_id.as_deref().unwrap_or("?")
                            ),
                        ),
                        Recipient::Csm => (
                            account
                                .and_then(|a| a.csm_owner.clone())
                                .filter(|o| o.contains('@')),
                            format!(
                                "account {} has no csm_owner address",
                                o.account_id.as_deref().unwrap_or("?")
                            ),
                        ),
                        Recipient::Address(a) => (Some(a.clone()), String::new()),
                    };
                    let mut m = render(templates, template, &ctx);
                    match address {
                        Some(a) => m["to"] = json!(a),
                        None => m["error"] = json!(missing),
                    }
                    m
                }
                Action::InApp { template } => {
                    let mut m = render(templates, template, &ctx);
                    m["template"] = json!(template);
                    m
                }
                Action::Task { title } => json!({
                    "title": title,
                    "detail": o.summary,
                    "owner": account.and_then(|a| a.csm_owner.clone()),
                }),
                Action::SetTrait {
                    on_account,
                    name,
                    value,
                } => json!({
                    "entity": if *on_account { "account" } else { "user" },
                    "id": if *on_account { &o.account_id } else { &o.user_id },
                    "name": name,
                    "value": value,
                }),
            };
            OutboxItem {
                id: idempotency_key(&playbook.name, i, &subject_key, &o.id),
                playbook: playbook.name.clone(),
                action: i as u32,
                channel: action.channel().into(),
                account_id: o.account_id.clone(),
                user_id: o.user_id.clone(),
                occurrence: o.id.clone(),
                payload,
                status: OutboxStatus::Pending,
                attempts: 0,
                next_at: now,
                last_error: None,
                created_at: now,
                delivered_at: None,
            }
        })
        .collect()
}
