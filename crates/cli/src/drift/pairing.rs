//! Which operation of the vendor's definition is which of ours: the same
//! HTTP method and the same path template below each document's server
//! base path, parameter names aside (`{accountId}` and `{account_id}` are
//! the same place). Pure functions of the documents' servers and paths.

use serde_json::Value;

use crate::diff::revision::path_shape;

/// A server of a document: its URL and the path its operations' paths
/// are below.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Server {
    /// Index in `servers` (`None`: the document has no servers).
    pub(crate) index: Option<usize>,
    /// The URL, its variables replaced by their defaults.
    pub(crate) url: String,
    /// The URL's path, without a trailing `/` (`/api`; `` for none).
    pub(crate) base: String,
}

/// The servers of a document; with none, the one OpenAPI implies (`/`).
pub(crate) fn servers(root: &Value) -> Vec<Server> {
    let list: Vec<Server> = root
        .get("servers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(index, server)| {
            let url = with_defaults(server.get("url")?.as_str()?, server.get("variables"));
            Some(Server {
                index: Some(index),
                base: base_path(&url),
                url,
            })
        })
        .collect();
    if list.is_empty() {
        return vec![Server {
            index: None,
            url: "/".to_owned(),
            base: String::new(),
        }];
    }
    list
}

/// The vendor's server that is ours: the one with our URL, else the first
/// with our base path, else its first. `servers` is never empty.
pub(crate) fn matching<'s>(servers: &'s [Server], ours: &str) -> &'s Server {
    let ours_base = base_path(ours);
    servers
        .iter()
        .find(|s| same_url(&s.url, ours))
        .or_else(|| servers.iter().find(|s| s.base == ours_base))
        .unwrap_or(&servers[0])
}

/// Whether two server URLs are the same (a trailing `/` and the case of
/// the scheme and host aside).
pub(crate) fn same_url(a: &str, b: &str) -> bool {
    let key = |u: &str| {
        let u = u.trim_end_matches('/');
        match u.split_once("://") {
            Some((scheme, rest)) => {
                let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                format!(
                    "{}://{}{path}",
                    scheme.to_ascii_lowercase(),
                    host.to_ascii_lowercase()
                )
            }
            None => u.to_owned(),
        }
    };
    key(a) == key(b)
}

/// `url` with each `{name}` replaced by its variable's `default`.
fn with_defaults(url: &str, variables: Option<&Value>) -> String {
    let mut out = url.to_owned();
    for (name, variable) in variables.and_then(Value::as_object).into_iter().flatten() {
        if let Some(default) = variable.get("default").and_then(Value::as_str) {
            out = out.replace(&format!("{{{name}}}"), default);
        }
    }
    out
}

/// The path of a server URL, without a trailing `/`:
/// `https://console.automox.com/api/` → `/api`, `/v2` → `/v2`.
pub(crate) fn base_path(url: &str) -> String {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |i| &rest[i..]),
        None => url,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.trim_end_matches('/').to_owned()
}

/// The place an operation's path names: the server's base path and the
/// path, parameter names blanked (`/api/accounts/{}/invitations`).
pub(crate) fn place(base: &str, path: &str) -> String {
    let joined = format!("{base}/{}", path.trim_start_matches('/'));
    let joined = joined.trim_end_matches('/');
    path_shape(if joined.is_empty() { "/" } else { joined })
}

/// For each of `ours` (method, place), the index of the vendor's operation
/// at the same method and place, if it has one.
pub(crate) fn pair(ours: &[(String, String)], vendor: &[(String, String)]) -> Vec<Option<usize>> {
    ours.iter()
        .map(|o| vendor.iter().position(|v| v == o))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn base_paths_come_from_the_url() {
        assert_eq!(base_path("https://console.automox.com/api"), "/api");
        assert_eq!(base_path("https://console.automox.com/api/"), "/api");
        assert_eq!(base_path("https://api.hybridbox.io"), "");
        assert_eq!(base_path("/v2"), "/v2");
        assert_eq!(base_path("https://x.io/a?b=/c"), "/a");
    }

    #[test]
    fn places_pair_across_base_paths_and_parameter_names() {
        assert_eq!(
            place("/api", "/accounts/{accountId}/invitations"),
            place("", "/api/accounts/{account_id}/invitations/")
        );
        assert_ne!(place("/api", "/accounts/{a}"), place("", "/accounts/{a}"));
        assert_eq!(place("", "/"), "/");
    }

    #[test]
    fn server_variables_take_their_defaults_and_ours_is_found() {
        let root = json!({"servers": [
            {"url": "https://eu.example.com/api"},
            {"url": "https://{region}.automox.com/{base}", "variables": {
                "region": {"default": "console"}, "base": {"default": "api"}}}
        ]});
        let list = servers(&root);
        assert_eq!(list[1].url, "https://console.automox.com/api");
        let ours = matching(&list, "https://Console.automox.com/api/");
        assert_eq!(ours.index, Some(1));
        // No URL of ours: the first with our base path.
        assert_eq!(matching(&list, "https://other.io/api").index, Some(0));
        assert_eq!(servers(&json!({}))[0].base, "");
    }

    #[test]
    fn operations_pair_by_method_and_place() {
        let op = |m: &str, p: &str| (m.to_owned(), p.to_owned());
        let ours = [op("post", "/a/{}"), op("get", "/b")];
        let vendor = [op("get", "/a/{}"), op("post", "/a/{}")];
        assert_eq!(pair(&ours, &vendor), vec![Some(1), None]);
    }
}
