//! Answers as loose as the real ones (providers.md, "What the real services do"): the test
//! login `test_loose_answers` (password `Everyday`, no MFA) gets its account data in the
//! looser shapes captured from a real Flinks test instance, so the app's leniency is
//! exercised end to end. The figures stay the same: only the shapes change.

use serde_json::{json, Value};

pub const USERNAME: &str = "test_loose_answers";

/// Rewrites a GetAccountsDetail / Summary body in place.
pub fn loosen(body: &mut Value) {
    let Some(accounts) = body.get_mut("Accounts").and_then(Value::as_array_mut) else {
        return;
    };
    for (i, a) in accounts.iter_mut().enumerate() {
        // Dates with more precision than documented.
        for t in a
            .get_mut("Transactions")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(d) = t.get("Date").and_then(Value::as_str) {
                t["Date"] = json!(format!("{d}T00:00:00.0000000"));
            }
        }
        match i {
            // Objects sent as plain text: the holder's name, the balance as an amount.
            0 => {
                let name = a["Holder"]["Name"].clone();
                a["Holder"] = name;
                let current = a["Balance"]["Current"].clone();
                a["Balance"] = json!(current.to_string());
                // Both of an exclusive pair filled, netting to the same movement.
                if let Some(t) = a
                    .get_mut("Transactions")
                    .and_then(Value::as_array_mut)
                    .and_then(|t| t.first_mut())
                {
                    if let Some(debit) = t["Debit"].as_f64() {
                        t["Debit"] = json!(debit + 1.0);
                        t["Credit"] = json!(1.0);
                    }
                }
            }
            // Classification fields missing altogether.
            1 => {
                if let Some(o) = a.as_object_mut() {
                    o.remove("Category");
                    o.remove("Type");
                    o.remove("AccountType");
                }
            }
            _ => {}
        }
    }
}
