use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "board_revisions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub board_id: Uuid,
    pub revision: i64,
    /// When the board last changed (migration m0010; none only for rows made before it).
    pub changed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
