//! The part of a room that survives hibernation and restarts, apart from its
//! event log: title and topic, who is a member with which role, invitations,
//! bans, and the sequence counter.
//!
//! It is one small serde value the Durable Object stores as one row
//! ([`super::store::RoomStore::save_state`]). Members' read markers are part of
//! it but, because they move on nearly every message, they are also written
//! one by one through [`super::store::RoomStore::save_read`]; loading takes the
//! larger of the two (see [`super::room::Room::load`]).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::permissions::ActorStatus;
use super::protocol::{MemberInfo, NotifyLevel, Role, RoomInfo, RoomKind, Visibility};

/// One member of a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub role: Role,
    /// The highest `seq` the member has read; only moves forward.
    pub read_seq: u64,
    pub joined_at: u64,
    /// The member's chosen notification level; `None`: the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<NotifyLevel>,
}

/// A room's durable state apart from its messages and event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomState {
    pub name: String,
    pub title: String,
    pub topic: String,
    pub visibility: Visibility,
    pub owner: String,
    pub created_at: u64,
    pub members: BTreeMap<String, Member>,
    pub invites: BTreeSet<String>,
    pub bans: BTreeSet<String>,
    /// The `seq` of the newest durable event. The event log is authoritative:
    /// a stored value older than the log is corrected on load.
    pub last_seq: u64,
    /// When the last message was sent (or the room created), for the
    /// directory's "most recently active first".
    pub last_activity_ms: u64,
    /// A room or a DM (see [`super::dm`]); rooms stored before DMs are rooms.
    #[serde(default)]
    pub kind: RoomKind,
    /// A DM's participants who closed it: hidden from their room list until
    /// the other one next sends (or they open it again).
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub closed: BTreeSet<String>,
}

impl RoomState {
    /// A fresh room whose only member is its owner.
    pub fn new(
        name: String,
        owner: String,
        title: String,
        topic: String,
        visibility: Visibility,
        now_ms: u64,
    ) -> RoomState {
        let mut members = BTreeMap::new();
        members.insert(
            owner.clone(),
            Member {
                role: Role::Owner,
                read_seq: 0,
                joined_at: now_ms,
                notify: None,
            },
        );
        RoomState {
            name,
            title,
            topic,
            visibility,
            owner,
            created_at: now_ms,
            members,
            invites: BTreeSet::new(),
            bans: BTreeSet::new(),
            last_seq: 0,
            last_activity_ms: now_ms,
            kind: RoomKind::Room,
            closed: BTreeSet::new(),
        }
    }

    /// A fresh DM between two people: both `member`, no owner, private,
    /// named by [`super::dm::dm_name`], with no events yet.
    pub fn new_dm(name: String, a: &str, b: &str, now_ms: u64) -> RoomState {
        let member = Member {
            role: Role::Member,
            read_seq: 0,
            joined_at: now_ms,
            notify: None,
        };
        let members = BTreeMap::from([(a.to_string(), member.clone()), (b.to_string(), member)]);
        RoomState {
            title: name.clone(),
            name,
            topic: String::new(),
            visibility: Visibility::Private,
            owner: String::new(),
            created_at: now_ms,
            members,
            invites: BTreeSet::new(),
            bans: BTreeSet::new(),
            last_seq: 0,
            last_activity_ms: now_ms,
            kind: RoomKind::Dm,
            closed: BTreeSet::new(),
        }
    }

    pub fn is_dm(&self) -> bool {
        self.kind == RoomKind::Dm
    }

    /// In a DM, the participant who is not `user`.
    pub fn peer_of(&self, user: &str) -> Option<&str> {
        if !self.is_dm() {
            return None;
        }
        self.members
            .keys()
            .map(String::as_str)
            .find(|name| *name != user)
    }

    /// Where `username` stands with this room. A ban outranks everything else.
    pub fn status_of(&self, username: &str) -> ActorStatus {
        if self.bans.contains(username) {
            ActorStatus::Banned
        } else if let Some(m) = self.members.get(username) {
            ActorStatus::from_role(m.role)
        } else if self.invites.contains(username) {
            ActorStatus::Invited
        } else {
            ActorStatus::Stranger
        }
    }

    /// `user`'s notification level: theirs, or the default (every message
    /// in a DM, mentions in a room).
    pub fn notify_of(&self, user: &str) -> NotifyLevel {
        let default = if self.is_dm() {
            NotifyLevel::All
        } else {
            NotifyLevel::Mentions
        };
        self.members
            .get(user)
            .and_then(|m| m.notify)
            .unwrap_or(default)
    }

    pub fn role_of(&self, username: &str) -> Option<Role> {
        self.members.get(username).map(|m| m.role)
    }

    pub fn member_count(&self) -> u64 {
        self.members.len() as u64
    }

    /// The `Room` object without the caller's personal fields.
    pub fn info(&self) -> RoomInfo {
        RoomInfo {
            name: self.name.clone(),
            title: self.title.clone(),
            topic: self.topic.clone(),
            visibility: self.visibility,
            kind: self.kind,
            owner: (!self.is_dm()).then(|| self.owner.clone()),
            created_at: self.created_at,
            member_count: self.member_count(),
            last_seq: self.last_seq,
            peer: None,
            role: None,
            read_seq: None,
            unread: None,
            mentions: None,
            notify: None,
        }
    }

    /// The member list, owner first, then moderators, then members, each
    /// group by name; `online` answers whether a user has an open socket.
    pub fn member_list(&self, online: impl Fn(&str) -> bool) -> Vec<MemberInfo> {
        let mut list: Vec<MemberInfo> = self
            .members
            .iter()
            .map(|(name, m)| MemberInfo {
                username: name.clone(),
                role: m.role,
                online: online(name),
            })
            .collect();
        list.sort_by(|a, b| (a.role, &a.username).cmp(&(b.role, &b.username)));
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn state() -> RoomState {
        RoomState::new(
            "general".into(),
            "alice".into(),
            "General".into(),
            String::new(),
            Visibility::Public,
            5,
        )
    }

    #[test]
    fn creator_is_the_owner_and_only_member() {
        let s = state();
        assert_eq!(s.status_of("alice"), ActorStatus::Owner);
        assert_eq!(s.member_count(), 1);
        assert_eq!(s.info().owner.as_deref(), Some("alice"));
        assert_eq!(s.info().kind, RoomKind::Room);
        assert_eq!(s.info().created_at, 5);
    }

    #[test]
    fn a_dm_has_two_members_and_no_owner() {
        let s = RoomState::new_dm("dm-ab".into(), "bob", "alice", 5);
        assert_eq!(s.status_of("alice"), ActorStatus::Member);
        assert_eq!(s.status_of("bob"), ActorStatus::Member);
        assert_eq!(s.status_of("carol"), ActorStatus::Stranger);
        assert_eq!(s.peer_of("alice"), Some("bob"));
        assert_eq!(s.peer_of("bob"), Some("alice"));
        let info = s.info();
        assert_eq!(
            (info.kind, info.owner, info.visibility),
            (RoomKind::Dm, None, Visibility::Private)
        );
        assert_eq!(state().peer_of("alice"), None);
    }

    #[test]
    fn a_ban_outranks_an_invitation() {
        let mut s = state();
        s.invites.insert("bob".into());
        assert_eq!(s.status_of("bob"), ActorStatus::Invited);
        s.bans.insert("bob".into());
        assert_eq!(s.status_of("bob"), ActorStatus::Banned);
        assert_eq!(s.status_of("carol"), ActorStatus::Stranger);
    }

    #[test]
    fn member_list_puts_the_owner_first() {
        let mut s = state();
        for (name, role) in [("aaron", Role::Member), ("zed", Role::Moderator)] {
            s.members.insert(
                name.into(),
                Member {
                    role,
                    read_seq: 0,
                    joined_at: 0,
                    notify: None,
                },
            );
        }
        let list = s.member_list(|u| u == "zed");
        let names: Vec<&str> = list.iter().map(|m| m.username.as_str()).collect();
        assert_eq!(names, ["alice", "zed", "aaron"]);
        assert!(list.iter().any(|m| m.username == "zed" && m.online));
    }

    #[test]
    fn state_round_trips_through_json() {
        let s = state();
        let text = serde_json::to_string(&s).unwrap_or_default();
        let back: Option<RoomState> = serde_json::from_str(&text).ok();
        assert_eq!(back, Some(s));
    }
}
