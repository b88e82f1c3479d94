//! What the generator writes itself, around progenitor's output: the open
//! enums of schemas marked `x-open-enum` (an `Other(String)` variant keeps
//! values the document does not list), and the edits to progenitor's code
//! (its panicking `Client::new` and its `api-version` header removed, the
//! response bodies read by the facade's bounded reader, the mock helpers'
//! trait sealed; requests sent and errors typed by the facade are
//! `facade.rs`).
//!
//! Each edit of progenitor's code counts what it matched, and generation
//! fails when an edit matched nothing or met a shape it does not know: a
//! progenitor upgrade cannot undo one silently.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::{Document, GenerateError, Vendor};

impl Document<'_> {
    /// The open enums of a vendor's part of the document (`spec`).
    pub(super) fn open_enums(
        &self,
        vendor: &Vendor,
        spec: &Value,
    ) -> Result<Vec<OpenEnum>, GenerateError> {
        let schemas = spec
            .pointer("/components/schemas")
            .and_then(Value::as_object);
        let mut out = Vec::new();
        for (name, schema) in schemas.into_iter().flatten() {
            if schema.get("x-open-enum").and_then(Value::as_bool) != Some(true) {
                continue;
            }
            let original = format!("{}{name}", vendor.type_prefix());
            let original = if self
                .root
                .pointer(&format!("/components/schemas/{original}"))
                .is_some()
            {
                original
            } else {
                name.clone()
            };
            let segments = ["components", "schemas", original.as_str()];
            let values = enum_values(spec, schema).ok_or_else(|| {
                self.error_at(
                    &segments,
                    format!("schema {original}"),
                    "`x-open-enum` needs an `enum` of strings, directly or in one `anyOf`/`oneOf` branch",
                )
            })?;
            let mut variants = Vec::new();
            for value in &values {
                let variant = variant_name(value);
                if variant.is_empty()
                    || variant == "Other"
                    || variants.iter().any(|(v, _)| v == &variant)
                {
                    return Err(self.error_at(
                        &segments,
                        format!("schema {original}"),
                        format!("enum value `{value}` gives the rust variant name `{variant}`, which is empty, reserved or taken"),
                    ));
                }
                variants.push((variant, value.clone()));
            }
            out.push(OpenEnum {
                name: name.clone(),
                description: schema
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                variants,
            });
        }
        Ok(out)
    }
}

/// A schema marked `x-open-enum`, to be emitted as a Rust enum with an
/// `Other(String)` variant.
pub(super) struct OpenEnum {
    /// The component's name in the vendor's module.
    pub(super) name: String,
    description: Option<String>,
    /// Rust variant name and wire value, in document order.
    variants: Vec<(String, String)>,
}

impl OpenEnum {
    pub(super) fn tokens(&self) -> TokenStream {
        let name = format_ident!("{}", self.name);
        let doc = self
            .description
            .as_deref()
            .unwrap_or("A string with known values.")
            .trim();
        let open_doc = "This enum is open: a value the server sends that this version of the crate \
                        does not know parses as [`Self::Other`] and serializes back unchanged.";
        let idents: Vec<_> = self
            .variants
            .iter()
            .map(|(v, _)| format_ident!("{}", v))
            .collect();
        let values: Vec<&str> = self.variants.iter().map(|(_, v)| v.as_str()).collect();
        let value_docs: Vec<String> = values.iter().map(|v| format!("`{v}`")).collect();
        quote! {
            #[doc = #doc]
            #[doc = ""]
            #[doc = #open_doc]
            #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            pub enum #name {
                #( #[doc = #value_docs] #idents, )*
                /// A value this version of the crate does not know, as the server sent it.
                Other(::std::string::String),
            }

            impl #name {
                /// The value as it is sent on the wire.
                pub fn as_str(&self) -> &str {
                    match self {
                        #( Self::#idents => #values, )*
                        Self::Other(value) => value.as_str(),
                    }
                }

                /// Whether the value is one the document lists.
                pub fn is_known(&self) -> bool {
                    !matches!(self, Self::Other(_))
                }
            }

            impl ::std::convert::From<&str> for #name {
                fn from(value: &str) -> Self {
                    match value {
                        #( #values => Self::#idents, )*
                        other => Self::Other(other.to_owned()),
                    }
                }
            }

            impl ::std::convert::From<::std::string::String> for #name {
                fn from(value: ::std::string::String) -> Self {
                    Self::from(value.as_str())
                }
            }

            impl ::std::str::FromStr for #name {
                type Err = ::std::convert::Infallible;
                fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                    Ok(Self::from(value))
                }
            }

            impl ::std::fmt::Display for #name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl ::serde::Serialize for #name {
                fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> ::std::result::Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #name {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    <::std::string::String as ::serde::Deserialize>::deserialize(deserializer).map(Self::from)
                }
            }
        }
    }
}

/// Removes progenitor's `Client::new(baseurl, inner)`. It builds its own
/// reqwest client and unwraps the result, which panics when no TLS provider
/// is installed (the crate's default rustls-with-ring set-up is applied by
/// the facade's builder, not by reqwest); with hooks, the facade's
/// `Client::builder()` is the constructor, and `new_with_client` remains for
/// callers bringing their own reqwest client.
pub(super) fn remove_client_new(file: &mut syn::File) {
    for item in &mut file.items {
        if let syn::Item::Impl(block) = item
            && block.trait_.is_none()
            && matches!(&*block.self_ty, syn::Type::Path(p) if p.path.is_ident("Client"))
        {
            block
                .items
                .retain(|i| !matches!(i, syn::ImplItem::Fn(f) if f.sig.ident == "new"));
        }
    }
}

/// Removes the `api-version` header progenitor adds to every request (with
/// the document's `info.version`, our document's revision, which is not the
/// vendors' API version and must not reach them): the statements appending it
/// go, and the header map each operation starts with is sized one smaller.
pub(super) fn remove_api_version_header(file: &mut syn::File) {
    fn in_items(items: &mut [syn::Item]) {
        for item in items {
            match item {
                syn::Item::Mod(m) => {
                    if let Some((_, items)) = &mut m.content {
                        in_items(items);
                    }
                }
                syn::Item::Impl(block) => {
                    for item in &mut block.items {
                        if let syn::ImplItem::Fn(f) = item {
                            in_block(&mut f.block);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    fn in_block(block: &mut syn::Block) {
        let before = block.stmts.len();
        block.stmts.retain(|stmt| {
            let text = quote!(#stmt).to_string();
            !(text.contains(". append") && text.contains("\"api-version\""))
        });
        if block.stmts.len() == before {
            return;
        }
        for stmt in &mut block.stmts {
            if let syn::Stmt::Local(local) = stmt
                && let Some(init) = &mut local.init
                && let syn::Expr::Call(call) = &mut *init.expr
                && quote!(#call)
                    .to_string()
                    .contains("HeaderMap :: with_capacity")
                && let Some(syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Int(count),
                    ..
                })) = call.args.first_mut()
                && let Ok(n) = count.base10_parse::<usize>()
            {
                let smaller = n.saturating_sub(1);
                *count = syn::LitInt::new(&format!("{smaller}usize"), count.span());
                // With no header parameters nothing is appended any more.
                local.attrs.push(syn::parse_quote!(#[allow(unused_mut)]));
            }
        }
    }
    in_items(&mut file.items);
}

/// How many of progenitor's response reads [`read_responses_with`]
/// rerouted: for success statuses, and inside `Error::ErrorResponse(..)`
/// for documented error statuses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Rerouted {
    pub(super) success: usize,
    pub(super) error: usize,
    /// `Error::ErrorResponse(..)` calls that neither read a body with
    /// `from_response` nor build an empty one (`ResponseValue::empty`, ..):
    /// a shape the generator does not know, where an error body could be
    /// read past the error reader.
    pub(super) unrecognized: usize,
}

/// Sends every response body progenitor decodes (its
/// `ResponseValue::from_response`) through the facade's readers: `success`
/// for success statuses, `error` for the documented error statuses (the
/// reads inside `Error::ErrorResponse(..)`). Both are paths to async
/// functions with the signature of `from_response`. The facade's success
/// reader keeps only a bounded prefix of a body that does not decode; its
/// error reader keeps the status of an answer whose body is not the
/// documented error body. Returns what it rerouted, so that the caller can
/// refuse an output where nothing matched.
pub(super) fn read_responses_with(
    file: &mut syn::File,
    success: &syn::Path,
    error: &syn::Path,
) -> Rerouted {
    struct Reroute<'a> {
        success: &'a syn::Path,
        error: &'a syn::Path,
        in_error_response: bool,
        done: Rerouted,
    }
    impl syn::visit_mut::VisitMut for Reroute<'_> {
        fn visit_expr_call_mut(&mut self, call: &mut syn::ExprCall) {
            let is_error_response = matches!(&*call.func, syn::Expr::Path(p)
                if idents(&p.path).ends_with(&["Error".to_owned(), "ErrorResponse".to_owned()]));
            if is_error_response {
                let args = &call.args;
                let text = quote!(#args).to_string();
                if !text.contains("ResponseValue ::") {
                    self.done.unrecognized += 1;
                }
            }
            let outer = self.in_error_response;
            self.in_error_response |= is_error_response;
            syn::visit_mut::visit_expr_call_mut(self, call);
            self.in_error_response = outer;
        }
        fn visit_expr_path_mut(&mut self, expr: &mut syn::ExprPath) {
            if idents(&expr.path) == ["ResponseValue", "from_response"] {
                if self.in_error_response {
                    expr.path = self.error.clone();
                    self.done.error += 1;
                } else {
                    expr.path = self.success.clone();
                    self.done.success += 1;
                }
            }
            syn::visit_mut::visit_expr_path_mut(self, expr);
        }
    }
    let mut reroute = Reroute {
        success,
        error,
        in_error_response: false,
        done: Rerouted::default(),
    };
    syn::visit_mut::VisitMut::visit_file_mut(&mut reroute, file);
    reroute.done
}

/// The identifiers of a path's segments (`a::b::C` gives `[a, b, C]`).
pub(super) fn idents(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// Seals progenitor's `MockServerExt` (public, with one required method per
/// operation): with a private supertrait only `httpmock::MockServer` can
/// implement it, so a new operation adds a method to a trait no one else
/// implements, a minor change rather than a major one by Cargo's semver rules.
pub(super) fn seal_mock_trait(file: &mut syn::File) {
    let mut sealed = false;
    for item in &mut file.items {
        if let syn::Item::Trait(t) = item
            && t.ident == "MockServerExt"
        {
            t.supertraits.push(syn::parse_quote!(sealed::Sealed));
            t.attrs.push(syn::parse_quote!(
                #[doc = "\n\nSealed: implemented for `httpmock::MockServer` only, so that operations can be added to it without breaking code that uses it."]
            ));
            sealed = true;
        }
    }
    if sealed {
        file.items.push(syn::parse_quote! {
            mod sealed {
                /// Keeps [`MockServerExt`](super::MockServerExt) to the one implementation.
                pub trait Sealed {}
                impl Sealed for ::httpmock::MockServer {}
            }
        });
    }
}

/// The enum values of an open-enum schema: its own `enum`, or that of its one
/// `anyOf`/`oneOf` branch that has one, directly or through a local `$ref`
/// (resolved in `root`), so that an open enum can share the value list of a
/// closed one.
pub fn enum_values(root: &Value, schema: &Value) -> Option<Vec<String>> {
    let strings = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|x| x.as_str().map(str::to_owned))
            .collect()
    };
    if let Some(values) = schema.get("enum") {
        return strings(values);
    }
    let follow = |branch: &'_ Value| -> Option<Value> {
        match branch.get("$ref").and_then(Value::as_str) {
            Some(target) => root.pointer(target.trim_start_matches('#')).cloned(),
            None => Some(branch.clone()),
        }
    };
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            let with_enum: Vec<Value> = branches
                .iter()
                .filter_map(|b| follow(b)?.get("enum").cloned())
                .collect();
            if let [values] = with_enum.as_slice() {
                return strings(values);
            }
        }
    }
    None
}

/// `global-admin` → `GlobalAdmin`, `dns_record` → `DnsRecord`.
fn variant_name(value: &str) -> String {
    let mut out = String::new();
    for word in value
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reroute(code: &str) -> (String, Rerouted) {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        let done = read_responses_with(
            &mut file,
            &syn::parse_str("crate::body_limit::from_response").unwrap(),
            &syn::parse_str("crate::body_limit::error_from_response").unwrap(),
        );
        (quote!(#file).to_string(), done)
    }

    #[test]
    fn error_statuses_are_read_by_the_error_reader() {
        let (code, done) = reroute(
            "async fn send() { match status {
                201u16 => ResponseValue::from_response(response).await,
                400u16 => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                404u16 => Err(Error::ErrorResponse(ResponseValue::empty(response))),
                _ => Err(Error::UnexpectedResponse(response)),
            } }",
        );
        assert_eq!(
            done,
            Rerouted {
                success: 1,
                error: 1,
                unrecognized: 0
            }
        );
        assert!(code.contains("201u16 => crate :: body_limit :: from_response"));
        assert!(code.contains(
            "ErrorResponse (crate :: body_limit :: error_from_response (response) . await ?)"
        ));
        assert!(!code.contains("ResponseValue :: from_response"));
    }

    #[test]
    fn an_error_response_built_otherwise_is_reported() {
        let (_, done) = reroute(
            "async fn send() {
                let body = ResponseValue::from_response(response).await?;
                Err(Error::ErrorResponse(body))
            }",
        );
        assert_eq!(done.unrecognized, 1);
        assert_eq!(done.success, 1, "read past the error reader");
    }
}
