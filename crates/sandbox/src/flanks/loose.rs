//! Answers as loose as the real ones (providers.md, "What the real services do"): a TestBank
//! credential created with the password `LOOSE_ANSWERS` gets its products in the looser shapes
//! real answers use, so the app's leniency is exercised end to end. Figures stay the same.

use serde_json::{json, Value};

/// Rewrites one aggregation answer (`product` as in the path) in place.
pub fn loosen(product: &str, body: &mut Value) {
    let Some(items) = body.as_array_mut() else {
        return;
    };
    for (i, item) in items.iter_mut().enumerate() {
        match product {
            "account" => {
                // Owners as objects instead of names; an account type not in the table.
                if let Some(owners) = item.get_mut("owners").and_then(Value::as_array_mut) {
                    for o in owners.iter_mut() {
                        if o.is_string() {
                            *o = json!({ "name": o.clone() });
                        }
                    }
                }
                if i == 0 {
                    item["type"] = json!("brokerageAccount");
                }
            }
            "data" => {
                // Dates with a time; "never" as a sentinel value date.
                if let Some(d) = item.get("operationDate").and_then(Value::as_str) {
                    item["operationDate"] = json!(format!("{d}T00:00:00"));
                }
                if i == 0 {
                    item["valueDate"] = json!("0001-01-01");
                }
            }
            // A product code the data-types table does not have.
            "portfolio" | "investment" if i == 0 => item["type"] = json!("NEWCODE"),
            _ => {}
        }
    }
}
