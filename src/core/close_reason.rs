//! Why the server closes a room socket. One enum, so a close code and its
//! reason text can never disagree, and a code the contract does not list
//! cannot be sent.

use serde::{Deserialize, Serialize};

/// A server-initiated close of a room socket (contract §5's close codes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// 1000: the user left the room.
    Left,
    /// 1008: the session's token expired.
    SessionExpired,
    /// 1009: a frame over 16 KiB.
    TooBig,
    /// 1011: the server could not serve the socket.
    ServerError,
    /// 4001: the session logged out.
    LoggedOut,
    /// 4003: kicked, or otherwise no longer a member.
    Removed,
    /// 4003: banned.
    Banned,
    /// 4004: the room was deleted.
    RoomDeleted,
}

impl CloseReason {
    /// The WebSocket close code.
    pub const fn code(self) -> u16 {
        match self {
            CloseReason::Left => 1000,
            CloseReason::SessionExpired => 1008,
            CloseReason::TooBig => 1009,
            CloseReason::ServerError => 1011,
            CloseReason::LoggedOut => 4001,
            CloseReason::Removed | CloseReason::Banned => 4003,
            CloseReason::RoomDeleted => 4004,
        }
    }

    /// The close frame's reason text.
    pub const fn text(self) -> &'static str {
        match self {
            CloseReason::Left => "left the room",
            CloseReason::SessionExpired => "session expired",
            CloseReason::TooBig => "frame too large",
            CloseReason::ServerError => "server error",
            CloseReason::LoggedOut => "logged out",
            CloseReason::Removed => "removed from the room",
            CloseReason::Banned => "banned from the room",
            CloseReason::RoomDeleted => "room deleted",
        }
    }
}

#[cfg(test)]
mod tests {
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::CloseReason::{self, *};

    const ALL: [CloseReason; 8] = [
        Left,
        SessionExpired,
        TooBig,
        ServerError,
        LoggedOut,
        Removed,
        Banned,
        RoomDeleted,
    ];

    #[test]
    fn the_contract_close_codes() {
        let codes: Vec<u16> = ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes, [1000, 1008, 1009, 1011, 4001, 4003, 4003, 4004]);
    }

    #[test]
    fn reasons_fit_a_close_frame_and_travel_by_name() {
        for r in ALL {
            // A close frame's reason is at most 123 bytes.
            assert!(!r.text().is_empty() && r.text().len() <= 123, "{r:?}");
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(serde_json::from_str::<CloseReason>(&json).unwrap(), r);
        }
        assert_eq!(
            serde_json::to_string(&LoggedOut).unwrap(),
            r#""logged_out""#
        );
    }
}
