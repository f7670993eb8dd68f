//! Labels: board-scoped names and colours, managed by editors and owners.

use kernel::{BoardId, Caller, Changes, LabelId, Page, PageRequest, Version};
use serde_json::Value;

use super::{BoardService, Subject, check_version, role_in};
use crate::error::BoardError;
use crate::model::{BoardRole, Label, LabelChanges, NewLabel};

impl BoardService {
    /// The board's labels, by id.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id), err(level = "debug"))]
    pub async fn list_labels(
        &self,
        caller: &Caller,
        board_id: BoardId,
        page: PageRequest,
    ) -> Result<Page<Label>, BoardError> {
        self.role_on(caller, board_id, BoardRole::Viewer).await?;
        Ok(self.store.list_labels(board_id, page).await?)
    }

    /// One label.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%label_id), err(level = "debug"))]
    pub async fn get_label(&self, caller: &Caller, label_id: LabelId) -> Result<Label, BoardError> {
        let label = self.store.get_label(label_id).await?;
        self.role_on(caller, label.board_id, BoardRole::Viewer).await?;
        Ok(label)
    }

    /// Creates a label on the board (editors and owners). Names need not be unique.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%board_id), err(level = "debug"))]
    pub async fn create_label(&self, caller: &Caller, board_id: BoardId, input: NewLabel) -> Result<Label, BoardError> {
        let tx = self.store.begin().await?;
        role_in(&*tx, caller, board_id, BoardRole::Editor).await?;
        let now = self.now();
        let label = Label {
            id: LabelId::from_uuid(self.new_id()),
            board_id,
            name: input.name,
            color: input.color,
            version: Version::FIRST,
            created_at: now,
            updated_at: now,
        };
        tx.insert_label(&label).await?;
        let changes = Changes::new().set("name", label.name.as_str()).set("color", label.color.as_str());
        self.finish(tx, caller, "label.created", Subject::label(&label), changes).await?;
        Ok(label)
    }

    /// Renames or recolours a label (editors and owners). A change that changes nothing writes
    /// nothing.
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%label_id), err(level = "debug"))]
    pub async fn update_label(
        &self,
        caller: &Caller,
        label_id: LabelId,
        changes: LabelChanges,
        expected: Option<Version>,
    ) -> Result<Label, BoardError> {
        let tx = self.store.begin().await?;
        let current = tx.get_label(label_id).await?;
        role_in(&*tx, caller, current.board_id, BoardRole::Editor).await?;
        check_version(current.version, expected)?;
        let mut next = current.clone();
        if let Some(name) = changes.name {
            next.name = name;
        }
        if let Some(color) = changes.color {
            next.color = color;
        }
        if next == current {
            return Ok(current);
        }
        next.version = current.version.next();
        next.updated_at = self.now();
        tx.update_label(&next, current.version).await.map_err(BoardError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("name", current.name.as_str(), next.name.as_str()).diff(
            "color",
            current.color.as_str(),
            next.color.as_str(),
        );
        self.finish(tx, caller, "label.updated", Subject::label(&next), changes).await?;
        Ok(next)
    }

    /// Deletes a label; the cards carrying it lose it (editors and owners).
    #[tracing::instrument(target = "board::use_case", level = "debug", skip_all, fields(%label_id), err(level = "debug"))]
    pub async fn delete_label(
        &self,
        caller: &Caller,
        label_id: LabelId,
        expected: Option<Version>,
    ) -> Result<(), BoardError> {
        let tx = self.store.begin().await?;
        let current = tx.get_label(label_id).await?;
        role_in(&*tx, caller, current.board_id, BoardRole::Editor).await?;
        check_version(current.version, expected)?;
        tx.delete_label(current.board_id, label_id, current.version, self.now())
            .await
            .map_err(BoardError::stale_write(expected.is_some()))?;
        let changes = Changes::new().diff("name", current.name.as_str(), Value::Null);
        self.finish(tx, caller, "label.deleted", Subject::label(&current), changes).await
    }
}

#[cfg(test)]
mod tests {
    use kernel::Version;

    use super::super::testing::*;
    use crate::error::BoardError;
    use crate::model::{Color, LabelChanges, LabelName, NewLabel};

    #[tokio::test]
    async fn editors_create_labels() {
        let mut tx = tx();
        tx.expect_insert_label().times(1).returning(|_| Ok(()));
        expect_event(&mut tx, "label.created");
        let input = NewLabel { name: LabelName::parse("urgent").unwrap(), color: Color::parse("#00FF00").unwrap() };
        let label = service_with(tx).create_label(&caller(EDITOR), BOARD, input).await.unwrap();
        assert_eq!(label.color.as_str(), "#00ff00");
    }

    #[tokio::test]
    async fn viewers_cannot_create_labels() {
        let mut tx = tx();
        tx.expect_insert_label().never();
        expect_rollback(&mut tx);
        let input = NewLabel { name: LabelName::parse("x").unwrap(), color: Color::parse("#000000").unwrap() };
        let err = service_with(tx).create_label(&caller(VIEWER), BOARD, input).await.unwrap_err();
        assert!(matches!(err, BoardError::Forbidden));
    }

    #[tokio::test]
    async fn recolouring_a_label_bumps_its_version() {
        let mut tx = tx();
        tx.expect_get_label().returning(|_| Ok(label()));
        tx.expect_update_label()
            .times(1)
            .withf(|l, v| *v == Version::FIRST && l.version == Version::new(2))
            .returning(|_, _| Ok(()));
        expect_event(&mut tx, "label.updated");
        let changes = LabelChanges { color: Some(Color::parse("#123456").unwrap()), ..LabelChanges::default() };
        service_with(tx).update_label(&caller(OWNER), LABEL, changes, Some(Version::FIRST)).await.unwrap();
    }

    #[tokio::test]
    async fn a_stale_label_version_is_a_mismatch() {
        let mut tx = tx();
        tx.expect_get_label().returning(|_| Ok(label()));
        tx.expect_delete_label().never();
        expect_rollback(&mut tx);
        let err = service_with(tx).delete_label(&caller(OWNER), LABEL, Some(Version::new(9))).await.unwrap_err();
        assert!(matches!(err, BoardError::VersionMismatch));
    }

    #[tokio::test]
    async fn editors_delete_labels() {
        let mut tx = tx();
        tx.expect_get_label().returning(|_| Ok(label()));
        tx.expect_delete_label().times(1).returning(|_, _, _, _| Ok(()));
        expect_event(&mut tx, "label.deleted");
        service_with(tx).delete_label(&caller(EDITOR), LABEL, None).await.unwrap();
    }
}
