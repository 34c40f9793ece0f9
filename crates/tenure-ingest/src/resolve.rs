//! Which account an event belongs to when it names none: the user's current
//! account, as set by group calls, `context.groupId` on identify, identify's
//! `company.id` trait, or the users CSV.

use crate::segment::Message;
use std::collections::HashMap;
use tenure_core::model::Entity;
use tenure_store::{Result, Store};

/// user id -> current account id.
#[derive(Debug, Default)]
pub struct UserAccounts {
    current: HashMap<String, String>,
}

/// Memberships set by messages not yet committed.
#[derive(Debug, Default)]
pub struct Pending(HashMap<String, Option<String>>);

impl UserAccounts {
    pub fn load(store: &dyn Store) -> Result<Self> {
        Ok(Self {
            current: store.user_accounts()?.into_iter().collect(),
        })
    }

    fn lookup<'a>(&'a self, pending: &'a Pending, user: &str) -> Option<&'a str> {
        match pending.0.get(user) {
            Some(set) => set.as_deref(),
            None => self.current.get(user).map(String::as_str),
        }
    }

    /// Fills in the account of each message that names none (in order, so a
    /// group call earlier in the same batch counts) and notes the
    /// memberships the messages change in `pending`.
    pub fn resolve(&self, message: &mut Message, pending: &mut Pending) {
        if message.event.account_id.is_none()
            && let Some(user) = &message.event.user_id
        {
            message.event.account_id = self.lookup(pending, user).map(str::to_string);
        }
        for c in &message.changes {
            if c.entity == Entity::User && c.field == "account_id" {
                pending
                    .0
                    .insert(c.id.clone(), c.value.as_str().map(str::to_string));
            }
        }
    }

    /// Makes pending memberships current (after their commit).
    pub fn commit(&mut self, pending: Pending) {
        for (user, account) in pending.0 {
            match account {
                Some(a) => self.current.insert(user, a),
                None => self.current.remove(&user),
            };
        }
    }
}
