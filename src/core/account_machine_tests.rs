//! Unit tests of `account_machine`: the whole register and login flows,
//! sessions, profile changes and room claims, as the account object runs them.

use super::*;
use crate::core::auth::{dummy_hash, verify_token, PBKDF2_ITERATIONS};
use crate::core::error::ErrorCode;
use crate::core::rate_limit::{LOGIN_MAX_FAILURES, LOGIN_WINDOW_MS};
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

const NOW: u64 = 1_700_000_000_000;
const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";
/// The key "the right password" derives to; any other key is a wrong password.
const RIGHT: [u8; 32] = [7; 32];

fn inputs(now_ms: u64, seed: u8) -> Inputs<'static> {
    Inputs {
        now_ms,
        random: [seed; 16],
        secret: SECRET,
    }
}

fn hash() -> PasswordHash {
    PasswordHash {
        iterations: PBKDF2_ITERATIONS,
        salt: b"alice's own salt".to_vec(),
        hash: RIGHT.to_vec(),
    }
}

fn register(account: &mut Account) -> AccountReply {
    account.apply(
        AccountCommand::Register {
            username: "alice".into(),
            display_name: Some("Alice".into()),
            password: hash(),
        },
        inputs(NOW, 1),
    )
}

fn alice() -> Account {
    let mut a = Account::default();
    register(&mut a).answer.unwrap();
    a
}

fn grant(reply: AccountReply) -> SessionGrant {
    match reply.answer.unwrap() {
        AccountAnswer::Session(g) => g,
        other => panic!("not a session: {other:?}"),
    }
}

fn saves(reply: &AccountReply) -> bool {
    matches!(reply.effects.first(), Some(AccountEffect::Save))
}

/// Both login steps, as the object runs them around the derivation.
fn login(a: &mut Account, derived: [u8; 32], now_ms: u64) -> AccountReply {
    if let Err(e) = a.login_params(now_ms) {
        return AccountReply {
            answer: Err(e),
            effects: Vec::new(),
        };
    }
    a.apply(
        AccountCommand::Login {
            derived: derived.to_vec(),
        },
        inputs(now_ms, 2),
    )
}

#[test]
fn registering_stores_publishes_and_opens_a_working_session() {
    let mut a = Account::default();
    a.refuse_taken().unwrap();
    let reply = register(&mut a);
    assert!(saves(&reply));
    assert!(matches!(
        reply.effects.get(1),
        Some(AccountEffect::Publish(p)) if p.display_name == "Alice"
    ));
    let g = grant(reply);
    assert_eq!(g.user.username, "alice");
    let claims = verify_token(SECRET, &g.token, NOW / 1000).unwrap();
    assert_eq!(claims.sub, "alice");
    assert_eq!(g.expires_at, claims.expires_at_ms());
    assert!(a.session_alive(&claims.sid, NOW));
    assert!(!a.session_alive(&claims.sid, g.expires_at));
}

#[test]
fn a_taken_name_is_refused_before_and_after_the_hash() {
    let mut a = alice();
    assert_eq!(a.refuse_taken().unwrap_err().code, ErrorCode::UsernameTaken);
    let before = a.data().cloned();
    let again = register(&mut a);
    assert_eq!(again.answer.unwrap_err().code, ErrorCode::UsernameTaken);
    assert!(again.effects.is_empty());
    assert_eq!(a.data().cloned(), before);
}

#[test]
fn an_unknown_user_spends_the_dummy_hash_and_gets_the_same_answer() {
    let mut nobody = Account::default();
    let (params, log) = nobody.login_params(NOW).unwrap();
    assert_eq!(params.salt, dummy_hash().salt);
    assert_eq!(params.iterations, dummy_hash().iterations);
    assert_eq!(log, None);
    let reply = login(&mut nobody, RIGHT, NOW);
    assert_eq!(
        reply.answer.unwrap_err().code,
        ErrorCode::InvalidCredentials
    );
    assert!(reply.effects.is_empty(), "nothing is stored for nobody");
    assert!(!nobody.exists());
}

#[test]
fn login_derives_with_the_stored_salt_and_opens_a_new_session() {
    let mut a = alice();
    let (params, _) = a.login_params(NOW).unwrap();
    assert_eq!(params.salt, hash().salt);
    let reply = login(&mut a, RIGHT, NOW + 5);
    assert!(saves(&reply));
    let g = grant(reply);
    let sid = verify_token(SECRET, &g.token, NOW / 1000).unwrap().sid;
    assert!(a.session_alive(&sid, NOW + 10));
}

#[test]
fn wrong_passwords_are_stored_and_lock_the_first_gate() {
    let mut a = alice();
    for i in 0..LOGIN_MAX_FAILURES as u64 {
        let reply = login(&mut a, [0; 32], NOW + i);
        assert!(saves(&reply), "a failure is recorded");
        assert_eq!(
            reply.answer.unwrap_err().code,
            ErrorCode::InvalidCredentials
        );
    }
    let locked = a.login_params(NOW + 10).unwrap_err();
    assert_eq!(locked.code, ErrorCode::RateLimited);
    assert!(locked.retry_after_ms.is_some());
    // Even the right password waits for the window.
    let right = login(&mut a, RIGHT, NOW + 10);
    assert_eq!(right.answer.unwrap_err().code, ErrorCode::RateLimited);
    assert!(
        grant(login(&mut a, RIGHT, NOW + LOGIN_WINDOW_MS + 10))
            .token
            .len()
            > 20
    );
}

#[test]
fn the_second_gate_refuses_a_login_locked_during_its_hash() {
    let mut a = alice();
    // This login passed the first gate and is deriving its key...
    a.login_params(NOW).unwrap();
    // ...while other attempts lock the account.
    for i in 0..LOGIN_MAX_FAILURES as u64 {
        login(&mut a, [0; 32], NOW + i).answer.unwrap_err();
    }
    let late = a.apply(
        AccountCommand::Login {
            derived: RIGHT.to_vec(),
        },
        inputs(NOW + 100, 3),
    );
    assert_eq!(late.answer.unwrap_err().code, ErrorCode::RateLimited);
    assert!(late.effects.is_empty());
}

#[test]
fn an_unreadable_stored_hash_is_logged_and_matches_nothing() {
    let mut a = alice();
    let mut data = a.data().cloned().unwrap();
    data.account.password_hash = "md5$oops".into();
    a = Account::new(Some(data));
    let (params, log) = a.login_params(NOW).unwrap();
    assert_eq!(params.salt, dummy_hash().salt);
    assert!(log.unwrap().contains("alice"));
    for key in [RIGHT, [0x5a; 32]] {
        let reply = login(&mut a, key, NOW);
        assert_eq!(
            reply.answer.unwrap_err().code,
            ErrorCode::InvalidCredentials
        );
    }
}

#[test]
fn logout_ends_one_session_and_closes_its_sockets_in_every_room() {
    let mut a = alice();
    let first = verify_token(SECRET, &grant(login(&mut a, RIGHT, NOW)).token, NOW / 1000)
        .unwrap()
        .sid;
    let join = AccountCommand::SetRoom {
        room: "general".into(),
        added: true,
    };
    a.apply(join, inputs(NOW, 0)).answer.unwrap();
    let reply = a.apply(
        AccountCommand::Logout { sid: first.clone() },
        inputs(NOW + 1, 0),
    );
    assert!(saves(&reply));
    assert!(matches!(
        reply.effects.get(1),
        Some(AccountEffect::Tell { rooms, call: RoomCall::CloseSession { sid, reason: CloseReason::LoggedOut } })
            if rooms == &["general".to_string()] && sid == &first
    ));
    assert!(!a.session_alive(&first, NOW + 2));
    // The registration's session is still open.
    assert_eq!(a.data().unwrap().account.sessions.len(), 1);
    // A repeat stores nothing but still closes sockets.
    let again = a.apply(AccountCommand::Logout { sid: first }, inputs(NOW + 2, 0));
    assert!(!saves(&again));
    assert_eq!(again.effects.len(), 1);
}

#[test]
fn a_profile_change_is_stored_published_and_told_to_the_rooms() {
    let mut a = alice();
    a.apply(
        AccountCommand::SetRoom {
            room: "general".into(),
            added: true,
        },
        inputs(NOW, 0),
    );
    let patch = ProfilePatch {
        bio: Some("hello".into()),
        ..ProfilePatch::default()
    };
    let reply = a.apply(AccountCommand::EditProfile(patch), inputs(NOW, 0));
    assert!(saves(&reply));
    assert!(matches!(reply.effects.get(1), Some(AccountEffect::Publish(p)) if p.bio == "hello"));
    assert!(matches!(
        reply.effects.get(2),
        Some(AccountEffect::Tell { call: RoomCall::ProfileChanged { username, profile }, .. })
            if username == "alice" && profile.bio == "hello"
    ));
    assert_eq!(a.profile().unwrap().bio, "hello");
}

#[test]
fn a_refused_change_changes_nothing() {
    let mut a = alice();
    let before = a.data().cloned();
    let bad = ProfilePatch {
        display_name: Some("   ".into()),
        bio: Some("kept out".into()),
        ..ProfilePatch::default()
    };
    let reply = a.apply(AccountCommand::EditProfile(bad), inputs(NOW, 0));
    assert_eq!(reply.answer.unwrap_err().code, ErrorCode::BadRequest);
    assert!(reply.effects.is_empty());
    assert_eq!(a.data().cloned(), before);
    // Nobody: every change is 404 and nothing appears.
    let mut nobody = Account::default();
    let reply = nobody.apply(AccountCommand::ClearAvatar, inputs(NOW, 0));
    assert_eq!(reply.answer.unwrap_err().code, ErrorCode::NotFound);
    assert!(!nobody.exists());
}

#[test]
fn rooms_and_claims_store_only_what_changed() {
    let mut a = alice();
    let add = || AccountCommand::SetRoom {
        room: "general".into(),
        added: true,
    };
    assert!(saves(&a.apply(add(), inputs(NOW, 0))));
    assert!(!saves(&a.apply(add(), inputs(NOW, 0))));
    assert_eq!(a.rooms(), ["general".to_string()]);
    let own = |claim| AccountCommand::Own {
        room: "mine".into(),
        claim,
    };
    let first = a.apply(own(true), inputs(NOW, 0));
    assert_eq!(first.answer.unwrap(), AccountAnswer::Claimed(true));
    let repeat = a.apply(own(true), inputs(NOW, 0));
    assert_eq!(repeat.answer.unwrap(), AccountAnswer::Claimed(false));
    assert_eq!(
        a.apply(own(false), inputs(NOW, 0)).answer.unwrap(),
        AccountAnswer::Claimed(true)
    );
    let release_again = a.apply(own(false), inputs(NOW, 0));
    assert!(!saves(&release_again));
    assert_eq!(release_again.answer.unwrap(), AccountAnswer::Claimed(false));
}

#[test]
fn the_stored_row_round_trips() {
    let a = alice();
    let data = a.data().cloned().unwrap();
    let (record, profile) = data.to_row().unwrap();
    assert!(!record.contains("display_name") && profile.contains("Alice"));
    assert_eq!(AccountData::from_row(&record, &profile).unwrap(), data);
}

fn block(a: &mut Account, user: &str, blocked: bool) -> AccountReply {
    a.apply(
        AccountCommand::Block {
            user: user.into(),
            blocked,
        },
        inputs(NOW, 9),
    )
}

fn mark_of(reply: &AccountReply) -> BlockMark {
    match reply.answer.as_ref().unwrap() {
        AccountAnswer::Block(m) => *m,
        other => panic!("not a mark: {other:?}"),
    }
}

#[test]
fn blocks_are_a_sorted_set_whose_revision_moves_on_each_change() {
    let mut a = alice();
    assert_eq!(a.block_mark("bob"), Some(BlockMark::default()));
    let first = block(&mut a, "bob", true);
    assert!(saves(&first));
    assert_eq!(
        mark_of(&first),
        BlockMark {
            blocked: true,
            rev: 1
        }
    );
    // A repeat changes nothing and answers the same mark (for a retried tell).
    let again = block(&mut a, "bob", true);
    assert!(!saves(&again));
    assert_eq!(
        mark_of(&again),
        BlockMark {
            blocked: true,
            rev: 1
        }
    );
    block(&mut a, "aaron", true);
    assert_eq!(a.blocks(), ["aaron", "bob"]);
    let undo = block(&mut a, "bob", false);
    assert_eq!(
        mark_of(&undo),
        BlockMark {
            blocked: false,
            rev: 3
        }
    );
    assert_eq!(a.blocks(), ["aaron"]);
    assert_eq!(a.block_mark("aaron").map(|m| m.blocked), Some(true));
    // Unknown accounts hold no marks; unblocking a stranger is harmless.
    assert_eq!(Account::default().block_mark("bob"), None);
    assert!(!saves(&block(&mut a, "zed", false)));
}

#[test]
fn blocks_survive_the_stored_row_and_are_capped() {
    let mut a = alice();
    block(&mut a, "bob", true);
    let (record, profile) = a.data().unwrap().to_row().unwrap();
    let back = Account::new(Some(AccountData::from_row(&record, &profile).unwrap()));
    assert_eq!(back.blocks(), ["bob"]);
    assert_eq!(
        back.block_mark("bob"),
        Some(BlockMark {
            blocked: true,
            rev: 1
        })
    );
    for i in 1..crate::core::dm::BLOCKS_MAX {
        block(&mut a, &format!("user{i:04}"), true).answer.unwrap();
    }
    let over = block(&mut a, "onemore", true);
    assert_eq!(over.answer.unwrap_err().code, ErrorCode::Conflict);
    assert_eq!(a.blocks().len(), crate::core::dm::BLOCKS_MAX);
}
