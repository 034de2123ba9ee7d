//! Message search (contract section 11): what a query is, and how it
//! reaches SQLite's full-text index without ever being parsed by it.
//!
//! A query is split into words (runs of letters and digits, Unicode-aware,
//! lowercased); a message matches when its current text has every word as a
//! whole word or the start of one. The FTS5 query is built here from those
//! words alone, each as a quoted prefix term (`"deploy"*`), so `"`, `*`,
//! `NEAR`, `OR`, `-` or `:` in what a user typed are never FTS syntax: they
//! either split words or become plain words.

use serde::{Deserialize, Serialize};

use super::error::{ApiError, ApiResult};
use super::protocol::Message;

/// `q` is 1-200 characters.
pub const QUERY_MAX: usize = 200;
/// Words of one query the index is asked for (more add nothing useful).
pub const WORDS_MAX: usize = 12;
/// `limit` 1-50, default 20.
pub const LIMIT_MAX: u32 = 50;
pub const LIMIT_DEFAULT: u32 = 20;

/// A parsed query: its words, lowercased, in order, each once. It travels
/// from the Worker to the rooms as JSON; whatever the words, [`Query::fts_match`]
/// quotes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Query {
    pub words: Vec<String>,
}

fn bad_query() -> ApiError {
    ApiError::bad_request(format!(
        "Search for 1-{QUERY_MAX} characters with at least one letter or digit."
    ))
}

/// The words of `text` as search and the index see them.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl Query {
    /// Parses `q` (absent counts as empty).
    pub fn parse(q: Option<&str>) -> ApiResult<Query> {
        let q = q.unwrap_or_default();
        let n = q.chars().count();
        if n == 0 || n > QUERY_MAX {
            return Err(bad_query());
        }
        let mut seen = Vec::new();
        for w in words(q) {
            if !seen.contains(&w) {
                seen.push(w);
            }
        }
        seen.truncate(WORDS_MAX);
        if seen.is_empty() {
            return Err(bad_query());
        }
        Ok(Query { words: seen })
    }

    /// The FTS5 MATCH expression: every word as a quoted prefix term.
    pub fn fts_match(&self) -> String {
        self.words
            .iter()
            .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether `text` matches (the in-memory store's twin of the index).
    pub fn matches(&self, text: &str) -> bool {
        let have = words(text);
        self.words
            .iter()
            .all(|w| have.iter().any(|h| h.starts_with(w.as_str())))
    }
}

/// Rooms a global search asks at once: enough to hide each one's latency,
/// few enough that one person's search does not wake every room at once.
pub const FAN_OUT: usize = 6;

/// One result of `GET /api/search`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub room: String,
    pub message: Message,
}

/// `GET /api/search`'s body. `partial` (an addition to the contract) says
/// that some room did not answer, so results from it may be missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Results {
    pub results: Vec<Hit>,
    pub partial: bool,
}

/// Merges the rooms' answers (each newest first) into the `limit` newest
/// across them: by time, then by room and `seq` so that equal times keep a
/// stable order.
pub fn merge(answers: Vec<(String, Vec<Message>)>, limit: u32, partial: bool) -> Results {
    let mut results: Vec<Hit> = answers
        .into_iter()
        .flat_map(|(room, messages)| {
            messages.into_iter().map(move |message| Hit {
                room: room.clone(),
                message,
            })
        })
        .collect();
    results.sort_by(|a, b| {
        (b.message.ts, &a.room, b.message.seq).cmp(&(a.message.ts, &b.room, a.message.seq))
    });
    results.truncate(limit as usize);
    Results { results, partial }
}

/// `limit` for a search: 1-50, default 20; anything else is `bad_request`.
pub fn limit(raw: Option<&str>) -> ApiResult<u32> {
    let Some(raw) = raw else {
        return Ok(LIMIT_DEFAULT);
    };
    match raw.trim().parse::<u32>() {
        Ok(n) if (1..=LIMIT_MAX).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(format!(
            "limit is a whole number from 1 to {LIMIT_MAX}."
        ))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn q(text: &str) -> Query {
        Query::parse(Some(text)).unwrap()
    }

    #[test]
    fn words_are_letters_and_digits_lowercased_each_once() {
        assert_eq!(
            q("Deploy the API, v2!").words,
            ["deploy", "the", "api", "v2"]
        );
        assert_eq!(q("ÉCOLE straße ΣΟΦΊΑ").words, ["école", "straße", "σοφία"]);
        assert_eq!(q("it's it's").words, ["it", "s"]);
        assert_eq!(q("日本語 テキスト").words, ["日本語", "テキスト"]);
    }

    #[test]
    fn a_query_needs_a_letter_or_digit_and_at_most_200_characters() {
        for bad in ["", "   ", "!!!", "\"*\"", &"a".repeat(201)] {
            assert_eq!(
                Query::parse(Some(bad)).unwrap_err().code,
                ErrorCode::BadRequest,
                "{bad}"
            );
        }
        assert!(Query::parse(None).is_err());
        assert!(Query::parse(Some(&"é".repeat(200))).is_ok());
        assert_eq!(q(&"w ".repeat(50)).words.len(), 1);
        let many: String = (0..30).map(|i| format!("word{i} ")).collect();
        assert_eq!(q(&many).words.len(), WORDS_MAX);
    }

    #[test]
    fn fts_syntax_in_the_query_never_reaches_the_engine() {
        assert_eq!(q("deploy").fts_match(), "\"deploy\"*");
        assert_eq!(q("a OR b").fts_match(), "\"a\"* \"or\"* \"b\"*");
        assert_eq!(q("NEAR(x y)").fts_match(), "\"near\"* \"x\"* \"y\"*");
        assert_eq!(
            q("\"quoted\" * -minus col:umn ^start").fts_match(),
            "\"quoted\"* \"minus\"* \"col\"* \"umn\"* \"start\"*"
        );
        // A quote splits words; it can never close a term early.
        assert_eq!(q("x\"y").fts_match(), "\"x\"* \"y\"*");
    }

    #[test]
    fn a_word_matches_a_whole_word_or_the_start_of_one() {
        assert!(q("deploy").matches("We deployed on Friday"));
        assert!(q("DEPLOY friday").matches("we deployed on friday"));
        assert!(!q("ploy").matches("We deployed"));
        assert!(!q("deploy monday").matches("We deployed on Friday"));
        assert!(q("ecole").matches("ecole") && !q("ecole").matches("école"));
        assert!(q("straße").matches("Die STRASSE oder Straße"));
    }

    fn message(seq: u64, ts: u64) -> Message {
        Message::sample(seq, "alice", "hi", ts)
    }

    #[test]
    fn a_global_search_is_newest_first_across_rooms_and_cut_at_the_limit() {
        let answers = vec![
            ("a".to_string(), vec![message(9, 300), message(4, 100)]),
            ("b".to_string(), vec![message(2, 200), message(1, 100)]),
            ("c".to_string(), vec![]),
        ];
        let merged = merge(answers, 3, true);
        let order: Vec<(&str, u64)> = merged
            .results
            .iter()
            .map(|h| (h.room.as_str(), h.message.seq))
            .collect();
        // Equal times: room name first, then the newer seq.
        assert_eq!(order, [("a", 9), ("b", 2), ("a", 4)]);
        assert!(merged.partial);
        let body = serde_json::to_value(&merged).unwrap();
        assert_eq!(body["results"][0]["room"], "a");
        assert_eq!(body["results"][0]["message"]["seq"], 9);
        assert_eq!(body["partial"], true);
    }

    #[test]
    fn a_query_travels_to_the_rooms_as_its_words() {
        let query = q("Deploy friday");
        let json = serde_json::to_string(&query).unwrap();
        assert_eq!(json, r#"{"words":["deploy","friday"]}"#);
        assert_eq!(serde_json::from_str::<Query>(&json).unwrap(), query);
    }

    #[test]
    fn limits_are_1_to_50_default_20() {
        assert_eq!(limit(None).unwrap(), 20);
        assert_eq!(limit(Some("50")).unwrap(), 50);
        for bad in ["0", "51", "-1", "x", "1.5", ""] {
            assert!(limit(Some(bad)).is_err(), "{bad}");
        }
    }
}
