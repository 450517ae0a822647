//! Pages of the list endpoints: the requested page checked once, the matches counted and the
//! page loaded in one place, and the contract's [`Page`] built from them.

use confrontas_api::{Page, PageParams};
use diesel::query_dsl::LoadQuery;
use diesel::query_dsl::methods::{LimitDsl, OffsetDsl};
use diesel::{QueryResult, RunQueryDsl};

use super::AnyConnection;
use crate::error::AppError;

/// A validated page request.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl PageRequest {
    /// The page asked for (422 when out of range).
    pub fn new(page: Option<u32>, per_page: Option<u32>) -> Result<PageRequest, AppError> {
        let (page, per_page) = PageParams { page, per_page }
            .resolve()
            .map_err(|e| AppError::validation(vec![e]))?;
        Ok(PageRequest { page, per_page })
    }

    fn offset(self) -> i64 {
        i64::from(self.page - 1) * i64::from(self.per_page)
    }

    fn limit(self) -> i64 {
        i64::from(self.per_page)
    }

    /// This page of `rows` (an ordered query), with `count` (the same filter, counted) as the
    /// total.
    pub fn load<'q, T, Rows, Count>(
        self,
        conn: &mut AnyConnection,
        count: Count,
        rows: Rows,
    ) -> QueryResult<Page<T>>
    where
        Count: LoadQuery<'q, AnyConnection, i64> + RunQueryDsl<AnyConnection>,
        Rows: OffsetDsl,
        Rows::Output: LimitDsl,
        <Rows::Output as LimitDsl>::Output:
            LoadQuery<'q, AnyConnection, T> + RunQueryDsl<AnyConnection>,
    {
        let total = count.get_result(conn)?;
        let items = rows.offset(self.offset()).limit(self.limit()).load(conn)?;
        Ok(self.of(items, total))
    }

    /// This page of matches already in memory (when the order is computed, not stored).
    pub fn slice<T>(self, matches: Vec<T>) -> Page<T> {
        let total = matches.len() as i64;
        let items = matches
            .into_iter()
            .skip(self.offset() as usize)
            .take(self.limit() as usize)
            .collect();
        self.of(items, total)
    }

    fn of<T>(self, items: Vec<T>, total: i64) -> Page<T> {
        Page {
            items,
            page: self.page,
            per_page: self.per_page,
            total: total.max(0) as u64,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_of_matches_in_memory_keeps_the_total() {
        let page = PageRequest::new(Some(2), Some(3)).unwrap();
        let found = page.slice((1..=8).collect::<Vec<_>>());
        assert_eq!(found.items, vec![4, 5, 6]);
        assert_eq!((found.total, found.page, found.per_page), (8, 2, 3));
        let past_the_end = PageRequest::new(Some(4), Some(3))
            .unwrap()
            .slice(vec![1, 2]);
        assert!(past_the_end.items.is_empty());
        assert_eq!(past_the_end.total, 2);
    }

    #[test]
    fn pages_out_of_range_are_refused_naming_the_parameter() {
        let error = PageRequest::new(Some(0), None).unwrap_err();
        assert_eq!(error.status.as_u16(), 422);
        assert_eq!(error.errors[0].field, "page");
        let error = PageRequest::new(None, Some(201)).unwrap_err();
        assert_eq!(error.errors[0].field, "per_page");
    }
}
