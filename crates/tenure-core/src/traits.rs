//! The traits Tenure understands, and how their values are normalised.
//!
//! `group` calls and the accounts CSV set account fields; `identify` calls
//! and the users CSV set user fields. Recognised fields are checked and
//! normalised here, once, for both paths; any other trait is kept as it came
//! (free-form traits).

use crate::model::Entity;
use crate::time::{format_timestamp, parse_date, parse_timestamp};
use serde_json::Value;

/// Recognised account fields.
pub const ACCOUNT_FIELDS: &[&str] = &[
    "id",
    "name",
    "plan",
    "mrr",
    "seats_purchased",
    "renewal_date",
    "archived",
    "has_portal_access",
    "csm_owner",
    "created_at",
];

/// Recognised user fields (`account_id` is set by group calls, by
/// `context.groupId` and by the users CSV).
pub const USER_FIELDS: &[&str] = &[
    "id",
    "email",
    "name",
    "role",
    "seat_assigned_at",
    "groups",
    "account_id",
    "created_at",
];

#[derive(Clone, Copy)]
enum Shape {
    Text,
    Number,
    Count,
    Date,
    Time,
    Flag,
    List,
}

fn shape(entity: Entity, field: &str) -> Option<Shape> {
    let shape = match (entity, field) {
        (_, "id" | "name") => Shape::Text,
        (_, "created_at") => Shape::Time,
        (Entity::Account, "plan" | "csm_owner") => Shape::Text,
        (Entity::Account, "mrr") => Shape::Number,
        (Entity::Account, "seats_purchased") => Shape::Count,
        (Entity::Account, "renewal_date") => Shape::Date,
        (Entity::Account, "archived" | "has_portal_access") => Shape::Flag,
        (Entity::User, "email" | "role" | "account_id") => Shape::Text,
        (Entity::User, "seat_assigned_at") => Shape::Time,
        (Entity::User, "groups") => Shape::List,
        _ => return None,
    };
    Some(shape)
}

/// Whether `field` is one Tenure understands for this entity.
pub fn is_recognised(entity: Entity, field: &str) -> bool {
    shape(entity, field).is_some()
}

/// Checks and normalises a JSON trait value. `null` always passes (it unsets
/// the field); free-form traits pass unchanged. The error says what was
/// expected.
pub fn normalise(entity: Entity, field: &str, value: &Value) -> Result<Value, String> {
    let Some(shape) = shape(entity, field) else {
        return Ok(value.clone());
    };
    if value.is_null() {
        return Ok(Value::Null);
    }
    match value {
        Value::String(text) => from_text(entity, field, text),
        _ => match shape {
            Shape::Text => match value {
                Value::Number(n) => Ok(Value::String(n.to_string())),
                _ => Err("expected a string".into()),
            },
            Shape::Number => match value.as_f64() {
                Some(n) if n.is_finite() && n >= 0.0 => Ok(Value::from(n)),
                _ => Err("expected a non-negative number".into()),
            },
            Shape::Count => match value.as_u64() {
                Some(n) if n <= i32::MAX as u64 => Ok(Value::from(n)),
                _ => Err("expected a whole number from 0".into()),
            },
            Shape::Flag => match value {
                Value::Bool(b) => Ok(Value::Bool(*b)),
                Value::Number(n) if n.as_u64() == Some(0) => Ok(Value::Bool(false)),
                Value::Number(n) if n.as_u64() == Some(1) => Ok(Value::Bool(true)),
                _ => Err("expected true or false".into()),
            },
            Shape::List => match value {
                Value::Array(items) => list(items.iter().map(|v| match v {
                    Value::String(s) => Ok(s.trim().to_string()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err("expected a list of group ids".to_string()),
                })),
                _ => Err("expected a list of group ids".into()),
            },
            Shape::Date => Err("expected a date (YYYY-MM-DD)".into()),
            Shape::Time => Err("expected a timestamp (ISO 8601)".into()),
        },
    }
}

/// Checks and normalises a trait given as text (a CSV cell, or a JSON
/// string). An empty text is `null` for recognised fields.
pub fn from_text(entity: Entity, field: &str, text: &str) -> Result<Value, String> {
    let Some(shape) = shape(entity, field) else {
        return Ok(Value::String(text.to_string()));
    };
    let text = text.trim();
    if text.is_empty() {
        return Ok(Value::Null);
    }
    match shape {
        Shape::Text => Ok(Value::String(text.to_string())),
        Shape::Number => match text.parse::<f64>() {
            Ok(n) if n.is_finite() && n >= 0.0 => Ok(Value::from(n)),
            _ => Err(format!("expected a non-negative number, got {text:?}")),
        },
        Shape::Count => match text.parse::<u32>() {
            Ok(n) if n <= i32::MAX as u32 => Ok(Value::from(n)),
            _ => Err(format!("expected a whole number from 0, got {text:?}")),
        },
        Shape::Flag => match text.to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "t" | "y" => Ok(Value::Bool(true)),
            "false" | "0" | "no" | "f" | "n" => Ok(Value::Bool(false)),
            _ => Err(format!("expected true or false, got {text:?}")),
        },
        Shape::Date => parse_date(text)
            .map(|d| Value::String(d.format("%Y-%m-%d").to_string()))
            .ok_or_else(|| format!("expected a date (YYYY-MM-DD), got {text:?}")),
        Shape::Time => parse_timestamp(text)
            .map(|t| Value::String(format_timestamp(t)))
            .ok_or_else(|| format!("expected a timestamp (ISO 8601), got {text:?}")),
        Shape::List => list(
            text.split([';', '|'])
                .map(|s| Ok(s.trim().to_string()))
                .filter(|s: &Result<String, String>| s.as_ref().is_ok_and(|s| !s.is_empty())),
        ),
    }
}

fn list(items: impl Iterator<Item = Result<String, String>>) -> Result<Value, String> {
    let mut ids = items.collect::<Result<Vec<_>, _>>()?;
    ids.retain(|s| !s.is_empty());
    ids.sort();
    ids.dedup();
    Ok(Value::Array(ids.into_iter().map(Value::String).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn recognised_fields_are_normalised() {
        let a = Entity::Account;
        assert_eq!(
            normalise(a, "mrr", &json!("1200.5")).unwrap(),
            json!(1200.5)
        );
        assert_eq!(normalise(a, "mrr", &json!(10)).unwrap(), json!(10.0));
        assert_eq!(
            normalise(a, "seats_purchased", &json!(25)).unwrap(),
            json!(25)
        );
        assert_eq!(
            normalise(a, "archived", &json!("yes")).unwrap(),
            json!(true)
        );
        assert_eq!(normalise(a, "archived", &json!(0)).unwrap(), json!(false));
        assert_eq!(
            normalise(a, "renewal_date", &json!("2025-03-31T10:00:00Z")).unwrap(),
            json!("2025-03-31")
        );
        let u = Entity::User;
        assert_eq!(
            normalise(u, "groups", &json!(["emea", "sales", "emea"])).unwrap(),
            json!(["emea", "sales"])
        );
        assert_eq!(
            from_text(u, "groups", "sales; emea").unwrap(),
            json!(["emea", "sales"])
        );
        assert_eq!(
            normalise(u, "seat_assigned_at", &json!("2024-01-02T03:04:05+00:00")).unwrap(),
            json!("2024-01-02T03:04:05Z")
        );
        assert_eq!(
            normalise(u, "seat_assigned_at", &json!(null)).unwrap(),
            json!(null)
        );
        assert_eq!(from_text(u, "seat_assigned_at", "").unwrap(), json!(null));
    }

    #[test]
    fn bad_values_say_what_was_expected() {
        let a = Entity::Account;
        assert!(
            normalise(a, "mrr", &json!(-1))
                .unwrap_err()
                .contains("non-negative")
        );
        assert!(normalise(a, "seats_purchased", &json!(2.5)).is_err());
        assert!(
            normalise(a, "archived", &json!("maybe"))
                .unwrap_err()
                .contains("true or false")
        );
        assert!(
            normalise(a, "renewal_date", &json!("soon"))
                .unwrap_err()
                .contains("date")
        );
        assert!(normalise(Entity::User, "groups", &json!({"a": 1})).is_err());
    }

    #[test]
    fn free_form_traits_pass_unchanged() {
        let value = json!({"nested": [1, 2]});
        assert_eq!(
            normalise(Entity::Account, "industry", &value).unwrap(),
            value
        );
        assert!(!is_recognised(Entity::Account, "industry"));
        assert!(is_recognised(Entity::User, "groups"));
    }
}
