//! One vendor's part of the document: its operations (all, or those the
//! diff asks for), its server and the components they reach, with the vendor
//! prefix dropped from component names and operation ids.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::{
    Document, GenerateError, METHODS, OperationRef, Vendor, ref_targets, short_operation_id,
    short_type_name,
};

impl Document<'_> {
    /// The part of the document one vendor's client is generated from: its
    /// operations, its server, the components they reach, with the vendor
    /// prefix dropped from component names and operation ids.
    ///
    /// `keep` chooses the operations (all of them for the vendor's client; the
    /// diff generates only those a change touches); the components are those
    /// the kept operations reach, and those of `also` (`#/components/...`
    /// pointers) that the document has, with what they reach.
    pub fn vendor_spec(
        &self,
        vendor: &Vendor,
        keep: &dyn Fn(&OperationRef<'_>) -> bool,
        also: &BTreeSet<String>,
    ) -> Result<Value, GenerateError> {
        let vendors = self.vendors()?;
        let mut paths = Map::new();
        for op in self.operations() {
            let operation_id = self.operation_id(&op)?;
            if self.vendor_of(&op, &vendors)?.name != vendor.name || !keep(&op) {
                continue;
            }
            let mut operation = op.operation.clone();
            let short = short_operation_id(&vendor.name, operation_id);
            operation.insert("operationId".to_owned(), Value::String(short.to_owned()));
            let item = paths
                .entry(op.path.clone())
                .or_insert_with(|| Value::Object(self.path_item_shell(&op.path)))
                .as_object_mut()
                .expect("path items are objects");
            item.insert(op.method.clone(), Value::Object(operation));
        }

        // The components the kept operations reach, transitively.
        let also: Vec<Value> = also
            .iter()
            .map(|target| serde_json::json!({ "$ref": target }))
            .collect();
        let paths = Value::Object(paths);
        let reached = self.reached(&[&paths, &Value::Array(also)]);
        let mut components = Map::new();
        let mut renames = BTreeMap::new();
        if let Some(all) = self.root.get("components").and_then(Value::as_object) {
            for (kind, entries) in all {
                let Some(entries) = entries.as_object() else {
                    continue;
                };
                let mut kept = Map::new();
                for (name, value) in entries {
                    let pointer = format!("#/components/{kind}/{name}");
                    // Security schemes are named by operations, not by `$ref`.
                    if kind != "securitySchemes" && !reached.contains(&pointer) {
                        continue;
                    }
                    let short = short_type_name(&vendor.name, name);
                    if kept.contains_key(short) {
                        return Err(self.error_at(
                            &["components", kind, name],
                            pointer,
                            format!("`{name}` and another {kind} entry both become `{short}` in the `{}` module", vendor.name),
                        ));
                    }
                    renames.insert(pointer, format!("#/components/{kind}/{short}"));
                    kept.insert(short.to_owned(), value.clone());
                }
                components.insert(kind.clone(), Value::Object(kept));
            }
        }

        let mut spec = Map::new();
        for key in ["openapi", "info"] {
            if let Some(v) = self.root.get(key) {
                spec.insert(key.to_owned(), v.clone());
            }
        }
        spec.insert(
            "servers".to_owned(),
            Value::Array(vec![self.root["servers"][vendor.server_index].clone()]),
        );
        spec.insert("paths".to_owned(), paths);
        spec.insert("components".to_owned(), Value::Object(components));
        let mut spec = Value::Object(spec);
        rename_refs(&mut spec, &renames);
        Ok(spec)
    }

    /// The path item at `path` without its operations (its `parameters`,
    /// `summary`, …), to hold a selection of them; the operations are not
    /// copied.
    pub fn path_item_shell(&self, path: &str) -> Map<String, Value> {
        self.root["paths"][path]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, _)| !METHODS.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect()
    }

    /// The `$ref` targets `values` reach, transitively (`#/components/...`).
    pub fn reached(&self, values: &[&Value]) -> BTreeSet<String> {
        let mut reached = BTreeSet::new();
        let mut queue: Vec<&str> = values.iter().flat_map(|v| ref_targets(v)).collect();
        while let Some(target) = queue.pop() {
            if !reached.contains(target) {
                reached.insert(target.to_owned());
                if let Some(value) = self.root.pointer(target.trim_start_matches('#')) {
                    queue.extend(ref_targets(value));
                }
            }
        }
        reached
    }
}

fn rename_refs(value: &mut Value, renames: &BTreeMap<String, String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if key == "$ref" {
                    if let Some(new) = child.as_str().and_then(|t| renames.get(t)) {
                        *child = Value::String(new.clone());
                    }
                } else {
                    rename_refs(child, renames);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|c| rename_refs(c, renames)),
        _ => {}
    }
}
