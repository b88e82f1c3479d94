//! The public API of the `invitations` library is a reviewed snapshot, as the
//! generated code is: `tests/snapshots/public-api.txt` lists every public
//! item outside the generated vendor modules (whose API follows the document
//! and is judged by `invitations diff`), one line each, with its signature.
//! A change to it fails this test until the snapshot is refreshed with
//!
//! ```text
//! INVITATIONS_UPDATE_SNAPSHOTS=1 cargo test --test public_api
//! ```
//!
//! and the refreshed file is reviewed with the change. The list is read
//! from rustdoc's JSON output of the library (stable rustdoc writes it with
//! `RUSTC_BOOTSTRAP=1`, as cargo-semver-checks does), built in its own
//! target folder (`target/public-api`).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use invitations_test_support::{snapshot, workspace_root};
use serde_json::Value;

/// The generated modules: listed, not descended into.
const GENERATED: [&str; 2] = ["hybridbox", "automox"];

/// The features the snapshot is taken with: the default ones and `mock`
/// (the typed mocks' modules are generated too).
const FEATURES: &str = "mock";

#[test]
fn the_public_api_is_the_reviewed_snapshot() {
    let json = rustdoc_json();
    let lines = Api::new(&json).lines();
    let path = workspace_root().join("tests/snapshots/public-api.txt");
    let reviewed = std::fs::read_to_string(&path).unwrap_or_default();
    let actual = lines.join("\n") + "\n";
    if snapshot::matches(&path, &actual) {
        return;
    }
    let before: BTreeSet<&str> = reviewed.lines().collect();
    let now: BTreeSet<&str> = actual.lines().collect();
    let mut changes = String::new();
    for line in before.difference(&now) {
        changes.push_str(&format!("- {line}\n"));
    }
    for line in now.difference(&before) {
        changes.push_str(&format!("+ {line}\n"));
    }
    panic!(
        "the public API changed:\n{changes}review it and refresh {} with \
         `INVITATIONS_UPDATE_SNAPSHOTS=1 cargo test --test public_api`",
        path.display()
    );
}

/// rustdoc's JSON of the library.
fn rustdoc_json() -> Value {
    let root = workspace_root();
    let target = root.join("target/public-api");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["rustdoc", "--quiet", "-p", "invitations", "--lib"])
        .args(["--features", FEATURES])
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTDOCFLAGS")
        .current_dir(&root)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo rustdoc failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    read_json(&target.join("doc/invitations.json"))
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("rustdoc writes JSON")
}

/// One `{"kind": value}` object of rustdoc's JSON, as its kind and value.
fn tagged(value: &Value) -> (&str, &Value) {
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (kind, inner) = map.iter().next().unwrap();
            (kind.as_str(), inner)
        }
        Value::String(kind) => (kind.as_str(), &Value::Null),
        other => panic!("not a tagged value: {other}"),
    }
}

fn list(value: &Value) -> &[Value] {
    value.as_array().map_or(&[], Vec::as_slice)
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

/// The crate's public items, by the paths they can be named at.
struct Api<'a> {
    index: &'a serde_json::Map<String, Value>,
    paths: &'a serde_json::Map<String, Value>,
    /// Every public path of every item: (path, item id).
    named: Vec<(String, String)>,
    /// The shortest public path of each item, where its members are listed.
    canonical: HashMap<String, String>,
}

impl<'a> Api<'a> {
    fn new(json: &'a Value) -> Self {
        let mut api = Api {
            index: json["index"].as_object().expect("an index"),
            paths: json["paths"].as_object().expect("paths"),
            named: Vec::new(),
            canonical: HashMap::new(),
        };
        let root = json["root"].to_string();
        api.walk(&root, "invitations");
        for (path, id) in &api.named {
            let best = api
                .canonical
                .entry(id.clone())
                .or_insert_with(|| path.clone());
            if (path.len(), path) < (best.len(), &*best) {
                *best = path.clone();
            }
        }
        api
    }

    fn item(&self, id: &str) -> Option<&'a Value> {
        self.index.get(id)
    }

    /// Records the public items of module `id`, named under `path`.
    fn walk(&mut self, id: &str, path: &str) {
        let module = &self.index[id]["inner"]["module"];
        for child in list(&module["items"]) {
            let child = child.to_string();
            let Some(item) = self.item(&child) else {
                continue;
            };
            if text(&item["visibility"]) != "public" {
                continue;
            }
            let (kind, inner) = tagged(&item["inner"]);
            if kind == "use" {
                let name = format!("{path}::{}", text(&inner["name"]));
                if inner["is_glob"].as_bool() == Some(true) {
                    self.named.push((format!("{path}::*"), child));
                    continue;
                }
                let target = inner["id"].to_string();
                match self.item(&target) {
                    Some(target_item) => self.name(&name, &target, target_item),
                    // A re-export of another crate's item.
                    None => self.named.push((name, child)),
                }
                continue;
            }
            let name = format!("{path}::{}", text(&item["name"]));
            self.name(&name, &child, item);
        }
    }

    fn name(&mut self, path: &str, id: &str, item: &Value) {
        self.named.push((path.to_owned(), id.to_owned()));
        let is_module = tagged(&item["inner"]).0 == "module";
        let generated = GENERATED
            .iter()
            .any(|m| path == format!("invitations::{m}"));
        if is_module && !generated {
            self.walk(id, path);
        }
    }

    /// One line per public item and member, sorted.
    fn lines(&self) -> Vec<String> {
        let mut out = BTreeSet::new();
        for (path, id) in &self.named {
            let item = &self.index[id.as_str()];
            out.insert(self.declaration(path, item));
            if self.canonical.get(id) == Some(path) {
                self.members(path, item, &mut out);
            }
        }
        out.into_iter().collect()
    }

    fn declaration(&self, path: &str, item: &Value) -> String {
        let (kind, inner) = tagged(&item["inner"]);
        match kind {
            "module"
                if GENERATED
                    .iter()
                    .any(|m| path == format!("invitations::{m}")) =>
            {
                format!("pub mod {path} (generated from openapi/invitations.yaml)")
            }
            "module" => format!("pub mod {path}"),
            "use" => format!("pub use {path} = {}", text(&inner["source"])),
            "struct" => {
                let generics = self.generics(&inner["generics"]);
                let wheres = self.wheres(&inner["generics"]);
                match tagged(&inner["kind"]) {
                    ("tuple", fields) => {
                        let fields: Vec<String> = list(fields)
                            .iter()
                            .map(|f| match self.item(&f.to_string()) {
                                Some(field) => {
                                    format!("pub {}", self.ty(&field["inner"]["struct_field"]))
                                }
                                None => "_".to_owned(),
                            })
                            .collect();
                        format!("pub struct {path}{generics}({}){wheres}", fields.join(", "))
                    }
                    _ => format!("pub struct {path}{generics}{wheres}"),
                }
            }
            "enum" => format!(
                "pub enum {path}{}{}",
                self.generics(&inner["generics"]),
                self.wheres(&inner["generics"])
            ),
            "union" => format!("pub union {path}{}", self.generics(&inner["generics"])),
            "trait" => {
                let bounds = self.bounds(&inner["bounds"]);
                let bounds = if bounds.is_empty() {
                    String::new()
                } else {
                    format!(": {bounds}")
                };
                let unsafety = if inner["is_unsafe"].as_bool() == Some(true) {
                    "unsafe "
                } else {
                    ""
                };
                format!(
                    "pub {unsafety}trait {path}{}{bounds}{}",
                    self.generics(&inner["generics"]),
                    self.wheres(&inner["generics"])
                )
            }
            "function" => self.function(path, inner),
            "constant" => format!(
                "pub const {path}: {} = {}",
                self.ty(&inner["type"]),
                text(&inner["const"]["expr"])
            ),
            "static" => format!("pub static {path}: {}", self.ty(&inner["type"])),
            "type_alias" => format!(
                "pub type {path}{} = {}",
                self.generics(&inner["generics"]),
                self.ty(&inner["type"])
            ),
            "macro" => format!("pub macro {path}!"),
            other => format!("pub {other} {path}"),
        }
    }

    /// The fields, variants, trait items and impls of an item.
    fn members(&self, path: &str, item: &Value, out: &mut BTreeSet<String>) {
        let (kind, inner) = tagged(&item["inner"]);
        match kind {
            "struct" | "union" => {
                if let ("plain", plain) = tagged(&inner["kind"]) {
                    for field in list(&plain["fields"]) {
                        if let Some(field) = self.item(&field.to_string()) {
                            out.insert(format!(
                                "pub {path}::{}: {}",
                                text(&field["name"]),
                                self.ty(&field["inner"]["struct_field"])
                            ));
                        }
                    }
                    if plain["has_stripped_fields"].as_bool() == Some(true) {
                        out.insert(format!("{path} has private fields"));
                    }
                }
                self.impls(path, &inner["impls"], out);
            }
            "enum" => {
                for variant in list(&inner["variants"]) {
                    if let Some(variant) = self.item(&variant.to_string()) {
                        out.insert(format!("pub {path}::{}", self.variant(variant)));
                    }
                }
                self.impls(path, &inner["impls"], out);
            }
            "trait" => {
                for member in list(&inner["items"]) {
                    if let Some(member) = self.item(&member.to_string()) {
                        let name = format!("{path}::{}", text(&member["name"]));
                        out.insert(self.trait_item(&name, member));
                    }
                }
            }
            _ => {}
        }
        let non_exhaustive = list(&item["attrs"])
            .iter()
            .any(|a| a.to_string().contains("non_exhaustive"));
        if non_exhaustive && matches!(kind, "struct" | "enum") {
            out.insert(format!("#[non_exhaustive] {path}"));
        }
    }

    fn variant(&self, variant: &Value) -> String {
        let name = text(&variant["name"]);
        let (kind, fields) = tagged(&variant["inner"]["variant"]["kind"]);
        let field = |id: &Value| self.item(&id.to_string());
        match kind {
            "tuple" => {
                let fields: Vec<String> = list(fields)
                    .iter()
                    .map(|f| {
                        field(f).map_or("_".to_owned(), |f| self.ty(&f["inner"]["struct_field"]))
                    })
                    .collect();
                format!("{name}({})", fields.join(", "))
            }
            "struct" => {
                let fields: Vec<String> = list(&fields["fields"])
                    .iter()
                    .filter_map(field)
                    .map(|f| {
                        format!(
                            "{}: {}",
                            text(&f["name"]),
                            self.ty(&f["inner"]["struct_field"])
                        )
                    })
                    .collect();
                let stripped = if fields.is_empty() { ".." } else { "" };
                format!("{name} {{ {}{stripped} }}", fields.join(", "))
            }
            _ => name.to_owned(),
        }
    }

    fn trait_item(&self, path: &str, member: &Value) -> String {
        let (kind, inner) = tagged(&member["inner"]);
        match kind {
            "function" => {
                let provided = if inner["has_body"].as_bool() == Some(true) {
                    " (provided)"
                } else {
                    ""
                };
                format!("{}{provided}", self.function(path, inner))
            }
            "assoc_type" => format!("pub type {path}"),
            "assoc_const" => format!("pub const {path}: {}", self.ty(&inner["type"])),
            other => format!("pub {other} {path}"),
        }
    }

    fn impls(&self, path: &str, impls: &Value, out: &mut BTreeSet<String>) {
        for id in list(impls) {
            let Some(block) = self.item(&id.to_string()) else {
                continue;
            };
            let inner = &block["inner"]["impl"];
            // Blanket impls (`From<T> for T`, …) are the standard library's;
            // `Freeze` is not a trait callers can name.
            let freeze = text(&inner["trait"]["path"]) == "Freeze";
            if !inner["blanket_impl"].is_null() || freeze {
                continue;
            }
            let generics = self.generics(&inner["generics"]);
            let wheres = self.wheres(&inner["generics"]);
            let target = self.ty(&inner["for"]);
            if inner["trait"].is_null() {
                for member in list(&inner["items"]) {
                    let Some(member) = self.item(&member.to_string()) else {
                        continue;
                    };
                    if text(&member["visibility"]) != "public" {
                        continue;
                    }
                    let name = format!("{path}::{}", text(&member["name"]));
                    let line = match tagged(&member["inner"]) {
                        ("function", f) => self.function(&name, f),
                        _ => self.trait_item(&name, member),
                    };
                    if generics.is_empty() && wheres.is_empty() {
                        out.insert(line);
                    } else {
                        out.insert(format!("{line} (impl{generics} {target}{wheres})"));
                    }
                }
            } else {
                let negative = if inner["is_negative"].as_bool() == Some(true) {
                    "!"
                } else {
                    ""
                };
                out.insert(format!(
                    "impl{generics} {negative}{} for {target}{wheres}",
                    self.path(&inner["trait"])
                ));
            }
        }
    }

    fn function(&self, path: &str, f: &Value) -> String {
        let header = &f["header"];
        let mut qualifiers = String::new();
        for (flag, word) in [
            ("is_const", "const "),
            ("is_async", "async "),
            ("is_unsafe", "unsafe "),
        ] {
            if header[flag].as_bool() == Some(true) {
                qualifiers.push_str(word);
            }
        }
        let inputs: Vec<String> = list(&f["sig"]["inputs"])
            .iter()
            .map(|pair| {
                let name = text(&pair[0]);
                let ty = self.ty(&pair[1]);
                match (name, ty.as_str()) {
                    ("self", "Self") => "self".to_owned(),
                    ("self", "&Self") => "&self".to_owned(),
                    ("self", "&mut Self") => "&mut self".to_owned(),
                    _ => format!("{name}: {ty}"),
                }
            })
            .collect();
        let output = match &f["sig"]["output"] {
            Value::Null => String::new(),
            ty => format!(" -> {}", self.ty(ty)),
        };
        format!(
            "pub {qualifiers}fn {path}{}({}){output}{}",
            self.generics(&f["generics"]),
            inputs.join(", "),
            self.wheres(&f["generics"])
        )
    }

    /// `<'a, T: Bound>`, without the parameters rustdoc made up for
    /// `impl Trait` arguments.
    fn generics(&self, generics: &Value) -> String {
        let params: Vec<String> = list(&generics["params"])
            .iter()
            .filter_map(|param| {
                let name = text(&param["name"]);
                match tagged(&param["kind"]) {
                    ("lifetime", _) => Some(name.to_owned()),
                    ("type", t) if t["is_synthetic"].as_bool() == Some(true) => None,
                    ("type", t) => {
                        let bounds = self.bounds(&t["bounds"]);
                        let default = match &t["default"] {
                            Value::Null => String::new(),
                            ty => format!(" = {}", self.ty(ty)),
                        };
                        Some(if bounds.is_empty() {
                            format!("{name}{default}")
                        } else {
                            format!("{name}: {bounds}{default}")
                        })
                    }
                    ("const", c) => Some(format!("const {name}: {}", self.ty(&c["type"]))),
                    (other, _) => Some(format!("{other} {name}")),
                }
            })
            .collect();
        if params.is_empty() {
            String::new()
        } else {
            format!("<{}>", params.join(", "))
        }
    }

    fn wheres(&self, generics: &Value) -> String {
        let predicates: Vec<String> = list(&generics["where_predicates"])
            .iter()
            .map(|p| match tagged(p) {
                ("bound_predicate", b) => {
                    format!("{}: {}", self.ty(&b["type"]), self.bounds(&b["bounds"]))
                }
                ("lifetime_predicate", l) => format!(
                    "{}: {}",
                    text(&l["lifetime"]),
                    list(&l["outlives"])
                        .iter()
                        .map(text)
                        .collect::<Vec<_>>()
                        .join(" + ")
                ),
                ("eq_predicate", e) => format!("{} = {}", self.ty(&e["lhs"]), self.term(&e["rhs"])),
                (other, _) => other.to_owned(),
            })
            .collect();
        if predicates.is_empty() {
            String::new()
        } else {
            format!(" where {}", predicates.join(", "))
        }
    }

    fn bounds(&self, bounds: &Value) -> String {
        list(bounds)
            .iter()
            .map(|b| match tagged(b) {
                ("trait_bound", t) => {
                    let modifier = match text(&t["modifier"]) {
                        "maybe" => "?",
                        "maybe_const" => "~const ",
                        _ => "",
                    };
                    format!("{modifier}{}", self.path(&t["trait"]))
                }
                ("outlives", l) => text(l).to_owned(),
                (other, _) => other.to_owned(),
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }

    fn term(&self, term: &Value) -> String {
        match tagged(term) {
            ("type", t) => self.ty(t),
            ("constant", c) => text(&c["expr"]).to_owned(),
            (other, _) => other.to_owned(),
        }
    }

    /// A path to an item with its generic arguments: this crate's items by
    /// their shortest public path, other crates' by their full path.
    fn path(&self, p: &Value) -> String {
        let id = p["id"].to_string();
        let name = self.canonical.get(&id).cloned().unwrap_or_else(|| {
            self.paths
                .get(&id)
                .and_then(|s| s["path"].as_array())
                .map(|segments| segments.iter().map(text).collect::<Vec<_>>().join("::"))
                .unwrap_or_else(|| text(&p["path"]).to_owned())
        });
        format!("{name}{}", self.args(&p["args"]))
    }

    fn args(&self, args: &Value) -> String {
        if args.is_null() {
            return String::new();
        }
        match tagged(args) {
            ("angle_bracketed", a) => {
                let mut all: Vec<String> = list(&a["args"])
                    .iter()
                    .map(|arg| match tagged(arg) {
                        ("type", t) => self.ty(t),
                        ("lifetime", l) => text(l).to_owned(),
                        ("const", c) => text(&c["expr"]).to_owned(),
                        (other, _) => other.to_owned(),
                    })
                    .collect();
                for c in list(&a["constraints"]) {
                    let name = text(&c["name"]);
                    match tagged(&c["binding"]) {
                        ("equality", term) => all.push(format!("{name} = {}", self.term(term))),
                        ("constraint", bounds) => {
                            all.push(format!("{name}: {}", self.bounds(bounds)))
                        }
                        (other, _) => all.push(other.to_owned()),
                    }
                }
                if all.is_empty() {
                    String::new()
                } else {
                    format!("<{}>", all.join(", "))
                }
            }
            ("parenthesized", p) => {
                let inputs: Vec<String> = list(&p["inputs"]).iter().map(|t| self.ty(t)).collect();
                let output = match &p["output"] {
                    Value::Null => String::new(),
                    ty => format!(" -> {}", self.ty(ty)),
                };
                format!("({}){output}", inputs.join(", "))
            }
            (other, _) => other.to_owned(),
        }
    }

    fn ty(&self, ty: &Value) -> String {
        let (kind, v) = tagged(ty);
        match kind {
            "resolved_path" => self.path(v),
            "generic" | "primitive" => text(v).to_owned(),
            "borrowed_ref" => {
                let lifetime = v["lifetime"]
                    .as_str()
                    .map(|l| format!("{l} "))
                    .unwrap_or_default();
                let mutable = if v["is_mutable"].as_bool() == Some(true) {
                    "mut "
                } else {
                    ""
                };
                format!("&{lifetime}{mutable}{}", self.ty(&v["type"]))
            }
            "raw_pointer" => {
                let mutable = if v["is_mutable"].as_bool() == Some(true) {
                    "mut"
                } else {
                    "const"
                };
                format!("*{mutable} {}", self.ty(&v["type"]))
            }
            "tuple" => {
                let items: Vec<String> = list(v).iter().map(|t| self.ty(t)).collect();
                format!("({})", items.join(", "))
            }
            "slice" => format!("[{}]", self.ty(v)),
            "array" => format!("[{}; {}]", self.ty(&v["type"]), text(&v["len"])),
            "impl_trait" => format!("impl {}", self.bounds(v)),
            "dyn_trait" => {
                let mut traits: Vec<String> = list(&v["traits"])
                    .iter()
                    .map(|t| self.path(&t["trait"]))
                    .collect();
                if let Some(lifetime) = v["lifetime"].as_str() {
                    traits.push(lifetime.to_owned());
                }
                format!("dyn {}", traits.join(" + "))
            }
            "qualified_path" => {
                let self_type = self.ty(&v["self_type"]);
                let name = text(&v["name"]);
                match &v["trait"] {
                    Value::Null => format!("{self_type}::{name}"),
                    t => format!("<{self_type} as {}>::{name}", self.path(t)),
                }
            }
            "function_pointer" => {
                let inputs: Vec<String> = list(&v["sig"]["inputs"])
                    .iter()
                    .map(|pair| self.ty(&pair[1]))
                    .collect();
                let output = match &v["sig"]["output"] {
                    Value::Null => String::new(),
                    t => format!(" -> {}", self.ty(t)),
                };
                format!("fn({}){output}", inputs.join(", "))
            }
            "infer" => "_".to_owned(),
            other => other.to_owned(),
        }
    }
}
