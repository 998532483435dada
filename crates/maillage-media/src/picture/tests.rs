//! Pictures through `process_image`, with the fixture files of
//! `tests/fixtures/` (see the list of what a server does with each)
//! and pictures made here.

use image::codecs::png::PngEncoder;
use image::{AnimationDecoder, ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;

const LIMITS: ImageLimits =
    ImageLimits { max_bytes: 16 * 1024 * 1024, max_pixels: 50_000_000, original_side: 3840, preview_side: 640 };

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect(name)
}

fn decoded(encoded: &Encoded) -> DynamicImage {
    let image = image::load_from_memory(&encoded.bytes).expect("our output decodes");
    assert_eq!((image.width(), image.height()), (encoded.width, encoded.height));
    image
}

/// Every metadata the decoders of our output formats can find, and the
/// segments of a JPEG where metadata lives (APP1 to APP15, COM): none.
fn assert_no_metadata(encoded: &Encoded) {
    let format = image::guess_format(&encoded.bytes).unwrap();
    let mut reader = ImageReader::with_format(Cursor::new(&encoded.bytes), format).into_decoder().unwrap();
    assert_eq!(reader.exif_metadata().unwrap(), None, "no EXIF");
    assert_eq!(reader.xmp_metadata().unwrap(), None, "no XMP");
    assert_eq!(reader.iptc_metadata().unwrap(), None, "no IPTC");
    assert_eq!(reader.icc_profile().unwrap(), None, "no ICC profile");
    assert_eq!(reader.orientation().unwrap(), Orientation::NoTransforms);
    let bytes = &encoded.bytes;
    for needle in [&b"Exif"[..], b"GPS", b"http://ns.adobe.com/xap", b"ICC_PROFILE"] {
        assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{:?} found", String::from_utf8_lossy(needle));
    }
    if format == image::ImageFormat::Jpeg {
        // Walk the segments up to the start of the scan.
        let mut at = 2;
        while at + 4 <= bytes.len() && bytes[at] == 0xff && bytes[at + 1] != 0xda {
            let marker = bytes[at + 1];
            assert!(!(0xe1..=0xef).contains(&marker) && marker != 0xfe, "segment {marker:#x} in our JPEG");
            at += 2 + usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        }
        assert_eq!(bytes[at + 1], 0xda, "the segments lead to the scan");
    }
}

/// Mean absolute difference of two pictures of the same size, per channel.
fn difference(a: &RgbImage, b: &RgbImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let total: u64 = a.as_raw().iter().zip(b.as_raw()).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    total as f64 / a.as_raw().len() as f64
}

fn png(image: &RgbaImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    PngEncoder::new(&mut bytes)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgba8)
        .unwrap();
    bytes
}

fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, 90)
        .write_image(image.as_raw(), image.width(), image.height(), image::ExtendedColorType::Rgb8)
        .unwrap();
    bytes
}

#[test]
fn a_phone_photo_comes_out_upright_without_any_metadata() {
    let bytes = fixture("phone-photo-gps.jpg");
    // The fixture says what we remove: EXIF with GPS and orientation 6.
    let mut source = ImageReader::with_format(Cursor::new(&bytes), image::ImageFormat::Jpeg).into_decoder().unwrap();
    // The GPS IFD pointer (tag 0x8825), big- or little-endian.
    let exif = source.exif_metadata().unwrap().expect("the fixture has EXIF");
    assert!(exif.windows(4).any(|w| w == [0x88, 0x25, 0, 4] || w == [0x25, 0x88, 4, 0]), "the fixture has GPS");
    assert_eq!(source.orientation().unwrap(), Orientation::Rotate90);
    let stored = DynamicImage::from_decoder(source).unwrap().into_rgb8();
    assert_eq!(stored.dimensions(), (1200, 900), "stored sideways, as phones do");

    let processed = process_image(&bytes, &LIMITS).unwrap();
    let original = &processed.original;
    assert_eq!((original.width, original.height), (900, 1200), "upright, and not scaled: it fits 3840");
    assert_eq!((original.media_type, original.extension), ("image/jpeg", "jpg"));
    assert_eq!((processed.preview.width, processed.preview.height), (480, 640));
    assert_eq!(processed.preview.media_type, "image/jpeg");
    assert_no_metadata(original);
    assert_no_metadata(&processed.preview);

    // Turned the way orientation 6 says (90° clockwise), not the other way.
    let upright = decoded(original).into_rgb8();
    let clockwise = image::imageops::rotate90(&stored);
    let anticlockwise = image::imageops::rotate270(&stored);
    let (right, wrong) = (difference(&upright, &clockwise), difference(&upright, &anticlockwise));
    assert!(right < 4.0 && wrong > right * 3.0, "difference {right} turned clockwise, {wrong} the other way");
}

#[test]
fn a_blurhash_of_four_by_three_components() {
    let processed = process_image(&fixture("phone-photo-gps.jpg"), &LIMITS).unwrap();
    // One size character, one maximum, four DC and two per AC component.
    assert_eq!(processed.blurhash.len(), 1 + 1 + 4 + 2 * (4 * 3 - 1), "{}", processed.blurhash);
    assert!(blurhash::decode(&processed.blurhash, 4, 3, 1.0).is_ok());
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header() {
    let bomb = fixture("bomb-20000.png");
    assert_eq!(bomb.len(), 48_610);
    assert_eq!(
        process_image(&bomb, &LIMITS),
        Err(MediaError::TooManyPixels { width: 20_000, height: 20_000, limit: 50_000_000 })
    );
    // Within the pixel limit, the decoder's own allocation limit holds.
    let mut generous = LIMITS;
    generous.max_pixels = 400_000_000;
    let outcome = decode_other(&bomb, ImageFormat::Png, generous.max_pixels);
    assert!(outcome.is_ok() || matches!(outcome, Err(MediaError::Corrupt(_))));
}

#[test]
fn a_big_picture_is_refused_from_its_header_whatever_its_format() {
    let picture = jpeg(&RgbImage::from_pixel(300, 200, Rgb([10, 120, 200])));
    let mut limits = LIMITS;
    limits.max_pixels = 300 * 200 - 1;
    assert_eq!(
        process_image(&picture, &limits),
        Err(MediaError::TooManyPixels { width: 300, height: 200, limit: 59_999 })
    );
    let picture = png(&RgbaImage::from_pixel(300, 200, Rgba([10, 120, 200, 255])));
    assert_eq!(
        process_image(&picture, &limits),
        Err(MediaError::TooManyPixels { width: 300, height: 200, limit: 59_999 })
    );
}

#[test]
fn bad_files_are_refused_with_their_reason() {
    assert!(matches!(process_image(&fixture("truncated.jpg"), &LIMITS), Err(MediaError::Corrupt(_))));
    assert_eq!(process_image(&fixture("not-a-photo.jpg"), &LIMITS), Err(MediaError::Unsupported));
    assert_eq!(process_image(&fixture("logo-with-script.svg"), &LIMITS), Err(MediaError::Svg));
    assert_eq!(process_image(b"", &LIMITS), Err(MediaError::Empty));
    assert!(matches!(process_image(b"%PDF-1.4\n", &LIMITS), Err(MediaError::NotAccepted(_))));
    let mut small = LIMITS;
    small.max_bytes = 1000;
    let photo = fixture("phone-photo-gps.jpg");
    assert_eq!(process_image(&photo, &small), Err(MediaError::TooLarge { size: photo.len() as u64, limit: 1000 }));
    assert!(process_image(&photo, &small).unwrap_err().is_too_large());
}

#[test]
fn an_animated_gif_keeps_its_first_frame_as_a_still_picture() {
    let processed = process_image(&fixture("animated.gif"), &LIMITS).unwrap();
    assert_eq!((processed.original.width, processed.original.height), (64, 64));
    assert_eq!(image::guess_format(&processed.original.bytes).unwrap(), image::ImageFormat::Jpeg);

    // Two frames, red then blue: the red one is kept.
    let mut gif = Vec::new();
    {
        let mut encoder = image::codecs::gif::GifEncoder::new(&mut gif);
        encoder.set_repeat(image::codecs::gif::Repeat::Infinite).unwrap();
        for colour in [[220, 20, 20, 255], [20, 20, 220, 255]] {
            let frame = image::Frame::new(RgbaImage::from_pixel(64, 48, Rgba(colour)));
            encoder.encode_frame(frame).unwrap();
        }
    }
    let frames = image::codecs::gif::GifDecoder::new(Cursor::new(&gif)).unwrap().into_frames().count();
    assert_eq!(frames, 2);
    let processed = process_image(&gif, &LIMITS).unwrap();
    assert_eq!((processed.original.width, processed.original.height), (64, 48));
    let still = decoded(&processed.original).into_rgb8();
    let [red, green, blue] = still.get_pixel(32, 24).0;
    assert!(red > 180 && green < 60 && blue < 60, "the first frame, red: {:?}", [red, green, blue]);
}

#[test]
fn transparency_stays_png_and_an_opaque_png_becomes_a_jpeg() {
    let mut logo = RgbaImage::from_pixel(800, 400, Rgba([0, 0, 0, 0]));
    for (x, _, pixel) in logo.enumerate_pixels_mut() {
        if x < 400 {
            *pixel = Rgba([200, 30, 30, 255]);
        }
    }
    let processed = process_image(&png(&logo), &LIMITS).unwrap();
    assert_eq!((processed.original.media_type, processed.original.extension), ("image/png", "png"));
    assert_eq!(processed.preview.media_type, "image/png");
    assert_eq!((processed.preview.width, processed.preview.height), (640, 320));
    assert_no_metadata(&processed.original);
    let kept = decoded(&processed.original).into_rgba8();
    assert_eq!(kept.get_pixel(700, 200).0[3], 0, "still transparent");
    assert_eq!(kept.get_pixel(100, 200).0, [200, 30, 30, 255]);

    let opaque = RgbaImage::from_pixel(100, 50, Rgba([20, 90, 160, 255]));
    let processed = process_image(&png(&opaque), &LIMITS).unwrap();
    assert_eq!(processed.original.media_type, "image/jpeg");
    assert_eq!((processed.preview.width, processed.preview.height), (100, 50), "never scaled up");
}

#[test]
fn webp_pictures_are_read() {
    let picture = RgbaImage::from_pixel(120, 90, Rgba([30, 160, 60, 255]));
    let mut bytes = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut bytes)
        .write_image(picture.as_raw(), 120, 90, image::ExtendedColorType::Rgba8)
        .unwrap();
    let processed = process_image(&bytes, &LIMITS).unwrap();
    assert_eq!(
        (processed.original.width, processed.original.height, processed.original.media_type),
        (120, 90, "image/jpeg")
    );
}

#[test]
fn a_twelve_megapixel_photo_is_scaled_to_the_bounds() {
    let photo = RgbImage::from_fn(4032, 3024, |x, y| Rgb([(x / 16) as u8, (y / 12) as u8, ((x + y) / 28) as u8]));
    let processed = process_image(&jpeg(&photo), &LIMITS).unwrap();
    assert_eq!((processed.original.width, processed.original.height), (3840, 2880));
    assert_eq!((processed.preview.width, processed.preview.height), (640, 480));
    let mut small = LIMITS;
    small.original_side = 1000;
    small.preview_side = 100;
    let processed = process_image(&jpeg(&photo), &small).unwrap();
    assert_eq!((processed.original.width, processed.original.height), (1000, 750));
    assert_eq!((processed.preview.width, processed.preview.height), (100, 75));
}

#[test]
fn sizes_fit_the_bounds_and_are_never_scaled_up() {
    assert_eq!(fitted(4032, 3024, 3840), (3840, 2880));
    assert_eq!(fitted(3024, 4032, 640), (480, 640));
    assert_eq!(fitted(100, 50, 640), (100, 50));
    assert_eq!(fitted(20_000, 1, 640), (640, 1));
    assert_eq!(fitted(5, 5, 0), (1, 1));
}

/// A small xorshift generator: the same cases on every run.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Truncated and damaged pictures of every format: an answer each time
/// (a picture or a refusal), never a panic (`process` is called without
/// the `catch_unwind` of `process_image`, so a panic fails the test).
#[test]
fn truncated_and_damaged_pictures_never_panic() {
    let mut webp = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
        .write_image(&[90; 40 * 30 * 3], 40, 30, image::ExtendedColorType::Rgb8)
        .unwrap();
    let logo = png(&RgbaImage::from_fn(60, 40, |x, y| Rgba([x as u8 * 4, y as u8 * 6, 90, (x * y) as u8])));
    let files = [
        (fixture("phone-photo-gps.jpg"), ImageFormat::Jpeg),
        (fixture("animated.gif"), ImageFormat::Gif),
        (logo, ImageFormat::Png),
        (webp, ImageFormat::WebP),
    ];
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for (bytes, format) in &files {
        for _ in 0..40 {
            let cut = &bytes[..random.below(bytes.len())];
            if let Ok(Sniffed::Image(format)) = sniff(cut) {
                let _ = process(cut, format, &LIMITS);
            }
            let mut damaged = bytes.clone();
            for _ in 0..1 + random.below(8) {
                let at = random.below(damaged.len());
                damaged[at] = random.below(256) as u8;
            }
            let _ = process(&damaged, *format, &LIMITS);
        }
        // Cut short anywhere in the pixels of a JPEG: refused.
        if *format == ImageFormat::Jpeg {
            for cut in [bytes.len() / 2, bytes.len() * 3 / 4, bytes.len() - 100] {
                assert!(
                    matches!(process(&bytes[..cut], *format, &LIMITS), Err(MediaError::Corrupt(_))),
                    "cut at {cut}"
                );
            }
        }
    }
}
