use sea_orm::entity::prelude::*;

/// A row of `reminders`. `timezone` and `recurrence` hold text that the domain parses again on
/// every read; `target_kind` and `target_id` are both set or both empty.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reminders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub title: String,
    pub body: String,
    pub remind_at: DateTimeUtc,
    pub timezone: String,
    pub recurrence: Option<String>,
    pub target_kind: Option<String>,
    pub target_id: Option<Uuid>,
    pub status: String,
    pub next_fire_at: Option<DateTimeUtc>,
    pub snoozed_until: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
