//! Identity's queries, each written once over any connection (pool or transaction).

use chrono::{DateTime, Utc};
use identity::{AccessToken, LinkedIdentity, User};
use kernel::{Page, PageRequest, RepoError, TokenId, UserId, Version};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel as _, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait as _,
};

use super::convert::{token_from_row, token_to_row, user_from_row, user_to_row};
use crate::entity::{access_token, user, user_identity};
use crate::error::RepoResult;
use crate::sql::{KeptText, for_update, versioned};

pub(super) async fn get_user<C: ConnectionTrait>(conn: &C, id: UserId) -> Result<User, RepoError> {
    let row = user::Entity::find_by_id(id.as_uuid()).one(conn).await.repo()?.ok_or(RepoError::NotFound)?;
    user_from_row(row)
}

pub(super) async fn find_user_by_email<C: ConnectionTrait>(conn: &C, email: &str) -> Result<Option<User>, RepoError> {
    user::Entity::find().filter(user::Column::Email.eq(email)).one(conn).await.repo()?.map(user_from_row).transpose()
}

pub(super) async fn find_user_by_identity<C: ConnectionTrait>(
    conn: &C,
    issuer: &str,
    subject: &str,
) -> Result<Option<User>, RepoError> {
    let link = user_identity::Entity::find_by_id((issuer.to_owned(), subject.to_owned())).one(conn).await.repo()?;
    match link {
        Some(link) => get_user(conn, UserId::from_uuid(link.user_id)).await.map(Some),
        None => Ok(None),
    }
}

pub(super) async fn link_identity<C: ConnectionTrait>(conn: &C, link: &LinkedIdentity) -> Result<(), RepoError> {
    let row = user_identity::Model {
        issuer: link.issuer.clone(),
        subject: link.subject.clone(),
        user_id: link.user_id.as_uuid(),
        provider: link.provider.clone(),
        created_at: link.created_at,
    };
    user_identity::Entity::insert(row.into_active_model()).exec_without_returning(conn).await.repo()?;
    Ok(())
}

pub(super) async fn list_users<C: ConnectionTrait>(conn: &C, page: PageRequest) -> Result<Page<User>, RepoError> {
    let mut query = user::Entity::find().order_by_asc(user::Column::Id).limit(page.fetch_limit());
    if let Some(after) = page.after() {
        query = query.filter(user::Column::Id.gt(after));
    }
    let rows = query.all(conn).await.repo()?.into_iter().map(user_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(rows, page, |u| u.id.as_uuid()))
}

/// Locks the active administrators' rows (in id order) and counts them: of two
/// administrators demoting each other at once, the second waits, re-reads, and is refused.
pub(super) async fn count_active_admins<C: ConnectionTrait>(conn: &C) -> Result<u64, RepoError> {
    let query = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Role.eq("admin"))
        .filter(user::Column::Status.eq("active"))
        .order_by_asc(user::Column::Id);
    let ids: Vec<uuid::Uuid> = for_update(query, conn).into_tuple().all(conn).await.repo()?;
    Ok(ids.len() as u64)
}

pub(super) async fn insert_user<C: ConnectionTrait>(conn: &C, u: &User) -> Result<(), RepoError> {
    user::Entity::insert(user_to_row(u).into_active_model()).exec_without_returning(conn).await.repo()?;
    Ok(())
}

pub(super) async fn update_user<C: ConnectionTrait>(conn: &C, u: &User, expected: Version) -> Result<(), RepoError> {
    let row = user_to_row(u);
    let result = user::Entity::update_many()
        .col_expr(user::Column::DisplayName, Expr::value(row.display_name))
        .col_expr(user::Column::Role, Expr::value(row.role))
        .col_expr(user::Column::Status, Expr::value(row.status))
        .col_expr(user::Column::PasswordHash, Expr::value(row.password_hash))
        .col_expr(user::Column::Version, Expr::value(row.version))
        .col_expr(user::Column::UpdatedAt, Expr::value(row.updated_at))
        .filter(user::Column::Id.eq(row.id))
        .filter(user::Column::Version.eq(expected.get()))
        .exec(conn)
        .await
        .repo()?;
    versioned::<user::Entity, _>(conn, result.rows_affected, row.id).await
}

pub(super) async fn insert_token<C: ConnectionTrait>(
    conn: &C,
    t: &AccessToken,
    secret_hash: &str,
) -> Result<(), RepoError> {
    token_to_row(t, secret_hash).into_active_model().insert(conn).await.repo()?;
    Ok(())
}

/// The token whose secret has `hash`, with its owner, in one statement: every request with a
/// token starts here. Its columns are named in the select and decoded by position: decoding a
/// joined row by name formats each column's prefixed name and looks it up (a third of this
/// lookup's CPU, decision 0057). The secret hash itself is not read back: it is `hash`.
pub(super) async fn find_token_by_hash<C: ConnectionTrait>(
    conn: &C,
    hash: &str,
) -> Result<Option<(AccessToken, User)>, RepoError> {
    use access_token::Column as T;
    use user::Column as U;
    static TEXT: KeptText = KeptText::new();
    let statement = TEXT.statement(conn.get_database_backend(), vec![hash.into(), 1u64.into()], || {
        access_token::Entity::find()
            .select_only()
            .columns([
                T::Id,
                T::UserId,
                T::Name,
                T::DisplayPrefix,
                T::Scopes,
                T::ExpiresAt,
                T::LastUsedAt,
                T::CreatedAt,
            ])
            .columns([
                U::Id,
                U::Email,
                U::DisplayName,
                U::Role,
                U::Status,
                U::PasswordHash,
                U::Version,
                U::CreatedAt,
                U::UpdatedAt,
            ])
            .join(JoinType::InnerJoin, access_token::Relation::User.def())
            .filter(T::SecretHash.eq(hash))
            .limit(1)
    });
    let Some(row) = conn.query_one(statement).await.repo()? else {
        return Ok(None);
    };
    let token = access_token::Model {
        id: row.try_get_by_index(0).repo()?,
        user_id: row.try_get_by_index(1).repo()?,
        name: row.try_get_by_index(2).repo()?,
        display_prefix: row.try_get_by_index(3).repo()?,
        secret_hash: hash.to_owned(),
        scopes: row.try_get_by_index(4).repo()?,
        expires_at: row.try_get_by_index(5).repo()?,
        last_used_at: row.try_get_by_index(6).repo()?,
        created_at: row.try_get_by_index(7).repo()?,
    };
    let owner = user::Model {
        id: row.try_get_by_index(8).repo()?,
        email: row.try_get_by_index(9).repo()?,
        display_name: row.try_get_by_index(10).repo()?,
        role: row.try_get_by_index(11).repo()?,
        status: row.try_get_by_index(12).repo()?,
        password_hash: row.try_get_by_index(13).repo()?,
        version: row.try_get_by_index(14).repo()?,
        created_at: row.try_get_by_index(15).repo()?,
        updated_at: row.try_get_by_index(16).repo()?,
    };
    Ok(Some((token_from_row(token)?, user_from_row(owner)?)))
}

pub(super) async fn list_tokens<C: ConnectionTrait>(
    conn: &C,
    owner: UserId,
    page: PageRequest,
) -> Result<Page<AccessToken>, RepoError> {
    let mut query = access_token::Entity::find()
        .filter(access_token::Column::UserId.eq(owner.as_uuid()))
        .order_by_asc(access_token::Column::Id)
        .limit(page.fetch_limit());
    if let Some(after) = page.after() {
        query = query.filter(access_token::Column::Id.gt(after));
    }
    let rows = query.all(conn).await.repo()?.into_iter().map(token_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_overfetch(rows, page, |t| t.id.as_uuid()))
}

pub(super) async fn delete_token<C: ConnectionTrait>(
    conn: &C,
    owner: UserId,
    id: TokenId,
) -> Result<AccessToken, RepoError> {
    let row = access_token::Entity::find_by_id(id.as_uuid())
        .filter(access_token::Column::UserId.eq(owner.as_uuid()))
        .one(conn)
        .await
        .repo()?
        .ok_or(RepoError::NotFound)?;
    access_token::Entity::delete_by_id(row.id).exec(conn).await.repo()?;
    token_from_row(row)
}

pub(super) async fn touch_token<C: ConnectionTrait>(conn: &C, id: TokenId, at: DateTime<Utc>) -> Result<(), RepoError> {
    access_token::Entity::update_many()
        .col_expr(access_token::Column::LastUsedAt, Expr::value(Some(at)))
        .filter(access_token::Column::Id.eq(id.as_uuid()))
        .exec(conn)
        .await
        .repo()?;
    Ok(())
}
