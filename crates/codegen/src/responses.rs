//! How progenitor sorts an operation's responses into the one success type
//! and the one error type of its generated method, modelled once for the
//! generator's checks and for the diff.
//!
//! progenitor 0.15 decodes `101`, `2xx`, `2XX` and `default` responses into
//! the success type and `4xx`, `5xx`, `4XX`, `5XX` and `default` responses
//! into the error type (`Error::ErrorResponse`); `default` is dropped from the
//! success side when a `2XX` range is declared, because the range catches
//! every success first. Other statuses (`1xx` but `101`, `3xx`) reach the
//! caller as `Error::UnexpectedResponse`.

use serde_json::{Map, Value};

/// What a response status feeds in the generated method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResponseRole {
    /// Decoded into the success type.
    pub success: bool,
    /// Decoded into the error type.
    pub error: bool,
}

/// The role of `code` among responses that declare a `2XX` range or not.
pub fn response_role(code: &str, has_success_range: bool) -> ResponseRole {
    let upper = code.to_ascii_uppercase();
    if upper == "DEFAULT" {
        return ResponseRole {
            success: !has_success_range,
            error: true,
        };
    }
    let success = upper == "101" || upper.starts_with('2');
    let error = upper.starts_with('4') || upper.starts_with('5');
    ResponseRole { success, error }
}

/// The responses of an operation object (its `responses` map) that feed the
/// success type (`success == true`) or the error type, ordered by status.
pub fn responses_with_role(operation: &Map<String, Value>, success: bool) -> Vec<(&str, &Value)> {
    let Some(responses) = operation.get("responses").and_then(Value::as_object) else {
        return Vec::new();
    };
    let has_success_range = responses.keys().any(|k| k.eq_ignore_ascii_case("2XX"));
    responses
        .iter()
        .filter(|(code, _)| {
            let role = response_role(code, has_success_range);
            if success { role.success } else { role.error }
        })
        .map(|(code, response)| (code.as_str(), response))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_feeds_both_sides_unless_a_success_range_catches_successes() {
        let both = ResponseRole {
            success: true,
            error: true,
        };
        assert_eq!(response_role("default", false), both);
        assert_eq!(
            response_role("default", true),
            ResponseRole {
                success: false,
                error: true
            }
        );
    }

    #[test]
    fn statuses_feed_the_side_progenitor_decodes_them_into() {
        let role = |c| response_role(c, false);
        assert!(role("201").success && !role("201").error);
        assert!(role("2XX").success && role("101").success);
        assert!(role("404").error && role("5XX").error && !role("409").success);
        let neither = ResponseRole {
            success: false,
            error: false,
        };
        assert_eq!(role("302"), neither);
        assert_eq!(role("100"), neither);
    }

    #[test]
    fn responses_are_listed_by_side() {
        let op: Value = serde_json::json!({"responses": {
            "201": {}, "400": {}, "default": {}, "302": {}
        }});
        let op = op.as_object().unwrap();
        let codes = |success| -> Vec<&str> {
            responses_with_role(op, success)
                .into_iter()
                .map(|(c, _)| c)
                .collect()
        };
        assert_eq!(codes(true), ["201", "default"]);
        assert_eq!(codes(false), ["400", "default"]);
    }
}
