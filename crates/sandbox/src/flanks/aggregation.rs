//! The Aggregation API: one POST per product, a bare JSON array (or the `auth` object),
//! numeric error bodies while pending / SCA-required / errored.

use crate::guesses::PASSWORD_LOOSE_ANSWERS;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::api::authorize;
use super::errors::{object_body, str_field, FlanksError};
use crate::state::{AppState, Cred};

pub const PRODUCTS: &[&str] = &[
    "portfolio",
    "investment",
    "investment/transaction",
    "investment/hist",
    "account",
    "data",
    "card",
    "card/transaction",
    "liability",
    "liability/transaction",
    "auth",
    "holder",
    "all",
];

fn to_values<T: Serialize>(items: &[T]) -> Vec<Value> {
    items
        .iter()
        .filter_map(|i| serde_json::to_value(i).ok())
        .collect()
}

/// `query` is matched field by field: a plain value means equality, an object may use
/// `$gte`/`$gt`/`$lte`/`$lt`/`$in` (our reading of the docs' "query" parameter).
fn matches(item: &Value, query: &Map<String, Value>) -> bool {
    query.iter().all(|(k, cond)| {
        let v = item.get(k).unwrap_or(&Value::Null);
        match cond {
            Value::Object(ops) if ops.keys().all(|o| o.starts_with('$')) => {
                ops.iter().all(|(op, x)| match op.as_str() {
                    "$gte" => cmp(v, x).is_some_and(|o| o.is_ge()),
                    "$gt" => cmp(v, x).is_some_and(|o| o.is_gt()),
                    "$lte" => cmp(v, x).is_some_and(|o| o.is_le()),
                    "$lt" => cmp(v, x).is_some_and(|o| o.is_lt()),
                    "$in" => x.as_array().is_some_and(|a| a.contains(v)),
                    _ => false,
                })
            }
            other => v == other,
        }
    })
}

fn cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        _ => None,
    }
}

fn product_items(c: &Cred, product: &str) -> Vec<Value> {
    let d = &c.data;
    match product {
        "portfolio" => to_values(&d.portfolios),
        "investment" => to_values(&d.investments),
        "investment/transaction" | "investment/hist" => to_values(&d.investment_transactions),
        "account" => to_values(&d.accounts),
        "data" => to_values(&d.transactions),
        "card" => to_values(&d.cards),
        "card/transaction" => to_values(&d.card_transactions),
        "liability" => to_values(&d.liabilities),
        "liability/transaction" => to_values(&d.liability_transactions),
        "holder" => to_values(&d.holders),
        _ => Vec::new(),
    }
}

pub async fn handler(
    State(app): State<Arc<AppState>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, FlanksError> {
    authorize(&app, &headers)?;
    let product = uri
        .path()
        .strip_prefix("/v0/bank/credentials/")
        .unwrap_or("")
        .to_string();
    let obj = object_body(&body, &["credentials_token"])?;
    let token = str_field(&obj, "credentials_token")?;
    let query = match obj.get("query") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(q)) => q.clone(),
        Some(_) => return Err(FlanksError::Invalid("query")),
    };
    let ignore_errors = match obj.get("ignore_data_error") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(FlanksError::Invalid("ignore_data_error")),
    };
    let now = app.clock.now();
    let world = app.world();
    let c = world
        .cred(token)
        .ok_or(FlanksError::Invalid("credentials_token"))?;
    if c.pending(now) {
        // First extraction not finished; if the bank also asked for SCA, say so.
        return Err(if c.sca_token.is_some() {
            FlanksError::sca_required()
        } else {
            FlanksError::processing()
        });
    }
    let errored = c.account_errored && matches!(product.as_str(), "account" | "data" | "all");
    if errored && !ignore_errors {
        return Err(FlanksError::bank_error());
    }
    let filter = |items: Vec<Value>| -> Vec<Value> {
        items.into_iter().filter(|i| matches(i, &query)).collect()
    };
    let loose = c.password == PASSWORD_LOOSE_ANSWERS;
    let mut body = match product.as_str() {
        // One object: the login's identity. [guess] field names.
        "auth" => {
            let h = &c.data.holders[0];
            json!({"name": h.name, "document_id": h.document_id, "email": h.email,
                   "phone": h.phone, "address": h.address, "bank": c.data.bank})
        }
        // [guess] `all`: one object with every product under its endpoint name.
        "all" => {
            let mut all = Map::new();
            for p in [
                "portfolio",
                "investment",
                "account",
                "card",
                "liability",
                "holder",
            ] {
                let items = if errored && p == "account" {
                    Vec::new()
                } else {
                    product_items(c, p)
                };
                all.insert(p.to_string(), Value::Array(items));
            }
            Value::Object(all)
        }
        p if p == "account" || p == "data" => {
            if errored {
                Value::Array(Vec::new())
            } else {
                Value::Array(filter(product_items(c, p)))
            }
        }
        p => Value::Array(filter(product_items(c, p))),
    };
    drop(world);
    if loose {
        super::loose::loosen(&product, &mut body);
    }
    Ok(Json(body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_operators() {
        let item = json!({"operationDate": "2025-03-01", "account_id": "a1", "amount": -5.0});
        let q = |v: Value| v.as_object().cloned().unwrap_or_default();
        assert!(matches(&item, &q(json!({"account_id": "a1"}))));
        assert!(!matches(&item, &q(json!({"account_id": "a2"}))));
        assert!(matches(
            &item,
            &q(json!({"operationDate": {"$gte": "2025-01-01", "$lt": "2025-04-01"}}))
        ));
        assert!(!matches(
            &item,
            &q(json!({"operationDate": {"$gt": "2025-03-01"}}))
        ));
        assert!(matches(&item, &q(json!({"amount": {"$lt": 0}}))));
    }
}
