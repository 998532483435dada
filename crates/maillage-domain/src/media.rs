//! What an uploaded file is to us: a picture (shown) or a document (downloaded).

use crate::named::named_enum;

named_enum! {
    /// The kind of an upload; stored as `image` or `document`.
    pub enum MediaKind, refused as UnknownMediaKind ("media kind") {
        /// A picture, re-encoded, with a preview: shown inline.
        Image = "image",
        /// A document kept as uploaded: served as a download only.
        Document = "document",
    }
}

impl MediaKind {
    /// Its ActivityStreams type.
    pub fn activity_type(self) -> &'static str {
        match self {
            MediaKind::Image => "Image",
            MediaKind::Document => "Document",
        }
    }
}

named_enum! {
    /// What an upload is to the post it is attached to; stored as
    /// `attachment` or `cover`.
    pub enum MediaRole, refused as UnknownMediaRole ("media role") {
        /// One of the post's `attachment`s, in order.
        Attachment = "attachment",
        /// A practice's cover picture: its `image`, at most one.
        Cover = "cover",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_stored_form() {
        for &kind in MediaKind::ALL {
            assert_eq!(MediaKind::parse(kind.as_str()), Ok(kind));
        }
        assert_eq!(MediaKind::Document.activity_type(), "Document");
        assert!(MediaKind::parse("video").is_err());
    }
}

named_enum! {
    /// What a file of another server is to one of its posts or actors.
    pub enum RemoteMediaRole, refused as UnknownRemoteMediaRole ("remote media role") {
        /// One of a post's `attachment`s.
        Attachment = "attachment",
        /// An actor's `icon`.
        Avatar = "avatar",
        /// An actor's `image`.
        Header = "header",
    }
}

named_enum! {
    /// Where our copy of another server's file stands.
    pub enum RemoteMediaState, refused as UnknownRemoteMediaState ("remote media state") {
        /// Not fetched yet.
        Pending = "pending",
        /// Fetched, processed and stored under our keys.
        Cached = "cached",
        /// Refused (address, type, size) or unreachable too often: never served.
        Failed = "failed",
        /// Removed after `media.remote_cache_days`: fetched again when asked for.
        Pruned = "pruned",
    }
}
