//! Requests sent and errors typed by the facade: progenitor's hook
//! sequence (`pre`, `exec`, `post`, `result?`) in each operation becomes one
//! call of the facade's `send`, which returns its own typed failures; the
//! generated module re-exports the facade's `Error` instead of progenitor's,
//! and progenitor's `ClientHooks` assertion goes (nothing calls the hooks).
//!
//! Like every edit of progenitor's output ([`emit`](super::emit)), it counts
//! what it matched ([`Routed`]), and generation fails when a part matched
//! nothing or a shape it does not know is left.
//!
//! Beside the edit, [`url_templates`] gives the facade what progenitor's
//! `OperationInfo` lacks: each operation's path template (for the `call`
//! span's `url.template`), from the document rather than from progenitor's
//! code, where the path is already filled in.

use quote::quote;
use serde_json::Value;

use super::emit::idents;
use super::{Document, GenerateError, METHODS, Options, Vendor};

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

/// The table the facade reads an operation's path template from, by the
/// operation's id in `spec` (a vendor's part of the document, whose ids are
/// already the methods' names): `pub(crate) const URL_TEMPLATES: &[(&str,
/// &str)]`, sorted by id. The paths are the document's, with their
/// `{parameter}` names, never a value.
pub(super) fn url_templates(spec: &Value) -> syn::Item {
    let mut rows: Vec<(&str, &str)> = Vec::new();
    let paths = spec.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for method in METHODS {
            if let Some(id) = item
                .get(method)
                .and_then(|op| op.get("operationId"))
                .and_then(Value::as_str)
            {
                rows.push((id, path));
            }
        }
    }
    rows.sort_unstable();
    let (ids, paths): (Vec<_>, Vec<_>) = rows.into_iter().unzip();
    syn::parse_quote! {
        /// Each operation's path template as the document writes it (below
        /// the base URL), by the operation's method name: the `url.template`
        /// of its `call` span.
        #[allow(dead_code)]
        pub(crate) const URL_TEMPLATES: &[(&str, &str)] = &[#((#ids, #paths)),*];
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn the_url_templates_are_the_document_paths_by_operation() {
        let spec = serde_json::json!({"paths": {
            "/accounts/{accountId}/invitations": {
                "parameters": [],
                "post": {"operationId": "create_invitation"},
                "get": {"operationId": "list_invitations"}
            },
            "/health": {"get": {}}
        }});
        let item = url_templates(&spec);
        let code = quote!(#item).to_string();
        assert!(
            code.contains(
                "pub (crate) const URL_TEMPLATES : & [(& str , & str)] = & [\
                 (\"create_invitation\" , \"/accounts/{accountId}/invitations\") , \
                 (\"list_invitations\" , \"/accounts/{accountId}/invitations\")] ;"
            ),
            "{code}"
        );
        let empty = url_templates(&serde_json::json!({}));
        assert!(quote!(#empty).to_string().contains("= & [] ;"));
    }

    #[test]
    fn a_part_without_operations_needs_no_call() {
        let start = OPERATION.find("pub mod builder").unwrap();
        let (_, done) = route(&OPERATION[..start]);
        assert_eq!((done.operations, done.calls), (0, 0));
        assert!(done.is_complete(), "{done:?}");
    }
}
