//! Keyset pagination. Every list in Corkboard is ordered by a UUIDv7 id, so the cursor is the
//! last id seen; the HTTP adapter makes it opaque.

use uuid::Uuid;

/// What page a caller asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    limit: u32,
    after: Option<Uuid>,
}

impl PageRequest {
    /// The default page size.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The largest page anyone gets.
    pub const MAX_LIMIT: u32 = 200;

    /// A page of at most `limit` items (clamped to 1..=200) after `after`.
    pub fn new(limit: Option<u32>, after: Option<Uuid>) -> Self {
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT).clamp(1, Self::MAX_LIMIT);
        Self { limit, after }
    }

    /// The first page of the default size.
    pub fn first() -> Self {
        Self::new(None, None)
    }

    /// How many items to return.
    pub const fn limit(&self) -> u32 {
        self.limit
    }

    /// How many rows to fetch: one more than the limit, to learn whether a next page exists.
    pub const fn fetch_limit(&self) -> u64 {
        self.limit as u64 + 1
    }

    /// The id after which the page starts.
    pub const fn after(&self) -> Option<Uuid> {
        self.after
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<Uuid>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only says that more exist.
    pub fn from_overfetch(mut rows: Vec<T>, request: PageRequest, key: impl Fn(&T) -> Uuid) -> Self {
        let limit = request.limit() as usize;
        let next_cursor = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(&key)
        } else {
            None
        };
        Self { items: rows, next_cursor }
    }

    /// Converts the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page { items: self.items.into_iter().map(f).collect(), next_cursor: self.next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_clamped_to_bounds() {
        assert_eq!(PageRequest::new(Some(0), None).limit(), 1);
        assert_eq!(PageRequest::new(Some(10_000), None).limit(), 200);
        assert_eq!(PageRequest::new(None, None).limit(), 50);
    }

    #[test]
    fn overfetched_row_becomes_the_cursor_of_the_last_kept_item() {
        let ids: Vec<Uuid> = (1..=3).map(Uuid::from_u128).collect();
        let page = Page::from_overfetch(ids.clone(), PageRequest::new(Some(2), None), |u| *u);
        assert_eq!(page.items, ids[..2]);
        assert_eq!(page.next_cursor, Some(ids[1]));

        let last = Page::from_overfetch(ids.clone(), PageRequest::new(Some(3), None), |u| *u);
        assert_eq!(last.next_cursor, None);
    }
}
