//! Attachments (contract section 9): what an upload may be, what the room
//! records of it, where its bytes live in R2, and how a download is served.
//!
//! Bytes are stored under the room and their SHA-256
//! (`attachments/{room}/{created_at}/{sha256}`: the room's creation time
//! keeps a re-created room of the same name out of the old one's prefix), so
//! equal files in one room share an object; the room deletes an object only
//! when no record of it is left.
//!
//! Only PNG, JPEG, GIF and WebP files whose leading bytes agree with their
//! declared type are ever served inline; everything else is a download
//! (`application/octet-stream`, `attachment`), so nothing uploaded can run as
//! a page of our origin.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::error::{ApiError, ApiResult, ErrorCode};
use super::image_size::image_size;

/// The largest file: 10 MiB.
pub const ATTACHMENT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Attachments one message may carry.
pub const ATTACHMENTS_PER_MESSAGE: usize = 10;
/// File names are 1-128 characters.
pub const FILE_NAME_MAX: usize = 128;
/// An upload no message uses is deleted after this long.
pub const UNUSED_UPLOAD_TTL_MS: u64 = 24 * 60 * 60 * 1000;
/// The type stored for an upload without a usable `Content-Type`.
pub const OCTET_STREAM: &str = "application/octet-stream";
/// Every download: nothing in it may load or run anything.
pub const DOWNLOAD_CSP: &str = "default-src 'none'; sandbox";
/// Every download: a private room's files are private.
pub const DOWNLOAD_CACHE: &str = "private, no-cache";
/// Declared content types longer than this are not kept.
const CONTENT_TYPE_MAX: usize = 127;
/// Random bytes in an attachment id (hex in the id).
pub const ID_BYTES: usize = 12;

/// An image's pixel size, as the contract shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PixelSize {
    pub width: u32,
    pub height: u32,
}

/// The contract's `Attachment` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub url: String,
    pub image: Option<PixelSize>,
}

/// What the Worker learned from an upload's bytes, for the room to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    pub id: String,
    pub name: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
    pub image: Option<PixelSize>,
    /// The bytes are an image of exactly the declared type.
    pub inline: bool,
}

/// The room's record of one upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentRecord {
    pub upload: Upload,
    pub uploader: String,
    pub created_at: u64,
    /// The message that carries it; `None` while unused.
    pub message: Option<u64>,
}

impl AttachmentRecord {
    /// The contract's object for room `room`.
    pub fn public(&self, room: &str) -> Attachment {
        let u = &self.upload;
        Attachment {
            id: u.id.clone(),
            name: u.name.clone(),
            content_type: u.content_type.clone(),
            size: u.size,
            url: format!("/api/rooms/{room}/attachments/{}", u.id),
            image: u.image,
        }
    }
}

impl Upload {
    /// Reads an upload's bytes: size, hash, image size and whether it may be
    /// shown inline. `name` and `declared` are already checked.
    pub fn of_bytes(id: String, name: String, declared: String, bytes: &[u8]) -> Upload {
        let image = image_size(bytes);
        let inline = image.is_some_and(|i| essence(&declared) == i.kind.content_type());
        Upload {
            id,
            name,
            content_type: declared,
            size: bytes.len() as u64,
            sha256: sha256_hex(bytes),
            image: image.map(|i| PixelSize {
                width: i.width,
                height: i.height,
            }),
            inline,
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The media type without parameters, lowercased.
fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A new attachment id from random bytes.
pub fn new_id(random: [u8; ID_BYTES]) -> String {
    random.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `id` can be an attachment id at all (so a malformed one is
/// `not_found` without a lookup).
pub fn is_id(id: &str) -> bool {
    id.len() == ID_BYTES * 2
        && id
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
}

/// The `?name=` of an upload, already percent-decoded: 1-128 characters,
/// no `/`, `\` or control characters, not only spaces.
pub fn file_name(raw: Option<&str>) -> ApiResult<String> {
    let name = raw.unwrap_or_default();
    let n = name.chars().count();
    let bad_char = name
        .chars()
        .any(|c| c == '/' || c == '\\' || c.is_control());
    if n == 0 || n > FILE_NAME_MAX || bad_char || name.trim().is_empty() {
        return Err(ApiError::bad_request(format!(
            "Give the file a name (?name=): 1-{FILE_NAME_MAX} characters, without /, \\ or control characters."
        )));
    }
    Ok(name.to_string())
}

/// The declared type to keep: the header as sent when it is a plausible
/// `type/subtype[; params]` of printable ASCII, else `application/octet-stream`
/// (a missing or odd header loses nothing: the file is served as a download).
pub fn declared_type(header: Option<&str>) -> String {
    let Some(h) = header.map(str::trim) else {
        return OCTET_STREAM.to_string();
    };
    let plausible = h.len() <= CONTENT_TYPE_MAX
        && essence(h).split_once('/').is_some_and(|(t, s)| {
            let token = |x: &str| {
                !x.is_empty()
                    && x.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!#$&-^_.+".contains(c))
            };
            token(t) && token(s)
        })
        && h.chars().all(|c| c.is_ascii() && !c.is_ascii_control());
    if plausible {
        h.to_string()
    } else {
        OCTET_STREAM.to_string()
    }
}

/// `413 too_large` for a file over the cap.
pub fn too_large() -> ApiError {
    ApiError::new(
        ErrorCode::TooLarge,
        format!(
            "Files are at most {} MiB.",
            ATTACHMENT_MAX_BYTES / 1024 / 1024
        ),
    )
}

/// Where a room's files live: one prefix per room incarnation.
pub fn room_prefix(room: &str, created_at: u64) -> String {
    format!("attachments/{room}/{created_at}/")
}

/// The R2 key of one file of a room incarnation.
pub fn object_key(room: &str, created_at: u64, sha256: &str) -> String {
    format!("{}{sha256}", room_prefix(room, created_at))
}

/// The headers a download is served with (besides `nosniff`, the CSP and
/// the cache policy, which every download has).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Download {
    pub key: String,
    pub content_type: String,
    pub disposition: String,
    pub etag: String,
    pub size: u64,
}

impl Download {
    pub fn of(record: &AttachmentRecord, key: String) -> Download {
        let u = &record.upload;
        let (content_type, kind) = if u.inline {
            (u.content_type.clone(), "inline")
        } else {
            (OCTET_STREAM.to_string(), "attachment")
        };
        Download {
            key,
            content_type,
            disposition: content_disposition(kind, &u.name),
            etag: format!("\"{}\"", u.sha256.get(..32).unwrap_or(&u.sha256)),
            size: u.size,
        }
    }
}

/// `inline` or `attachment` with the file name, both as a plain quoted
/// fallback (non-ASCII and quotes replaced) and RFC 5987 UTF-8.
pub fn content_disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const PNG: &[u8] = include_bytes!("../../tests/fixtures/images/png.png");

    fn upload(declared: &str, bytes: &[u8]) -> Upload {
        Upload::of_bytes("a".repeat(24), "f.png".into(), declared.into(), bytes)
    }

    #[test]
    fn an_image_of_its_declared_type_is_inline_with_its_size() {
        let u = upload("image/png", PNG);
        assert!(u.inline);
        assert_eq!(
            u.image,
            Some(PixelSize {
                width: 7,
                height: 5
            })
        );
        assert_eq!(u.size, PNG.len() as u64);
        assert_eq!(u.sha256.len(), 64);
        assert!(upload("IMAGE/PNG; x=y", PNG).inline);
    }

    #[test]
    fn a_mislabelled_image_or_any_other_file_is_a_download() {
        // Still an image by its bytes (so `image` says its size), but served
        // as what it claimed only when the claim agrees.
        let u = upload("image/gif", PNG);
        assert!(!u.inline);
        assert!(u.image.is_some());
        let pdf = upload("application/pdf", b"%PDF-1.7");
        assert_eq!((pdf.inline, pdf.image), (false, None));
        let html = upload("text/html", b"<script>alert(1)</script>");
        let record = AttachmentRecord {
            upload: html,
            uploader: "alice".into(),
            created_at: 1,
            message: None,
        };
        let d = Download::of(&record, "k".into());
        assert_eq!(d.content_type, OCTET_STREAM);
        assert!(d.disposition.starts_with("attachment; "));
        // The record keeps what was declared; only the download changes it.
        assert_eq!(record.public("r").content_type, "text/html");
    }

    #[test]
    fn downloads_name_the_file_safely() {
        assert_eq!(
            content_disposition("attachment", "résumé \"v2\".pdf"),
            "attachment; filename=\"r_sum_ _v2_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.pdf"
        );
        let record = AttachmentRecord {
            upload: upload("image/png", PNG),
            uploader: "alice".into(),
            created_at: 1,
            message: None,
        };
        let d = Download::of(&record, "k".into());
        assert_eq!(d.content_type, "image/png");
        assert!(d.disposition.starts_with("inline; "));
        assert_eq!(d.etag.len(), 34);
    }

    #[test]
    fn file_names_follow_the_contract() {
        assert_eq!(
            file_name(Some("report 2026.pdf")).unwrap(),
            "report 2026.pdf"
        );
        assert_eq!(
            file_name(Some(&"é".repeat(128))).unwrap().chars().count(),
            128
        );
        for bad in [
            None,
            Some(""),
            Some("   "),
            Some("a/b"),
            Some("a\\b"),
            Some("a\nb"),
        ] {
            assert_eq!(file_name(bad).unwrap_err().code, ErrorCode::BadRequest);
        }
        assert!(file_name(Some(&"é".repeat(129))).is_err());
    }

    #[test]
    fn declared_types_are_kept_when_plausible() {
        assert_eq!(declared_type(Some("application/pdf")), "application/pdf");
        assert_eq!(
            declared_type(Some(" text/plain; charset=utf-8 ")),
            "text/plain; charset=utf-8"
        );
        for odd in [
            None,
            Some(""),
            Some("pdf"),
            Some("a/b\u{7f}"),
            Some("x/y\u{e9}"),
        ] {
            assert_eq!(declared_type(odd), OCTET_STREAM);
        }
    }

    #[test]
    fn ids_and_keys() {
        let id = new_id([0xab; ID_BYTES]);
        assert!(is_id(&id));
        assert!(!is_id("ABABABABABABABABABABABAB"));
        assert!(!is_id("../../etc/passwd"));
        assert_eq!(object_key("general", 5, "ff"), "attachments/general/5/ff");
        assert!(object_key("general", 5, "ff").starts_with(&room_prefix("general", 5)));
        assert!(!room_prefix("general", 50).starts_with(&room_prefix("general", 5)));
    }
}
