//! Comments on cards. Members who may write (editors, owners) comment; viewers read. Authors
//! edit their own comments; owners may also delete anyone's.

use kernel::{Caller, CardId, Changes, CommentId, Page, PageRequest, Version};
use serde_json::Value;

use super::{BoardService, Subject, check_version, role_in};
use crate::error::BoardError;
use crate::model::{BoardRole, Comment, CommentBody};

impl BoardService {
    /// The comments on a card, oldest first.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%card_id), err(level = "debug"))]
    pub async fn list_comments(
        &self,
        caller: &Caller,
        card_id: CardId,
        page: PageRequest,
    ) -> Result<Page<Comment>, BoardError> {
        let card = self.store.get_card(card_id).await?;
        self.role_on(caller, card.board_id, BoardRole::Viewer).await?;
        Ok(self.store.list_comments(card_id, page).await?)
    }

    /// One comment.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%comment_id), err(level = "debug"))]
    pub async fn get_comment(&self, caller: &Caller, comment_id: CommentId) -> Result<Comment, BoardError> {
        let comment = self.store.get_comment(comment_id).await?;
        self.role_on(caller, comment.board_id, BoardRole::Viewer).await?;
        Ok(comment)
    }

    /// Comments on a card (editors and owners).
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%card_id), err(level = "debug"))]
    pub async fn create_comment(
        &self,
        caller: &Caller,
        card_id: CardId,
        body: CommentBody,
    ) -> Result<Comment, BoardError> {
        let tx = self.store.begin().await?;
        let card = tx.get_card(card_id).await?;
        role_in(&*tx, caller, card.board_id, BoardRole::Editor).await?;
        let now = self.now();
        let comment = Comment {
            id: CommentId::from_uuid(self.new_id()),
            card_id,
            board_id: card.board_id,
            author_id: caller.user_id,
            body,
            version: Version::FIRST,
            created_at: now,
            updated_at: now,
        };
        tx.insert_comment(&comment).await?;
        let changes = Changes::new().set("card_id", card_id.to_string()).set("body", comment.body.as_str());
        self.finish(tx, caller, "comment.created", Subject::comment(&comment), changes).await?;
        Ok(comment)
    }

    /// Edits one's own comment (while still an editor or owner).
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%comment_id), err(level = "debug"))]
    pub async fn update_comment(
        &self,
        caller: &Caller,
        comment_id: CommentId,
        body: CommentBody,
        expected: Option<Version>,
    ) -> Result<Comment, BoardError> {
        let tx = self.store.begin().await?;
        let current = tx.get_comment(comment_id).await?;
        role_in(&*tx, caller, current.board_id, BoardRole::Editor).await?;
        if current.author_id != caller.user_id {
            return Err(BoardError::Forbidden);
        }
        check_version(current.version, expected)?;
        if body == current.body {
            return Ok(current);
        }
        let next = Comment { body, version: current.version.next(), updated_at: self.now(), ..current.clone() };
        tx.update_comment(&next, current.version).await.map_err(BoardError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("body", current.body.as_str(), next.body.as_str());
        self.finish(tx, caller, "comment.updated", Subject::comment(&next), changes).await?;
        Ok(next)
    }

    /// Deletes a comment: one's own (editors), or anyone's (owners).
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%comment_id), err(level = "debug"))]
    pub async fn delete_comment(
        &self,
        caller: &Caller,
        comment_id: CommentId,
        expected: Option<Version>,
    ) -> Result<(), BoardError> {
        let tx = self.store.begin().await?;
        let current = tx.get_comment(comment_id).await?;
        let role = role_in(&*tx, caller, current.board_id, BoardRole::Editor).await?;
        if role != BoardRole::Owner && current.author_id != caller.user_id {
            return Err(BoardError::Forbidden);
        }
        check_version(current.version, expected)?;
        tx.delete_comment(comment_id, current.version).await.map_err(BoardError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("body", current.body.as_str(), Value::Null);
        self.finish(tx, caller, "comment.deleted", Subject::comment(&current), changes).await
    }
}

#[cfg(test)]
mod tests {
    use kernel::Version;

    use super::super::testing::*;
    use crate::error::BoardError;
    use crate::model::CommentBody;

    fn body(text: &str) -> CommentBody {
        CommentBody::parse(text).unwrap()
    }

    #[tokio::test]
    async fn editors_comment_on_cards() {
        let mut tx = tx();
        tx.expect_get_card().returning(|id| Ok(card(id, COLUMN, "V")));
        tx.expect_insert_comment()
            .times(1)
            .withf(|c| c.author_id == EDITOR && c.board_id == BOARD)
            .returning(|_| Ok(()));
        expect_event(&mut tx, "comment.created");
        service_with(tx).create_comment(&caller(EDITOR), CARD, body("Done?")).await.unwrap();
    }

    #[tokio::test]
    async fn viewers_cannot_comment() {
        let mut tx = tx();
        tx.expect_get_card().returning(|id| Ok(card(id, COLUMN, "V")));
        tx.expect_insert_comment().never();
        expect_rollback(&mut tx);
        let err = service_with(tx).create_comment(&caller(VIEWER), CARD, body("Hi")).await.unwrap_err();
        assert!(matches!(err, BoardError::Forbidden));
    }

    #[tokio::test]
    async fn only_the_author_edits_a_comment() {
        let mut tx = tx();
        tx.expect_get_comment().returning(|_| Ok(comment(EDITOR)));
        tx.expect_update_comment().never();
        expect_rollback(&mut tx);
        let err = service_with(tx).update_comment(&caller(OWNER), COMMENT, body("Edited"), None).await.unwrap_err();
        assert!(matches!(err, BoardError::Forbidden));
    }

    #[tokio::test]
    async fn authors_edit_their_comments() {
        let mut tx = tx();
        tx.expect_get_comment().returning(|_| Ok(comment(EDITOR)));
        tx.expect_update_comment()
            .times(1)
            .withf(|c, v| *v == Version::FIRST && c.body.as_str() == "Edited")
            .returning(|_, _| Ok(()));
        expect_event(&mut tx, "comment.updated");
        let edited = service_with(tx).update_comment(&caller(EDITOR), COMMENT, body("Edited"), None).await.unwrap();
        assert_eq!(edited.version, Version::new(2));
    }

    #[tokio::test]
    async fn owners_delete_anyones_comment() {
        let mut tx = tx();
        tx.expect_get_comment().returning(|_| Ok(comment(EDITOR)));
        tx.expect_delete_comment().times(1).returning(|_, _| Ok(()));
        expect_event(&mut tx, "comment.deleted");
        service_with(tx).delete_comment(&caller(OWNER), COMMENT, None).await.unwrap();
    }

    #[tokio::test]
    async fn editors_cannot_delete_others_comments() {
        let mut tx = tx();
        tx.expect_get_comment().returning(|_| Ok(comment(OWNER)));
        tx.expect_delete_comment().never();
        expect_rollback(&mut tx);
        let err = service_with(tx).delete_comment(&caller(EDITOR), COMMENT, None).await.unwrap_err();
        assert!(matches!(err, BoardError::Forbidden));
    }

    #[tokio::test]
    async fn a_stale_comment_version_is_a_mismatch() {
        let mut tx = tx();
        tx.expect_get_comment().returning(|_| Ok(comment(EDITOR)));
        expect_rollback(&mut tx);
        let err = service_with(tx)
            .update_comment(&caller(EDITOR), COMMENT, body("x"), Some(Version::new(7)))
            .await
            .unwrap_err();
        assert!(matches!(err, BoardError::VersionMismatch));
    }
}
