//! The two pictures of an actor: its `icon` (a member's avatar, an
//! enterprise's logo) and its `image` (a member's header, an enterprise's
//! banner), as ActivityStreams names them on actors.

use crate::ActorKind;
use crate::named::named_enum;

named_enum! {
    /// Which of an actor's two pictures.
    pub enum ImageSlot, refused as UnknownImageSlot ("image slot") {
        /// The avatar of a member, the logo of an enterprise.
        Icon = "icon",
        /// The header of a member, the banner of an enterprise.
        Image = "image",
    }
}

impl ImageSlot {
    /// The name people use for it on an actor of `kind` (and the field of
    /// our forms and errors): `avatar`/`header`, or `logo`/`banner` for
    /// enterprises.
    pub fn field(self, kind: ActorKind) -> &'static str {
        match (self, kind) {
            (ImageSlot::Icon, ActorKind::Enterprise) => "logo",
            (ImageSlot::Image, ActorKind::Enterprise) => "banner",
            (ImageSlot::Icon, _) => "avatar",
            (ImageSlot::Image, _) => "header",
        }
    }

    /// The longest side we keep: an avatar or a logo is shown small; a
    /// header or banner across a page (Mastodon keeps 1500 × 500).
    pub fn max_side(self) -> u32 {
        match self {
            ImageSlot::Icon => 800,
            ImageSlot::Image => 1500,
        }
    }
}

/// The type of a stored picture from its key's extension: we store only
/// what we re-encoded, JPEG or PNG.
pub fn media_type_of_key(key: &str) -> &'static str {
    if key.ends_with(".png") { "image/png" } else { "image/jpeg" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_named_for_the_kind_of_actor() {
        assert_eq!(ImageSlot::Icon.field(ActorKind::Enterprise), "logo");
        assert_eq!(ImageSlot::Image.field(ActorKind::Member), "header");
        assert_eq!(ImageSlot::parse("icon"), Ok(ImageSlot::Icon));
        assert_eq!(media_type_of_key("p/ab/icon.png"), "image/png");
        assert_eq!(media_type_of_key("p/ab/icon.jpg"), "image/jpeg");
    }
}
