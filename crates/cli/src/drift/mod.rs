//! Does our document still say what the vendor says? [`compare`] judges our
//! document (the client) against the vendor's own OpenAPI definition (the
//! server), for the operations our document has for that vendor, with the
//! wire rules of [`diff`](crate::diff): a request we can send that the
//! vendor refuses, or a response it may send that we cannot read, is
//! breaking; what the vendor offers that we do not use is info.
//!
//! The two documents are written by different people, so:
//! - operations are paired by method and path template below each one's
//!   server base path (`pairing`), never by `operationId`; one of ours the
//!   vendor does not have is reported where it is in ours;
//! - schemas are compared through the operations that use them, so the
//!   vendor's `invitation` is our `AutomoxInvitation`: component names,
//!   security scheme names and whether our enums are open (`x-open-enum`,
//!   ours to decide) are not differences;
//! - the vendor's definition may be OpenAPI 3.1: its schemas are first put
//!   in their 3.0 form (`normalize`), and what has none is reported at its
//!   place (`schema-not-judged`).
//!
//! The result is a [`Report`] as `invitations diff` gives it, without the
//! Rust and semver parts: each change's `side` is [`Side::Vendor`] (its
//! `location` and `line` are in the vendor's file) or [`Side::Ours`].

use std::collections::BTreeSet;

use serde_json::Value;

use crate::codegen::{self, Document, GenerateError};
use crate::diff::revision::{Operation, Revision};
use crate::diff::rules::Rule;
use crate::diff::{Change, Level, Report, Side, Source, impact, sort, wire};

mod normalize;
mod pairing;

/// Compares our document (`ours`) with the vendor's definition
/// (`theirs`) for the operations of our vendor `vendor`.
///
/// Fails when our document is not one the crate can generate from, when
/// it has no vendor `vendor`, or when the vendor's definition is not an
/// OpenAPI 3.0.x or 3.1.x document whose `$ref`s resolve.
pub fn compare(
    ours: Source<'_>,
    theirs: Source<'_>,
    vendor: &str,
) -> Result<Report, GenerateError> {
    let (ours_name, ours_text, ours_load) = ours;
    let (theirs_name, theirs_text, theirs_load) = theirs;
    let ours = Revision::read(ours_name, ours_text, ours_load)?;
    let vendors = ours.doc.vendors()?;
    let Some(ours_vendor) = vendors.iter().find(|v| v.name == vendor) else {
        let names: Vec<&str> = vendors.iter().map(|v| v.name.as_str()).collect();
        return Err(ours.doc.error_at(
            &["servers"],
            "servers",
            format!(
                "the document has no vendor `{}`; its vendors: {}",
                codegen::excerpt(vendor, 100),
                names.join(", ")
            ),
        ));
    };
    let mut doc = Document::parse_definition(theirs_name, theirs_text, theirs_load)?;
    let unjudged = normalize::normalize(&mut doc.root);
    let servers = pairing::servers(&doc.root);
    let server = pairing::matching(&servers, &ours_vendor.base_url).clone();
    let ours_base = pairing::base_path(&ours_vendor.base_url);

    // Pair our operations of this vendor with the vendor's.
    let theirs_ops: Vec<(String, String)> = doc
        .operations()
        .into_iter()
        .map(|op| (op.path, op.method))
        .collect();
    let theirs_places: Vec<(String, String)> = theirs_ops
        .iter()
        .map(|(path, method)| (method.clone(), pairing::place(&server.base, path)))
        .collect();
    let ours_indices: Vec<usize> = (0..ours.operations.len())
        .filter(|&i| ours.operations[i].vendor == vendor)
        .collect();
    let ours_places: Vec<(String, String)> = ours_indices
        .iter()
        .map(|&i| {
            let op = &ours.operations[i];
            (op.method.clone(), pairing::place(&ours_base, &op.path))
        })
        .collect();
    let paired = pairing::pair(&ours_places, &theirs_places);
    let mut theirs_compared = Vec::new();
    let mut pairs = Vec::new();
    let mut missing = Vec::new();
    for (k, found) in paired.iter().enumerate() {
        let i = ours_indices[k];
        let Some(j) = *found else {
            missing.push((i, &ours_places[k].1));
            continue;
        };
        let op = &ours.operations[i];
        let (path, method) = &theirs_ops[j];
        pairs.push((i, theirs_compared.len()));
        theirs_compared.push(Operation {
            // Named as ours, so that the changes name our operation.
            id: op.id.clone(),
            vendor: vendor.to_owned(),
            path: path.clone(),
            method: method.clone(),
            shape: op.shape.clone(),
            print: 0,
        });
    }
    let reached = reached_places(&doc, &theirs_compared);
    let theirs = Revision::from_parts(theirs_text, doc, theirs_compared);

    let mut changes: Vec<Change> = wire::drift_changes(&ours, &theirs, &pairs)
        .into_iter()
        .map(|found| {
            let mut change = found.change;
            change.side = if change.side.is_first() {
                Side::Ours
            } else {
                Side::Vendor
            };
            change
        })
        .collect();
    for (i, place) in missing {
        let has_place = theirs_places.iter().any(|(_, p)| p == place);
        changes.push(missing_operation(&ours, &ours.operations[i], has_place));
    }
    if !pairing::same_url(&server.url, &ours_vendor.base_url) {
        changes.push(other_server(
            &theirs,
            &server,
            &ours_vendor.base_url,
            vendor,
        ));
    }
    for u in unjudged {
        let pointer = codegen::json_pointer(&u.at);
        if reached.iter().any(|r| within(&pointer, r)) {
            changes.push(not_judged(&theirs, vendor, &u.at, &u.what));
        }
    }
    sort(&mut changes);
    Ok(Report {
        semver: None,
        changes,
        unmatched_ignores: Vec::new(),
    })
}

/// Whether `pointer` is `place` or below it.
fn within(pointer: &str, place: &str) -> bool {
    pointer == place
        || pointer
            .strip_prefix(place)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The places the compared operations read: each operation (and its path
/// item's parameters) and every component they reach.
fn reached_places(doc: &Document<'_>, ops: &[Operation]) -> BTreeSet<String> {
    let mut places = BTreeSet::new();
    let mut values: Vec<&Value> = Vec::new();
    for op in ops {
        let item = &doc.root["paths"][&op.path];
        values.extend([&item["parameters"], &item[&op.method]]);
        places.insert(codegen::json_pointer(&["paths", &op.path, &op.method]));
        places.insert(codegen::json_pointer(&["paths", &op.path, "parameters"]));
    }
    places.extend(doc.reached(&values));
    places
}

/// One of our operations the vendor's definition does not have.
fn missing_operation(ours: &Revision<'_>, op: &Operation, has_place: bool) -> Change {
    let method = op.method.to_uppercase();
    let (rule, at, message) = if has_place {
        (
            Rule::OperationRemoved,
            vec!["paths".to_owned(), op.path.clone(), op.method.clone()],
            format!(
                "the vendor's definition has no {method} at {} ({}), only other methods",
                op.path, op.id
            ),
        )
    } else {
        (
            Rule::PathRemoved,
            vec!["paths".to_owned(), op.path.clone()],
            format!(
                "the vendor's definition has no path {} (for {method}, {})",
                op.path, op.id
            ),
        )
    };
    change(
        Context {
            rule,
            vendor: &op.vendor,
            operation: Some(&op.id),
            side: Side::Ours,
            line: ours.line(&at),
            at: &at,
        },
        message,
        (
            Level::Breaking,
            "calls to it are not answered as ours expects: the vendor does not document it",
        ),
    )
}

/// The vendor's server is not ours.
fn other_server(
    theirs: &Revision<'_>,
    server: &pairing::Server,
    ours: &str,
    vendor: &str,
) -> Change {
    let at: Vec<String> = match server.index {
        Some(i) => vec!["servers".to_owned(), i.to_string(), "url".to_owned()],
        None => Vec::new(),
    };
    change(
        Context {
            rule: Rule::ServerUrlChanged,
            vendor,
            operation: None,
            side: Side::Vendor,
            line: theirs.line(&at),
            at: &at,
        },
        format!(
            "the vendor's definition names the server {}, ours {ours}",
            server.url
        ),
        (
            Level::Warning,
            "requests go to our url; check that the vendor still answers there",
        ),
    )
}

/// A construct of the vendor's definition the rules cannot compare.
fn not_judged(theirs: &Revision<'_>, vendor: &str, at: &[String], what: &str) -> Change {
    change(
        Context {
            rule: Rule::SchemaNotJudged,
            vendor,
            operation: None,
            side: Side::Vendor,
            line: theirs.line(at),
            at,
        },
        format!("not compared: {what}"),
        (Level::Warning, "compare this place by hand"),
    )
}

/// What a change found outside the wire rules is about.
struct Context<'c> {
    rule: Rule,
    vendor: &'c str,
    operation: Option<&'c str>,
    side: Side,
    line: Option<usize>,
    at: &'c [String],
}

fn change(ctx: Context<'_>, message: String, wire: (Level, &str)) -> Change {
    let operation = ctx.operation.map(str::to_owned);
    Change {
        id: ctx.rule.id().to_owned(),
        level: wire.0,
        vendor: Some(ctx.vendor.to_owned()),
        operations: operation.iter().cloned().collect(),
        operation,
        location: codegen::json_pointer(ctx.at),
        line: ctx.line,
        side: ctx.side,
        message,
        wire: impact(wire.0, wire.1),
        rust: None,
        semver: None,
        ignored: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_contain_what_is_below_them() {
        assert!(within(
            "#/components/schemas/a/properties/b",
            "#/components/schemas/a"
        ));
        assert!(within("#/components/schemas/a", "#/components/schemas/a"));
        assert!(!within("#/components/schemas/ab", "#/components/schemas/a"));
    }
}
