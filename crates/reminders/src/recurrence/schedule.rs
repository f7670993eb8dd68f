//! The occurrence engine: when a reminder fires, computed in its own time zone.
//!
//! Rules, all of them tested:
//! - the **first occurrence is `start` itself** (the reminder's `remind_at`), whether or not it
//!   matches the rule, and it counts towards `COUNT` (RFC 5545: "the DTSTART property value
//!   always counts as the first occurrence"); later occurrences are the dates the rule selects,
//!   strictly after `start`;
//! - every later occurrence keeps the **local wall-clock time** of `start` in the schedule's
//!   time zone: a daily 09:00 Europe/Berlin reminder stays at 09:00 local across DST changes;
//! - a local time that does not exist that day (the spring-forward gap) is **shifted forward by
//!   the length of the gap** (02:30 on a day whose clocks jump from 02:00 to 03:00 becomes
//!   03:30); a local time that exists twice (the fall-back overlap) is the **earlier** instant;
//! - dates the rule names but the calendar lacks are skipped, as RFC 5545 says: `BYMONTHDAY=31`
//!   skips months without a 31st, a yearly Feb 29 occurs in leap years only, a monthly rule
//!   started on the 31st skips short months;
//! - `UNTIL` is inclusive; a date `UNTIL` compares with the occurrence's local date;
//! - `YEARLY` with `BYMONTHDAY` or `BYDAY` expands over every month of the year (RFC 5545 without
//!   `BYMONTH`); without them it repeats `start`'s month and day.
//!
//! Cost: the engine walks periods (days, weeks, months or years, `INTERVAL` apart), never
//! individual days of a longer period, and jumps straight to the period of the instant asked
//! about unless `COUNT` forces counting from the start (at most 1000 occurrences). A rule that
//! selects nothing for [`MAX_EMPTY_PERIODS`] periods in a row (possible: `FREQ=DAILY;INTERVAL=7;
//! BYDAY=MO` started on a Tuesday never matches) is treated as ended, so no call loops forever.

use std::collections::VecDeque;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::rule::{Frequency, Recurrence, Until, WeekdayNum};
use crate::model::Timezone;

/// Periods in a row without an occurrence after which a rule is considered exhausted.
pub const MAX_EMPTY_PERIODS: u32 = 3_000;

/// The most occurrences [`Schedule::upcoming`] returns.
pub const MAX_UPCOMING: usize = 1_000;

/// A reminder's timetable: a first instant, the time zone it was set in, and an optional rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    start: DateTime<Utc>,
    tz: Timezone,
    rule: Option<Recurrence>,
    local_date: NaiveDate,
    local_time: NaiveTime,
}

impl Schedule {
    /// The schedule starting at `start`, repeating by `rule` (once when `None`).
    pub fn new(start: DateTime<Utc>, timezone: Timezone, rule: Option<Recurrence>) -> Self {
        let local = timezone.local(start);
        Self { start, tz: timezone, rule, local_date: local.date(), local_time: local.time() }
    }

    /// The first occurrence.
    pub const fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The first occurrence strictly after `after`, if the schedule has one.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.occurrences_from(after).find(|t| *t > after)
    }

    /// The first occurrence at or after `at`.
    pub fn first_at_or_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.occurrences_from(at).find(|t| *t >= at)
    }

    /// Up to `n` (at most [`MAX_UPCOMING`]) occurrences strictly after `after`, in order.
    pub fn upcoming(&self, after: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        self.occurrences_from(after).filter(|t| *t > after).take(n.min(MAX_UPCOMING)).collect()
    }

    /// The last occurrence at or before `at`, walking from the start; `None` before `start`.
    /// Meant for finite schedules that are over; bounded like every walk.
    pub fn last_at_or_before(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.occurrences().take_while(|t| *t <= at).last()
    }

    /// Every occurrence from the first, in order (finite when the rule ends or stops matching).
    pub fn occurrences(&self) -> Occurrences<'_> {
        Occurrences::new(self, None)
    }

    /// Occurrences in order, starting early enough that none after `after` is missed (a few at
    /// or before it may come first).
    fn occurrences_from(&self, after: DateTime<Utc>) -> Occurrences<'_> {
        Occurrences::new(self, Some(after))
    }

    /// The instant of `time` on local `date`, by the gap and overlap rules of this module.
    fn instant_on(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        resolve_local(&self.tz, date.and_time(self.local_time))
    }
}

/// The UTC instant of a local wall-clock time: the earlier one when it exists twice, and when it
/// does not exist, the time read with the offset in force before the gap (which lands as far
/// after the gap as it was into it: 02:30 → 03:30 when clocks jump from 02:00 to 03:00).
pub(crate) fn resolve_local(tz: &Timezone, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    if let Some(t) = tz.earliest(local) {
        return Some(t);
    }
    // In a gap. Transitions are months apart, so a day earlier the old offset was in force.
    let day_before = local.checked_sub_signed(Duration::days(1))?.and_utc();
    let before = tz.offset_seconds(day_before);
    let shifted = local.checked_sub_signed(Duration::seconds(before.into()))?.and_utc();
    if tz.local(shifted) > local {
        return Some(shifted);
    }
    // A zone with two transitions within a day: take the first wall time after the gap.
    (1..=24 * 60).filter_map(|m| local.checked_add_signed(Duration::minutes(m))).find_map(|l| tz.earliest(l))
}

/// The occurrences of a [`Schedule`], in strictly increasing order.
#[derive(Debug)]
pub struct Occurrences<'a> {
    schedule: &'a Schedule,
    start_pending: bool,
    /// The next period to expand, as a period index (see [`period_of`]).
    period: i64,
    queue: VecDeque<(NaiveDate, DateTime<Utc>)>,
    emitted: u32,
    last: DateTime<Utc>,
    empty_streak: u32,
    finished: bool,
}

impl<'a> Occurrences<'a> {
    fn new(schedule: &'a Schedule, after: Option<DateTime<Utc>>) -> Self {
        let mut it = Self {
            schedule,
            start_pending: true,
            period: 0,
            queue: VecDeque::new(),
            emitted: 0,
            last: schedule.start,
            empty_streak: 0,
            finished: false,
        };
        let Some(rule) = &schedule.rule else { return it };
        let interval = i64::from(rule.interval());
        let first = period_of(rule.frequency(), schedule.local_date);
        it.period = first;
        // Without COUNT nothing needs counting from the start: jump to (one period before) the
        // period holding `after`. Occurrences are monotonic in their local date, so none after
        // `after` can lie in an earlier period.
        if let Some(after) = after.filter(|a| *a > schedule.start && rule.count().is_none()) {
            let after_date = schedule.tz.local(after).date();
            let skipped = ((period_of(rule.frequency(), after_date) - first).div_euclid(interval) - 1).max(0);
            it.period = first + skipped * interval;
            it.start_pending = false;
            it.emitted = 1;
        }
        it
    }

    /// Queues the occurrences of the next period; `false` when the calendar ran out.
    fn expand_next_period(&mut self, rule: &Recurrence) -> bool {
        let Some(dates) = dates_in_period(rule, self.period, self.schedule.local_date) else { return false };
        self.period += i64::from(rule.interval());
        let mut added = false;
        for date in dates {
            if date < self.schedule.local_date {
                continue;
            }
            let Some(at) = self.schedule.instant_on(date) else { continue };
            let newest = self.queue.back().map_or(self.last, |(_, t)| *t);
            if at > newest {
                self.queue.push_back((date, at));
                added = true;
            }
        }
        self.empty_streak = if added { 0 } else { self.empty_streak + 1 };
        true
    }
}

impl Iterator for Occurrences<'_> {
    type Item = DateTime<Utc>;

    fn next(&mut self) -> Option<DateTime<Utc>> {
        if self.finished {
            return None;
        }
        if self.start_pending {
            self.start_pending = false;
            self.emitted = 1;
            return Some(self.schedule.start);
        }
        let Some(rule) = &self.schedule.rule else {
            self.finished = true;
            return None;
        };
        loop {
            if let Some((date, at)) = self.queue.pop_front() {
                let over_count = rule.count().is_some_and(|c| self.emitted >= u32::from(c));
                let over_until = match rule.until() {
                    Some(Until::Instant(until)) => at > until,
                    Some(Until::Date(until)) => date > until,
                    None => false,
                };
                if over_count || over_until {
                    self.finished = true;
                    return None;
                }
                self.emitted += 1;
                self.last = at;
                return Some(at);
            }
            if self.empty_streak >= MAX_EMPTY_PERIODS || !self.expand_next_period(rule) {
                self.finished = true;
                return None;
            }
        }
    }
}

/// The index of the period holding `date`: consecutive periods have consecutive indexes.
fn period_of(freq: Frequency, date: NaiveDate) -> i64 {
    match freq {
        Frequency::Daily => i64::from(date.num_days_from_ce()),
        // 0001-01-01 (day 1) is a Monday, so Mondays are the days ≡ 1 (mod 7).
        Frequency::Weekly => (i64::from(date.num_days_from_ce()) - 1).div_euclid(7),
        Frequency::Monthly => i64::from(date.year()) * 12 + i64::from(date.month0()),
        Frequency::Yearly => i64::from(date.year()),
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    NaiveDate::from_ymd_opt(ny, nm, 1).and_then(|d| d.pred_opt()).map_or(28, |d| d.day())
}

/// `BYMONTHDAY` entry `n` in a month of `len` days: 31 is absent from April, -1 is the last day.
fn month_day(n: i8, len: u32) -> Option<u32> {
    let n = i32::from(n);
    let day = if n > 0 { n } else { i32::try_from(len).ok()? + 1 + n };
    u32::try_from(day).ok().filter(|d| (1..=len).contains(d))
}

fn weekday_ok(rule: &Recurrence, date: NaiveDate) -> bool {
    rule.by_day().is_empty() || rule.by_day().iter().any(|d| d.weekday() == date.weekday())
}

fn month_day_ok(rule: &Recurrence, date: NaiveDate) -> bool {
    let len = days_in_month(date.year(), date.month());
    rule.by_month_day().is_empty() || rule.by_month_day().iter().any(|n| month_day(*n, len) == Some(date.day()))
}

/// The dates `rule` selects in one month (`BYMONTHDAY`, else `BYDAY`, else `start_day`).
fn dates_in_month(rule: &Recurrence, year: i32, month: u32, start_day: u32) -> Vec<NaiveDate> {
    let len = days_in_month(year, month);
    let on = |d: u32| NaiveDate::from_ymd_opt(year, month, d);
    if !rule.by_month_day().is_empty() {
        return rule
            .by_month_day()
            .iter()
            .filter_map(|n| month_day(*n, len))
            .filter_map(on)
            .filter(|d| weekday_ok(rule, *d))
            .collect();
    }
    if !rule.by_day().is_empty() {
        return rule.by_day().iter().flat_map(|wd| weekdays_in_month(*wd, year, month, len)).collect();
    }
    on(start_day).filter(|_| start_day <= len).into_iter().collect()
}

fn weekdays_in_month(wd: WeekdayNum, year: i32, month: u32, len: u32) -> Vec<NaiveDate> {
    let all: Vec<NaiveDate> = (1..=len)
        .filter_map(|d| NaiveDate::from_ymd_opt(year, month, d))
        .filter(|d| d.weekday() == wd.weekday())
        .collect();
    match wd.ordinal() {
        None => all,
        Some(n) => {
            let n = usize::from(n.unsigned_abs());
            let picked = if wd.ordinal().is_some_and(|o| o > 0) {
                all.get(n - 1)
            } else {
                all.len().checked_sub(n).and_then(|i| all.get(i))
            };
            picked.copied().into_iter().collect()
        }
    }
}

/// The dates `rule` selects in period `period`, sorted; `None` past the calendar's end.
fn dates_in_period(rule: &Recurrence, period: i64, start: NaiveDate) -> Option<Vec<NaiveDate>> {
    let mut dates = match rule.frequency() {
        Frequency::Daily => {
            let day = NaiveDate::from_num_days_from_ce_opt(i32::try_from(period).ok()?)?;
            if weekday_ok(rule, day) && month_day_ok(rule, day) { vec![day] } else { vec![] }
        }
        Frequency::Weekly => {
            let monday = NaiveDate::from_num_days_from_ce_opt(i32::try_from(period * 7 + 1).ok()?)?;
            let days: Vec<u32> = if rule.by_day().is_empty() {
                vec![start.weekday().num_days_from_monday()]
            } else {
                rule.by_day().iter().map(|d| d.weekday().num_days_from_monday()).collect()
            };
            days.into_iter().filter_map(|d| monday.checked_add_days(chrono::Days::new(d.into()))).collect()
        }
        Frequency::Monthly => {
            let year = i32::try_from(period.div_euclid(12)).ok()?;
            let month = u32::try_from(period.rem_euclid(12)).ok()? + 1;
            NaiveDate::from_ymd_opt(year, month, 1)?;
            dates_in_month(rule, year, month, start.day())
        }
        Frequency::Yearly => {
            let year = i32::try_from(period).ok()?;
            NaiveDate::from_ymd_opt(year, 12, 31)?;
            if rule.by_day().is_empty() && rule.by_month_day().is_empty() {
                NaiveDate::from_ymd_opt(year, start.month(), start.day()).into_iter().collect()
            } else {
                (1..=12).flat_map(|m| dates_in_month(rule, year, m, start.day())).collect()
            }
        }
    };
    dates.sort_unstable();
    dates.dedup();
    Some(dates)
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDateTime, Weekday};
    use proptest::prelude::*;

    use super::*;

    fn tz(name: &str) -> Timezone {
        Timezone::parse(name).unwrap()
    }

    /// The instant of a local wall-clock time `YYYY-MM-DD HH:MM` in `zone`.
    fn at(zone: &str, local: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M").unwrap();
        resolve_local(&tz(zone), naive).unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn schedule(zone: &str, local: &str, rule: &str) -> Schedule {
        Schedule::new(at(zone, local), tz(zone), Some(Recurrence::parse(rule).unwrap()))
    }

    /// Every occurrence as local `YYYY-MM-DD HH:MM`.
    fn locals(s: &Schedule, zone: &str, n: usize) -> Vec<String> {
        let z = tz(zone);
        s.occurrences().take(n).map(|t| z.local(t).format("%Y-%m-%d %H:%M").to_string()).collect()
    }

    #[test]
    fn daily_berlin_0900_stays_0900_local_across_march_change() {
        let s = schedule("Europe/Berlin", "2025-03-29 09:00", "FREQ=DAILY");
        let all: Vec<_> = s.occurrences().take(3).collect();
        assert_eq!(all, [utc("2025-03-29T08:00:00Z"), utc("2025-03-30T07:00:00Z"), utc("2025-03-31T07:00:00Z")]);
    }

    #[test]
    fn daily_berlin_0900_stays_0900_local_across_october_change() {
        let s = schedule("Europe/Berlin", "2025-10-25 09:00", "FREQ=DAILY");
        let all: Vec<_> = s.occurrences().take(3).collect();
        assert_eq!(all, [utc("2025-10-25T07:00:00Z"), utc("2025-10-26T08:00:00Z"), utc("2025-10-27T08:00:00Z")]);
    }

    #[test]
    fn new_york_weekly_keeps_local_time_across_both_changes() {
        let s = schedule("America/New_York", "2025-03-03 18:30", "FREQ=WEEKLY");
        assert_eq!(s.occurrences().nth(1), Some(utc("2025-03-10T22:30:00Z"))); // EDT, UTC-4
        let s = schedule("America/New_York", "2025-10-27 18:30", "FREQ=WEEKLY");
        assert_eq!(s.occurrences().nth(1), Some(utc("2025-11-03T23:30:00Z"))); // EST, UTC-5
    }

    #[test]
    fn time_in_the_spring_forward_gap_is_shifted_by_the_gap() {
        let s = schedule("Europe/Berlin", "2025-03-29 02:30", "FREQ=DAILY");
        assert_eq!(locals(&s, "Europe/Berlin", 3), ["2025-03-29 02:30", "2025-03-30 03:30", "2025-03-31 02:30"]);
        let s = schedule("America/New_York", "2025-03-08 02:30", "FREQ=DAILY");
        assert_eq!(s.occurrences().nth(1), Some(utc("2025-03-09T07:30:00Z"))); // 03:30 EDT
    }

    #[test]
    fn time_in_the_fall_back_overlap_is_the_earlier_instant() {
        let s = schedule("Europe/Berlin", "2025-10-25 02:30", "FREQ=DAILY");
        // 02:30 happens twice on Oct 26: 00:30Z (CEST) and 01:30Z (CET); the first is taken.
        assert_eq!(s.occurrences().nth(1), Some(utc("2025-10-26T00:30:00Z")));
    }

    #[test]
    fn monthly_on_the_31st_skips_shorter_months() {
        let s = schedule("UTC", "2025-01-31 08:00", "FREQ=MONTHLY;BYMONTHDAY=31");
        assert_eq!(
            locals(&s, "UTC", 5),
            ["2025-01-31 08:00", "2025-03-31 08:00", "2025-05-31 08:00", "2025-07-31 08:00", "2025-08-31 08:00"]
        );
        let plain = schedule("UTC", "2025-01-31 08:00", "FREQ=MONTHLY");
        assert_eq!(locals(&plain, "UTC", 2), ["2025-01-31 08:00", "2025-03-31 08:00"]);
    }

    #[test]
    fn last_day_of_month_counts_from_the_end() {
        let s = schedule("UTC", "2024-01-31 08:00", "FREQ=MONTHLY;BYMONTHDAY=-1");
        assert_eq!(locals(&s, "UTC", 3), ["2024-01-31 08:00", "2024-02-29 08:00", "2024-03-31 08:00"]);
    }

    #[test]
    fn yearly_feb_29_occurs_in_leap_years_only() {
        let s = schedule("UTC", "2024-02-29 12:00", "FREQ=YEARLY");
        assert_eq!(locals(&s, "UTC", 3), ["2024-02-29 12:00", "2028-02-29 12:00", "2032-02-29 12:00"]);
        let century = schedule("UTC", "2096-02-29 12:00", "FREQ=YEARLY");
        assert_eq!(century.occurrences().nth(1), Some(utc("2104-02-29T12:00:00Z")));
    }

    #[test]
    fn count_includes_the_first_occurrence() {
        let s = schedule("UTC", "2025-01-01 09:00", "FREQ=DAILY;COUNT=3");
        assert_eq!(locals(&s, "UTC", 10), ["2025-01-01 09:00", "2025-01-02 09:00", "2025-01-03 09:00"]);
        assert_eq!(s.next_after(utc("2025-01-03T09:00:00Z")), None);
    }

    #[test]
    fn start_off_the_rule_still_fires_and_counts() {
        // 2025-01-01 is a Wednesday; the rule picks Mondays.
        let s = schedule("UTC", "2025-01-01 09:00", "FREQ=WEEKLY;BYDAY=MO;COUNT=2");
        assert_eq!(locals(&s, "UTC", 5), ["2025-01-01 09:00", "2025-01-06 09:00"]);
    }

    #[test]
    fn until_is_inclusive_as_instant_and_as_local_date() {
        let s = schedule("UTC", "2025-01-01 09:00", "FREQ=DAILY;UNTIL=20250103T090000Z");
        assert_eq!(s.occurrences().count(), 3);
        let s = schedule("UTC", "2025-01-01 09:00", "FREQ=DAILY;UNTIL=20250103T085959Z");
        assert_eq!(s.occurrences().count(), 2);
        // 23:30 Berlin on Jan 3 is Jan 3 locally though 22:30Z: the local date decides.
        let s = schedule("Europe/Berlin", "2025-01-01 23:30", "FREQ=DAILY;UNTIL=20250103");
        assert_eq!(s.occurrences().count(), 3);
    }

    #[test]
    fn interval_skips_periods() {
        let s = schedule("UTC", "2025-01-01 09:00", "FREQ=DAILY;INTERVAL=3");
        assert_eq!(locals(&s, "UTC", 3), ["2025-01-01 09:00", "2025-01-04 09:00", "2025-01-07 09:00"]);
        let s = schedule("UTC", "2025-01-06 09:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE");
        assert_eq!(
            locals(&s, "UTC", 4),
            ["2025-01-06 09:00", "2025-01-08 09:00", "2025-01-20 09:00", "2025-01-22 09:00"]
        );
    }

    #[test]
    fn weekly_with_several_days_fires_on_each() {
        // 2025-01-01 is a Wednesday.
        let s = schedule("UTC", "2025-01-01 07:15", "FREQ=WEEKLY;BYDAY=MO,WE,FR");
        assert_eq!(
            locals(&s, "UTC", 5),
            ["2025-01-01 07:15", "2025-01-03 07:15", "2025-01-06 07:15", "2025-01-08 07:15", "2025-01-10 07:15"]
        );
    }

    #[test]
    fn monthly_ordinal_weekdays() {
        let s = schedule("UTC", "2025-01-06 10:00", "FREQ=MONTHLY;BYDAY=1MO");
        assert_eq!(locals(&s, "UTC", 3), ["2025-01-06 10:00", "2025-02-03 10:00", "2025-03-03 10:00"]);
        let s = schedule("UTC", "2025-01-31 10:00", "FREQ=MONTHLY;BYDAY=-1FR");
        assert_eq!(locals(&s, "UTC", 3), ["2025-01-31 10:00", "2025-02-28 10:00", "2025-03-28 10:00"]);
        // A fifth Monday exists in some months only.
        let s = schedule("UTC", "2025-03-31 10:00", "FREQ=MONTHLY;BYDAY=5MO");
        assert_eq!(locals(&s, "UTC", 2), ["2025-03-31 10:00", "2025-06-30 10:00"]);
    }

    #[test]
    fn friday_the_13th() {
        let s = schedule("UTC", "2025-06-13 09:00", "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13");
        assert_eq!(locals(&s, "UTC", 3), ["2025-06-13 09:00", "2026-02-13 09:00", "2026-03-13 09:00"]);
    }

    #[test]
    fn yearly_with_bymonthday_expands_over_every_month() {
        let s = schedule("UTC", "2025-01-15 09:00", "FREQ=YEARLY;BYMONTHDAY=15");
        assert_eq!(s.occurrences().nth(1), Some(utc("2025-02-15T09:00:00Z")));
    }

    #[test]
    fn next_after_is_strict_and_upcoming_is_ordered() {
        let s = schedule("UTC", "2025-01-01 09:00", "FREQ=DAILY");
        assert_eq!(s.next_after(utc("2025-01-05T09:00:00Z")), Some(utc("2025-01-06T09:00:00Z")));
        assert_eq!(s.next_after(utc("2024-01-01T00:00:00Z")), Some(utc("2025-01-01T09:00:00Z")));
        assert_eq!(
            s.upcoming(utc("2025-01-05T08:00:00Z"), 2),
            [utc("2025-01-05T09:00:00Z"), utc("2025-01-06T09:00:00Z")]
        );
    }

    #[test]
    fn next_after_far_in_the_future_jumps_instead_of_scanning() {
        let s = schedule("Europe/Berlin", "2025-01-01 09:00", "FREQ=DAILY");
        let started = std::time::Instant::now();
        assert_eq!(
            s.next_after(at("Europe/Berlin", "9999-06-01 10:00")),
            Some(at("Europe/Berlin", "9999-06-02 09:00"))
        );
        assert!(started.elapsed() < std::time::Duration::from_millis(200));
    }

    #[test]
    fn one_shot_schedule_has_one_occurrence() {
        let s = Schedule::new(utc("2025-01-01T09:00:00Z"), tz("UTC"), None);
        assert_eq!(s.occurrences().collect::<Vec<_>>(), [utc("2025-01-01T09:00:00Z")]);
        assert_eq!(s.next_after(utc("2025-01-01T09:00:00Z")), None);
    }

    #[test]
    fn impossible_rule_ends_instead_of_looping() {
        // Every 7 days from a Tuesday is never a Monday.
        let s = schedule("UTC", "2025-01-07 09:00", "FREQ=DAILY;INTERVAL=7;BYDAY=MO");
        assert_eq!(s.next_after(s.start()), None);
        // Every 12 months from February never has a 30th.
        let s = schedule("UTC", "2025-02-01 09:00", "FREQ=MONTHLY;INTERVAL=12;BYMONTHDAY=30");
        assert!(s.upcoming(s.start(), 5).is_empty());
    }

    #[test]
    fn last_at_or_before_walks_a_finished_series() {
        let s = schedule("UTC", "2025-01-01 09:00", "FREQ=DAILY;COUNT=3");
        assert_eq!(s.last_at_or_before(utc("2030-01-01T00:00:00Z")), Some(utc("2025-01-03T09:00:00Z")));
        assert_eq!(s.last_at_or_before(utc("2024-01-01T00:00:00Z")), None);
    }

    // ---- properties ----------------------------------------------------------------------

    const ZONES: [&str; 7] = [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "America/Sao_Paulo",
        "Pacific/Auckland",
    ];
    const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

    fn day_set() -> impl Strategy<Value = Vec<&'static str>> {
        proptest::sample::subsequence(DAYS.to_vec(), 1..=3)
    }

    /// Valid rules, written out as a client would.
    fn rule_text() -> impl Strategy<Value = String> {
        let freq = prop_oneof![Just("DAILY"), Just("WEEKLY"), Just("MONTHLY"), Just("YEARLY")];
        let by_month_day = proptest::collection::vec(prop_oneof![1i8..=31, -31i8..=-1], 1..=3);
        let ordinal = prop_oneof![1i8..=5, -5i8..=-1];
        let end = prop_oneof![
            Just(String::new()),
            (1u16..=40).prop_map(|c| format!(";COUNT={c}")),
            (2026i32..=2030, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!(";UNTIL={y:04}{m:02}{d:02}")),
            (2026i32..=2030, 1u32..=12, 1u32..=28, 0u32..24)
                .prop_map(|(y, m, d, h)| format!(";UNTIL={y:04}{m:02}{d:02}T{h:02}0000Z")),
        ];
        (freq, 1u16..=4, 0u8..4, day_set(), by_month_day, ordinal, end).prop_map(
            |(freq, interval, by, days, mdays, ord, end)| {
                let mut extra = String::new();
                let list = |v: &[i8]| v.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
                match (by, freq) {
                    (1, _) => extra = format!(";BYDAY={}", days.join(",")),
                    (2, f) if f != "WEEKLY" => extra = format!(";BYMONTHDAY={}", list(&mdays)),
                    (3, "MONTHLY") => extra = format!(";BYDAY={ord}{}", days[0]),
                    (3, f) if f != "WEEKLY" => extra = format!(";BYDAY={};BYMONTHDAY={}", days.join(","), list(&mdays)),
                    _ => {}
                }
                format!("FREQ={freq};INTERVAL={interval}{extra}{end}")
            },
        )
    }

    fn start_instant() -> impl Strategy<Value = DateTime<Utc>> {
        // 2024-01-01 .. 2027-01-01, to the minute.
        (0i64..(3 * 366 * 24 * 60)).prop_map(|m| utc("2024-01-01T00:00:00Z") + Duration::minutes(m))
    }

    fn period_index(freq: Frequency, d: NaiveDate) -> i64 {
        period_of(freq, d)
    }

    /// The rule's meaning, checked date by date, independently of the engine's expansion.
    fn date_matches(rule: &Recurrence, start: NaiveDate, d: NaiveDate) -> bool {
        if (period_index(rule.frequency(), d) - period_index(rule.frequency(), start)) % i64::from(rule.interval()) != 0
        {
            return false;
        }
        let len = days_in_month(d.year(), d.month());
        let day_ok = rule.by_day().is_empty()
            || rule.by_day().iter().any(|wd| {
                wd.weekday() == d.weekday()
                    && match wd.ordinal() {
                        None => true,
                        Some(n) if n > 0 => (d.day() - 1) / 7 + 1 == u32::from(n.unsigned_abs()),
                        Some(n) => (len - d.day()) / 7 + 1 == u32::from(n.unsigned_abs()),
                    }
            });
        let month_day_ok = rule.by_month_day().is_empty()
            || rule.by_month_day().iter().any(|n| {
                if *n > 0 {
                    d.day() == u32::from(n.unsigned_abs())
                } else {
                    len - d.day() + 1 == u32::from(n.unsigned_abs())
                }
            });
        let defaults_ok = match rule.frequency() {
            Frequency::Daily => true,
            Frequency::Weekly => !rule.by_day().is_empty() || d.weekday() == start.weekday(),
            Frequency::Monthly => {
                !(rule.by_day().is_empty() && rule.by_month_day().is_empty()) || d.day() == start.day()
            }
            Frequency::Yearly => {
                !(rule.by_day().is_empty() && rule.by_month_day().is_empty())
                    || (d.day() == start.day() && d.month() == start.month())
            }
        };
        day_ok && month_day_ok && defaults_ok
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn display_then_parse_gives_the_same_rule(text in rule_text()) {
            let rule = Recurrence::parse(&text).unwrap();
            prop_assert_eq!(Recurrence::parse(&rule.to_string()).unwrap(), rule);
        }

        #[test]
        fn upcoming_is_strictly_increasing_and_after_the_bound(
            text in rule_text(), zone in proptest::sample::select(ZONES.to_vec()), start in start_instant(), skip in 0i64..2000,
        ) {
            let s = Schedule::new(start, tz(zone), Some(Recurrence::parse(&text).unwrap()));
            let after = start + Duration::hours(skip);
            let up = s.upcoming(after, 20);
            prop_assert!(up.iter().all(|t| *t > after));
            prop_assert!(up.windows(2).all(|w| w[0] < w[1]));
            if let Some(first) = up.first() {
                prop_assert_eq!(s.next_after(after), Some(*first));
            }
        }

        #[test]
        fn every_occurrence_satisfies_the_rule_and_none_is_missed(
            text in rule_text(), zone in proptest::sample::select(ZONES.to_vec()), start in start_instant(),
        ) {
            let rule = Recurrence::parse(&text).unwrap();
            let z = tz(zone);
            let s = Schedule::new(start, z.clone(), Some(rule.clone()));
            let local_start = z.local(start);
            let all: Vec<_> = s.occurrences().take(30).collect();
            prop_assert_eq!(all[0], start);
            if let Some(count) = rule.count() {
                prop_assert!(all.len() <= usize::from(count));
            }
            for t in &all[1..] {
                let local = z.local(*t);
                let intended = local.date().and_time(local_start.time());
                match z.earliest(intended) {
                    // The wall time exists: it is kept, as the earlier instant when doubled.
                    Some(exact) => prop_assert_eq!(exact, *t),
                    // It falls into a gap: shifted forward, by less than the gap's few hours.
                    None => prop_assert!(local > intended && local - intended <= Duration::hours(3)),
                }
                // (No zone in the sample has a gap that crosses midnight.)
                let date = local.date();
                prop_assert!(date_matches(&rule, local_start.date(), date), "{} on {} breaks {}", t, date, rule);
                match rule.until() {
                    Some(Until::Instant(u)) => prop_assert!(*t <= u),
                    Some(Until::Date(u)) => prop_assert!(date <= u),
                    None => {}
                }
            }
            // Completeness: between the start and the last occurrence found, every matching
            // date is an occurrence.
            if rule.count().is_none() && all.len() > 1 {
                let last = z.local(all[all.len() - 1]).date();
                let dates: Vec<NaiveDate> = all[1..].iter().map(|t| z.local(*t).date()).collect();
                let mut d = local_start.date().succ_opt().unwrap();
                while d < last {
                    if date_matches(&rule, local_start.date(), d) {
                        prop_assert!(dates.contains(&d), "{} matches {} but is missing", d, rule);
                    }
                    d = d.succ_opt().unwrap();
                }
            }
        }
    }

    #[test]
    fn weekday_helper_sanity() {
        assert_eq!(NaiveDate::from_ymd_opt(1, 1, 1).unwrap().weekday(), Weekday::Mon);
    }
}
