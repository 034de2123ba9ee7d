//! Avatars: what an upload may be, where it is stored, how it is cached, and
//! the default picture for users who never uploaded one (contract section 3).
//!
//! Uploads are judged by their leading bytes, not by the `Content-Type` header
//! alone: a file that claims to be a PNG must start like one. SVG and HTML are
//! never accepted, because served from our origin they could run script.
//! Stored objects are content-addressed (`avatars/<sha256>`), so a URL that
//! names a version can be cached for a year.

use sha2::{Digest, Sha256};

use super::error::{ApiError, ApiResult, ErrorCode};
use super::validate::{self, AVATAR_MAX_BYTES};

/// The content type of the generated default avatar.
pub const SVG_CONTENT_TYPE: &str = "image/svg+xml";
/// Sent with every avatar response: even our own SVG may not load anything or
/// run script if someone opens it directly.
pub const AVATAR_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; sandbox";
/// For a URL whose `?v=` names the current version: it can never change.
pub const CACHE_IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// For the plain URL (or an outdated `?v=`): always ask again, answered cheaply by ETag.
pub const CACHE_REVALIDATE: &str = "public, no-cache";

/// The image formats an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Png,
    Jpeg,
    Webp,
    Gif,
}

impl ImageKind {
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Png => "image/png",
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Webp => "image/webp",
            ImageKind::Gif => "image/gif",
        }
    }

    /// The kind a `Content-Type` header names, ignoring case and parameters
    /// such as `; charset=`. `image/jpg` is a common misspelling of JPEG.
    pub fn from_content_type(header: &str) -> Option<ImageKind> {
        let essence = header.split(';').next().unwrap_or("").trim();
        match essence.to_ascii_lowercase().as_str() {
            "image/png" => Some(ImageKind::Png),
            "image/jpeg" | "image/jpg" => Some(ImageKind::Jpeg),
            "image/webp" => Some(ImageKind::Webp),
            "image/gif" => Some(ImageKind::Gif),
            _ => None,
        }
    }
}

/// The image kind from magic bytes alone.
pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
    if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some(ImageKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageKind::Jpeg)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(ImageKind::Gif)
    } else if bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
        Some(ImageKind::Webp)
    } else {
        None
    }
}

fn unsupported() -> ApiError {
    ApiError::new(
        ErrorCode::UnsupportedMediaType,
        "Avatars must be PNG, JPEG, WebP or GIF images, sent with the matching Content-Type.",
    )
}

/// Decides whether an upload may become an avatar.
pub fn check_upload(declared_content_type: Option<&str>, bytes: &[u8]) -> ApiResult<ImageKind> {
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "The avatar upload is empty: send the image bytes as the request body.",
        ));
    }
    if bytes.len() > AVATAR_MAX_BYTES {
        return Err(ApiError::new(
            ErrorCode::TooLarge,
            "Avatars are at most 512 KiB.",
        ));
    }
    let declared = declared_content_type
        .and_then(ImageKind::from_content_type)
        .ok_or_else(unsupported)?;
    match sniff(bytes) {
        Some(actual) if actual == declared => Ok(actual),
        _ => Err(unsupported()),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The R2 key of an uploaded image: its SHA-256, so equal bytes share one
/// object. (Deleting an avatar must therefore not delete the object blindly:
/// another user may point at the same key.)
pub fn content_key(bytes: &[u8]) -> String {
    format!("avatars/{}", sha256_hex(bytes))
}

/// A strong ETag (quoted, as HTTP requires) from the bytes' SHA-256.
pub fn etag(bytes: &[u8]) -> String {
    let hex = sha256_hex(bytes);
    format!("\"{}\"", hex.get(..32).unwrap_or(&hex))
}

/// The short version put into `avatar_url`; changes whenever the bytes do.
pub fn version_of(bytes: &[u8]) -> String {
    let hex = sha256_hex(bytes);
    hex.get(..16).unwrap_or(&hex).to_string()
}

/// `/api/users/{username}/avatar?v={version}`.
pub fn avatar_url(username: &str, version: &str) -> String {
    format!("/api/users/{username}/avatar?v={version}")
}

/// `Cache-Control` for an avatar response: immutable only when the request
/// names exactly the version being served, so an outdated `?v=` is never
/// cached for a year with the wrong picture.
pub fn cache_control(requested_version: Option<&str>, current_version: &str) -> &'static str {
    match requested_version {
        Some(v) if v == current_version => CACHE_IMMUTABLE,
        _ => CACHE_REVALIDATE,
    }
}

/// Colours on which white text meets WCAG AA (contrast >= 4.5; checked by a test).
const PALETTE: [&str; 16] = [
    "#b91c1c", "#c2410c", "#a16207", "#4d7c0f", "#15803d", "#047857", "#0f766e", "#0e7490",
    "#0369a1", "#1d4ed8", "#4338ca", "#6d28d9", "#7e22ce", "#a21caf", "#be185d", "#475569",
];

/// A new account's colour: the same for the same name, every time.
pub fn color_for(username: &str) -> String {
    let digest = Sha256::digest(username.as_bytes());
    let index = usize::from(digest.first().copied().unwrap_or(0)) % PALETTE.len();
    PALETTE.get(index).copied().unwrap_or("#475569").to_string()
}

/// Relative luminance (WCAG 2) of `#rrggbb`; `None` if it is not that shape.
fn luminance(hex: &str) -> Option<f64> {
    let channel = |range: std::ops::Range<usize>| -> Option<f64> {
        let v = u8::from_str_radix(hex.get(range)?, 16).ok()?;
        let c = f64::from(v) / 255.0;
        Some(if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        })
    };
    Some(0.2126 * channel(1..3)? + 0.7152 * channel(3..5)? + 0.0722 * channel(5..7)?)
}

/// Contrast ratio between two `#rrggbb` colours (1 to 21).
pub fn contrast_ratio(a: &str, b: &str) -> Option<f64> {
    let (la, lb) = (luminance(a)?, luminance(b)?);
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

/// Up to two letters: the first of each of the first two `_`-separated parts.
fn initials(username: &str) -> String {
    let letters: String = username
        .split('_')
        .filter_map(|part| part.chars().next())
        .take(2)
        .collect();
    if letters.is_empty() {
        "?".to_string()
    } else {
        // Usernames are ASCII (validate::username); Unicode case mapping
        // would add about 17 KB of tables and code to the Worker.
        letters.to_ascii_uppercase()
    }
}

fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The default avatar: initials on the user's colour. The text is white, or
/// near-black when the user picked a colour too light for white to be legible.
/// An invalid colour falls back to the derived one, so nothing from the caller
/// reaches an attribute unchecked.
pub fn default_avatar_svg(username: &str, color: &str) -> String {
    let fill = validate::color(color).unwrap_or_else(|_| color_for(username));
    let white = contrast_ratio(&fill, "#ffffff").unwrap_or(21.0);
    let dark = contrast_ratio(&fill, "#111111").unwrap_or(1.0);
    let ink = if white >= 4.5 || white >= dark {
        "#ffffff"
    } else {
        "#111111"
    };
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256" role="img" aria-label="{label}">"#,
            r#"<rect width="256" height="256" fill="{fill}"/>"#,
            r#"<text x="128" y="128" dy="0.35em" text-anchor="middle" fill="{ink}" "#,
            r#"font-family="system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif" "#,
            r#"font-size="112" font-weight="600">{initials}</text></svg>"#
        ),
        label = escape_xml(username),
        fill = fill,
        ink = ink,
        initials = escape_xml(&initials(username)),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
    const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00";
    const WEBP: &[u8] = b"RIFF\x24\x00\x00\x00WEBPVP8 ";

    fn code(r: ApiResult<ImageKind>) -> ErrorCode {
        r.unwrap_err().code
    }

    #[test]
    fn sniffs_the_four_formats() {
        assert_eq!(sniff(PNG), Some(ImageKind::Png));
        assert_eq!(sniff(JPEG), Some(ImageKind::Jpeg));
        assert_eq!(sniff(GIF), Some(ImageKind::Gif));
        assert_eq!(sniff(b"GIF87a...."), Some(ImageKind::Gif));
        assert_eq!(sniff(WEBP), Some(ImageKind::Webp));
        assert_eq!(sniff(b"RIFF\x24\x00\x00\x00WAVEfmt "), None);
        assert_eq!(sniff(b"RIFF"), None);
        assert_eq!(sniff(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn accepts_a_matching_upload_with_parameters_in_the_header() {
        assert_eq!(check_upload(Some("image/png"), PNG), Ok(ImageKind::Png));
        assert_eq!(
            check_upload(Some("IMAGE/JPEG; charset=binary"), JPEG),
            Ok(ImageKind::Jpeg)
        );
        assert_eq!(check_upload(Some("image/gif"), GIF), Ok(ImageKind::Gif));
        assert_eq!(check_upload(Some("image/webp"), WEBP), Ok(ImageKind::Webp));
    }

    #[test]
    fn a_body_that_is_not_what_it_claims_is_415() {
        assert_eq!(
            code(check_upload(Some("image/png"), JPEG)),
            ErrorCode::UnsupportedMediaType
        );
        assert_eq!(
            code(check_upload(
                Some("image/png"),
                b"<html><script>alert(1)</script>"
            )),
            ErrorCode::UnsupportedMediaType
        );
        assert_eq!(
            code(check_upload(Some("image/gif"), b"<svg onload=alert(1)>")),
            ErrorCode::UnsupportedMediaType
        );
    }

    #[test]
    fn svg_html_and_missing_types_are_415() {
        for declared in [
            Some("image/svg+xml"),
            Some("text/html"),
            Some("application/octet-stream"),
            Some(""),
            None,
        ] {
            assert_eq!(
                code(check_upload(declared, PNG)),
                ErrorCode::UnsupportedMediaType,
                "{declared:?}"
            );
        }
        assert_eq!(
            code(check_upload(None, b"<svg/>")),
            ErrorCode::UnsupportedMediaType
        );
    }

    #[test]
    fn empty_is_400_and_oversize_is_413() {
        assert_eq!(
            code(check_upload(Some("image/png"), b"")),
            ErrorCode::BadRequest
        );
        let mut big = PNG.to_vec();
        big.resize(AVATAR_MAX_BYTES, 0);
        assert!(check_upload(Some("image/png"), &big).is_ok());
        big.push(0);
        let e = check_upload(Some("image/png"), &big).unwrap_err();
        assert_eq!((e.code, e.status()), (ErrorCode::TooLarge, 413));
    }

    #[test]
    fn keys_versions_and_etags_follow_the_bytes() {
        let key = content_key(PNG);
        assert!(key.starts_with("avatars/"));
        assert_eq!(key.len(), "avatars/".len() + 64);
        assert_eq!(content_key(PNG), key);
        assert_ne!(content_key(JPEG), key);
        let v = version_of(PNG);
        assert_eq!(v.len(), 16);
        assert!(v.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(version_of(JPEG), v);
        let tag = etag(PNG);
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert_ne!(etag(JPEG), tag);
        // sha256("") is well known.
        assert_eq!(version_of(b""), "e3b0c44298fc1c14");
    }

    #[test]
    fn avatar_url_and_caching() {
        assert_eq!(
            avatar_url("alice", "0123456789abcdef"),
            "/api/users/alice/avatar?v=0123456789abcdef"
        );
        assert_eq!(cache_control(Some("abc"), "abc"), CACHE_IMMUTABLE);
        assert_eq!(cache_control(Some("old"), "abc"), CACHE_REVALIDATE);
        assert_eq!(cache_control(None, "abc"), CACHE_REVALIDATE);
        assert!(!CACHE_REVALIDATE.contains("immutable"));
    }

    #[test]
    fn every_palette_colour_keeps_white_text_readable() {
        for c in PALETTE {
            let ratio = contrast_ratio(c, "#ffffff").unwrap();
            assert!(ratio >= 4.5, "{c}: {ratio}");
            assert_eq!(validate::color(c).unwrap(), c);
        }
    }

    #[test]
    fn derived_colour_is_stable_and_from_the_palette() {
        assert_eq!(color_for("alice"), color_for("alice"));
        assert!(PALETTE.contains(&color_for("alice").as_str()));
        let distinct: std::collections::HashSet<_> =
            ["alice", "bob", "carol", "dave", "erin", "frank"]
                .iter()
                .map(|n| color_for(n))
                .collect();
        assert!(distinct.len() > 1);
    }

    #[test]
    fn default_svg_shows_initials_and_is_deterministic() {
        let svg = default_avatar_svg("alice_smith", "#1d4ed8");
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains("viewBox=\"0 0 256 256\""));
        assert!(svg.contains("fill=\"#1d4ed8\""));
        assert!(svg.contains(">AS</text>"));
        assert!(default_avatar_svg("bob", "#1d4ed8").contains(">B</text>"));
        assert_eq!(svg, default_avatar_svg("alice_smith", "#1d4ed8"));
        assert_ne!(svg, default_avatar_svg("alice_smith", "#0f766e"));
    }

    #[test]
    fn default_svg_escapes_everything() {
        let svg = default_avatar_svg("<x\"&'>", "\"/><script>alert(1)</script>");
        assert!(!svg.contains("<script"));
        assert!(!svg.contains("<x"));
        assert!(svg.contains("&lt;x&quot;&amp;&#39;&gt;"));
        // The bad colour was replaced by the derived one.
        assert!(svg.contains(&format!("fill=\"{}\"", color_for("<x\"&'>"))));
    }

    #[test]
    fn light_custom_colours_get_dark_text() {
        assert!(default_avatar_svg("alice", "#ffff00").contains("fill=\"#111111\" "));
        assert!(default_avatar_svg("alice", "#000080").contains("fill=\"#ffffff\" "));
    }
}
