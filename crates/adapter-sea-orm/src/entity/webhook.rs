use sea_orm::entity::prelude::*;

/// A row of `webhooks`: one subscription. `event_types` is a JSON array, as text.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhooks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub url: String,
    pub description: String,
    pub event_types: String,
    pub secret: String,
    pub active: bool,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<DateTimeUtc>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
