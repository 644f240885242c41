//! Thousands of hostile callback URLs against a real database file with open link sessions:
//! none is accepted, each is audited, and the legitimate callback still works afterwards.

use advisor_desk_core::clients;
use advisor_desk_core::clients::NewClient;
use advisor_desk_core::links::sessions;
use advisor_desk_core::links::{
    CallbackSource, ClaimError, Delivery, LinkFlow, LinkPurpose, NewLinkSession,
};
use advisor_desk_core::{time, Store};
use chrono::Duration;

/// A small deterministic generator so a failure can be replayed.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from_digit(self.below(16) as u32, 16).unwrap())
            .collect()
    }
}

fn refused_count(store: &Store) -> usize {
    store
        .audit_log(100_000)
        .unwrap()
        .iter()
        .filter(|e| e.action == "link.callback.refused")
        .count()
}

/// The refusals only counted: the sum of the numbers the count entries start with.
fn counted_total(store: &Store) -> usize {
    store
        .audit_log(100_000)
        .unwrap()
        .iter()
        .filter(|e| e.action == advisor_desk_core::store::audit::COUNTED_ACTION)
        .map(|e| {
            assert!(e.detail.contains("link.callback.refused"), "{e:?}");
            e.detail
                .split(' ')
                .next()
                .unwrap()
                .parse::<usize>()
                .unwrap()
        })
        .sum()
}

#[test]
fn forged_replayed_and_malformed_callbacks_are_all_refused_and_audited() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.sqlite3")).unwrap();
    let client = clients::add(
        &store,
        &NewClient {
            name: "Ana".into(),
            ..Default::default()
        },
        "t",
    )
    .unwrap();
    let now = time::now();
    let start = |flow, ttl| {
        sessions::start(
            &store,
            &NewLinkSession {
                client_id: client.id,
                connection_id: None,
                flow,
                purpose: LinkPurpose::New,
                ttl,
                delivery: Delivery::Window,
            },
            "advisor",
            now,
        )
        .unwrap()
    };
    let used = start(LinkFlow::FlinksConnect, Duration::minutes(30));
    let expired = start(LinkFlow::FlanksLink, Duration::seconds(1));
    let open = start(LinkFlow::FlanksLink, Duration::minutes(30));
    let used_url = format!(
        "advisordesk://link/callback?state={}&loginId=l-1",
        used.state
    );
    sessions::receive_callback(
        &store,
        used_url.as_bytes(),
        None,
        CallbackSource::DeepLink,
        now,
    )
    .unwrap();
    let later = now + Duration::seconds(5);

    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut attempts: Vec<Vec<u8>> = Vec::new();
    for i in 0..3000 {
        let url: Vec<u8> = match i % 10 {
            0 => {
                let n = rng.below(300);
                rng.bytes(n)
            }
            1 => format!(
                "advisordesk://link/callback?state={}&code=c{i}",
                rng.hex(64)
            )
            .into_bytes(),
            2 => used_url.clone().into_bytes(), // replayed
            3 => format!(
                "advisordesk://link/callback?state={}&code=c{i}",
                expired.state
            )
            .into_bytes(),
            4 => format!(
                "https://evil.example/link/callback?state={}&code=c{i}",
                open.state
            )
            .into_bytes(),
            5 => format!(
                "advisordesk://link/callback?state={}&code={}",
                open.state,
                "x".repeat(4096 + i)
            )
            .into_bytes(),
            6 => {
                let mut v =
                    format!("advisordesk://link/callback?state={}&code=", open.state).into_bytes();
                v.extend_from_slice(&[0xff, 0xfe, b'a', 0xc3]);
                v
            }
            7 => format!("advisordesk://link/callback?code=c{i}&delayed=true").into_bytes(), // no state, no window
            8 => format!(
                "advisordesk://link/callback?state={}&session_id=s{i}",
                open.state
            )
            .into_bytes(), // wrong flow
            _ => {
                let mut v = b"advisordesk://link/callback?".to_vec();
                let n = rng.below(200);
                v.extend(rng.bytes(n).into_iter().map(|b| b % 96 + 32));
                v
            }
        };
        attempts.push(url);
    }
    let before = refused_count(&store);
    let mut accepted = 0;
    for url in &attempts {
        match sessions::receive_callback(&store, url, None, CallbackSource::DeepLink, later) {
            Ok(_) => accepted += 1,
            Err(ClaimError::Refused(_)) => {}
            Err(ClaimError::Store(e)) => panic!("store error: {e}"),
        }
    }
    assert_eq!(accepted, 0, "no forged callback may be accepted");
    // Every refusal is audited: the first ones of each kind whole, the flood beyond them
    // counted per window (one entry per kind), so the log stays bounded.
    let whole = refused_count(&store) - before;
    store.flush_audit_counts(later, true).unwrap();
    let counted = counted_total(&store);
    assert_eq!(whole + counted, attempts.len(), "every refusal is audited");
    assert!(
        whole <= 30 * advisor_desk_core::store::audit_throttle::KEPT_WHOLE as usize,
        "the log stays bounded: {whole} entries kept whole"
    );

    // No refusal changed any session, and the audit never holds a URL or a state.
    assert!(sessions::get(&store, open.session.id)
        .unwrap()
        .exchange_step
        .is_none());
    for e in store.audit_log(100_000).unwrap() {
        assert!(
            !e.detail.contains(&open.state) && !e.detail.contains("advisordesk://"),
            "{e:?}"
        );
    }
    // The advisor's real callback still works.
    let ok = format!(
        "advisordesk://link/callback?state={}&code=real-code",
        open.state
    );
    sessions::receive_callback(&store, ok.as_bytes(), None, CallbackSource::DeepLink, later)
        .unwrap();
}
