//! Which requests go through a proxy: only https requests to hosts that are
//! not loopback, through the proxy the application chose
//! ([`ClientBuilder::proxy`](crate::ClientBuilder::proxy)) or, failing
//! that, the environment's (`HTTPS_PROXY`, then `ALL_PROXY`, with
//! `NO_PROXY`).
//!
//! Plain-http and loopback requests never go through a proxy: the client
//! sends credentials over plain http only to loopback (a local test server),
//! and a proxy from the environment would otherwise receive them in clear
//! (reqwest's own environment handling sends `http://127.0.0.1` requests to
//! `HTTP_PROXY`). Over https the proxy only tunnels (`CONNECT`): it sees the
//! host, never the request.

use reqwest::Url;

/// The proxy set-up for a client: `explicit`, else the environment's.
///
/// # Errors
/// When `explicit` (or the environment's proxy) is not a URL reqwest can use.
pub(crate) fn configure(
    builder: reqwest::ClientBuilder,
    explicit: Option<&Url>,
) -> reqwest::Result<reqwest::ClientBuilder> {
    // reqwest's system proxies off: they would take plain http too.
    let builder = builder.no_proxy();
    let chosen = match explicit {
        Some(url) => Some(url.clone()),
        None => from_environment(&|name| std::env::var(name).ok()),
    };
    let Some(proxy_url) = chosen else {
        return Ok(builder);
    };
    let proxy = reqwest::Proxy::custom(move |target| tunnels(target).then(|| proxy_url.clone()));
    // NO_PROXY applies to the environment's proxy, as everywhere.
    let proxy = if explicit.is_none() {
        proxy.no_proxy(reqwest::NoProxy::from_env())
    } else {
        proxy
    };
    Ok(builder.proxy(proxy))
}

/// Whether a request to `target` may go through a proxy: https, not to
/// loopback.
pub(crate) fn tunnels(target: &Url) -> bool {
    target.scheme() == "https" && !is_loopback(target)
}

/// Whether `url`'s host is this machine (`localhost`, 127.0.0.0/8, `::1`).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The environment's https proxy (`HTTPS_PROXY`/`https_proxy`, else
/// `ALL_PROXY`/`all_proxy`), if set to a URL.
fn from_environment(var: &dyn Fn(&str) -> Option<String>) -> Option<Url> {
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .filter_map(|name| var(name))
        .find(|value| !value.trim().is_empty())
        .and_then(|value| {
            let value = value.trim();
            // `host:port` without a scheme means an http proxy, as curl reads it.
            Url::parse(value)
                .ok()
                .filter(|u| u.has_host())
                .or_else(|| Url::parse(&format!("http://{value}")).ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_to_other_hosts_is_tunnelled() {
        for (url, tunnelled) in [
            ("https://api.hybridbox.io/v1", true),
            ("https://127.0.0.1:8443/", false),
            ("https://localhost/", false),
            ("https://[::1]/", false),
            ("http://api.hybridbox.io/", false),
            ("http://127.0.0.1:9/", false),
        ] {
            assert_eq!(tunnels(&Url::parse(url).unwrap()), tunnelled, "{url}");
        }
    }

    #[test]
    fn the_environment_proxy_is_https_proxy_then_all_proxy() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let from = |pairs| from_environment(&env(pairs)).map(|u| u.to_string());
        assert_eq!(from(&[]), None);
        assert_eq!(
            from(&[("HTTP_PROXY", "http://p:1")]),
            None,
            "HTTP_PROXY is for plain http, which never goes through a proxy"
        );
        assert_eq!(
            from(&[("ALL_PROXY", "http://a:1"), ("https_proxy", "http://h:2")]),
            Some("http://h:2/".to_owned())
        );
        assert_eq!(
            from(&[("ALL_PROXY", "proxy.corp:3128")]),
            Some("http://proxy.corp:3128/".to_owned())
        );
    }
}
