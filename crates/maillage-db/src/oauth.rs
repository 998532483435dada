//! OAuth 2 applications, access tokens and authorization codes, for the
//! client API. Only SHA-256 hashes of secrets, tokens and codes are stored.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::push::forget_revoked_subscriptions;
use crate::schema::{local_actors, oauth_apps, oauth_codes, oauth_tokens, users};
use crate::{Database, DbError, LocalActor, UtcTime};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = oauth_apps)]
#[diesel(check_for_backend(diesel::pg::Pg, diesel::sqlite::Sqlite))]
pub struct OAuthApp {
    pub id: i64,
    pub client_id: String,
    pub client_secret_hash: String,
    pub name: String,
    pub redirect_uris: String,
    pub scopes: String,
    pub website: Option<String>,
    pub created_at: UtcTime,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOAuthApp<'a> {
    pub client_id: &'a str,
    pub client_secret_hash: &'a str,
    pub name: &'a str,
    pub redirect_uris: &'a str,
    pub scopes: &'a str,
    pub website: Option<&'a str>,
}

/// A member account with its actor, as needed to log in or act.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: i64,
    pub password_hash: String,
    pub is_admin: bool,
    /// May handle reports and suspend remote actors (admins may too).
    pub is_moderator: bool,
    pub email: Option<String>,
    /// False while a registration awaits an admin's approval.
    pub approved: bool,
    /// The address was confirmed by a link sent to it.
    pub email_verified: bool,
    pub actor: LocalActor,
}

/// What a valid access token grants.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    pub token_id: i64,
    pub app_id: Option<i64>,
    pub scopes: String,
    /// `None` for application-only tokens (client_credentials).
    pub account: Option<Account>,
}

#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct AuthorizationCode {
    pub code_hash: String,
    pub app_id: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub expires_at: UtcTime,
}

type AccountRow = (i64, String, bool, bool, Option<String>, bool, bool, LocalActor);

/// The columns of an [`AccountRow`], from `users` joined to `local_actors`.
macro_rules! account_columns {
    () => {
        (
            users::id,
            users::password_hash,
            users::is_admin,
            users::is_moderator,
            users::email,
            users::approved,
            users::email_verified_at.is_not_null(),
            LocalActor::as_select(),
        )
    };
}

fn account(
    (user_id, password_hash, is_admin, is_moderator, email, approved, email_verified, actor): AccountRow,
) -> Account {
    Account { user_id, password_hash, is_admin, is_moderator, email, approved, email_verified, actor }
}

impl Database {
    pub async fn create_oauth_app(&self, app: &NewOAuthApp<'_>) -> Result<OAuthApp, DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        let row = with_conn!(&mut conn, |c| diesel::insert_into(oauth_apps::table)
            .values((
                oauth_apps::client_id.eq(app.client_id),
                oauth_apps::client_secret_hash.eq(app.client_secret_hash),
                oauth_apps::name.eq(app.name),
                oauth_apps::redirect_uris.eq(app.redirect_uris),
                oauth_apps::scopes.eq(app.scopes),
                oauth_apps::website.eq(app.website),
                oauth_apps::created_at.eq(now),
            ))
            .returning(OAuthApp::as_returning())
            .get_result(c)
            .await)?;
        Ok(row)
    }

    pub async fn oauth_app(&self, client_id: &str) -> Result<Option<OAuthApp>, DbError> {
        let mut conn = self.conn().await?;
        let row = with_conn!(&mut conn, |c| oauth_apps::table
            .filter(oauth_apps::client_id.eq(client_id))
            .select(OAuthApp::as_select())
            .first(c)
            .await
            .optional())?;
        Ok(row)
    }

    /// A member account by username or email (as Mastodon clients send either).
    pub async fn account_for_login(&self, username_or_email: &str) -> Result<Option<Account>, DbError> {
        let mut conn = self.conn().await?;
        let name = maillage_domain::password::login_name(username_or_email);
        let row: Option<AccountRow> = with_conn!(&mut conn, |c| users::table
            .inner_join(local_actors::table)
            .filter(local_actors::username.eq(&name).or(users::email.eq(&name)))
            .select(account_columns!())
            .first(c)
            .await
            .optional())?;
        Ok(row.map(account))
    }

    pub async fn account_by_user_id(&self, user_id: i64) -> Result<Option<Account>, DbError> {
        let mut conn = self.conn().await?;
        let row: Option<AccountRow> = with_conn!(&mut conn, |c| users::table
            .inner_join(local_actors::table)
            .filter(users::id.eq(user_id))
            .select(account_columns!())
            .first(c)
            .await
            .optional())?;
        Ok(row.map(account))
    }

    /// Sets an account's instance role: admin, moderator or member.
    pub async fn set_user_role(&self, user_id: i64, is_admin: bool, is_moderator: bool) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::update(users::table.find(user_id))
            .set((users::is_admin.eq(is_admin), users::is_moderator.eq(is_moderator)))
            .execute(c)
            .await)?;
        Ok(())
    }

    pub async fn set_password_hash(&self, user_id: i64, password_hash: &str) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_write_tx!(self, &mut conn, |c| {
            diesel::update(users::table.find(user_id))
                .set((users::password_hash.eq(password_hash), users::updated_at.eq(now)))
                .execute(c)
                .await?;
            // A new password ends every session.
            diesel::update(oauth_tokens::table.filter(oauth_tokens::user_id.eq(user_id)))
                .set(oauth_tokens::revoked_at.eq(Some(now)))
                .execute(c)
                .await?;
            forget_revoked_subscriptions!(c)?;
            Ok(())
        })
    }

    pub async fn create_token(
        &self,
        token_hash: &str,
        app_id: Option<i64>,
        user_id: Option<i64>,
        scopes: &str,
    ) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::insert_into(oauth_tokens::table)
            .values((
                oauth_tokens::token_hash.eq(token_hash),
                oauth_tokens::app_id.eq(app_id),
                oauth_tokens::user_id.eq(user_id),
                oauth_tokens::scopes.eq(scopes),
                oauth_tokens::created_at.eq(now),
            ))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// The grant of a live (not revoked) token.
    pub async fn token_grant(&self, token_hash: &str) -> Result<Option<TokenGrant>, DbError> {
        let mut conn = self.conn().await?;
        let row: Option<(i64, Option<i64>, Option<i64>, String)> = with_conn!(&mut conn, |c| oauth_tokens::table
            .filter(oauth_tokens::token_hash.eq(token_hash))
            .filter(oauth_tokens::revoked_at.is_null())
            .select((oauth_tokens::id, oauth_tokens::app_id, oauth_tokens::user_id, oauth_tokens::scopes))
            .first(c)
            .await
            .optional())?;
        drop(conn);
        let Some((token_id, app_id, user_id, scopes)) = row else { return Ok(None) };
        let account = match user_id {
            Some(id) => match self.account_by_user_id(id).await? {
                Some(account) => Some(account),
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some(TokenGrant { token_id, app_id, scopes, account }))
    }

    /// Revokes a token; with `app_id`, only a token of that application.
    pub async fn revoke_token(&self, token_hash: &str, app_id: Option<i64>) -> Result<bool, DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        let n = with_write_tx!(self, &mut conn, |c| {
            let mut query = diesel::update(oauth_tokens::table)
                .filter(oauth_tokens::token_hash.eq(token_hash))
                .filter(oauth_tokens::revoked_at.is_null())
                .into_boxed();
            if let Some(app) = app_id {
                query = query.filter(oauth_tokens::app_id.eq(app));
            }
            let n = query.set(oauth_tokens::revoked_at.eq(Some(now))).execute(c).await?;
            // A revoked token's Web Push subscription goes with it.
            forget_revoked_subscriptions!(c)?;
            Ok(n)
        })?;
        Ok(n > 0)
    }

    pub async fn create_authorization_code(&self, code: &AuthorizationCode) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::insert_into(oauth_codes::table)
            .values((
                oauth_codes::code_hash.eq(&code.code_hash),
                oauth_codes::app_id.eq(code.app_id),
                oauth_codes::user_id.eq(code.user_id),
                oauth_codes::redirect_uri.eq(&code.redirect_uri),
                oauth_codes::scopes.eq(&code.scopes),
                oauth_codes::code_challenge.eq(&code.code_challenge),
                oauth_codes::code_challenge_method.eq(&code.code_challenge_method),
                oauth_codes::expires_at.eq(code.expires_at),
            ))
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Takes a code (it works once).
    pub async fn take_authorization_code(&self, code_hash: &str) -> Result<Option<AuthorizationCode>, DbError> {
        let mut conn = self.write_conn().await?;
        let row =
            with_conn!(&mut conn, |c| diesel::delete(oauth_codes::table.filter(oauth_codes::code_hash.eq(code_hash)))
                .returning((
                    oauth_codes::code_hash,
                    oauth_codes::app_id,
                    oauth_codes::user_id,
                    oauth_codes::redirect_uri,
                    oauth_codes::scopes,
                    oauth_codes::code_challenge,
                    oauth_codes::code_challenge_method,
                    oauth_codes::expires_at,
                ))
                .get_result::<AuthorizationCode>(c)
                .await
                .optional())?;
        Ok(row)
    }

    /// The enterprises a member may publish for.
    pub async fn enterprises_of_member(&self, member_id: i64) -> Result<Vec<LocalActor>, DbError> {
        use crate::schema::enterprise_editors;
        let mut conn = self.conn().await?;
        let rows = with_conn!(&mut conn, |c| enterprise_editors::table
            .inner_join(local_actors::table.on(local_actors::id.eq(enterprise_editors::enterprise_id)))
            .filter(enterprise_editors::member_id.eq(member_id))
            .order(local_actors::username)
            .select(LocalActor::as_select())
            .load(c)
            .await)?;
        Ok(rows)
    }
}

impl Database {
    pub async fn create_invite(&self, code_hash: &str) -> Result<(), DbError> {
        use crate::schema::invites;
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::insert_into(invites::table)
            .values((invites::code_hash.eq(code_hash), invites::created_at.eq(now)))
            .execute(c)
            .await)?;
        Ok(())
    }

    pub async fn invite_is_usable(&self, code_hash: &str) -> Result<bool, DbError> {
        use crate::schema::invites;
        let mut conn = self.conn().await?;
        let n: i64 = with_conn!(&mut conn, |c| invites::table
            .filter(invites::code_hash.eq(code_hash))
            .filter(invites::used_at.is_null())
            .count()
            .get_result(c)
            .await)?;
        Ok(n > 0)
    }

    pub async fn set_user_approved(&self, user_id: i64, approved: bool) -> Result<(), DbError> {
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::update(users::table.find(user_id))
            .set(users::approved.eq(approved))
            .execute(c)
            .await)?;
        Ok(())
    }

    pub async fn idempotent_post(&self, user_id: i64, key_hash: &str) -> Result<Option<i64>, DbError> {
        use crate::schema::idempotency_keys;
        let mut conn = self.conn().await?;
        let id = with_conn!(&mut conn, |c| idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(user_id))
            .filter(idempotency_keys::key_hash.eq(key_hash))
            .select(idempotency_keys::post_id)
            .first(c)
            .await
            .optional())?;
        Ok(id)
    }

    pub async fn remember_idempotent_post(&self, user_id: i64, key_hash: &str, post_id: i64) -> Result<(), DbError> {
        use crate::schema::idempotency_keys;
        let mut conn = self.write_conn().await?;
        let now = UtcTime::now();
        with_conn!(&mut conn, |c| diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::user_id.eq(user_id),
                idempotency_keys::key_hash.eq(key_hash),
                idempotency_keys::post_id.eq(post_id),
                idempotency_keys::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Records the OAuth application a post was published with.
    pub async fn remember_post_application(&self, post_id: i64, app_id: i64) -> Result<(), DbError> {
        use crate::schema::post_applications;
        let mut conn = self.write_conn().await?;
        with_conn!(&mut conn, |c| diesel::insert_into(post_applications::table)
            .values((post_applications::post_id.eq(post_id), post_applications::app_id.eq(app_id)))
            .on_conflict_do_nothing()
            .execute(c)
            .await)?;
        Ok(())
    }

    /// Changes a member's display name and bio, with the `Update` that tells followers.
    pub async fn update_member_profile(
        &self,
        actor_id: i64,
        display_name: &str,
        summary: &str,
        notify: &crate::Outgoing,
    ) -> Result<(), DbError> {
        let mut conn = self.conn().await?;
        let now = UtcTime::now();
        with_enqueuing_tx!(self, &mut conn, |c| {
            diesel::update(local_actors::table.find(actor_id))
                .set((
                    local_actors::display_name.eq(display_name),
                    local_actors::summary.eq(summary),
                    local_actors::updated_at.eq(now),
                ))
                .execute(c)
                .await?;
            crate::outbox::insert_outgoing!(c, notify, now);
            Ok(())
        })
    }

    /// Distinct domains of the remote actors we know.
    pub async fn known_domains(&self, limit: i64) -> Result<Vec<String>, DbError> {
        use crate::schema::remote_actors;
        let mut conn = self.conn().await?;
        let domains = with_conn!(&mut conn, |c| remote_actors::table
            .select(remote_actors::domain)
            .distinct()
            .order(remote_actors::domain)
            .limit(limit)
            .load(c)
            .await)?;
        Ok(domains)
    }
}
