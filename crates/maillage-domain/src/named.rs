//! Enums whose values each have one name, as stored and as written by
//! people and clients (`note`, `follow_request`, `owner`…).

/// Declares such an enum with `ALL`, `as_str`, `parse` (its error lists the
/// names), `Display` and `TryFrom<String>` (for reading stored rows).
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident, refused as $error:ident ($what:literal) {
            $( $(#[$variant_meta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$variant_meta])* $variant, )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name, as stored and written.
            pub fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $text, )+
                }
            }

            /// Reads a name; the error lists the valid ones.
            pub fn parse(value: &str) -> Result<$name, $error> {
                $name::ALL.iter().copied().find(|v| v.as_str() == value).ok_or_else(|| $error(value.to_string()))
            }

            /// The valid names, as a sentence lists them.
            pub fn choices() -> String {
                $crate::named::list(&[$($text),+])
            }
        }

        impl TryFrom<String> for $name {
            type Error = $error;

            fn try_from(value: String) -> Result<Self, Self::Error> {
                $name::parse(&value)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[doc = concat!("A name that is no ", $what, ".")]
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("unknown {} {:?}: use {}", $what, .0, $name::choices())]
        pub struct $error(pub String);
    };
}

pub(crate) use named_enum;

/// `a`, `a or b`, `a, b or c`.
pub(crate) fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lists_read_as_a_sentence() {
        assert_eq!(super::list(&["note"]), "note");
        assert_eq!(super::list(&["note", "article"]), "note or article");
        assert_eq!(super::list(&["a", "b", "c"]), "a, b or c");
    }
}
