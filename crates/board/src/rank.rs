//! Lexicographic rank keys: the position of a column on its board and of a card in its column.
//!
//! A rank is a string of base-62 digits (`0-9`, `A-Z`, `a-z`, which sort in that order by byte
//! value) read as a fraction `0.d1d2d3…`. Between any two ranks there is always another, so
//! moving an item rewrites only that item's row. Keys never end in `0`: `"x"` and `"x0"` would
//! denote the same fraction with nothing in between.
//!
//! Keys grow when items keep landing in the same gap. Past [`Rank::REBALANCE_LEN`] characters
//! the service rewrites the siblings with [`Rank::spread`], inside the same unit of work.
//!
//! Databases must compare ranks byte by byte (`COLLATE "C"` on PostgreSQL; SQLite's default).

use std::fmt;

const DIGITS: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE: u8 = 62;
const TOP: u8 = BASE - 1;
/// Longest key `parse` accepts: well above what the service lets keys grow to.
const MAX_STORED_LEN: usize = 255;

/// A stored rank was malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed rank key {0:?}")]
pub struct RankError(String);

/// A position among siblings; siblings sort by comparing ranks as byte strings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rank(String);

impl Rank {
    /// Longest key the service keeps; a longer one triggers a rebalance of the siblings.
    pub const REBALANCE_LEN: usize = 32;

    /// Reads a stored key.
    ///
    /// # Errors
    /// [`RankError`] when `raw` is empty, too long, ends in `0` or holds a character outside
    /// the alphabet.
    pub fn parse(raw: &str) -> Result<Self, RankError> {
        let valid = !raw.is_empty()
            && raw.len() <= MAX_STORED_LEN
            && !raw.ends_with('0')
            && raw.bytes().all(|b| value_of(b).is_some());
        if valid { Ok(Self(raw.to_owned())) } else { Err(RankError(raw.to_owned())) }
    }

    /// The key of the first item in an empty list: the middle of the space.
    pub fn initial() -> Self {
        Self::from_digits(&[BASE / 2])
    }

    /// A key strictly between `before` and `after`; `None` is an open end.
    ///
    /// Appending (`after` = `None`) and prepending (`before` = `None`) step by one digit, so
    /// keys grow by one character only every ~60 items. When `before` is not less than
    /// `after` (a store holding duplicate keys), the result sorts after `before` and callers
    /// see that it is not strictly between with [`Rank::fits_between`].
    pub fn between(before: Option<&Rank>, after: Option<&Rank>) -> Rank {
        let lo = before.map(Rank::digits);
        let hi = after.map(Rank::digits);
        let digits = match (lo, hi) {
            (None, None) => return Self::initial(),
            (None, Some(hi)) => decrement(&hi),
            (Some(lo), Some(hi)) if lo < hi => midpoint(&lo, Some(&hi)),
            // Open above, or inconsistent bounds: go above `before`.
            (Some(lo), _) => increment(&lo),
        };
        Self::from_digits(&digits)
    }

    /// `n` evenly spaced keys, in increasing order, all of the same short width (trailing
    /// zeros dropped), leaving room for about a digit's worth of insertions in every gap.
    pub fn spread(n: usize) -> Vec<Rank> {
        if n == 0 {
            return Vec::new();
        }
        let slots = u128::try_from(n).unwrap_or(u128::from(u64::MAX)) + 1;
        let mut width = 1;
        let mut space = u128::from(BASE);
        while space / slots < u128::from(BASE) {
            width += 1;
            space *= u128::from(BASE);
        }
        let step = space / slots;
        (1..slots).map(|i| Self::from_number(step * i, width)).collect()
    }

    /// Whether this key lies strictly between the bounds (`None`: open end) and is short
    /// enough to keep.
    pub fn fits_between(&self, before: Option<&Rank>, after: Option<&Rank>) -> bool {
        !self.is_too_long() && before.is_none_or(|b| b < self) && after.is_none_or(|a| self < a)
    }

    /// Whether the key has outgrown [`Rank::REBALANCE_LEN`].
    pub fn is_too_long(&self) -> bool {
        self.0.len() > Self::REBALANCE_LEN
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn digits(&self) -> Vec<u8> {
        // Every stored byte was checked by `parse` or produced from DIGITS.
        self.0.bytes().filter_map(value_of).collect()
    }

    fn from_digits(digits: &[u8]) -> Self {
        Self(digits.iter().map(|&d| char::from(DIGITS[usize::from(d)])).collect())
    }

    fn from_number(mut value: u128, width: usize) -> Self {
        let mut digits = vec![0u8; width];
        for slot in digits.iter_mut().rev() {
            // The remainder is below 62, so the cast is exact.
            #[allow(clippy::cast_possible_truncation)]
            let digit = (value % u128::from(BASE)) as u8;
            *slot = digit;
            value /= u128::from(BASE);
        }
        while digits.last() == Some(&0) {
            digits.pop();
        }
        Self::from_digits(&digits)
    }
}

impl fmt::Display for Rank {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn value_of(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'A'..=b'Z' => Some(byte - b'A' + 10),
        b'a'..=b'z' => Some(byte - b'a' + 36),
        _ => None,
    }
}

/// The shortest-step key above `lo`: bump the first digit that can be bumped.
fn increment(lo: &[u8]) -> Vec<u8> {
    let mut out = lo.to_vec();
    if let Some(i) = lo.iter().position(|&d| d < TOP) {
        out.truncate(i);
        out.push(lo[i] + 1);
    } else {
        out.push(1);
    }
    out
}

/// The shortest-step key below `hi` (and above zero).
fn decrement(hi: &[u8]) -> Vec<u8> {
    if let Some(i) = hi.iter().position(|&d| d > 1) {
        let mut out = hi[..i].to_vec();
        out.push(hi[i] - 1);
        out
    } else {
        midpoint(&[], Some(hi))
    }
}

/// A key strictly between `lo` and `hi` (`None`: one), given `lo < hi` and neither ending in 0.
fn midpoint(lo: &[u8], hi: Option<&[u8]>) -> Vec<u8> {
    let digit = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    if let Some(hi) = hi {
        let shared = (0..hi.len()).take_while(|&i| digit(lo, i) == hi[i]).count();
        if shared > 0 {
            let mut out = hi[..shared].to_vec();
            out.extend(midpoint(lo.get(shared..).unwrap_or(&[]), Some(&hi[shared..])));
            return out;
        }
    }
    let a = u16::from(digit(lo, 0));
    let b = hi.map_or(u16::from(BASE), |hi| u16::from(digit(hi, 0)));
    if b > a + 1 {
        // Strictly between two digits at least two apart, so non-zero and below BASE.
        #[allow(clippy::cast_possible_truncation)]
        return vec![u16::midpoint(a, b) as u8];
    }
    if let Some(hi) = hi.filter(|hi| hi.len() > 1) {
        // `hi`'s first digit alone is below `hi` and above `lo`, which starts one lower.
        return vec![hi[0]];
    }
    let mut out = vec![digit(lo, 0)];
    out.extend(midpoint(lo.get(1..).unwrap_or(&[]), None));
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn rank(s: &str) -> Rank {
        Rank::parse(s).unwrap()
    }

    fn any_rank() -> impl Strategy<Value = Rank> {
        "[0-9A-Za-z]{0,12}[1-9A-Za-z]".prop_map(|s| rank(&s))
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in ["", "a0", "a-b", "é", &"z".repeat(256)] {
            assert!(Rank::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn alphabet_sorts_by_byte_value() {
        assert!(DIGITS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn open_ends_step_by_one_digit() {
        assert_eq!(Rank::between(None, None), rank("V"));
        assert_eq!(Rank::between(Some(&rank("V")), None), rank("W"));
        assert_eq!(Rank::between(Some(&rank("z")), None), rank("z1"));
        assert_eq!(Rank::between(None, Some(&rank("V"))), rank("U"));
        assert_eq!(Rank::between(None, Some(&rank("1"))), rank("0V"));
    }

    #[test]
    fn adjacent_digits_get_a_longer_key_between_them() {
        assert_eq!(Rank::between(Some(&rank("V")), Some(&rank("W"))), rank("VV"));
        assert_eq!(Rank::between(Some(&rank("V")), Some(&rank("W1"))), rank("W"));
    }

    #[test]
    fn inconsistent_bounds_yield_a_key_that_does_not_fit() {
        let a = rank("b");
        let r = Rank::between(Some(&a), Some(&a));
        assert!(r > a);
        assert!(!r.fits_between(Some(&a), Some(&a)));
    }

    #[test]
    fn spread_is_increasing_short_and_leaves_room() {
        for n in [1, 2, 61, 62, 1000, 10_000] {
            let keys = Rank::spread(n);
            assert_eq!(keys.len(), n);
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{n}");
            assert!(keys.iter().all(|k| k.as_str().len() <= 4 && Rank::parse(k.as_str()).is_ok()));
            let first = Rank::between(None, keys.first());
            assert!(first.fits_between(None, keys.first()));
        }
    }

    #[test]
    fn appending_many_items_grows_keys_slowly() {
        let mut last = Rank::initial();
        for _ in 0..1_000 {
            let next = Rank::between(Some(&last), None);
            assert!(next > last);
            last = next;
        }
        assert!(last.as_str().len() <= 20, "{last}");
    }

    proptest! {
        #[test]
        fn between_two_ranks_lies_strictly_between(a in any_rank(), b in any_rank()) {
            prop_assume!(a != b);
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            let mid = Rank::between(Some(&lo), Some(&hi));
            prop_assert!(lo < mid && mid < hi, "{lo} < {mid} < {hi}");
            prop_assert!(Rank::parse(mid.as_str()).is_ok());
        }

        #[test]
        fn open_ended_keys_sort_beyond_their_bound(a in any_rank()) {
            let after = Rank::between(Some(&a), None);
            let before = Rank::between(None, Some(&a));
            prop_assert!(before < a && a < after);
            prop_assert!(Rank::parse(after.as_str()).is_ok() && Rank::parse(before.as_str()).is_ok());
        }

        #[test]
        fn repeated_insertion_in_one_gap_keeps_order(a in any_rank(), b in any_rank(), n in 1usize..200, front in any::<bool>()) {
            prop_assume!(a != b);
            let (mut lo, mut hi) = if a < b { (a, b) } else { (b, a) };
            for _ in 0..n {
                let mid = Rank::between(Some(&lo), Some(&hi));
                prop_assert!(lo < mid && mid < hi);
                // Insert again at the front of the gap, or just behind the previous key.
                if front { hi = mid; } else { lo = mid; }
            }
        }

        #[test]
        fn repeated_insertion_at_the_front_keeps_order(a in any_rank(), n in 1usize..300) {
            let mut first = a;
            for _ in 0..n {
                let next = Rank::between(None, Some(&first));
                prop_assert!(next < first);
                first = next;
            }
        }
    }
}
