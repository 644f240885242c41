//! Every provider response decoder gets arbitrary JSON in every slot: decoding and
//! normalisation must never panic (one odd record is skipped and counted, never a crash).
#![no_main]

use advisor_desk_providers::{flanks, flinks};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let _ = flinks::normalise(value.clone());
    let raw = flanks::FlanksRaw {
        bank: value.get("bank").and_then(Value::as_str).map(str::to_string),
        data_as_of: None,
        accounts: Some(value.clone()),
        transactions: Some(value.clone()),
        portfolios: Some(value.clone()),
        investments: Some(value.clone()),
        liabilities: Some(value.clone()),
        cards: Some(value),
    };
    let _ = flanks::normalise(raw);
});
