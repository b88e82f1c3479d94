//! Synthetic documents in the style of `openapi/invitations.yaml`, shared by
//! the benchmarks (code generation, diff).

use std::fmt::Write as _;

/// A document of `n` create operations for one vendor, each with its own
/// request and response schema, in the style of `openapi/invitations.yaml`.
pub fn synthetic_document(n: usize) -> String {
    let mut doc = String::from(
        "openapi: 3.0.3\ninfo:\n  title: synthetic\n  version: '1'\nservers:\n  - url: https://acme.test\n    x-vendor: acme\npaths:\n",
    );
    for i in 0..n {
        write!(
            doc,
            "  /things{i}/{{thing_id}}:\n    post:\n      tags: [acme]\n      operationId: acme_create_thing{i}\n      parameters:\n        - name: thing_id\n          in: path\n          required: true\n          schema:\n            type: string\n            format: uuid\n      requestBody:\n        required: true\n        content:\n          application/json:\n            schema:\n              $ref: '#/components/schemas/AcmeThing{i}Request'\n      responses:\n        '201':\n          description: created\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/AcmeThing{i}'\n        '400':\n          description: bad request\n          content:\n            application/json:\n              schema:\n                $ref: '#/components/schemas/AcmeError'\n"
        )
        .unwrap();
    }
    doc.push_str("components:\n  schemas:\n    AcmeError:\n      type: object\n      properties:\n        errors:\n          type: array\n          items:\n            type: string\n");
    for i in 0..n {
        write!(
            doc,
            "    AcmeThing{i}Request:\n      type: object\n      required: [name]\n      properties:\n        name:\n          type: string\n        note:\n          type: string\n    AcmeThing{i}:\n      type: object\n      required: [id]\n      properties:\n        id:\n          type: string\n          format: uuid\n        name:\n          type: string\n        created_at:\n          type: string\n          format: date-time\n"
        )
        .unwrap();
    }
    doc
}

/// A later revision of [`synthetic_document`]`(n)`: every 7th request gains
/// an optional property, every 11th response makes `name` required, every
/// 13th operation is gone and 10 new operations appear. About one change in
/// four operations, of the kinds a vendor makes.
#[allow(dead_code)] // not every benchmark uses it
pub fn synthetic_revision(n: usize) -> String {
    synthetic_revision_with(n, 1, 10)
}

/// [`synthetic_revision`] with its changes `stride` times as far apart
/// (every `7 * stride`-th request, ...) and `added` new operations: a stride
/// of 50 and one new operation give a handful of changes.
#[allow(dead_code)] // not every benchmark uses it
pub fn synthetic_revision_with(n: usize, stride: usize, added: usize) -> String {
    let doc = synthetic_document(n + added);
    let mut out = String::with_capacity(doc.len());
    let mut skip = false;
    for line in doc.lines() {
        // Drop the paths of every 13th operation (its schemas stay).
        if let Some(rest) = line.strip_prefix("  /things") {
            let i: usize = rest.split('/').next().unwrap_or("").parse().unwrap_or(0);
            skip = i.is_multiple_of(13 * stride);
        } else if !line.starts_with("   ") {
            skip = false;
        }
        if skip {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    for i in (0..n).step_by(7 * stride) {
        let from = format!(
            "    AcmeThing{i}Request:\n      type: object\n      required: [name]\n      properties:\n"
        );
        let to = format!("{from}        color:\n          type: string\n");
        out = out.replacen(&from, &to, 1);
    }
    for i in (0..n).step_by(11 * stride) {
        let from = format!("    AcmeThing{i}:\n      type: object\n      required: [id]\n");
        let to = format!("    AcmeThing{i}:\n      type: object\n      required: [id, name]\n");
        out = out.replacen(&from, &to, 1);
    }
    out
}
