//! Firm link sessions on a real PostgreSQL server: a callback is claimed once, only for an
//! open, unexpired session the member may see, and every refusal is audited with its code;
//! the mapping writes one connection and its sealed credentials however often the same result
//! is applied. The firm key sits in an in-memory keychain here (the keychain is not what these
//! tests are about, except that a locked one loses nothing; `link_ledger.rs` uses the real
//! one).

mod links_common;

use advisor_desk_core::credentials::token_hash;
use advisor_desk_core::firm::PendingLinks;
use advisor_desk_core::links::{parse_callback, CallbackSource};
use advisor_desk_core::secrets::MemorySecretStore;
use advisor_desk_core::time;
use advisor_desk_firm::links::{
    apply_pending, deliver, map_link_result, sessions, Delivered, FirmLinkError, Mapped,
};
use advisor_desk_firm::test_server::TestServer;
use links_common::*;

fn refusal(result: Result<impl std::fmt::Debug, FirmLinkError>) -> &'static str {
    match result {
        Err(e @ FirmLinkError::Refused(_)) => e.code(),
        other => panic!("expected a refused callback, got {other:?}"),
    }
}

#[test]
fn a_callback_is_claimed_once_and_replayed_or_forged_ones_are_refused_and_audited() {
    let keychain = MemorySecretStore::new();
    let firm = LinkFirm::new(TestServer::shared(), &keychain);
    let started = firm.start_link();
    assert_eq!(started.session.exchange_step, None);

    // Bob knows the state but may not see Alice's session: as if it did not exist.
    let bob = firm.store_for(&firm.bob);
    assert_eq!(
        refusal(firm.claim(&bob, &started.state, "one-use-code-1")),
        "unknown_state"
    );

    let claimed = firm
        .claim(&firm.store, &started.state, "one-use-code-1")
        .unwrap();
    assert_eq!(claimed.id, started.session.id);
    assert_eq!(claimed.exchange_step.as_deref(), Some("claimed"));

    assert_eq!(
        refusal(firm.claim(&firm.store, &started.state, "one-use-code-1")),
        "replayed"
    );
    let forged = advisor_desk_core::links::state::generate().unwrap();
    assert_eq!(
        refusal(firm.claim(&firm.store, &forged, "c2")),
        "unknown_state"
    );
    let no_state = parse_callback(b"advisordesk://link/callback?code=c3").unwrap();
    assert_eq!(
        refusal(sessions::claim_callback(
            &firm.store,
            &no_state,
            None,
            CallbackSource::DeepLink,
            time::now()
        )),
        "no_open_session"
    );

    // Another session: too late, then the wrong flow's result, then through its own window.
    let later = firm.start_link();
    let cb = |url: String| parse_callback(url.as_bytes()).unwrap();
    let expired = sessions::claim_callback(
        &firm.store,
        &cb(format!(
            "advisordesk://link/callback?state={}&code=c4",
            later.state
        )),
        None,
        CallbackSource::DeepLink,
        time::now() + chrono::Duration::minutes(31),
    );
    assert_eq!(refusal(expired), "expired");
    let flinks_result = sessions::claim_callback(
        &firm.store,
        &cb(format!(
            "advisordesk://link/callback?state={}&loginId=x",
            later.state
        )),
        None,
        CallbackSource::DeepLink,
        time::now(),
    );
    assert_eq!(refusal(flinks_result), "malformed");
    let other_window = sessions::claim_callback(
        &firm.store,
        &cb("advisordesk://link/callback?code=c5".into()),
        Some(started.session.id),
        CallbackSource::EmbeddedWindow,
        time::now(),
    );
    assert_eq!(refusal(other_window), "replayed");
    let own_window = sessions::claim_callback(
        &firm.store,
        &cb("advisordesk://link/callback?code=c5".into()),
        Some(later.session.id),
        CallbackSource::EmbeddedWindow,
        time::now(),
    )
    .unwrap();
    assert_eq!(own_window.id, later.session.id);

    let refused: Vec<String> = firm
        .audit()
        .into_iter()
        .filter(|(action, _)| action == sessions::REFUSED_ACTION)
        .map(|(_, detail)| detail)
        .collect();
    assert_eq!(
        refused,
        [
            "unknown_state",
            "replayed",
            "unknown_state",
            "no_open_session",
            "expired",
            "malformed",
            "replayed"
        ]
    );
    assert_eq!(firm.audited("link.callback.accepted"), 2);
    // Neither the state nor a code is in the database.
    let mut su = firm.book.superuser();
    let stored: String = su
        .query_one("SELECT string_agg(l::text, ' ') FROM link_sessions l", &[])
        .unwrap()
        .get(0);
    let audit: String = su
        .query_one("SELECT string_agg(a::text, ' ') FROM audit_log a", &[])
        .unwrap()
        .get(0);
    for text in [stored, audit] {
        assert!(
            !text.contains(&started.state) && !text.contains("one-use-code"),
            "{text}"
        );
    }
}

#[test]
fn the_same_result_applied_twice_or_for_another_session_makes_one_connection() {
    let keychain = MemorySecretStore::new();
    let firm = LinkFirm::new(TestServer::shared(), &keychain);
    let token = "sbx-cred-6c1f0e9a-firm-applied-twice";
    let started = firm.start_link();
    firm.claim(&firm.store, &started.state, "code-1").unwrap();
    sessions::advance(&firm.store, started.session.id, "claimed", "code_saved").unwrap();
    let moved = sessions::advance(&firm.store, started.session.id, "claimed", "code_saved");
    assert_eq!(moved.unwrap_err().code(), "link_step_moved");

    let result = result_of(&started.session, token);
    let now = time::now();
    let first = map_link_result(&firm.store, &keychain, &result, "alice", now).unwrap();
    let Mapped::Created { connection_id } = first else {
        panic!("{first:?}")
    };
    let again = map_link_result(&firm.store, &keychain, &result, "alice", now).unwrap();
    assert_eq!(
        again,
        Mapped::AlreadyMapped {
            connection_id: Some(connection_id)
        }
    );
    assert_eq!(firm.connections_with(&token_hash(&result.token)), (1, 1));

    // The connection's credentials open to the token, as Alice sees them.
    assert_eq!(
        firm.open_credentials(&keychain, connection_id).expose(),
        token
    );
    let session = firm
        .store
        .read(|db| {
            Ok(advisor_desk_firm::links::statements::read::by_id(
                db,
                started.session.id,
            ))
        })
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(session.outcome.as_deref(), Some("connected"));
    assert_eq!(session.exchange_step.as_deref(), Some("mapped"));
    assert_eq!(session.connection_id, Some(connection_id));

    // The same login connected again through a new session: the session ends `duplicate`.
    let second = firm.start_link();
    firm.claim(&firm.store, &second.state, "code-2").unwrap();
    let duplicate = result_of(&second.session, token);
    assert_eq!(
        map_link_result(&firm.store, &keychain, &duplicate, "alice", now).unwrap(),
        Mapped::Exists {
            connection_id: Some(connection_id)
        }
    );
    assert_eq!(
        map_link_result(&firm.store, &keychain, &duplicate, "alice", now).unwrap(),
        Mapped::AlreadyMapped {
            connection_id: None
        }
    );
    assert_eq!(firm.connections_with(&token_hash(&result.token)), (1, 1));

    // A result naming another client than its session is refused; so is a session that ended
    // without it.
    let third = firm.start_link();
    firm.claim(&firm.store, &third.state, "code-3").unwrap();
    let mut misfiled = result_of(&third.session, "sbx-cred-other");
    misfiled.client_id = BOBS_CLIENT;
    let refused = map_link_result(&firm.store, &keychain, &misfiled, "alice", now).unwrap_err();
    assert_eq!(refused.code(), "invalid_input");
    sessions::finish(
        &firm.store,
        third.session.id,
        "closed_by_user",
        None,
        "alice",
        now,
    )
    .unwrap();
    let late = map_link_result(
        &firm.store,
        &keychain,
        &result_of(&third.session, "sbx-cred-other"),
        "alice",
        now,
    )
    .unwrap_err();
    assert_eq!(late.code(), "link_session_ended");
    assert_eq!(firm.connections_with(&token_hash(&misfiled.token)), (0, 0));

    assert_eq!(firm.audited("connection.added"), 1);
}

#[test]
fn a_locked_keychain_hands_the_result_back_rather_than_dropping_it() {
    let keychain = MemorySecretStore::new();
    let firm = LinkFirm::new(TestServer::shared(), &keychain);
    let started = firm.start_link();
    let session = firm
        .claim(&firm.store, &started.state, "code-locked")
        .unwrap();
    let result = result_of(&session, "sbx-cred-kept-by-the-caller");

    // The firm key cannot be read and the result cannot be kept: a typed error holding it.
    keychain.set_locked(true);
    let refused = deliver(&firm.store, &keychain, &firm.id, result.clone(), "alice").unwrap_err();
    assert_eq!(refused.code(), "link_result_not_kept");
    assert!(!refused.to_string().contains("sbx-cred"), "{refused}");
    let FirmLinkError::NotKept {
        link,
        keychain: why,
        ..
    } = refused
    else {
        unreachable!()
    };
    assert_eq!(why.code(), "keychain_locked");
    assert_eq!(*link, result);
    let listed = apply_pending(&firm.store, &keychain, &firm.id, "alice").unwrap_err();
    assert_eq!(listed.code(), "keychain_locked");
    assert_eq!(firm.connections_with(&token_hash(&result.token)), (0, 0));

    // Unlocked, the handed-back result is delivered and leaves nothing in the ledger.
    keychain.set_locked(false);
    let delivered = deliver(&firm.store, &keychain, &firm.id, *link, "alice").unwrap();
    assert!(
        matches!(delivered, Delivered::Mapped(Mapped::Created { .. })),
        "{delivered:?}"
    );
    assert_eq!(firm.connections_with(&token_hash(&result.token)), (1, 1));
    assert!(PendingLinks::new(&keychain, &firm.id)
        .list()
        .unwrap()
        .is_empty());
}

#[test]
fn a_kept_result_its_session_no_longer_takes_is_reported_and_stays_kept() {
    let keychain = MemorySecretStore::new();
    let firm = LinkFirm::new(TestServer::shared(), &keychain);
    let ended = firm.start_link();
    firm.claim(&firm.store, &ended.state, "code-ended").unwrap();
    let waiting = firm.start_link();
    firm.claim(&firm.store, &waiting.state, "code-waiting")
        .unwrap();
    let ledger = PendingLinks::new(&keychain, &firm.id);
    let late = result_of(&ended.session, "sbx-cred-late");
    let on_time = result_of(&waiting.session, "sbx-cred-on-time");
    ledger.keep(&late).unwrap();
    ledger.keep(&on_time).unwrap();
    // The advisor closed the first window before its result could be mapped.
    sessions::finish(
        &firm.store,
        ended.session.id,
        "closed_by_user",
        None,
        "alice",
        time::now(),
    )
    .unwrap();

    let applied = apply_pending(&firm.store, &keychain, &firm.id, "alice").unwrap();
    assert_eq!(applied.refused, [(ended.session.id, "link_session_ended")]);
    assert!(
        matches!(applied.mapped[..], [(id, Mapped::Created { .. })] if id == waiting.session.id),
        "{applied:?}"
    );
    assert_eq!(ledger.list().unwrap(), vec![late]);
    assert_eq!(firm.connections_with(&token_hash(&on_time.token)), (1, 1));
}
