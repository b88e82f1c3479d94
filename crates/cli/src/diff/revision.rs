//! Reading one revision of the document for the comparison: the parsed
//! document with its operations indexed ([`Revision`], [`Operation`]),
//! `$ref` resolution, and where an operation's request body, response
//! bodies and parameters are written.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::codegen::{self, Document, GenerateError};

/// One parsed revision with its operations indexed.
pub(crate) struct Revision<'a> {
    /// Where each place is in the text.
    lines: codegen::LineIndex<'a>,
    pub(crate) doc: Document<'a>,
    pub(crate) operations: Vec<Operation>,
}

/// The parts of `this` revision that are not the same in `other`, each at
/// its place, for [`Document::check_openapi`]: the top-level keys but
/// `paths` and `components`, the operations whose fingerprint differs
/// (with their path items' other keys) and the components that differ.
/// What both revisions share was checked when the other revision was built.
pub(super) fn differing_parts(this: &Revision<'_>, other: &Revision<'_>) -> Value {
    let root = this.root();
    let Some(top) = root.as_object() else {
        return root.clone();
    };
    let mut part: serde_json::Map<String, Value> = top
        .iter()
        .filter(|(key, _)| !matches!(key.as_str(), "paths" | "components"))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let unchanged: std::collections::HashSet<(&str, &str, u64)> = other
        .operations
        .iter()
        .map(|op| (op.method.as_str(), op.path.as_str(), op.print))
        .collect();
    let mut paths = serde_json::Map::new();
    for op in &this.operations {
        if unchanged.contains(&(op.method.as_str(), op.path.as_str(), op.print)) {
            continue;
        }
        let item = paths
            .entry(op.path.clone())
            .or_insert_with(|| Value::Object(this.doc.path_item_shell(&op.path)));
        if let Value::Object(item) = item {
            item.insert(op.method.clone(), this.op(op).clone());
        }
    }
    part.insert("paths".to_owned(), Value::Object(paths));
    if let Some(kinds) = root.get("components").and_then(Value::as_object) {
        let mut components = serde_json::Map::new();
        for (kind, entries) in kinds {
            let Some(entries) = entries.as_object() else {
                components.insert(kind.clone(), entries.clone());
                continue;
            };
            let differing: serde_json::Map<String, Value> = entries
                .iter()
                .filter(|(name, value)| other.root()["components"][kind].get(*name) != Some(*value))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            components.insert(kind.clone(), Value::Object(differing));
        }
        part.insert("components".to_owned(), Value::Object(components));
    }
    Value::Object(part)
}

/// A hash of everything generation and the wire rules read for one
/// operation: the operation, its path item's parameters, the components it
/// reaches, transitively, each with its pointer, and the security schemes
/// with the document's default `security` (schemes are named, not `$ref`ed).
fn fingerprint(doc: &Document<'_>, path: &str, method: &str) -> u64 {
    use std::hash::Hasher;
    /// Feeds what `serde_json` writes to a hasher, without a string between.
    struct Feed(std::collections::hash_map::DefaultHasher);
    impl std::io::Write for Feed {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let item = &doc.root["paths"][path];
    let own = [&item["parameters"], &item[method]];
    let security = [
        &doc.root["security"],
        &doc.root["components"]["securitySchemes"],
    ];
    let mut feed = Feed(Default::default());
    // Writing to a hasher cannot fail.
    let _ = serde_json::to_writer(&mut feed, &(own, security));
    for target in doc.reached(&own) {
        feed.0.write(target.as_bytes());
        if let Some(value) = doc.root.pointer(target.trim_start_matches('#')) {
            let _ = serde_json::to_writer(&mut feed, value);
        }
    }
    feed.0.finish()
}

/// An operation of a revision, with what the comparison needs.
pub(crate) struct Operation {
    pub(crate) id: String,
    pub(crate) vendor: String,
    pub(crate) path: String,
    pub(crate) method: String,
    /// The path with its parameter names blanked: `/a/{}/b`.
    pub(crate) shape: String,
    /// A hash of everything generation and the wire rules read for the
    /// operation ([`fingerprint`]): equal in both revisions when the
    /// operation is unchanged.
    pub(crate) print: u64,
}

impl<'a> Revision<'a> {
    pub(crate) fn read(
        name: &'a str,
        text: &'a str,
        load: Option<codegen::Loader<'_>>,
    ) -> Result<Self, GenerateError> {
        let doc = Document::parse_with(name, text, load)?;
        // The OpenAPI object check is made on what differs (`differing_parts`).
        doc.check_rules()?;
        let vendors = doc.vendors()?;
        let mut operations = Vec::new();
        for op in doc.operations() {
            let vendor = doc.vendor_of(&op, &vendors)?.name.clone();
            let id = doc.operation_id(&op)?;
            operations.push(Operation {
                id: id.to_owned(),
                vendor,
                shape: path_shape(&op.path),
                print: fingerprint(&doc, &op.path, &op.method),
                path: op.path,
                method: op.method,
            });
        }
        Ok(Revision {
            lines: codegen::LineIndex::new(text),
            doc,
            operations,
        })
    }

    /// A revision of a document read and checked elsewhere (the vendor's
    /// definition in `invitations drift`), with the operations to compare;
    /// `text` is the text its places are looked up in.
    pub(crate) fn from_parts(text: &'a str, doc: Document<'a>, operations: Vec<Operation>) -> Self {
        Revision {
            lines: codegen::LineIndex::new(text),
            doc,
            operations,
        }
    }

    pub(crate) fn root(&self) -> &Value {
        &self.doc.root
    }

    /// The operation object.
    pub(crate) fn op(&self, op: &Operation) -> &Value {
        &self.doc.root["paths"][&op.path][&op.method]
    }

    /// The path item holding the operation.
    fn path_item(&self, op: &Operation) -> &Value {
        &self.doc.root["paths"][&op.path]
    }

    /// The request body of the operation at `at`, resolved, with where it
    /// is written.
    pub(super) fn request_body(&self, at: &[String]) -> Option<(&Value, Vec<String>)> {
        let at = seg(at, &["requestBody"]);
        let raw = self.root().pointer(&json_pointer(&at))?;
        let (_, body, body_at) = self.resolve(raw, at);
        Some((body, body_at))
    }

    /// The JSON schema of the operation's first success (or error) response
    /// with a JSON body: the one type progenitor decodes such responses into.
    pub(super) fn response_body(
        &self,
        at: &[String],
        success: bool,
    ) -> Option<(&Value, Vec<String>)> {
        let operation = self.root().pointer(&json_pointer(at))?.as_object()?;
        // As progenitor sorts them (`codegen::responses_with_role`): a
        // `default` response feeds both sides.
        codegen::responses_with_role(operation, success)
            .into_iter()
            .find_map(|(code, response)| {
                let (_, response, response_at) =
                    self.resolve(response, seg(at, &["responses", code]));
                let schema = response.pointer("/content/application~1json/schema")?;
                Some((
                    schema,
                    seg(&response_at, &["content", "application/json", "schema"]),
                ))
            })
    }

    /// The parameters of an operation (the path item's, overridden by the
    /// operation's), by (`in`, name), each resolved, with where it is written.
    #[allow(clippy::type_complexity)]
    pub(super) fn parameters(
        &self,
        op: &Operation,
    ) -> BTreeMap<(String, String), (&Value, Vec<String>)> {
        let mut out = BTreeMap::new();
        let lists = [
            (
                self.path_item(op),
                vec!["paths".to_owned(), op.path.clone()],
            ),
            (
                self.op(op),
                vec!["paths".to_owned(), op.path.clone(), op.method.clone()],
            ),
        ];
        for (holder, at) in lists {
            let Some(params) = holder.get("parameters").and_then(Value::as_array) else {
                continue;
            };
            for (i, param) in params.iter().enumerate() {
                let (_, param, param_at) =
                    self.resolve(param, seg(&at, &["parameters", &i.to_string()]));
                let (Some(place), Some(name)) = (
                    param.get("in").and_then(Value::as_str),
                    param.get("name").and_then(Value::as_str),
                ) else {
                    continue;
                };
                out.insert((place.to_owned(), name.to_owned()), (param, param_at));
            }
        }
        out
    }

    /// The 1-based line of a place, when it can be found.
    pub(crate) fn line(&self, segments: &[String]) -> Option<usize> {
        self.lines.line(segments)
    }

    /// Follows `$ref`s (and one-member `allOf`s): the schema's component name (if it is a reference),
    /// the schema itself and where it sits.
    pub(super) fn resolve<'v>(
        &'v self,
        value: &'v Value,
        at: Vec<String>,
    ) -> (Option<String>, &'v Value, Vec<String>) {
        let mut name = None;
        let mut value = value;
        let mut at = at;
        for _ in 0..16 {
            // `allOf` of one schema, with nothing beside it but words, is
            // that schema (the generator emits the same type for both).
            if let Some([only]) = value
                .get("allOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                && value.as_object().is_some_and(|m| {
                    m.keys()
                        .all(|k| matches!(k.as_str(), "allOf" | "description" | "title"))
                })
            {
                at.extend(["allOf".to_owned(), "0".to_owned()]);
                value = only;
                continue;
            }
            let Some(target) = value.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(found) = self.root().pointer(target.trim_start_matches('#')) else {
                break;
            };
            at = target
                .trim_start_matches("#/")
                .split('/')
                .map(|s| s.replace("~1", "/").replace("~0", "~"))
                .collect();
            name = at.last().cloned();
            value = found;
        }
        (name, value, at)
    }
}

/// `/accounts/{accountId}/x` → `/accounts/{}/x`: two paths that differ only
/// in parameter names are the same endpoint.
pub(crate) fn path_shape(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            _ => out.push(c),
        }
    }
    out
}

/// `base` followed by `more`.
pub(super) fn seg(base: &[String], more: &[&str]) -> Vec<String> {
    base.iter()
        .cloned()
        .chain(more.iter().map(|s| (*s).to_owned()))
        .collect()
}

/// A JSON pointer for `Value::pointer` (no leading `#`).
pub(super) fn json_pointer(segments: &[String]) -> String {
    codegen::json_pointer(segments)
        .trim_start_matches('#')
        .to_owned()
}

/// Whether a response status feeds the success type (`2xx`, `2XX`, `101`,
/// and `default` when no `2XX` range is declared), as progenitor decides.
pub(super) fn is_success(code: &str, has_success_range: bool) -> bool {
    codegen::response_role(code, has_success_range).success
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_differ_in_parameter_names_have_one_shape() {
        assert_eq!(path_shape("/a/{account_id}/b/{x}"), "/a/{}/b/{}");
        assert_eq!(
            path_shape("/a/{accountId}/b/{y}"),
            path_shape("/a/{account_id}/b/{x}")
        );
        assert_ne!(path_shape("/a/{x}"), path_shape("/a/{x}/b"));
    }

    #[test]
    fn pointers_escape_slashes_and_tildes() {
        let segments = ["paths", "/a/{b}", "post", "x~y"].map(str::to_owned);
        assert_eq!(
            codegen::json_pointer(&segments),
            "#/paths/~1a~1{b}/post/x~0y"
        );
        assert_eq!(json_pointer(&segments), "/paths/~1a~1{b}/post/x~0y");
    }
}
