//! The two kinds of posts we publish: enterprises' updates and shared practices.

use crate::named::named_enum;

named_enum! {
    /// What a local post is; stored as `note` or `article`.
    pub enum PostKind, refused as UnknownPostKind ("post kind") {
        /// An update: short news, an ActivityStreams `Note`.
        Note = "note",
        /// A shared practice: a titled text, an ActivityStreams `Article`.
        Article = "article",
    }
}

impl PostKind {
    /// Its ActivityStreams type.
    pub fn activity_type(self) -> &'static str {
        match self {
            PostKind::Note => "Note",
            PostKind::Article => "Article",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_stored_form() {
        for &kind in PostKind::ALL {
            assert_eq!(PostKind::parse(kind.as_str()), Ok(kind));
            assert_eq!(kind.to_string(), kind.as_str());
        }
        assert_eq!(PostKind::parse("note"), Ok(PostKind::Note));
        assert_eq!(PostKind::parse("article"), Ok(PostKind::Article));
        assert_eq!(PostKind::Article.activity_type(), "Article");
    }

    #[test]
    fn unknown_kinds_are_refused_with_the_choices() {
        for bad in ["Note", "page", "", " note"] {
            let err = PostKind::parse(bad).unwrap_err();
            assert!(err.to_string().contains("note or article"), "{err}");
        }
    }
}
