//! `productivity`: messages sent and accepted, acceptance rate, unique
//! connections and shares, per user (default), group or account (`by`).

use crate::{Cell, ReportError, Request, Table, ratio};
use tenure_core::report::ParamError;
use tenure_store::{Rows, Store};

/// The counts every layout ends with.
const COUNTS: &[&str] = &[
    "messages_sent",
    "messages_accepted",
    "acceptance_rate",
    "unique_connections",
    "shares",
];

fn rows_of(by: Option<&str>) -> Result<Rows, ReportError> {
    match by.unwrap_or("user") {
        "user" => Ok(Rows::User),
        "group" => Ok(Rows::Group),
        "account" => Ok(Rows::Account),
        other => {
            Err(ParamError::new("by", format!("{other:?} is not user, group or account")).into())
        }
    }
}

pub(crate) fn report(store: &dyn Store, request: &Request) -> Result<Table, ReportError> {
    let rows = rows_of(request.by.as_deref())?;
    let lead: &[&str] = match rows {
        Rows::User => &["user_id", "account_id"],
        Rows::Group => &["group_id", "account_id", "users"],
        Rows::Account => &["account_id", "users"],
    };
    let mut table = Table::new(&[lead, COUNTS].concat());
    for p in store.productivity(request.period, &request.scope, rows, &request.config)? {
        let mut row: Vec<Cell> = match rows {
            Rows::User => vec![p.key.into(), p.account_id.into()],
            Rows::Group => vec![p.key.into(), p.account_id.into(), p.users.into()],
            Rows::Account => vec![p.account_id.into(), p.users.into()],
        };
        row.extend([
            p.messages_sent.into(),
            p.messages_accepted.into(),
            ratio(p.messages_accepted, p.messages_sent),
            p.unique_connections.into(),
            p.shares.into(),
        ]);
        table.push(row);
    }
    Ok(table)
}
