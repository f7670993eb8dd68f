//! A browser without JavaScript, for the pages and single sign-on: it keeps cookies by name (so
//! a test can read, plant or replay one), never follows redirects, and posts forms with this
//! site's `Origin` as a page of it would. Pages and the SSO routes are outside the OpenAPI
//! document, so nothing here is checked against it.

use std::collections::BTreeMap;
use std::sync::Mutex;

use reqwest::header::HeaderMap;

/// A browser on one site.
#[derive(Debug)]
pub struct Browser {
    client: reqwest::Client,
    base: String,
    cookies: Mutex<BTreeMap<String, String>>,
}

/// What a request answered.
#[derive(Debug)]
pub struct Page {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Page {
    /// A header's value as text (empty when absent).
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    /// The `Location` header of a redirect.
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<&str> {
        self.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).collect()
    }

    /// The body as JSON (`Null` when it is not).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_default()
    }

    /// The value of the first hidden `csrf_token` field.
    pub fn csrf_token(&self) -> String {
        let start = self.body.find(r#"name="csrf_token" value=""#).expect("the page has a CSRF field") + 25;
        self.body[start..].split('"').next().unwrap().to_owned()
    }

    /// The text of the element with id `new-token`.
    pub fn new_token(&self) -> Option<String> {
        let start = self.body.find(r#"id="new-token">"#)? + 15;
        Some(self.body[start..].split('<').next()?.to_owned())
    }
}

impl Browser {
    /// A browser with no cookies, on the site at `base` (`http://127.0.0.1:{port}`).
    pub fn new(base: &str) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { client, base: base.to_owned(), cookies: Mutex::new(BTreeMap::new()) }
    }

    /// The cookie `name`'s value.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.lock().unwrap().get(name).cloned()
    }

    /// Sets (plants or replays) a cookie.
    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies.lock().unwrap().insert(name.to_owned(), value.to_owned());
    }

    /// `GET` a path of the site, or an absolute URL.
    pub async fn get(&self, path: &str) -> Page {
        self.send(reqwest::Method::GET, path, None, &[]).await
    }

    /// Posts a form as a page of this site would (with our `Origin`).
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(path, fields, &[("origin", &self.base)]).await
    }

    /// Posts a form with exactly these extra headers.
    pub async fn post_with(&self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Page {
        self.send(reqwest::Method::POST, path, Some(fields), headers).await
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        form: Option<&[(&str, &str)]>,
        headers: &[(&str, &str)],
    ) -> Page {
        let url = if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        let mut request = self.client.request(method, url);
        let cookie =
            self.cookies.lock().unwrap().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        if !cookie.is_empty() {
            request = request.header("cookie", cookie);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(form) = form {
            request = request.form(form);
        }
        let response = request.send().await.unwrap();
        let page = Page {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        };
        let mut jar = self.cookies.lock().unwrap();
        for c in page.set_cookies() {
            let (pair, attributes) = c.split_once(';').unwrap_or((c, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.contains("Max-Age=0") {
                jar.remove(name);
            } else {
                jar.insert(name.to_owned(), value.to_owned());
            }
        }
        drop(jar);
        page
    }
}
