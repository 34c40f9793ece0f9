//! A page's query string: the API's report parameters (passed on to the
//! same parser the API uses) and the page's own (`page`, `status`,
//! `category`, the account list's filters). Empty form fields are dropped,
//! and a custom `from`/`to` wins over a preset `range` (a form without
//! JavaScript sends both).

/// Parameters that belong to the pages, not to the reports.
const PAGE_PARAMS: &[&str] = &[
    "page", "status", "category", "q", "band", "mix", "plan", "owner", "sort", "dir", "done",
    "alert", "task",
];

use crate::reports::percent_decode as decode;

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PageQuery {
    /// The report parameters, decoded, in order.
    pub api: Vec<(String, String)>,
    /// The page's own parameters, decoded.
    pub page: Vec<(String, String)>,
}

impl PageQuery {
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let mut q = Self::default();
        for pair in raw.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(k).ok_or_else(|| format!("{k}: bad %-encoding"))?;
            let value = decode(v).ok_or_else(|| format!("{key}: bad %-encoding"))?;
            if value.trim().is_empty() {
                continue;
            }
            if PAGE_PARAMS.contains(&key.as_str()) {
                q.page.push((key, value));
            } else {
                q.api.push((key, value));
            }
        }
        if q.api.iter().any(|(k, _)| k == "from" || k == "to") {
            q.api.retain(|(k, _)| k != "range");
        }
        Ok(q)
    }

    /// The first value of a report parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.api
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a repeatable report parameter.
    pub fn all(&self, key: &str) -> Vec<String> {
        self.api
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// The first value of a page parameter.
    pub fn page_param(&self, key: &str) -> Option<&str> {
        self.page
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The page number (from 1).
    pub fn page_number(&self) -> usize {
        self.page_param("page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(1)
    }

    pub fn set(&mut self, key: &str, value: &str) {
        self.api.retain(|(k, _)| k != key);
        self.api.push((key.into(), value.into()));
    }

    pub fn remove(&mut self, key: &str) {
        self.api.retain(|(k, _)| k != key);
    }

    /// The report parameters as a query string.
    pub fn api_string(&self) -> String {
        encode_pairs(&self.api)
    }

    /// Both kinds, without `page` (the base of the page links).
    pub fn without_page(&self) -> String {
        let pairs: Vec<(String, String)> = self
            .api
            .iter()
            .chain(self.page.iter().filter(|(k, _)| k != "page"))
            .cloned()
            .collect();
        encode_pairs(&pairs)
    }
}

fn encode_pairs(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                tenure_web::table::encode(k),
                tenure_web::table::encode(v)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_become_report_queries() {
        let q = PageQuery::parse(Some(
            "range=30d&from=2026-09-01&to=&group=na+east&group=emea&user=&page=3&status=open",
        ))
        .unwrap();
        assert_eq!(
            q.api,
            [
                ("from".to_string(), "2026-09-01".to_string()),
                ("group".into(), "na east".into()),
                ("group".into(), "emea".into()),
            ]
        );
        assert_eq!(q.page_number(), 3);
        assert_eq!(q.page_param("status"), Some("open"));
        assert_eq!(q.api_string(), "from=2026-09-01&group=na%20east&group=emea");
        assert_eq!(
            q.without_page(),
            "from=2026-09-01&group=na%20east&group=emea&status=open"
        );
        assert_eq!(q.all("group"), ["na east", "emea"]);
        let q = PageQuery::parse(Some("range=7d")).unwrap();
        assert_eq!(q.get("range"), Some("7d"));
        assert!(PageQuery::parse(Some("user=%zz")).is_err());
    }
}
