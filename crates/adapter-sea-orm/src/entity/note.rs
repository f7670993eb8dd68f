use sea_orm::entity::prelude::*;

/// A row of `notes`. The integer `seq` key (the FTS rowid) and PostgreSQL's generated `search`
/// column are the database's business and are never read or written here.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub title: String,
    pub body: String,
    pub pinned: bool,
    pub archived: bool,
    pub board_id: Option<Uuid>,
    pub card_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
