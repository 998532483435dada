//! The roles on an enterprise's team.

/// What a member may do for an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamRole {
    /// Publishes, and manages the team.
    Owner,
    /// Publishes.
    Editor,
}

impl TeamRole {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamRole::Owner => "owner",
            TeamRole::Editor => "editor",
        }
    }

    /// Parses a role name; the error lists the valid ones.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name.trim() {
            "owner" => Ok(TeamRole::Owner),
            "editor" => Ok(TeamRole::Editor),
            _ => Err("owner or editor".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in [TeamRole::Owner, TeamRole::Editor] {
            assert_eq!(TeamRole::parse(role.as_str()), Ok(role));
        }
        assert_eq!(TeamRole::parse("admin"), Err("owner or editor".into()));
    }
}
