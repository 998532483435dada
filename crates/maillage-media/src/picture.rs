//! Pictures as we keep them: decoded within limits (refused from their
//! header when they declare too many pixels), turned upright, scaled down to
//! a bounded original and a preview, re-encoded from the pixels alone (so no
//! EXIF, GPS, XMP, ICC profile or comment survives), and given a blurhash.
//!
//! Memory: the decoded frame (3 bytes a pixel, 4 with transparency) is the
//! largest buffer; it is dropped as soon as the bounded original is made,
//! and the preview is made from that original.

use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageReader, Limits, RgbImage};

use crate::{Encoded, ImageFormat, ImageLimits, MediaError, ProcessedImage, Sniffed, sniff};

/// JPEG quality of what we keep: close to what phones write, a third of
/// their size.
const JPEG_QUALITY: u8 = 85;
/// Side of the thumbnail the blurhash is computed from, and its components.
const BLURHASH_SIDE: u32 = 32;
const BLURHASH_COMPONENTS: (u32, u32) = (4, 3);
/// What a decoder may allocate beyond the decoded frame (tables, a row of
/// blocks, a GIF's palette and line buffers).
const DECODER_MARGIN: u64 = 16 * 1024 * 1024;

pub fn process_image(bytes: &[u8], limits: &ImageLimits) -> Result<ProcessedImage, MediaError> {
    let size = bytes.len() as u64;
    if size > limits.max_bytes {
        return Err(MediaError::TooLarge { size, limit: limits.max_bytes });
    }
    let format = match sniff(bytes)? {
        Sniffed::Image(format) => format,
        Sniffed::Document(_) => {
            return Err(MediaError::NotAccepted("a document is not a picture: send a JPEG, PNG, WebP or GIF"));
        }
    };
    // The decoders are meant never to panic on bad input; should one still
    // do so, the upload is refused rather than the worker lost.
    catch_unwind(AssertUnwindSafe(|| process(bytes, format, limits)))
        .unwrap_or_else(|_| Err(MediaError::Corrupt("the decoder failed on it".into())))
}

fn process(bytes: &[u8], format: ImageFormat, limits: &ImageLimits) -> Result<ProcessedImage, MediaError> {
    let (decoded, orientation) = match format {
        ImageFormat::Jpeg => decode_jpeg(bytes, limits.max_pixels)?,
        _ => decode_other(bytes, format, limits.max_pixels)?,
    };
    let (pixels, transparent) = eight_bit(decoded);
    let mut original = scaled_down(pixels, limits.original_side)?;
    original.apply_orientation(orientation);
    let preview = scaled_down_copy(&original, limits.preview_side)?;
    let original = encode(original, transparent)?;
    let blurhash = blurhash_of(&preview)?;
    let preview = encode(preview, transparent)?;
    Ok(ProcessedImage { original, preview, blurhash })
}

fn too_many_pixels(width: u32, height: u32, max_pixels: u64) -> Result<(), MediaError> {
    if u64::from(width) * u64::from(height) > max_pixels {
        return Err(MediaError::TooManyPixels { width, height, limit: max_pixels });
    }
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt("it declares no pixels".into()));
    }
    Ok(())
}

/// JPEG, with zune-jpeg (the decoder the `image` crate wraps) in its strict
/// mode: a file cut short is refused rather than completed in grey.
fn decode_jpeg(bytes: &[u8], max_pixels: u64) -> Result<(DynamicImage, Orientation), MediaError> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;

    let corrupt = |e: zune_jpeg::errors::DecodeErrors| MediaError::Corrupt(e.to_string());
    let options = DecoderOptions::default()
        .set_strict_mode(true)
        // Our own limit, in pixels, is checked on the header below.
        .set_max_width(usize::MAX)
        .set_max_height(usize::MAX)
        .jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode_headers().map_err(corrupt)?;
    let (width, height) = decoder.dimensions().ok_or_else(|| MediaError::Corrupt("no header".into()))?;
    let (width, height) = (width as u32, height as u32);
    too_many_pixels(width, height, max_pixels)?;
    let orientation =
        decoder.exif().and_then(|exif| Orientation::from_exif_chunk(exif)).unwrap_or(Orientation::NoTransforms);
    let size = decoder.output_buffer_size().ok_or_else(|| MediaError::Corrupt("no header".into()))?;
    if size != width as usize * height as usize * 3 {
        return Err(MediaError::Corrupt("unexpected colour layout".into()));
    }
    let mut pixels = vec![0; size];
    decoder.decode_into(&mut pixels).map_err(corrupt)?;
    let image = RgbImage::from_raw(width, height, pixels).ok_or_else(|| MediaError::Corrupt("bad size".into()))?;
    Ok((DynamicImage::ImageRgb8(image), orientation))
}

/// PNG, WebP and GIF (its first frame), through the `image` crate: the
/// header is read once without limits to judge the pixels it declares, then
/// the pixels are decoded by a decoder that may allocate that frame and a
/// margin, no more.
fn decode_other(bytes: &[u8], format: ImageFormat, max_pixels: u64) -> Result<(DynamicImage, Orientation), MediaError> {
    let corrupt = |e: image::ImageError| MediaError::Corrupt(e.to_string());
    let format = match format {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::WebP => image::ImageFormat::WebP,
        ImageFormat::Gif => image::ImageFormat::Gif,
    };
    let reader = |limits: Limits| {
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        reader.limits(limits);
        reader.into_decoder().map_err(corrupt)
    };
    let header = reader(Limits::no_limits())?;
    let (width, height) = header.dimensions();
    too_many_pixels(width, height, max_pixels)?;
    let frame = header.total_bytes();
    drop(header);

    let mut limits = Limits::default();
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(frame.saturating_add(DECODER_MARGIN));
    let mut decoder = reader(limits)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let image = DynamicImage::from_decoder(decoder).map_err(corrupt)?;
    Ok((image, orientation))
}

/// Eight bits a channel, RGB, or RGBA when some pixel is not opaque (the
/// alpha channel of an opaque picture is dropped: it is kept as a JPEG).
fn eight_bit(image: DynamicImage) -> (DynamicImage, bool) {
    if !image.color().has_alpha() {
        return match image {
            DynamicImage::ImageRgb8(_) => (image, false),
            other => (DynamicImage::ImageRgb8(other.into_rgb8()), false),
        };
    }
    let rgba = image.into_rgba8();
    if rgba.pixels().any(|p| p.0[3] < u8::MAX) {
        (DynamicImage::ImageRgba8(rgba), true)
    } else {
        (DynamicImage::ImageRgb8(DynamicImage::ImageRgba8(rgba).into_rgb8()), false)
    }
}

/// The size that fits in `side` × `side`, never larger than the picture.
fn fitted(width: u32, height: u32, side: u32) -> (u32, u32) {
    let side = side.max(1);
    if width <= side && height <= side {
        return (width, height);
    }
    let scale = f64::from(side) / f64::from(width.max(height));
    let scaled = |n: u32| ((f64::from(n) * scale).round() as u32).clamp(1, side);
    (scaled(width), scaled(height))
}

fn resize(source: &DynamicImage, width: u32, height: u32) -> Result<DynamicImage, MediaError> {
    let mut target = DynamicImage::new(width, height, source.color());
    Resizer::new()
        .resize(source, &mut target, &ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3)))
        .map_err(|e| MediaError::Corrupt(format!("cannot be resized: {e}")))?;
    Ok(target)
}

/// `image` itself when it fits in `side`, else a scaled-down copy (and
/// `image` is dropped).
fn scaled_down(image: DynamicImage, side: u32) -> Result<DynamicImage, MediaError> {
    let (width, height) = fitted(image.width(), image.height(), side);
    if (width, height) == (image.width(), image.height()) { Ok(image) } else { resize(&image, width, height) }
}

fn scaled_down_copy(image: &DynamicImage, side: u32) -> Result<DynamicImage, MediaError> {
    let (width, height) = fitted(image.width(), image.height(), side);
    if (width, height) == (image.width(), image.height()) { Ok(image.clone()) } else { resize(image, width, height) }
}

/// The pixels alone: a JPEG, or a PNG for a picture with transparency.
/// Neither encoder writes metadata unless given some, and we give none.
fn encode(image: DynamicImage, transparent: bool) -> Result<Encoded, MediaError> {
    let (width, height) = (image.width(), image.height());
    let mut bytes = Vec::new();
    let failed = |e: image::ImageError| MediaError::Corrupt(format!("cannot be encoded: {e}"));
    if transparent {
        let rgba = image.into_rgba8();
        PngEncoder::new_with_quality(&mut bytes, CompressionType::Default, PngFilter::Adaptive)
            .write_image(rgba.as_raw(), width, height, image::ExtendedColorType::Rgba8)
            .map_err(failed)?;
        Ok(Encoded { bytes, media_type: "image/png", extension: "png", width, height })
    } else {
        let rgb = image.into_rgb8();
        JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
            .write_image(rgb.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .map_err(failed)?;
        Ok(Encoded { bytes, media_type: "image/jpeg", extension: "jpg", width, height })
    }
}

fn blurhash_of(preview: &DynamicImage) -> Result<String, MediaError> {
    let (width, height) = fitted(preview.width(), preview.height(), BLURHASH_SIDE);
    let small = resize(preview, width, height)?.into_rgba8();
    let (x, y) = BLURHASH_COMPONENTS;
    blurhash::encode(x, y, width, height, small.as_raw()).map_err(|e| MediaError::Corrupt(format!("no blurhash: {e}")))
}

#[cfg(test)]
mod tests;
