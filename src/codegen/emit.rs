//! What the generator writes itself, around progenitor's output: the open
//! enums of schemas marked `x-open-enum` (an `Other(String)` variant keeps
//! values the document does not list), and the edits to progenitor's code
//! (its panicking `Client::new` and its `api-version` header removed, the
//! response bodies read by the facade's bounded reader, requests sent and
//! errors typed by the facade, the mock helpers' trait sealed).
//!
//! Each edit of progenitor's code counts what it matched, and generation
//! fails when an edit matched nothing or met a shape it does not know: a
//! progenitor upgrade cannot undo one silently.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::{Document, GenerateError, Options, Vendor};

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

impl Document<'_> {
    /// Sends a vendor's requests through the facade and types its errors
    /// with the facade's ([`send_through_facade`], with `<crate>::Error` and
    /// `<crate>::hooks::send`), or says that progenitor's output changed
    /// under the generator.
    pub(super) fn route_through_facade(
        &self,
        vendor: &Vendor,
        file: &mut syn::File,
        options: &Options,
    ) -> Result<(), GenerateError> {
        let place = format!("vendor {}", vendor.name);
        let path = |name: &str| syn::parse_str(&format!("{}::{name}", options.crate_path));
        let (Ok(error), Ok(send)) = (path("Error"), path("hooks::send")) else {
            return Err(self.error_at(
                &[],
                place,
                format!("the crate path `{}` is not a rust path", options.crate_path),
            ));
        };
        let routed = send_through_facade(file, &error, &send);
        if routed.is_complete() {
            return Ok(());
        }
        Err(self.error_at(
            &[],
            place,
            format!(
                "progenitor's output does not send requests as the generator expects (a \
                 `pre`, `exec`, `post`, `result?` sequence per operation, one re-export of \
                 `progenitor_client::Error`, one `ClientHooks` assertion, only the error \
                 variants the facade has; found {routed:?}), so the facade's typed errors \
                 cannot be put in: the generator must be updated for this progenitor version"
            ),
        ))
    }
}

/// What [`send_through_facade`] changed in progenitor's output, and what it
/// found but does not know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Routed {
    /// Re-exports of progenitor's `Error` replaced by the facade's.
    pub(super) error_reexports: usize,
    /// Operations (their `OperationInfo`): a part of the document may have
    /// none.
    pub(super) operations: usize,
    /// Operations whose `pre` / `exec` / `post` / `result?` sequence became
    /// one call of the facade's `send`.
    pub(super) calls: usize,
    /// progenitor's assertions that the client implements `ClientHooks`
    /// (nothing calls the hooks any more), removed.
    pub(super) hook_assertions: usize,
    /// What the facade cannot compile against and the edit does not know:
    /// a hook call outside the sequence, an `Error::` variant the facade's
    /// error does not have (`Custom`, `InvalidUpgrade`), another use of
    /// progenitor's `Error`.
    pub(super) unknown: usize,
}

impl Routed {
    /// Whether every part of the edit matched: the re-export and the
    /// assertion once, the sequence once per operation, and nothing unknown
    /// is left.
    pub(super) fn is_complete(&self) -> bool {
        self.error_reexports == 1
            && self.hook_assertions == 1
            && self.calls == self.operations
            && self.unknown == 0
    }
}

/// The variants of the facade's `Error` that progenitor's code may build.
const FACADE_ERROR_VARIANTS: [&str; 6] = [
    "InvalidRequest",
    "CommunicationError",
    "ErrorResponse",
    "ResponseBodyError",
    "InvalidResponsePayload",
    "UnexpectedResponse",
];

/// Makes progenitor's code send every request through the facade, which
/// returns typed errors:
/// - each operation's hook sequence
///   `client.pre(&mut request, &info).await?; let result =
///   client.exec(request, &info).await; client.post(&result, &info).await?;
///   let response = result?;` becomes
///   `let response = <send>(client, request, &info).await?;` (progenitor's
///   hooks can only fail with text);
/// - `Error` in `pub use progenitor_client::{.., Error, ..}` becomes
///   `pub use <error>;`, so the operations' `Error` is the facade's;
/// - the assertion that the client implements `ClientHooks` goes.
///
/// Returns what it changed and what it could not ([`Routed`]).
pub(super) fn send_through_facade(
    file: &mut syn::File,
    error: &syn::Path,
    send: &syn::Path,
) -> Routed {
    struct Route<'a> {
        send: &'a syn::Path,
        done: Routed,
    }
    impl syn::visit_mut::VisitMut for Route<'_> {
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            let mut at = 0;
            while at < block.stmts.len() {
                if let Some(call) = hook_sequence(&block.stmts[at..], self.send) {
                    block.stmts.splice(at..at + 4, [call]);
                    self.done.calls += 1;
                }
                at += 1;
            }
            syn::visit_mut::visit_block_mut(self, block);
        }
        fn visit_expr_struct_mut(&mut self, expr: &mut syn::ExprStruct) {
            if expr
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "OperationInfo")
            {
                self.done.operations += 1;
            }
            syn::visit_mut::visit_expr_struct_mut(self, expr);
        }
        fn visit_expr_method_call_mut(&mut self, call: &mut syn::ExprMethodCall) {
            // Left over from a sequence of another shape (reqwest's
            // `.post(url)` has one argument).
            if is_hook_call(call) {
                self.done.unknown += 1;
            }
            syn::visit_mut::visit_expr_method_call_mut(self, call);
        }
        fn visit_expr_path_mut(&mut self, expr: &mut syn::ExprPath) {
            if let [first, variant] = idents(&expr.path).as_slice()
                && first == "Error"
                && !FACADE_ERROR_VARIANTS.contains(&variant.as_str())
            {
                self.done.unknown += 1;
            }
            syn::visit_mut::visit_expr_path_mut(self, expr);
        }
        fn visit_path_mut(&mut self, path: &mut syn::Path) {
            if idents(path)
                .windows(2)
                .any(|w| w == ["progenitor_client", "Error"])
            {
                self.done.unknown += 1;
            }
            syn::visit_mut::visit_path_mut(self, path);
        }
        fn visit_item_use_mut(&mut self, item: &mut syn::ItemUse) {
            if names_progenitor_error(&item.tree, false) {
                self.done.unknown += 1;
            }
        }
    }
    let mut route = Route {
        send,
        done: Routed::default(),
    };
    let mut items = Vec::with_capacity(file.items.len() + 1);
    for mut item in std::mem::take(&mut file.items) {
        match &mut item {
            syn::Item::Use(reexport) if matches!(reexport.vis, syn::Visibility::Public(_)) => {
                let replaced = take_progenitor_error(&mut reexport.tree);
                items.push(item);
                if replaced {
                    route.done.error_reexports += 1;
                    items.push(syn::parse_quote! {
                        #[allow(unused_imports)]
                        pub use #error;
                    });
                }
            }
            syn::Item::Const(assertion)
                if quote!(#assertion)
                    .to_string()
                    .contains("assert_client_hooks") =>
            {
                route.done.hook_assertions += 1;
            }
            _ => items.push(item),
        }
    }
    file.items = items;
    syn::visit_mut::VisitMut::visit_file_mut(&mut route, file);
    route.done
}

fn idents(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| s.ident.to_string()).collect()
}

/// Whether `call` is one of progenitor's hook calls (`pre`, `exec`, `post`,
/// with the request or result and the operation's info).
fn is_hook_call(call: &syn::ExprMethodCall) -> bool {
    ["pre", "exec", "post"]
        .iter()
        .any(|name| call.method == name)
        && call.args.len() == 2
}

/// The hook call `name` in `expr` (`receiver.name(a, b).await`, with a `?`
/// when `tried`): its receiver and arguments.
fn hook_call<'a>(
    expr: &'a syn::Expr,
    name: &str,
    tried: bool,
) -> Option<(&'a syn::Expr, &'a syn::Expr, &'a syn::Expr)> {
    let expr = match (expr, tried) {
        (syn::Expr::Try(t), true) => &*t.expr,
        (expr, false) => expr,
        _ => return None,
    };
    let syn::Expr::Await(awaited) = expr else {
        return None;
    };
    let syn::Expr::MethodCall(call) = &*awaited.base else {
        return None;
    };
    if call.method != name || !is_hook_call(call) {
        return None;
    }
    Some((&call.receiver, &call.args[0], &call.args[1]))
}

/// The expression of a statement `expr;`.
fn expr_of(stmt: &syn::Stmt) -> Option<&syn::Expr> {
    match stmt {
        syn::Stmt::Expr(expr, Some(_)) => Some(expr),
        _ => None,
    }
}

/// The pattern and value of a statement `let pat = value;`.
fn local_of(stmt: &syn::Stmt) -> Option<(&syn::Pat, &syn::Expr)> {
    match stmt {
        syn::Stmt::Local(local) => Some((&local.pat, &local.init.as_ref()?.expr)),
        _ => None,
    }
}

fn same(a: &impl quote::ToTokens, b: &impl quote::ToTokens) -> bool {
    quote!(#a).to_string() == quote!(#b).to_string()
}

/// The one statement that replaces the hook sequence at the start of
/// `stmts`, if it is there:
/// `C.pre(&mut R, I).await?; let X = C.exec(R, I).await;
/// C.post(&X, I).await?; let P = X?;` → `let P = send(C, R, I).await?;`.
fn hook_sequence(stmts: &[syn::Stmt], send: &syn::Path) -> Option<syn::Stmt> {
    let [pre, exec, post, take, ..] = stmts else {
        return None;
    };
    let (client, request, info) = hook_call(expr_of(pre)?, "pre", true)?;
    let syn::Expr::Reference(syn::ExprReference {
        mutability: Some(_),
        expr: request,
        ..
    }) = request
    else {
        return None;
    };
    let (result, executed) = local_of(exec)?;
    let (exec_client, exec_request, exec_info) = hook_call(executed, "exec", false)?;
    let (post_client, post_result, post_info) = hook_call(expr_of(post)?, "post", true)?;
    let (response, taken) = local_of(take)?;
    let syn::Expr::Try(taken) = taken else {
        return None;
    };
    let consistent = same(client, exec_client)
        && same(client, post_client)
        && same(request, exec_request)
        && same(info, exec_info)
        && same(info, post_info)
        && same(&quote!(&#result), post_result)
        && same(result, &taken.expr);
    consistent
        .then(|| syn::parse_quote! { let #response = #send(#client, #request, #info).await?; })
}

/// Takes `Error` out of a `progenitor_client::{.., Error, ..}` use tree;
/// whether it was there.
fn take_progenitor_error(tree: &mut syn::UseTree) -> bool {
    let syn::UseTree::Path(path) = tree else {
        return false;
    };
    let syn::UseTree::Group(group) = &mut *path.tree else {
        return false;
    };
    if path.ident != "progenitor_client" {
        return false;
    }
    let before = group.items.len();
    group.items = std::mem::take(&mut group.items)
        .into_iter()
        .filter(|item| !matches!(item, syn::UseTree::Name(name) if name.ident == "Error"))
        .collect();
    group.items.len() < before
}

/// Whether a use tree names progenitor's `Error` (`under`: inside
/// `progenitor_client::`).
fn names_progenitor_error(tree: &syn::UseTree, under: bool) -> bool {
    match tree {
        syn::UseTree::Path(path) => {
            names_progenitor_error(&path.tree, under || path.ident == "progenitor_client")
        }
        syn::UseTree::Name(name) => under && name.ident == "Error",
        syn::UseTree::Rename(rename) => under && rename.ident == "Error",
        syn::UseTree::Glob(_) => under,
        syn::UseTree::Group(group) => group.items.iter().any(|t| names_progenitor_error(t, under)),
    }
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

    /// progenitor 0.15's shape of one operation, with hooks expected.
    const OPERATION: &str = "
        pub use progenitor_client::{ByteStream, ClientInfo, Error, ResponseValue};
        use progenitor_client::{encode_path, ClientHooks, OperationInfo};
        const _: () = {
            fn assert_client_hooks() where Client: ClientHooks<crate::hooks::Inner> {}
        };
        pub mod builder {
            use super::{ClientHooks, Error, OperationInfo, ResponseValue};
            impl<'a> Create<'a> {
                pub async fn send(self) -> Result<ResponseValue<types::Invitation>, Error<()>> {
                    let Self { client, account_id } = self;
                    let account_id = account_id.map_err(Error::InvalidRequest)?;
                    let mut request = client.client.post(url).json(&body).build()?;
                    let info = OperationInfo { operation_id: \"create\" };
                    client.pre(&mut request, &info).await?;
                    let result = client.exec(request, &info).await;
                    client.post(&result, &info).await?;
                    let response = result?;
                    match response.status().as_u16() {
                        201u16 => ResponseValue::from_response(response).await,
                        _ => Err(Error::UnexpectedResponse(response)),
                    }
                }
            }
        }";

    fn route(code: &str) -> (String, Routed) {
        let mut file: syn::File = syn::parse_str(code).unwrap();
        let done = send_through_facade(
            &mut file,
            &syn::parse_str("crate::Error").unwrap(),
            &syn::parse_str("crate::hooks::send").unwrap(),
        );
        (quote!(#file).to_string(), done)
    }

    #[test]
    fn the_hook_sequence_becomes_one_call_of_the_facade() {
        let (code, done) = route(OPERATION);
        assert_eq!(
            done,
            Routed {
                error_reexports: 1,
                operations: 1,
                calls: 1,
                hook_assertions: 1,
                unknown: 0
            }
        );
        assert!(done.is_complete());
        assert!(code.contains(
            "let response = crate :: hooks :: send (client , request , & info) . await ? ;"
        ));
        for gone in [
            ". pre (",
            ". exec (",
            ". post (& result",
            "assert_client_hooks",
        ] {
            assert!(!code.contains(gone), "{gone} left in {code}");
        }
        assert!(code.contains(
            "pub use progenitor_client :: { ByteStream , ClientInfo , ResponseValue } ;"
        ));
        assert!(code.contains("pub use crate :: Error ;"));
        // reqwest's `.post(url)` is not a hook.
        assert!(code.contains(". post (url)"));
    }

    #[test]
    fn a_sequence_of_another_shape_is_reported_and_left_alone() {
        let shuffled = OPERATION.replace(
            "client.post(&result, &info).await?;",
            "client.post(&result, &info).await?; log(&result);",
        );
        let (code, done) = route(&shuffled);
        assert_eq!((done.operations, done.calls), (1, 0));
        assert_eq!(done.unknown, 3, "pre, exec and post left");
        assert!(!done.is_complete());
        assert!(code.contains(". pre (& mut request , & info)"));
    }

    #[test]
    fn error_variants_the_facade_lacks_and_other_uses_are_reported() {
        let custom = OPERATION.replace(
            "_ => Err(Error::UnexpectedResponse(response)),",
            "_ => Err(Error::Custom(String::new())),",
        );
        assert_eq!(route(&custom).1.unknown, 1);
        let elsewhere = OPERATION.replace(
            "use super::{",
            "use progenitor_client::Error as E; use super::{",
        );
        assert_eq!(route(&elsewhere).1.unknown, 1);
        let by_path = OPERATION.replace("Error<()>>", "progenitor_client::Error<()>>");
        assert_eq!(route(&by_path).1.unknown, 1);
    }

    #[test]
    fn missing_parts_leave_the_edit_incomplete() {
        let no_reexport = OPERATION.replace(
            "pub use progenitor_client::{ByteStream, ClientInfo, Error, ResponseValue};",
            "",
        );
        let (_, done) = route(&no_reexport);
        assert_eq!((done.error_reexports, done.calls), (0, 1));
        assert!(!done.is_complete());
        let no_assertion = OPERATION.replace("assert_client_hooks", "something_else");
        assert!(!route(&no_assertion).1.is_complete());
    }

    #[test]
    fn a_part_without_operations_needs_no_call() {
        let start = OPERATION.find("pub mod builder").unwrap();
        let (_, done) = route(&OPERATION[..start]);
        assert_eq!((done.operations, done.calls), (0, 0));
        assert!(done.is_complete(), "{done:?}");
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
