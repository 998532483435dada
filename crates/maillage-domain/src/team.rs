//! The roles on an enterprise's team.

use crate::named::named_enum;

named_enum! {
    /// What a member may do for an enterprise.
    pub enum TeamRole, refused as UnknownTeamRole ("team role") {
        /// Publishes, and manages the team.
        Owner = "owner",
        /// Publishes.
        Editor = "editor",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for &role in TeamRole::ALL {
            assert_eq!(TeamRole::parse(role.as_str()), Ok(role));
        }
        assert_eq!(
            TeamRole::parse("admin").unwrap_err().to_string(),
            "unknown team role \"admin\": use owner or editor"
        );
    }
}
