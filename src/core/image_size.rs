//! The pixel size of an image from its leading bytes (contract section 9:
//! an attachment's `image` is `{width, height}` for PNG, JPEG, GIF and WebP,
//! `null` for everything else).
//!
//! Only headers are read, never pixels: PNG's `IHDR`, GIF's logical screen,
//! WebP's `VP8 `/`VP8L`/`VP8X` chunk, JPEG's first frame header (baseline or
//! progressive) after any number of application segments. A JPEG whose EXIF
//! orientation turns it a quarter (5-8) is shown, and so measured, with width
//! and height swapped. Anything truncated or inconsistent is "not an image":
//! the file is still stored, as a plain download.

use super::avatar::{sniff, ImageKind};

/// An image's kind and displayed size in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageSize {
    pub kind: ImageKind,
    pub width: u32,
    pub height: u32,
}

/// The kind and displayed size, when the bytes are a PNG, JPEG, GIF or WebP
/// with a readable, non-empty size.
pub fn image_size(bytes: &[u8]) -> Option<ImageSize> {
    let kind = sniff(bytes)?;
    let (width, height) = match kind {
        ImageKind::Png => png(bytes),
        ImageKind::Gif => gif(bytes),
        ImageKind::Webp => webp(bytes),
        ImageKind::Jpeg => jpeg(bytes),
    }?;
    (width > 0 && height > 0).then_some(ImageSize {
        kind,
        width,
        height,
    })
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u32::from(u16::from_be_bytes([*s.first()?, *s.get(1)?])))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    be16(b, at).map(|v| ((v & 0xff) << 8) | (v >> 8))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some((be16(b, at)? << 16) | be16(b, at.checked_add(2)?)?)
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(3)?)?;
    Some(u32::from_le_bytes([*s.first()?, *s.get(1)?, *s.get(2)?, 0]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(le16(b, at)? | (le16(b, at.checked_add(2)?)? << 16))
}

/// `IHDR` must be the first chunk: width and height at 16 and 20.
fn png(b: &[u8]) -> Option<(u32, u32)> {
    (b.get(12..16)? == b"IHDR").then_some(())?;
    Some((be32(b, 16)?, be32(b, 20)?))
}

/// The logical screen size, right after `GIF87a`/`GIF89a`.
fn gif(b: &[u8]) -> Option<(u32, u32)> {
    Some((le16(b, 6)?, le16(b, 8)?))
}

/// `RIFF` size `WEBP`, then the first chunk tells which encoding.
fn webp(b: &[u8]) -> Option<(u32, u32)> {
    match b.get(12..16)? {
        // Lossy: a key frame's start code, then 14-bit width and height.
        b"VP8 " => {
            (b.get(23..26)? == [0x9d, 0x01, 0x2a]).then_some(())?;
            Some((le16(b, 26)? & 0x3fff, le16(b, 28)? & 0x3fff))
        }
        // Lossless: signature 0x2f, then 14 bits each of width-1 and height-1.
        b"VP8L" => {
            (*b.get(20)? == 0x2f).then_some(())?;
            let bits = le32(b, 21)?;
            Some(((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        // Extended (alpha, animation): 24-bit canvas width-1 and height-1.
        b"VP8X" => Some((le24(b, 24)? + 1, le24(b, 27)? + 1)),
        _ => None,
    }
}

/// Walks the segments after SOI up to the first frame header (SOF0-SOF15
/// but DHT, JPG and DAC), noting an EXIF orientation on the way.
fn jpeg(b: &[u8]) -> Option<(u32, u32)> {
    let mut at = 2usize;
    let mut quarter_turn = false;
    loop {
        // Markers may be padded with any number of 0xFF fill bytes.
        (*b.get(at)? == 0xff).then_some(())?;
        while *b.get(at)? == 0xff {
            at += 1;
        }
        let marker = *b.get(at)?;
        at += 1;
        match marker {
            // Standalone markers carry no length.
            0x01 | 0xd0..=0xd7 => continue,
            // End of image or start of scan before any frame header.
            0xd9 | 0xda => return None,
            _ => {}
        }
        let len = usize::try_from(be16(b, at)?).ok()?;
        if len < 2 {
            return None;
        }
        let body = b.get(at + 2..at.checked_add(len)?)?;
        match marker {
            0xc0..=0xcf if !matches!(marker, 0xc4 | 0xc8 | 0xcc) => {
                let (h, w) = (be16(body, 1)?, be16(body, 3)?);
                return Some(if quarter_turn { (h, w) } else { (w, h) });
            }
            0xe1 if body.starts_with(b"Exif\0\0") => {
                quarter_turn = matches!(exif_orientation(body.get(6..)?), Some(5..=8));
            }
            _ => {}
        }
        at += len;
    }
}

/// The Orientation tag (0x0112) of IFD0 in a TIFF block, either byte order.
fn exif_orientation(tiff: &[u8]) -> Option<u32> {
    let little = match tiff.get(0..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |at: usize| {
        if little {
            le16(tiff, at)
        } else {
            be16(tiff, at)
        }
    };
    let u32_at = |at: usize| {
        if little {
            le32(tiff, at)
        } else {
            be32(tiff, at)
        }
    };
    (u16_at(2)? == 42).then_some(())?;
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = usize::try_from(u16_at(ifd)?).ok()?;
    (0..entries).find_map(|i| {
        let entry = ifd + 2 + i * 12;
        // Type 3 is SHORT: the value sits in the entry's first two bytes.
        (u16_at(entry)? == 0x0112 && u16_at(entry + 2)? == 3).then(|| u16_at(entry + 8))?
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    /// Real files, made by ImageMagick and libwebp (tests/fixtures/images).
    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../../tests/fixtures/images/", $name)).as_slice()
        };
    }

    type Size = (ImageKind, u32, u32);

    fn size(bytes: &[u8]) -> Option<Size> {
        image_size(bytes).map(|s| (s.kind, s.width, s.height))
    }

    #[test]
    fn real_files_of_every_format_give_their_size() {
        use ImageKind::*;
        let cases: [(&[u8], Size); 10] = [
            (fixture!("png.png"), (Png, 7, 5)),
            (fixture!("baseline.jpg"), (Jpeg, 9, 6)),
            (fixture!("progressive.jpg"), (Jpeg, 9, 6)),
            // Stored 9x6 with orientation 6 (and a 6 KB segment first): shown 6x9.
            (fixture!("exif-rotated.jpg"), (Jpeg, 6, 9)),
            (fixture!("gif.gif"), (Gif, 11, 4)),
            (fixture!("animated.gif"), (Gif, 11, 4)),
            (fixture!("lossy.webp"), (Webp, 13, 7)),
            (fixture!("lossless.webp"), (Webp, 13, 7)),
            (fixture!("alpha.webp"), (Webp, 13, 7)),
            (fixture!("animated.webp"), (Webp, 11, 4)),
        ];
        for (bytes, want) in cases {
            assert_eq!(size(bytes), Some(want));
        }
    }

    #[test]
    fn other_files_and_truncated_headers_are_not_images() {
        assert_eq!(size(b"%PDF-1.7\n"), None);
        assert_eq!(size(b"<svg xmlns='http://www.w3.org/2000/svg'/>"), None);
        assert_eq!(size(b""), None);
        for name in [
            fixture!("png.png"),
            fixture!("progressive.jpg"),
            fixture!("exif-rotated.jpg"),
            fixture!("gif.gif"),
            fixture!("lossy.webp"),
            fixture!("lossless.webp"),
        ] {
            // Cut before the size: no answer, and no panic at any length.
            for cut in 0..name.len().min(40) {
                let _ = image_size(&name[..cut]);
            }
            assert_eq!(size(&name[..9]), None);
        }
    }

    #[test]
    fn a_zero_size_or_a_broken_segment_is_not_an_image() {
        let mut png = fixture!("png.png").to_vec();
        png[16..20].copy_from_slice(&[0, 0, 0, 0]);
        assert_eq!(size(&png), None);
        // A JPEG segment whose length points past the end.
        assert_eq!(size(&[0xff, 0xd8, 0xff, 0xe0, 0xff, 0xff, 0, 0]), None);
        // A segment length below 2 would loop forever if trusted.
        assert_eq!(
            size(&[0xff, 0xd8, 0xff, 0xe0, 0x00, 0x01, 0xff, 0xc0]),
            None
        );
        // Scan data before any frame header.
        assert_eq!(size(&[0xff, 0xd8, 0xff, 0xda, 0, 2]), None);
    }
}
