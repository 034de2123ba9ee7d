//! Who may do what in a room: the one place that answers it.
//!
//! Every handler first works out the caller's [`ActorStatus`] and asks
//! [`allowed`]; actions that hit another user (kick, ban, unban) also ask
//! [`may_act_on`]. Keeping the whole matrix here means the contract's
//! section 4 table can be read, and tested, as one table.
//!
//! Answers where the contract is silent:
//! - A private room does not exist (`not_found`) for a stranger, whatever the
//!   action. An invited user knows it exists (contract section 4) but is not a
//!   member: they may see its info (title, topic, members: what an invitation
//!   needs to show), join, and leave (declining the invitation); `forbidden`
//!   on everything else, messages and socket included.
//! - A banned user is `banned` on everything, except reading the public info of
//!   a public room (anyone can see that in the directory anyway).
//! - Join by a member and leave by an invited user are allowed (no-ops for the
//!   first, declining the invitation for the second).

use super::error::{ApiError, ApiResult, ErrorCode};
use super::protocol::{Role, Visibility};

/// Something a user asks to do in a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `GET /api/rooms/{name}`.
    ViewInfo,
    Join,
    Leave,
    /// Messages page, room socket, socket `history`, read markers, own summary.
    Read,
    /// `send`, `edit` of one's own message, `react`, `typing`.
    Post,
    /// `delete` of a message someone else wrote.
    DeleteAnyMessage,
    /// `PATCH /api/rooms/{name}`.
    EditRoom,
    Invite,
    /// Kick, ban, unban (the target is checked by [`may_act_on`]).
    Moderate,
    SetRole,
    DeleteRoom,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::ViewInfo,
        Action::Join,
        Action::Leave,
        Action::Read,
        Action::Post,
        Action::DeleteAnyMessage,
        Action::EditRoom,
        Action::Invite,
        Action::Moderate,
        Action::SetRole,
        Action::DeleteRoom,
    ];
}

/// Where a user stands with a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorStatus {
    Owner,
    Moderator,
    Member,
    /// Invited but not (yet) joined.
    Invited,
    Banned,
    /// None of the above.
    Stranger,
}

impl ActorStatus {
    pub const ALL: [ActorStatus; 6] = [
        ActorStatus::Owner,
        ActorStatus::Moderator,
        ActorStatus::Member,
        ActorStatus::Invited,
        ActorStatus::Banned,
        ActorStatus::Stranger,
    ];

    pub fn from_role(role: Role) -> ActorStatus {
        match role {
            Role::Owner => ActorStatus::Owner,
            Role::Moderator => ActorStatus::Moderator,
            Role::Member => ActorStatus::Member,
        }
    }

    pub fn is_member(self) -> bool {
        matches!(
            self,
            ActorStatus::Owner | ActorStatus::Moderator | ActorStatus::Member
        )
    }
}

fn no_room() -> ApiError {
    ApiError::not_found("No such room.")
}

fn banned() -> ApiError {
    ApiError::new(ErrorCode::Banned, "You are banned from this room.")
}

fn not_member() -> ApiError {
    ApiError::forbidden("You are not a member of this room.")
}

fn not_allowed() -> ApiError {
    ApiError::forbidden("Your role in this room does not allow that.")
}

/// May a user with `status` do `action` in a room with `visibility`?
pub fn allowed(action: Action, status: ActorStatus, visibility: Visibility) -> ApiResult<()> {
    use Action as A;
    use ActorStatus as S;
    let private = visibility == Visibility::Private;
    match status {
        S::Stranger if private => Err(no_room()),
        S::Banned => match action {
            A::ViewInfo if !private => Ok(()),
            _ => Err(banned()),
        },
        S::Stranger | S::Invited => match action {
            A::Join => Ok(()),
            A::ViewInfo if !private || status == S::Invited => Ok(()),
            A::Leave if status == S::Invited => Ok(()),
            _ => Err(not_member()),
        },
        S::Member => match action {
            A::ViewInfo | A::Join | A::Leave | A::Read | A::Post => Ok(()),
            _ => Err(not_allowed()),
        },
        S::Moderator => match action {
            A::SetRole | A::DeleteRoom => Err(not_allowed()),
            _ => Ok(()),
        },
        S::Owner => match action {
            A::Leave => Err(ApiError::new(
                ErrorCode::OwnerCannotLeave,
                "The owner cannot leave the room; delete it instead.",
            )),
            _ => Ok(()),
        },
    }
}

/// May `actor` kick, ban or unban a user whose status is `target`?
/// The owner may act on anyone but the owner; a moderator on anyone but the
/// owner and the moderators (themselves included: leaving is how they go).
pub fn may_act_on(actor: ActorStatus, target: ActorStatus) -> ApiResult<()> {
    use ActorStatus as S;
    match (actor, target) {
        (_, S::Owner) => Err(ApiError::forbidden("Nobody can remove the room's owner.")),
        (S::Owner, _) => Ok(()),
        (S::Moderator, S::Moderator) => Err(ApiError::forbidden(
            "Moderators cannot remove other moderators.",
        )),
        (S::Moderator, _) => Ok(()),
        _ => Err(not_allowed()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// The expected outcome of every action for every status, public and private.
    /// `ok` = allowed; otherwise the error code.
    fn expected(action: Action, status: ActorStatus, vis: Visibility) -> Result<(), ErrorCode> {
        use Action as A;
        use ActorStatus as S;
        use ErrorCode as E;
        let private = vis == Visibility::Private;
        let row: [(Action, Result<(), ErrorCode>); 11] = match status {
            S::Owner => [
                (A::ViewInfo, Ok(())),
                (A::Join, Ok(())),
                (A::Leave, Err(E::OwnerCannotLeave)),
                (A::Read, Ok(())),
                (A::Post, Ok(())),
                (A::DeleteAnyMessage, Ok(())),
                (A::EditRoom, Ok(())),
                (A::Invite, Ok(())),
                (A::Moderate, Ok(())),
                (A::SetRole, Ok(())),
                (A::DeleteRoom, Ok(())),
            ],
            S::Moderator => [
                (A::ViewInfo, Ok(())),
                (A::Join, Ok(())),
                (A::Leave, Ok(())),
                (A::Read, Ok(())),
                (A::Post, Ok(())),
                (A::DeleteAnyMessage, Ok(())),
                (A::EditRoom, Ok(())),
                (A::Invite, Ok(())),
                (A::Moderate, Ok(())),
                (A::SetRole, Err(E::Forbidden)),
                (A::DeleteRoom, Err(E::Forbidden)),
            ],
            S::Member => [
                (A::ViewInfo, Ok(())),
                (A::Join, Ok(())),
                (A::Leave, Ok(())),
                (A::Read, Ok(())),
                (A::Post, Ok(())),
                (A::DeleteAnyMessage, Err(E::Forbidden)),
                (A::EditRoom, Err(E::Forbidden)),
                (A::Invite, Err(E::Forbidden)),
                (A::Moderate, Err(E::Forbidden)),
                (A::SetRole, Err(E::Forbidden)),
                (A::DeleteRoom, Err(E::Forbidden)),
            ],
            S::Invited => [
                (A::ViewInfo, Ok(())),
                (A::Join, Ok(())),
                (A::Leave, Ok(())),
                (A::Read, Err(E::Forbidden)),
                (A::Post, Err(E::Forbidden)),
                (A::DeleteAnyMessage, Err(E::Forbidden)),
                (A::EditRoom, Err(E::Forbidden)),
                (A::Invite, Err(E::Forbidden)),
                (A::Moderate, Err(E::Forbidden)),
                (A::SetRole, Err(E::Forbidden)),
                (A::DeleteRoom, Err(E::Forbidden)),
            ],
            S::Banned => {
                let view = if private { Err(E::Banned) } else { Ok(()) };
                [
                    (A::ViewInfo, view),
                    (A::Join, Err(E::Banned)),
                    (A::Leave, Err(E::Banned)),
                    (A::Read, Err(E::Banned)),
                    (A::Post, Err(E::Banned)),
                    (A::DeleteAnyMessage, Err(E::Banned)),
                    (A::EditRoom, Err(E::Banned)),
                    (A::Invite, Err(E::Banned)),
                    (A::Moderate, Err(E::Banned)),
                    (A::SetRole, Err(E::Banned)),
                    (A::DeleteRoom, Err(E::Banned)),
                ]
            }
            S::Stranger if private => A_ALL_NOT_FOUND,
            S::Stranger => [
                (A::ViewInfo, Ok(())),
                (A::Join, Ok(())),
                (A::Leave, Err(E::Forbidden)),
                (A::Read, Err(E::Forbidden)),
                (A::Post, Err(E::Forbidden)),
                (A::DeleteAnyMessage, Err(E::Forbidden)),
                (A::EditRoom, Err(E::Forbidden)),
                (A::Invite, Err(E::Forbidden)),
                (A::Moderate, Err(E::Forbidden)),
                (A::SetRole, Err(E::Forbidden)),
                (A::DeleteRoom, Err(E::Forbidden)),
            ],
        };
        row.iter()
            .find(|(a, _)| *a == action)
            .map(|(_, r)| *r)
            .unwrap()
    }

    const A_ALL_NOT_FOUND: [(Action, Result<(), ErrorCode>); 11] = [
        (Action::ViewInfo, Err(ErrorCode::NotFound)),
        (Action::Join, Err(ErrorCode::NotFound)),
        (Action::Leave, Err(ErrorCode::NotFound)),
        (Action::Read, Err(ErrorCode::NotFound)),
        (Action::Post, Err(ErrorCode::NotFound)),
        (Action::DeleteAnyMessage, Err(ErrorCode::NotFound)),
        (Action::EditRoom, Err(ErrorCode::NotFound)),
        (Action::Invite, Err(ErrorCode::NotFound)),
        (Action::Moderate, Err(ErrorCode::NotFound)),
        (Action::SetRole, Err(ErrorCode::NotFound)),
        (Action::DeleteRoom, Err(ErrorCode::NotFound)),
    ];

    #[test]
    fn every_action_for_every_status_in_both_visibilities() {
        let mut checked = 0;
        for vis in [Visibility::Public, Visibility::Private] {
            for status in ActorStatus::ALL {
                for action in Action::ALL {
                    let got = allowed(action, status, vis).map_err(|e| e.code);
                    assert_eq!(
                        got,
                        expected(action, status, vis),
                        "{action:?} by {status:?} in a {vis:?} room"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 2 * 6 * 11);
    }

    #[test]
    fn kick_and_ban_targets() {
        use ActorStatus as S;
        for actor in S::ALL {
            for target in S::ALL {
                let got = may_act_on(actor, target).is_ok();
                let want = match (actor, target) {
                    (_, S::Owner) => false,
                    (S::Owner, _) => true,
                    (S::Moderator, S::Moderator) => false,
                    (S::Moderator, _) => true,
                    _ => false,
                };
                assert_eq!(got, want, "{actor:?} on {target:?}");
            }
        }
    }
}
