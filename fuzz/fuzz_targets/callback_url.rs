//! The deep-link / callback parser gets arbitrary bytes: it must never panic, and whatever it
//! accepts must be a well-formed Advisor Desk callback.
#![no_main]

use advisor_desk_core::links::{parse_callback, CallbackResult};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cb) = parse_callback(data) {
        assert!(data.len() <= advisor_desk_core::links::callback::MAX_CALLBACK_LEN);
        if let Some(state) = &cb.state {
            assert!(advisor_desk_core::links::state::is_well_formed(state));
        }
        if let CallbackResult::ProviderError { code } = &cb.result {
            assert!(!code.is_empty() && code.len() <= 64);
        }
    }
});
