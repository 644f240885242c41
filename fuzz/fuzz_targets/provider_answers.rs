//! Every endpoint decoder of both providers gets an arbitrary answer: two bytes choose the HTTP
//! status, the rest is the body. Whatever the bytes, a decoder returns a value or a classified
//! failure; it never panics, and a failure always names the endpoint it came from.
#![no_main]

use advisor_desk_providers::flanks::{answers as flanks, AggregationEndpoint, ForceKind};
use advisor_desk_providers::flinks::answers as flinks;
use advisor_desk_providers::http::RawResponse;
use libfuzzer_sys::fuzz_target;

/// Statuses the decoders treat differently, and any other in 100..=599.
fn status(head: [u8; 2]) -> u16 {
    const NOTABLE: [u16; 10] = [200, 201, 202, 203, 204, 400, 401, 404, 429, 500];
    let n = u16::from_le_bytes(head);
    if n % 2 == 0 {
        NOTABLE[usize::from(n / 2) % NOTABLE.len()]
    } else {
        100 + (n / 2) % 500
    }
}

fn check<T>(result: Result<T, advisor_desk_core::domain::ProviderFailure>) {
    if let Err(failure) = result {
        assert!(failure.endpoint.is_some(), "a failure without its endpoint");
        let _ = failure.to_string();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((head, body)) = data.split_first_chunk::<2>() else {
        return;
    };
    let resp = RawResponse {
        status: status(*head),
        body: body.to_vec(),
        request_id: None,
        retry_after: None,
    };
    check(flanks::token(&resp));
    check(flanks::exchange(&resp));
    check(flanks::unused_codes(&resp));
    check(flanks::links(&resp));
    check(flanks::created_link(&resp));
    check(flanks::banks(&resp));
    check(flanks::connectors(&resp));
    check(flanks::created_session(&resp));
    check(flanks::sessions(&resp));
    check(flanks::credential_status(&resp));
    check(flanks::forced_token(&resp, ForceKind::Sca));
    check(flanks::credentials_page(&resp, 1));
    check(flanks::deleted(&resp));
    check(flanks::aggregation(AggregationEndpoint::All.path(), &resp));
    check(flinks::authorize_token(&resp));
    check(flinks::authorize(&resp));
    check(flinks::data(flinks::GET_ACCOUNTS_DETAIL, &resp));
    check(flinks::deleted(&resp));
});
