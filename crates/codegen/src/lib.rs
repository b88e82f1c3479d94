//! Code generation: from the OpenAPI document to one Rust module per vendor.
//!
//! This is the one place that turns `openapi/invitations.yaml` into Rust.
//! It is the `invitations` crate's build-dependency (its `build.rs` calls
//! [`generate_with`]) and a dependency of the `invitations` program, so that
//! `invitations diff` regenerates any revision of the document exactly as the
//! build does. Nothing of it is compiled into the library importers use.
//!
//! The steps, each of which reports a [`GenerateError`] naming the file, the
//! line where it can be found and the place in the document:
//! 1. parse the YAML (`yaml.rs`, which refuses a key written twice) and
//!    check that it is OpenAPI 3.0.x;
//! 2. bundle what other files it refers to (`bundle.rs`) and check that
//!    every `$ref` points at something;
//! 3. check the document ([`Document::check`], in `checks.rs`): operation ids
//!    and vendor tags, path parameters, schema types, one success and one
//!    error type per operation (`responses.rs` models how progenitor sorts
//!    responses), and the constructs progenitor cannot generate
//!    (`unsupported.rs`);
//! 4. split the document per vendor (`split.rs`: operations by their vendor
//!    tag, servers by `x-vendor`), keeping only the components each vendor
//!    reaches and dropping the vendor prefix from component names and
//!    operation ids;
//! 5. emit an open enum for each schema marked `x-open-enum` and point
//!    progenitor at it (`emit.rs`);
//! 6. run progenitor (builder interface), catching any panic (`panics.rs`,
//!    which also pins a panic to its operation; its panic hook is installed
//!    only while progenitor runs), edit its output
//!    (`emit.rs`: no panicking `Client::new`, response bodies read by the
//!    facade's bounded reader, a sealed mock trait; `facade.rs`: requests
//!    sent through the facade's `send`, errors typed by its `Error`), each
//!    edit counting what it matched, and format it with prettyplease.
//!
//! Errors name lines through `lines.rs`, a one-pass index of the text, and
//! quote the document only in short, escaped excerpts ([`excerpt`]): a
//! message is one line whatever the document holds.

use std::collections::BTreeSet;
use std::fmt;

mod bundle;
mod checks;
mod emit;
mod facade;
mod lines;
mod panics;
mod responses;
mod split;
mod unsupported;
mod yaml;

pub use bundle::{Loader, LocalFiles, MAX_FILE_BYTES, ReadError, read_file, resolve_path};
pub use emit::enum_values;
use emit::{read_responses_with, remove_api_version_header, remove_client_new, seal_mock_trait};
pub use lines::LineIndex;
use panics::run_progenitor;
pub use responses::{ResponseRole, response_role, responses_with_role};
pub use yaml::{Invalid as InvalidYaml, MAX_NESTING, parse as parse_yaml};

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::{Map, Value};

/// What generation needs to know besides the document.
#[derive(Clone, Debug)]
pub struct Options {
    /// Rust path of the module that holds the vendor modules, as seen from the
    /// crate the code is compiled into (`crate` for this crate's own build).
    pub crate_path: String,
    /// Rust type of progenitor's "inner" value stored in every generated
    /// client, which the client hooks read (`None`: no inner value).
    pub inner_type: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            crate_path: "crate".to_owned(),
            inner_type: Some("crate::hooks::Inner".to_owned()),
        }
    }
}

/// The generated code of one vendor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorCode {
    /// The vendor's name, also the name of its Rust module (`hybridbox`).
    pub vendor: String,
    /// Formatted Rust source of the module's contents.
    pub code: String,
    /// Formatted Rust source of the module's typed httpmock helpers (the
    /// `mock` submodule, compiled with the crate's `mock` feature).
    pub mock: String,
}

/// A problem in the document, or in generating code from it.
#[derive(Debug)]
pub struct GenerateError {
    /// The document's file name, as given to [`generate`].
    pub file: String,
    /// 1-based line in the document where the problem is, when it can be told.
    pub line: Option<usize>,
    /// 1-based column, when the YAML parser tells it.
    pub column: Option<usize>,
    /// The place in the document: an operation, a schema or a JSON pointer.
    pub place: Option<String>,
    /// What is wrong, in lowercase.
    pub message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

/// How many characters of the document an error quotes (a `$ref`, a key).
pub(crate) const QUOTED: usize = 200;
/// How many characters of a place (a JSON pointer) an error shows.
const SHOWN_PLACE: usize = 300;
/// How many characters of a message an error shows.
const SHOWN_MESSAGE: usize = 1_000;

/// `text` as an error or a one-line report quotes it: control characters
/// (line breaks, ESC, …) escaped as Rust does (`\n`, `\u{1b}`), and cut
/// after `max` characters with `…`.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        push_escaped(&mut out, c);
    }
    out
}

/// `text` with its control characters (line breaks, ESC, …) escaped as Rust
/// does (`\n`, `\u{1b}`), whole: for reports that quote what a document or
/// a server said, so that it cannot break or restyle their lines.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    if c.is_control() {
        out.extend(c.escape_default());
    } else {
        out.push(c);
    }
}

impl fmt::Display for GenerateError {
    /// One line: the file, line and place, and the message, each escaped
    /// and cut short ([`excerpt`]) whatever the document holds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", excerpt(&self.file, SHOWN_PLACE))?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        if let Some(place) = &self.place {
            write!(f, ": {}", excerpt(place, SHOWN_PLACE))?;
        }
        write!(f, ": {}", excerpt(&self.message, SHOWN_MESSAGE))
    }
}

impl std::error::Error for GenerateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// Generates the Rust modules of every vendor in the document.
///
/// `file` is only used to name the document in errors. The result is ordered
/// as the vendors appear in `servers`.
pub fn generate(
    file: &str,
    text: &str,
    options: &Options,
) -> Result<Vec<VendorCode>, GenerateError> {
    generate_with(file, text, options, None).map(|(modules, _)| modules)
}

/// [`generate`] for a document that may refer to other files (relative
/// `$ref`s), read with `load`; returns the modules and the paths of the
/// other files read, relative to the document's folder.
pub fn generate_with(
    file: &str,
    text: &str,
    options: &Options,
    load: Option<Loader<'_>>,
) -> Result<(Vec<VendorCode>, Vec<String>), GenerateError> {
    let doc = Document::parse_with(file, text, load)?;
    doc.check()?;
    let modules = doc
        .vendors()?
        .iter()
        .map(|vendor| {
            let spec = doc.vendor_spec(vendor, &|_| true, &BTreeSet::new())?;
            doc.generate_vendor(vendor, &spec, options)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((modules, doc.files))
}

/// A parsed document, with what is needed to point at places in its text.
pub struct Document<'a> {
    file: &'a str,
    text: &'a str,
    /// The document as JSON, with what other files it refers to copied in.
    pub root: Value,
    /// The other files the document refers to, relative to its folder.
    pub files: Vec<String>,
}

/// A vendor declared by a `servers` entry with `x-vendor`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vendor {
    /// Name of the vendor: its tag, its Rust module, its name prefix.
    pub name: String,
    /// The vendor's base URL.
    pub base_url: String,
    /// Index of the vendor's entry in `servers`.
    server_index: usize,
}

impl Vendor {
    /// The prefix of the vendor's component names (`Hybridbox`).
    pub fn type_prefix(&self) -> String {
        type_prefix(&self.name)
    }
}

fn type_prefix(vendor: &str) -> String {
    let mut chars = vendor.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// The name of a component in `vendor`'s Rust module: without the vendor
/// prefix (`HybridboxInvitation` → `Invitation`), unless nothing would be left.
pub fn short_type_name<'n>(vendor: &str, component: &'n str) -> &'n str {
    component
        .strip_prefix(&type_prefix(vendor))
        .filter(|s| !s.is_empty())
        .unwrap_or(component)
}

/// The Rust method of an operation id: without `vendor`'s prefix
/// (`hybridbox_create_invitation` → `create_invitation`).
pub fn short_operation_id<'i>(vendor: &str, operation_id: &'i str) -> &'i str {
    operation_id
        .strip_prefix(&format!("{vendor}_"))
        .unwrap_or(operation_id)
}

/// A JSON pointer with a leading `#`: `["paths", "/a/{b}", "post"]` →
/// `#/paths/~1a~1{b}/post`.
pub fn json_pointer<S: AsRef<str>>(segments: &[S]) -> String {
    let mut out = String::from("#");
    for s in segments {
        out.push('/');
        out.push_str(&s.as_ref().replace('~', "~0").replace('/', "~1"));
    }
    out
}

/// One operation of the document.
#[derive(Clone, Debug)]
pub struct OperationRef<'v> {
    /// The path, as written under `paths`.
    pub path: String,
    /// The HTTP method in lowercase.
    pub method: String,
    /// The operation object.
    pub operation: &'v Map<String, Value>,
}

impl OperationRef<'_> {
    /// `POST /path (operation_id)`, for messages.
    pub fn describe(&self) -> String {
        let upper = self.method.to_uppercase();
        match self.operation.get("operationId").and_then(Value::as_str) {
            Some(id) => format!("operation {upper} {} ({id})", self.path),
            None => format!("operation {upper} {}", self.path),
        }
    }
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

impl<'a> Document<'a> {
    /// Parses the text as YAML (JSON is YAML too) and checks that it is an
    /// OpenAPI 3.0.x document whose local `$ref`s all resolve.
    pub fn parse(file: &'a str, text: &'a str) -> Result<Self, GenerateError> {
        Self::parse_with(file, text, None)
    }

    /// [`Document::parse`] for a document that may refer to other files:
    /// relative `$ref`s are read with `load` and bundled into the document
    /// (see `bundle.rs`); without a loader they are an error.
    pub fn parse_with(
        file: &'a str,
        text: &'a str,
        load: Option<Loader<'_>>,
    ) -> Result<Self, GenerateError> {
        Self::parse_versions(file, text, load, &["3.0."])
    }

    /// [`Document::parse_with`] for a definition the crate does not
    /// generate from (a vendor's own, for `invitations drift`): OpenAPI
    /// 3.0.x or 3.1.x, read and bundled the same way, its local `$ref`s
    /// checked; none of the generator's conventions asked for.
    pub fn parse_definition(
        file: &'a str,
        text: &'a str,
        load: Option<Loader<'_>>,
    ) -> Result<Self, GenerateError> {
        Self::parse_versions(file, text, load, &["3.0.", "3.1."])
    }

    /// Parses, checks that the `openapi` version starts with one of
    /// `versions`, bundles the other files and checks the `$ref`s.
    fn parse_versions(
        file: &'a str,
        text: &'a str,
        load: Option<Loader<'_>>,
        versions: &[&str],
    ) -> Result<Self, GenerateError> {
        let root: Value = yaml::parse(text).map_err(|e| GenerateError {
            file: file.to_owned(),
            line: e.line,
            column: e.column,
            place: None,
            message: format!("the document is {}", e.describe()),
            source: e.source.map(|s| Box::new(s) as _),
        })?;
        // The version first: a 3.1 document is refused as such.
        let unbundled = Document {
            file,
            text,
            root,
            files: Vec::new(),
        };
        unbundled.check_version(versions)?;
        let mut root = unbundled.root;
        let files = bundle::bundle(file, text, &mut root, load)?;
        let doc = Document {
            file,
            text,
            root,
            files,
        };
        doc.check_refs()?;
        Ok(doc)
    }

    /// An error at a place given as a JSON pointer's segments.
    pub fn error_at(
        &self,
        segments: &[&str],
        place: impl Into<String>,
        message: impl Into<String>,
    ) -> GenerateError {
        GenerateError {
            file: self.file.to_owned(),
            line: LineIndex::new(self.text).line(segments),
            column: None,
            place: Some(place.into()),
            message: message.into(),
            source: None,
        }
    }

    fn check_version(&self, versions: &[&str]) -> Result<(), GenerateError> {
        match self.root.get("openapi") {
            Some(Value::String(v)) if versions.iter().any(|p| v.trim().starts_with(p)) => Ok(()),
            Some(Value::String(v)) if versions.len() > 1 => Err(self.error_at(
                &["openapi"],
                "openapi",
                format!(
                    "openapi {} is not supported: openapi 3.0.x and 3.1.x are read",
                    excerpt(v, QUOTED)
                ),
            )),
            Some(Value::String(v)) => Err(self.error_at(
                &["openapi"],
                "openapi",
                format!(
                    "openapi {} is not supported: progenitor reads openapi 3.0.x only; write the document as 3.0.3",
                    excerpt(v, QUOTED)
                ),
            )),
            Some(other) => Err(self.error_at(
                &["openapi"],
                "openapi",
                format!(
                    "the openapi version must be a string such as \"3.0.3\", not {}",
                    excerpt(&other.to_string(), QUOTED)
                ),
            )),
            None => Err(self.error_at(
                &[],
                "openapi",
                "the document has no `openapi` version field; is it an openapi document?",
            )),
        }
    }

    fn check_refs(&self) -> Result<(), GenerateError> {
        // The first `$ref` that is not local or points to nothing.
        let mut bad = None;
        walk_refs(&self.root, &mut Vec::new(), &mut |at, target| {
            let dangles = target
                .strip_prefix('#')
                .is_none_or(|pointer| self.root.pointer(pointer).is_none());
            if dangles && bad.is_none() {
                bad = Some((steps_owned(at), target));
            }
        });
        let Some((at, target)) = bad else {
            return Ok(());
        };
        let at_segments: Vec<&str> = at.iter().map(String::as_str).chain(["$ref"]).collect();
        let place = json_pointer(&at);
        let problem = if target.starts_with('#') {
            "points to nothing: no such component in the document"
        } else {
            "points outside the document; only local references (`#/...`) are supported"
        };
        Err(self.error_at(
            &at_segments,
            place,
            format!("$ref `{}` {problem}", excerpt(target, QUOTED)),
        ))
    }

    /// The vendors, from the `servers` entries marked with `x-vendor`.
    pub fn vendors(&self) -> Result<Vec<Vendor>, GenerateError> {
        let servers = self.root.get("servers").and_then(Value::as_array);
        let mut vendors = Vec::new();
        for (index, server) in servers.into_iter().flatten().enumerate() {
            let Some(name) = server.get("x-vendor") else {
                continue;
            };
            let idx = index.to_string();
            let Some(name) = name.as_str().filter(|n| is_module_name(n)) else {
                return Err(self.error_at(
                    &["servers", &idx, "x-vendor"],
                    format!("servers[{index}]"),
                    "`x-vendor` must be a lowercase rust identifier such as `hybridbox`",
                ));
            };
            let Some(url) = server.get("url").and_then(Value::as_str) else {
                return Err(self.error_at(
                    &["servers", &idx],
                    format!("servers[{index}]"),
                    "the server has no `url`",
                ));
            };
            if vendors.iter().any(|v: &Vendor| v.name == name) {
                return Err(self.error_at(
                    &["servers", &idx],
                    format!("servers[{index}]"),
                    format!("vendor `{name}` has more than one server"),
                ));
            }
            vendors.push(Vendor {
                name: name.to_owned(),
                base_url: url.to_owned(),
                server_index: index,
            });
        }
        if vendors.is_empty() {
            return Err(self.error_at(
                &["servers"],
                "servers",
                "no server is marked with `x-vendor`; each vendor needs one `servers` entry with `x-vendor: <name>`",
            ));
        }
        Ok(vendors)
    }

    /// Every operation of the document, in document order.
    pub fn operations(&self) -> Vec<OperationRef<'_>> {
        let mut out = Vec::new();
        let paths = self.root.get("paths").and_then(Value::as_object);
        for (path, item) in paths.into_iter().flatten() {
            for method in METHODS {
                if let Some(op) = item.get(method).and_then(Value::as_object) {
                    out.push(OperationRef {
                        path: path.clone(),
                        method: method.to_owned(),
                        operation: op,
                    });
                }
            }
        }
        out
    }

    /// The vendor an operation belongs to: the one vendor among its tags.
    pub fn vendor_of<'v>(
        &self,
        op: &OperationRef<'_>,
        vendors: &'v [Vendor],
    ) -> Result<&'v Vendor, GenerateError> {
        let tags: Vec<&str> = op
            .operation
            .get("tags")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let found: Vec<&Vendor> = vendors
            .iter()
            .filter(|v| tags.contains(&v.name.as_str()))
            .collect();
        let names: Vec<&str> = vendors.iter().map(|v| v.name.as_str()).collect();
        match found.as_slice() {
            [one] => Ok(one),
            [] => Err(self.error_at(
                &["paths", &op.path, &op.method],
                op.describe(),
                format!(
                    "the operation has no vendor tag; give it exactly one of: {}",
                    names.join(", ")
                ),
            )),
            _ => Err(self.error_at(
                &["paths", &op.path, &op.method],
                op.describe(),
                "the operation has more than one vendor tag; give it exactly one",
            )),
        }
    }

    /// The operation's `operationId`, which names its Rust method.
    pub fn operation_id<'o>(&self, op: &OperationRef<'o>) -> Result<&'o str, GenerateError> {
        op.operation
            .get("operationId")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                self.error_at(
                    &["paths", &op.path, &op.method],
                    op.describe(),
                    "the operation has no operationId; progenitor names the rust method after it",
                )
            })
    }

    /// A vendor's part of the document ([`Document::vendor_spec`]), or the
    /// whole document (`vendor` is `None`), read as progenitor reads it;
    /// refuses what is not a valid OpenAPI 3.0 object.
    fn openapi(
        &self,
        vendor: Option<&Vendor>,
        spec: &Value,
    ) -> Result<openapiv3::OpenAPI, GenerateError> {
        serde_path_to_error::deserialize(spec).map_err(|e| {
            let segments: Vec<String> = e.path().iter().map(|s| s.to_string()).collect();
            let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
            let place = match vendor {
                Some(vendor) => format!("{} ({})", e.path(), vendor.name),
                None => e.path().to_string(),
            };
            let mut err = self.error_at(
                &segments,
                place,
                format!("not a valid openapi 3.0 object: {}", e.inner()),
            );
            err.source = Some(Box::new(e.into_inner()));
            err
        })
    }

    /// Generates one vendor's module and mock helpers from its part of the
    /// document ([`Document::vendor_spec`]).
    pub fn generate_vendor(
        &self,
        vendor: &Vendor,
        spec: &Value,
        options: &Options,
    ) -> Result<VendorCode, GenerateError> {
        let (code, mock) = self.generate_vendor_syntax(vendor, spec, options)?;
        Ok(VendorCode {
            vendor: vendor.name.clone(),
            code: self.render(&code),
            mock: self.render(&mock),
        })
    }

    /// [`Document::generate_vendor`] before formatting: the syntax trees of
    /// the module and of its mock helpers, for tools that read the code
    /// rather than print it.
    pub fn generate_vendor_syntax(
        &self,
        vendor: &Vendor,
        spec: &Value,
        options: &Options,
    ) -> Result<(syn::File, syn::File), GenerateError> {
        let open_enums = self.open_enums(vendor, spec)?;
        let openapi = self.openapi(Some(vendor), spec)?;

        let module_path = format!("{}::{}::types", options.crate_path, vendor.name);
        let mut settings = progenitor::GenerationSettings::new();
        settings
            .with_interface(progenitor::InterfaceStyle::Builder)
            .with_tag(progenitor::TagStyle::Merged)
            .with_derive("PartialEq");
        if let Some(inner) = &options.inner_type {
            let inner: TokenStream = inner.parse().map_err(|_| GenerateError {
                file: self.file.to_owned(),
                line: None,
                column: None,
                place: None,
                message: format!("the inner type `{inner}` is not a rust type"),
                source: None,
            })?;
            settings
                .with_inner_type(inner)
                .with_hooks(progenitor::HooksMode::Expected);
        }
        for open in &open_enums {
            settings.with_replacement(
                &open.name,
                format!("{module_path}::{}", open.name),
                [progenitor::TypeImpl::Display, progenitor::TypeImpl::FromStr].into_iter(),
            );
        }

        let tokens = match run_progenitor(&settings, |g| g.generate_tokens(&openapi)) {
            Ok(Ok(tokens)) => tokens,
            Ok(Err(e)) => {
                let mut err = self.error_at(
                    &[],
                    format!("vendor {}", vendor.name),
                    format!(
                        "progenitor cannot generate this vendor's client: {}",
                        lowercase_first(&e.to_string())
                    ),
                );
                err.source = Some(Box::new(e));
                return Err(err);
            }
            Err(panic_message) => {
                return Err(self.explain_panic(vendor, spec, &settings, &panic_message));
            }
        };

        let mut file = self.parse_generated(vendor, tokens)?;
        if options.inner_type.is_some() {
            // Built with the facade (its hooks): its constructor and its
            // response readers.
            remove_client_new(&mut file);
            let reader = |name: &str| -> Result<syn::Path, GenerateError> {
                syn::parse_str(&format!("{}::body_limit::{name}", options.crate_path)).map_err(
                    |_| GenerateError {
                        file: self.file.to_owned(),
                        line: None,
                        column: None,
                        place: None,
                        message: format!(
                            "the crate path `{}` is not a rust path",
                            options.crate_path
                        ),
                        source: None,
                    },
                )
            };
            let rerouted = read_responses_with(
                &mut file,
                &reader("from_response")?,
                &reader("error_from_response")?,
            );
            // A reroute that matched nothing, where the document has a
            // success body to decode, or an error response built in a way
            // the generator does not know, means progenitor's output
            // changed under it.
            if (rerouted.success == 0 && decodes_a_success_body(spec)) || rerouted.unrecognized > 0
            {
                return Err(self.error_at(
                    &[],
                    format!("vendor {}", vendor.name),
                    "progenitor's output does not read responses as the generator expects (a \
                     `ResponseValue::from_response` call for successes, one inside each \
                     `Error::ErrorResponse`), so the facade's response readers cannot be put in: \
                     the generator must be updated for this progenitor version"
                        .to_owned(),
                ));
            }
            self.route_through_facade(vendor, &mut file, options)?;
        }
        remove_api_version_header(&mut file);
        let types = file.items.iter_mut().find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "types" => m.content.as_mut(),
            _ => None,
        });
        if let Some((_, items)) = types {
            for open in &open_enums {
                let tokens = open.tokens();
                let generated: syn::File = syn::parse2(tokens).expect("open enum tokens parse");
                items.extend(generated.items);
            }
        }
        let base_url = &vendor.base_url;
        let header: syn::File = syn::parse2(quote! {
            /// The vendor's base URL, from the document's `servers`.
            pub const DEFAULT_BASE_URL: &str = #base_url;
        })
        .expect("constant parses");
        file.items.splice(0..0, header.items);
        if options.inner_type.is_some() {
            // What the facade's `send` reads beside `OperationInfo`.
            file.items.insert(1, facade::url_templates(spec));
        }

        // Typed httpmock helpers for the same operations and types.
        let mock_path = format!("{}::{}", options.crate_path, vendor.name);
        let mut mock = match run_progenitor(&settings, |g| g.httpmock(&openapi, &mock_path)) {
            Ok(Ok(tokens)) => self.parse_generated(vendor, tokens)?,
            Ok(Err(e)) => {
                let mut err = self.error_at(
                    &[],
                    format!("vendor {}", vendor.name),
                    format!(
                        "progenitor cannot generate this vendor's mocks: {}",
                        lowercase_first(&e.to_string())
                    ),
                );
                err.source = Some(Box::new(e));
                return Err(err);
            }
            Err(panic_message) => {
                return Err(self.explain_panic(vendor, spec, &settings, &panic_message));
            }
        };
        seal_mock_trait(&mut mock);
        Ok((file, mock))
    }

    fn parse_generated(
        &self,
        vendor: &Vendor,
        tokens: TokenStream,
    ) -> Result<syn::File, GenerateError> {
        syn::parse2(tokens).map_err(|e| GenerateError {
            file: self.file.to_owned(),
            line: None,
            column: None,
            place: Some(format!("vendor {}", vendor.name)),
            message: format!("progenitor produced code that does not parse: {e}"),
            source: Some(Box::new(e)),
        })
    }

    fn render(&self, file: &syn::File) -> String {
        format!(
            "// @generated by invitations' codegen from {}; do not edit.\n\n{}",
            self.file,
            prettyplease::unparse(file)
        )
    }
}

fn is_module_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What progenitor would treat as one response body type: the JSON schema of
/// the `application/json` content (after following a response `$ref`), or
/// none for a response without content.
fn response_type_key(spec: &Value, response: &Value) -> String {
    let response = match response.get("$ref").and_then(Value::as_str) {
        Some(target) => spec
            .pointer(target.trim_start_matches('#'))
            .unwrap_or(response),
        None => response,
    };
    match response.get("content").and_then(Value::as_object) {
        None => "none".to_owned(),
        Some(content) if content.is_empty() => "none".to_owned(),
        Some(content) => match content
            .get("application/json")
            .and_then(|m| m.get("schema"))
        {
            Some(schema) => schema.to_string(),
            None => format!(
                "raw {}",
                content.keys().cloned().collect::<Vec<_>>().join(",")
            ),
        },
    }
}

/// A step into a document: an object's key or an array's index.
enum Step<'v> {
    Key(&'v str),
    Index(usize),
}

/// Calls `found` with every `$ref` string under `value` and the steps to
/// where it sits, allocating nothing on the way.
fn walk_refs<'v>(
    value: &'v Value,
    at: &mut Vec<Step<'v>>,
    found: &mut dyn FnMut(&[Step<'v>], &'v str),
) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref" {
                    if let Some(target) = child.as_str() {
                        found(at, target);
                    }
                    continue;
                }
                // Example values are data, not document structure.
                if key == "value"
                    && at.len() >= 2
                    && matches!(at[at.len() - 2], Step::Key("examples"))
                {
                    continue;
                }
                at.push(Step::Key(key));
                walk_refs(child, at, found);
                at.pop();
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                at.push(Step::Index(i));
                walk_refs(child, at, found);
                at.pop();
            }
        }
        _ => {}
    }
}

/// Every `$ref` string under `value` with the path where it sits.
fn collect_refs(value: &Value) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    walk_refs(value, &mut Vec::new(), &mut |at, target| {
        out.push((steps_owned(at), target.to_owned()));
    });
    out
}

/// A path of steps as its segments.
fn steps_owned(at: &[Step<'_>]) -> Vec<String> {
    at.iter()
        .map(|step| match step {
            Step::Key(key) => (*key).to_owned(),
            Step::Index(i) => i.to_string(),
        })
        .collect()
}

/// Every `$ref` string under `value`.
fn ref_targets(value: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    walk_refs(value, &mut Vec::new(), &mut |_, target| out.push(target));
    out
}

/// Whether some operation of `spec` declares a body for a success status,
/// which the generated code decodes with `ResponseValue::from_response`
/// (a response given by `$ref` counts as one with a body).
fn decodes_a_success_body(spec: &Value) -> bool {
    let Some(paths) = spec.get("paths").and_then(Value::as_object) else {
        return false;
    };
    paths
        .values()
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .filter_map(Value::as_object)
        .flat_map(|operation| responses_with_role(operation, true))
        .any(|(_, response)| response.get("content").is_some() || response.get("$ref").is_some())
}
