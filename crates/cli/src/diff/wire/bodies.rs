//! Rules on the request body, the responses and security:
//! `request-body-*`, `response-status-*`, `response-body-changed`,
//! `error-schema-changed` (a body added or removed), `security-changed`,
//! `security-scheme-changed`. The bodies' schemas go on to `schemas`.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{At, Context, Diff, Direction, FAILS_BEFORE_SENDING, Place, Site};
use crate::diff::Level::{Breaking, Info, Warning};
use crate::diff::revision::{Operation, Revision, is_success, json_pointer, seg};
use crate::diff::rules::Rule;

impl Diff<'_, '_> {
    pub(super) fn request_body(&mut self, ctx: &Context, at: &At) {
        let (old, new) = (
            self.old.request_body(&at.old),
            self.new.request_body(&at.new),
        );
        let required = |b: &Value| super::flag(b, "required");
        match (old, new) {
            (None, None) => {}
            (None, Some((n, n_at))) => {
                if required(n) {
                    self.emit(
                        ctx,
                        Rule::RequestBodyAdded,
                        Place::New(&n_at),
                        "the request body was added",
                        (Breaking, "requests without a body are refused"),
                        Some(FAILS_BEFORE_SENDING),
                    );
                } else {
                    self.emit(
                        ctx,
                        Rule::RequestBodyAdded,
                        Place::New(&n_at),
                        "the request body was added",
                        (Info, "an optional body to send"),
                        None,
                    );
                }
            }
            (Some((_, o_at)), None) => {
                self.emit(
                    ctx,
                    Rule::RequestBodyRemoved,
                    Place::Old(&o_at),
                    "the request body was removed",
                    (Warning, "the server no longer reads a body"),
                    None,
                );
            }
            (Some((o, o_at)), Some((n, n_at))) => {
                match (required(o), required(n)) {
                    (false, true) => {
                        self.emit(
                            ctx,
                            Rule::RequestBodyBecameRequired,
                            Place::New(&n_at),
                            "the request body became required",
                            (Breaking, "requests without a body are refused"),
                            None,
                        );
                    }
                    (true, false) => {
                        self.emit(
                            ctx,
                            Rule::RequestBodyBecameOptional,
                            Place::New(&n_at),
                            "the request body became optional",
                            (Info, "requests with a body still work"),
                            None,
                        );
                    }
                    _ => {}
                }
                let schema_at = ["content", "application/json", "schema"];
                let (os, ns) = (
                    o.pointer("/content/application~1json/schema"),
                    n.pointer("/content/application~1json/schema"),
                );
                if let (Some(os), Some(ns)) = (os, ns) {
                    let at = At {
                        old: seg(&o_at, &schema_at),
                        new: seg(&n_at, &schema_at),
                    };
                    self.schema(
                        ctx,
                        Direction::Request,
                        Site::Body,
                        "",
                        os,
                        ns,
                        &at,
                        &mut Vec::new(),
                    );
                }
            }
        }
    }

    pub(super) fn responses(&mut self, ctx: &Context, at: &At) {
        let statuses = |r: &Revision<'_>, at: &[String]| -> Vec<String> {
            r.root()
                .pointer(&json_pointer(&seg(at, &["responses"])))
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default()
        };
        let (old, new) = (statuses(self.old, &at.old), statuses(self.new, &at.new));
        let has_range = |codes: &[String]| codes.iter().any(|c| c.eq_ignore_ascii_case("2XX"));
        let (old_range, new_range) = (has_range(&old), has_range(&new));
        for code in &new {
            if old.contains(code) {
                continue;
            }
            let place = seg(&at.new, &["responses", code]);
            let message = format!("response status {code} was added");
            if is_success(code, new_range) {
                self.emit(
                    ctx,
                    Rule::ResponseStatusAdded,
                    Place::New(&place),
                    message,
                    (
                        Warning,
                        "callers may get a success status they did not expect",
                    ),
                    None,
                );
            } else {
                self.emit(
                    ctx,
                    Rule::ResponseStatusAdded,
                    Place::New(&place),
                    message,
                    (Warning, "callers may get this error"), Some((Warning, "it now arrives as `Error::ErrorResponse` with the error type, not as `Error::UnexpectedResponse`")),
);
            }
        }
        for code in &old {
            if new.contains(code) {
                continue;
            }
            let place = seg(&at.old, &["responses", code]);
            let message = format!("response status {code} was removed");
            if is_success(code, old_range) {
                self.emit(
                    ctx,
                    Rule::ResponseStatusRemoved,
                    Place::Old(&place),
                    message,
                    (Info, "the server no longer answers with it"),
                    Some((
                        Warning,
                        "a response with this status now arrives as `Error::UnexpectedResponse`",
                    )),
                );
            } else {
                self.emit(
                    ctx,
                    Rule::ResponseStatusRemoved,
                    Place::Old(&place),
                    message,
                    (Info, "the server no longer documents this error"), Some((Warning, "this error now arrives as `Error::UnexpectedResponse`, not as `Error::ErrorResponse`")),
);
            }
        }
        for success in [true, false] {
            let (old, new) = (
                self.old.response_body(&at.old, success),
                self.new.response_body(&at.new, success),
            );
            let site = if success { Site::Body } else { Site::ErrorBody };
            match (old, new) {
                (Some((os, o_at)), Some((ns, n_at))) => {
                    let at = At {
                        old: o_at,
                        new: n_at,
                    };
                    self.schema(
                        ctx,
                        Direction::Response,
                        site,
                        "",
                        os,
                        ns,
                        &at,
                        &mut Vec::new(),
                    );
                }
                (None, None) => {}
                (old, new) => {
                    let (rule, what) = if success {
                        (Rule::ResponseBodyChanged, "the success response body")
                    } else {
                        (Rule::ErrorSchemaChanged, "the error response body")
                    };
                    let (place, message, wire) = match (&old, &new) {
                        (None, Some((_, n_at))) => (
                            Place::New(n_at),
                            format!("{what} was added"),
                            (Info, "responses now carry a json body"),
                        ),
                        (Some((_, o_at)), _) => (
                            Place::Old(o_at),
                            format!("{what} was removed"),
                            (
                                Breaking,
                                "responses no longer carry the json body callers read",
                            ),
                        ),
                        (None, None) => unreachable!("handled above"),
                    };
                    self.emit(ctx, rule, place, message, wire, None);
                }
            }
        }
    }

    pub(super) fn security(&mut self, ctx: &Context, old: &Operation, new: &Operation, at: &At) {
        let requirements = |r: &Revision<'_>, op: &Operation| -> Vec<Vec<String>> {
            let security = r
                .op(op)
                .get("security")
                .or_else(|| r.root().get("security"));
            let mut out: Vec<Vec<String>> = security
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|req| {
                    let mut names: Vec<String> = req
                        .as_object()
                        .map(|m| m.keys().cloned().collect())
                        .unwrap_or_default();
                    names.sort();
                    names
                })
                .collect();
            out.sort();
            out
        };
        let (o, n) = (requirements(self.old, old), requirements(self.new, new));
        // The same requirements under other scheme names (a renamed scheme,
        // or a drift, whose two documents name their schemes each its own
        // way) ask for the same credentials.
        let by_content = |r: &Revision<'_>, reqs: &[Vec<String>]| -> Vec<Vec<String>> {
            let mut out: Vec<Vec<String>> = reqs
                .iter()
                .map(|req| {
                    let mut keys: Vec<String> =
                        req.iter().map(|name| scheme_key(r, name)).collect();
                    keys.sort();
                    keys
                })
                .collect();
            out.sort();
            out
        };
        let same_credentials = by_content(self.old, &o) == by_content(self.new, &n);
        let show = |reqs: &[Vec<String>]| -> String {
            if reqs.is_empty() {
                return "none".to_owned();
            }
            reqs.iter()
                .map(|r| r.join(" + "))
                .collect::<Vec<_>>()
                .join(" or ")
        };
        if o != n && !same_credentials {
            // Where the new requirements are written: the operation's
            // own, else the document's default.
            let place = if self
                .new
                .root()
                .pointer(&json_pointer(&seg(&at.new, &["security"])))
                .is_some()
                || self.new.root().get("security").is_none()
            {
                seg(&at.new, &["security"])
            } else {
                vec!["security".to_owned()]
            };
            self.emit(
                ctx,
                Rule::SecurityChanged,
                Place::New(&place),
                format!("security changed from {} to {}", show(&o), show(&n)),
                (Breaking, "callers need other credentials"), Some((Warning, "the client still sends what its `Auth` gives; check that the new scheme accepts it")),
);
        }
        // The schemes both revisions use: did their definition change?
        let used: BTreeSet<&String> = o
            .iter()
            .flatten()
            .filter(|s| n.iter().flatten().any(|t| t == *s))
            .collect();
        for name in used {
            if scheme_key(self.old, name) != scheme_key(self.new, name) {
                let place = vec![
                    "components".to_owned(),
                    "securitySchemes".to_owned(),
                    name.clone(),
                ];
                self.emit(
                    ctx,
                    Rule::SecuritySchemeChanged,
                    Place::New(&place),
                    format!("security scheme `{name}` changed"),
                    (Breaking, "callers must send credentials another way"), Some((Warning, "the client still sends what its `Auth` gives; check that the new scheme accepts it")),
);
            }
        }
    }
}

/// What a security scheme asks for, as a comparable key: its definition
/// without words (`description`, `x-` extensions), the HTTP auth scheme in
/// lower case (`Bearer` is `bearer`); its name when it is not defined.
fn scheme_key(r: &Revision<'_>, name: &str) -> String {
    let pointer = format!(
        "/components/securitySchemes/{}",
        name.replace('~', "~0").replace('/', "~1")
    );
    let Some(mut scheme) = r.root().pointer(&pointer).cloned() else {
        return format!("undefined {name}");
    };
    if let Some(m) = scheme.as_object_mut() {
        m.retain(|k, _| k != "description" && !k.starts_with("x-"));
        if let Some(Value::String(http)) = m.get_mut("scheme") {
            *http = http.to_ascii_lowercase();
        }
    }
    scheme.to_string()
}
