use sea_orm::entity::prelude::*;

/// A row of `reminder_occurrences`: one fired occurrence, unique by `(reminder_id, due_at)`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminder_occurrences")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub reminder_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub due_at: DateTimeUtc,
    pub fired_at: DateTimeUtc,
    pub late: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
