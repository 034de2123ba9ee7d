//! User profiles: the public `Profile` of the contract, the stored record it
//! is made from, and the `PATCH /api/me` body that edits it.
//!
//! The record keeps a reference to the uploaded avatar rather than a URL, so
//! the URL is always computed the same way and changes exactly when the
//! picture does: an upload's content version, or for the default picture a
//! `d-` version derived from the generated SVG (so a colour change moves it).

use serde::{Deserialize, Deserializer, Serialize};

use super::avatar::{self, ImageKind};
use super::error::ApiResult;
use super::validate;

/// The `Profile` object of the contract, field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub status: String,
    pub color: String,
    pub avatar_url: String,
    /// Milliseconds since the epoch.
    pub created_at: u64,
}

/// Where an uploaded avatar lives in R2 and how it is served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AvatarRef {
    pub key: String,
    pub content_type: String,
    pub version: String,
    pub etag: String,
}

impl AvatarRef {
    /// The reference for bytes already accepted by [`avatar::check_upload`].
    pub fn for_upload(kind: ImageKind, bytes: &[u8]) -> Self {
        AvatarRef {
            key: avatar::content_key(bytes),
            content_type: kind.content_type().to_string(),
            version: avatar::version_of(bytes),
            etag: avatar::etag(bytes),
        }
    }
}

/// A profile as stored (one JSON value per user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfileRecord {
    pub username: String,
    pub display_name: String,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub status: String,
    pub color: String,
    pub created_at: u64,
    #[serde(default)]
    pub avatar: Option<AvatarRef>,
}

/// The generated default picture, ready to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultAvatar {
    pub svg: String,
    pub version: String,
    pub etag: String,
}

impl ProfileRecord {
    /// A new account's profile. `username` and `display_name` must already have
    /// passed [`validate::username`] / [`validate::display_name`]; without a
    /// display name the username is used, and the colour is derived from the name.
    pub fn new(username: &str, display_name: Option<String>, now_ms: u64) -> Self {
        ProfileRecord {
            username: username.to_string(),
            display_name: display_name.unwrap_or_else(|| username.to_string()),
            bio: String::new(),
            status: String::new(),
            color: avatar::color_for(username),
            created_at: now_ms,
            avatar: None,
        }
    }

    /// The default picture for this user in their current colour.
    pub fn default_avatar(&self) -> DefaultAvatar {
        let svg = avatar::default_avatar_svg(&self.username, &self.color);
        DefaultAvatar {
            version: format!("d-{}", avatar::version_of(svg.as_bytes())),
            etag: avatar::etag(svg.as_bytes()),
            svg,
        }
    }

    /// The version the avatar URL currently names (uploaded or default).
    pub fn avatar_version(&self) -> String {
        match &self.avatar {
            Some(a) => a.version.clone(),
            None => self.default_avatar().version,
        }
    }

    pub fn to_profile(&self) -> Profile {
        Profile {
            username: self.username.clone(),
            display_name: self.display_name.clone(),
            bio: self.bio.clone(),
            status: self.status.clone(),
            color: self.color.clone(),
            avatar_url: avatar::avatar_url(&self.username, &self.avatar_version()),
            created_at: self.created_at,
        }
    }

    /// Points the profile at a new upload; returns the replaced reference so the
    /// caller can decide whether its object is still used by anyone.
    pub fn set_avatar(&mut self, avatar: AvatarRef) -> Option<AvatarRef> {
        self.avatar.replace(avatar)
    }

    /// Back to the default picture; returns the removed reference.
    pub fn clear_avatar(&mut self) -> Option<AvatarRef> {
        self.avatar.take()
    }
}

/// `PATCH /api/me`: every field optional, none may be `null`, no others allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(
        default,
        deserialize_with = "present_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "present_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub bio: Option<String>,
    #[serde(
        default,
        deserialize_with = "present_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub status: Option<String>,
    #[serde(
        default,
        deserialize_with = "present_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub color: Option<String>,
}

/// A field that is present must be a string: `null` is refused rather than
/// guessed to mean "clear" (send `""` to clear a bio or status).
fn present_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    String::deserialize(d).map(Some)
}

impl ProfilePatch {
    pub fn is_empty(&self) -> bool {
        self.display_name.is_none()
            && self.bio.is_none()
            && self.status.is_none()
            && self.color.is_none()
    }

    /// Validates every field first and only then writes, so a request with one
    /// bad field changes nothing.
    pub fn apply(&self, record: &mut ProfileRecord) -> ApiResult<()> {
        let display_name = self
            .display_name
            .as_deref()
            .map(validate::display_name)
            .transpose()?;
        let bio = self.bio.as_deref().map(validate::bio).transpose()?;
        let status = self.status.as_deref().map(validate::status).transpose()?;
        let color = self.color.as_deref().map(validate::color).transpose()?;
        if let Some(v) = display_name {
            record.display_name = v;
        }
        if let Some(v) = bio {
            record.bio = v;
        }
        if let Some(v) = status {
            record.status = v;
        }
        if let Some(v) = color {
            record.color = v;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;
    use crate::core::json::parse_json;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const NOW: u64 = 1_700_000_000_000;

    fn patch(body: &str) -> ApiResult<ProfilePatch> {
        parse_json(body.as_bytes())
    }

    #[test]
    fn new_account_defaults() {
        let r = ProfileRecord::new("alice", None, NOW);
        let p = r.to_profile();
        assert_eq!(p.username, "alice");
        assert_eq!(p.display_name, "alice");
        assert_eq!(p.bio, "");
        assert_eq!(p.status, "");
        assert_eq!(p.color, avatar::color_for("alice"));
        assert_eq!(p.created_at, NOW);
        assert!(p.avatar_url.starts_with("/api/users/alice/avatar?v=d-"));
        let named = ProfileRecord::new("alice", Some("Alice A.".into()), NOW);
        assert_eq!(named.to_profile().display_name, "Alice A.");
    }

    #[test]
    fn profile_json_has_exactly_the_contract_fields() {
        let v = serde_json::to_value(ProfileRecord::new("alice", None, NOW).to_profile()).unwrap();
        let mut keys: Vec<_> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "avatar_url",
                "bio",
                "color",
                "created_at",
                "display_name",
                "status",
                "username"
            ]
        );
        assert!(v["created_at"].is_u64());
    }

    #[test]
    fn avatar_url_changes_with_the_picture() {
        let mut r = ProfileRecord::new("alice", None, NOW);
        let default_url = r.to_profile().avatar_url;
        // Same picture every time.
        assert_eq!(r.to_profile().avatar_url, default_url);
        // A colour change redraws the default, so the URL moves.
        patch(r##"{"color": "#123456"}"##)
            .unwrap()
            .apply(&mut r)
            .unwrap();
        let recoloured = r.to_profile().avatar_url;
        assert_ne!(recoloured, default_url);
        // An upload has its own version; removing it returns to the default.
        let png = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 1];
        let reference = AvatarRef::for_upload(ImageKind::Png, &png);
        assert_eq!(r.set_avatar(reference.clone()), None);
        assert_eq!(
            r.to_profile().avatar_url,
            format!("/api/users/alice/avatar?v={}", reference.version)
        );
        assert_eq!(r.avatar_version(), reference.version);
        assert_eq!(r.clear_avatar(), Some(reference));
        assert_eq!(r.to_profile().avatar_url, recoloured);
    }

    #[test]
    fn patch_applies_and_normalises() {
        let mut r = ProfileRecord::new("alice", None, NOW);
        patch(
            r##"{"display_name": "  Alice  ", "bio": "hi", "status": "away", "color": "#ABCDEF"}"##,
        )
        .unwrap()
        .apply(&mut r)
        .unwrap();
        assert_eq!(r.display_name, "Alice");
        assert_eq!(r.bio, "hi");
        assert_eq!(r.status, "away");
        assert_eq!(r.color, "#abcdef");
        // Empty strings clear bio and status.
        patch(r#"{"bio": "", "status": ""}"#)
            .unwrap()
            .apply(&mut r)
            .unwrap();
        assert_eq!((r.bio.as_str(), r.status.as_str()), ("", ""));
    }

    #[test]
    fn a_bad_field_changes_nothing() {
        let mut r = ProfileRecord::new("alice", None, NOW);
        let before = r.clone();
        let e = patch(r#"{"display_name": "New", "color": "blue"}"#)
            .unwrap()
            .apply(&mut r)
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::BadRequest);
        assert_eq!(r, before);
        let long_bio = format!(r#"{{"display_name": "New", "bio": "{}"}}"#, "x".repeat(281));
        assert!(patch(&long_bio).unwrap().apply(&mut r).is_err());
        assert_eq!(r, before);
        assert!(patch(r#"{"display_name": "   "}"#)
            .unwrap()
            .apply(&mut r)
            .is_err());
        assert_eq!(r, before);
    }

    #[test]
    fn null_wrong_types_and_unknown_fields_are_bad_requests() {
        for body in [
            r#"{"bio": null}"#,
            r#"{"display_name": 5}"#,
            r#"{"status": ["x"]}"#,
            r#"{"username": "mallory"}"#,
            r#"{"avatar_url": "/x"}"#,
            r#"[]"#,
        ] {
            assert_eq!(
                patch(body).unwrap_err().code,
                ErrorCode::BadRequest,
                "{body}"
            );
        }
    }

    #[test]
    fn empty_patch_is_fine_and_changes_nothing() {
        let mut r = ProfileRecord::new("alice", None, NOW);
        let before = r.clone();
        let p = patch("{}").unwrap();
        assert!(p.is_empty());
        p.apply(&mut r).unwrap();
        assert_eq!(r, before);
    }

    #[test]
    fn stored_record_round_trips() {
        let mut r = ProfileRecord::new("alice", None, NOW);
        r.set_avatar(AvatarRef::for_upload(ImageKind::Gif, b"GIF89a"));
        let json = serde_json::to_string(&r).unwrap();
        assert_eq!(serde_json::from_str::<ProfileRecord>(&json).unwrap(), r);
    }

    #[test]
    fn default_avatar_is_servable_svg() {
        let r = ProfileRecord::new("alice", None, NOW);
        let d = r.default_avatar();
        assert!(d.svg.starts_with("<svg"));
        assert!(d.version.starts_with("d-"));
        assert_eq!(d, r.default_avatar());
        assert_eq!(d.etag, avatar::etag(d.svg.as_bytes()));
    }
}
