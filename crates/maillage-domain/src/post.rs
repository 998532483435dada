//! The two kinds of posts we publish: enterprises' updates and shared practices.

use std::fmt;

/// What a local post is; stored as `note` or `article`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PostKind {
    /// An update: short news, an ActivityStreams `Note`.
    Note,
    /// A shared practice: a titled text, an ActivityStreams `Article`.
    Article,
}

impl PostKind {
    pub const ALL: [PostKind; 2] = [PostKind::Note, PostKind::Article];

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            PostKind::Note => "note",
            PostKind::Article => "article",
        }
    }

    /// Reads the stored form.
    pub fn parse(value: &str) -> Result<PostKind, UnknownPostKind> {
        PostKind::ALL.into_iter().find(|k| k.as_str() == value).ok_or_else(|| UnknownPostKind(value.to_string()))
    }

    /// Its ActivityStreams type.
    pub fn activity_type(self) -> &'static str {
        match self {
            PostKind::Note => "Note",
            PostKind::Article => "Article",
        }
    }
}

impl TryFrom<String> for PostKind {
    type Error = UnknownPostKind;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        PostKind::parse(&value)
    }
}

impl fmt::Display for PostKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown post kind {0:?}: use note or article")]
pub struct UnknownPostKind(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_stored_form() {
        for kind in PostKind::ALL {
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
