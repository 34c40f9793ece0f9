//! Reading rows fetched as Arrow record batches (per-user reports fetch
//! hundreds of thousands of rows; row-by-row access is the slow part).

use crate::{Result, StoreError};
use duckdb::arrow::array::{
    Array, AsArray, BooleanArray, Int64Array, ListArray, RecordBatch, StringArray,
};
use duckdb::arrow::datatypes::Int64Type;

/// The columns of one batch, typed; `what` names the query in errors.
pub(super) struct Columns<'a> {
    pub batch: &'a RecordBatch,
    pub what: &'static str,
}

impl<'a> Columns<'a> {
    fn bad(&self, i: usize) -> StoreError {
        StoreError::Invalid(format!("{}: column {i} has an unexpected type", self.what))
    }

    pub fn text(&self, i: usize) -> Result<&'a StringArray> {
        self.batch
            .column(i)
            .as_string_opt::<i32>()
            .ok_or_else(|| self.bad(i))
    }

    pub fn int(&self, i: usize) -> Result<&'a Int64Array> {
        self.batch
            .column(i)
            .as_primitive_opt::<Int64Type>()
            .ok_or_else(|| self.bad(i))
    }

    pub fn flag(&self, i: usize) -> Result<&'a BooleanArray> {
        self.batch
            .column(i)
            .as_boolean_opt()
            .ok_or_else(|| self.bad(i))
    }

    pub fn list(&self, i: usize) -> Result<&'a ListArray> {
        self.batch
            .column(i)
            .as_list_opt::<i32>()
            .ok_or_else(|| self.bad(i))
    }

    /// The texts of a list column's row (NULL items left out), read from
    /// the list's offsets into its values (no array sliced per row).
    pub fn texts(&self, list: &ListArray, row: usize) -> Result<Vec<String>> {
        let items = list
            .values()
            .as_string_opt::<i32>()
            .ok_or_else(|| StoreError::Invalid(format!("{}: a list of non-text", self.what)))?;
        if list.is_null(row) {
            return Ok(Vec::new());
        }
        let offsets = list.value_offsets();
        let (from, to) = (offsets[row] as usize, offsets[row + 1] as usize);
        Ok((from..to)
            .filter(|&j| items.is_valid(j))
            .map(|j| items.value(j).to_string())
            .collect())
    }
}

pub(super) fn opt_text(a: &StringArray, row: usize) -> Option<String> {
    a.is_valid(row).then(|| a.value(row).to_string())
}

pub(super) fn opt_int(a: &Int64Array, row: usize) -> Option<i64> {
    a.is_valid(row).then(|| a.value(row))
}

pub(super) fn flag_at(a: &BooleanArray, row: usize) -> bool {
    a.is_valid(row) && a.value(row)
}

/// The [`tenure_core::report::KindCounts`] in eight consecutive integer
/// columns from `first` (in the struct's field order), at `row`.
pub(super) fn kind_counts(
    columns: &[&Int64Array],
    first: usize,
    row: usize,
) -> tenure_core::report::KindCounts {
    let n = |k: usize| columns[first + k].value(row).max(0) as u64;
    tenure_core::report::KindCounts {
        consume: n(0),
        login: n(1),
        research: n(2),
        maintain: n(3),
        share: n(4),
        message: n(5),
        portal: n(6),
        messages_sent: n(7),
    }
}
