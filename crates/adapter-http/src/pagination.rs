//! `?limit=&cursor=` in, `{items, next_cursor}` out. Cursors are opaque to clients: a version
//! tag and the last id, base64url-encoded; anything else is refused.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use kernel::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;

/// Paging parameters of every list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, garde::Validate)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageParams {
    /// How many items to return (default 50).
    #[param(minimum = 1, maximum = 200)]
    #[garde(inner(range(min = 1, max = 200)))]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 200)]
    #[garde(skip)]
    pub cursor: Option<String>,
}

impl PageParams {
    /// The page asked for; a cursor that was not issued by us is a 400.
    pub(crate) fn page(&self) -> Result<PageRequest, ApiError> {
        let after = self.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(PageRequest::new(self.limit, after))
    }
}

const CURSOR_TAG: &str = "c1:";

/// An opaque cursor: `tag` (which kind of cursor, and its version) and `payload`,
/// base64url-encoded.
pub(crate) fn encode_tagged(tag: &str, payload: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{tag}{payload}"))
}

/// The payload of a cursor made by [`encode_tagged`] with `tag`; anything else is refused with
/// 400 `INVALID_CURSOR` (see [`invalid_cursor`]).
pub(crate) fn decode_tagged(raw: &str, tag: &str) -> Result<String, ApiError> {
    let bytes = URL_SAFE_NO_PAD.decode(raw).map_err(|_| invalid_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid_cursor())?;
    text.strip_prefix(tag).map(str::to_owned).ok_or_else(invalid_cursor)
}

/// A cursor this API did not issue.
pub(crate) fn invalid_cursor() -> ApiError {
    ApiError::bad_request("INVALID_CURSOR", "The cursor is not one this API issued.")
}

fn encode_cursor(id: Uuid) -> String {
    encode_tagged(CURSOR_TAG, &id.simple().to_string())
}

fn decode_cursor(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::try_parse(&decode_tagged(raw, CURSOR_TAG)?).map_err(|_| invalid_cursor())
}

/// One page of a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Paged<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Paged<T> {
    /// Converts a domain page.
    pub(crate) fn from_page<D>(page: Page<D>, f: impl FnMut(D) -> T) -> Self {
        let next_cursor = page.next_cursor.map(encode_cursor);
        Self { items: page.items.into_iter().map(f).collect(), next_cursor }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let id = Uuid::now_v7();
        assert_eq!(decode_cursor(&encode_cursor(id)).ok(), Some(id));
    }

    #[test]
    fn tampered_cursors_are_refused() {
        let good = encode_cursor(Uuid::now_v7());
        for bad in ["", "!!!", "abc", &good[1..], &URL_SAFE_NO_PAD.encode("c2:0123")] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
