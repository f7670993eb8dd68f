//! Every response an API test receives is checked against the OpenAPI document the server
//! serves: the status must be declared for that operation, and the body must match the
//! declared schema for its content type. A difference fails the test that saw it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use jsonschema::Validator;
use serde_json::Value;

/// The served document, with compiled validators cached per response schema.
#[derive(Clone)]
pub struct Conformance {
    doc: Arc<Value>,
    cache: Arc<Mutex<HashMap<String, Arc<Validator>>>>,
}

impl std::fmt::Debug for Conformance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Conformance")
    }
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

impl Conformance {
    /// Checks responses against `doc`.
    pub fn new(doc: Value) -> Self {
        Self { doc: Arc::new(doc), cache: Arc::default() }
    }

    /// The document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// The documented path template that `path` (without query) matches, preferring the
    /// template with the most literal segments.
    pub fn template_for(&self, path: &str) -> Option<String> {
        let segments: Vec<&str> = path.trim_end_matches('/').split('/').collect();
        let paths = self.doc["paths"].as_object()?;
        paths
            .keys()
            .filter_map(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                if parts.len() != segments.len() {
                    return None;
                }
                let mut literals = 0;
                for (t, s) in parts.iter().zip(&segments) {
                    if t.starts_with('{') && t.ends_with('}') {
                        if s.is_empty() {
                            return None;
                        }
                    } else if t == s {
                        literals += 1;
                    } else {
                        return None;
                    }
                }
                Some((literals, template.clone()))
            })
            .max_by_key(|(literals, _)| *literals)
            .map(|(_, t)| t)
    }

    /// Panics, naming the difference, unless the response is documented.
    pub fn check(&self, method: &str, path: &str, status: u16, content_type: Option<&str>, body: &[u8]) {
        let method = method.to_ascii_lowercase();
        let Some(template) = self.template_for(path) else {
            panic!("{method} {path}: no such path in the OpenAPI document");
        };
        let operation = format!("/paths/{}/{method}", escape(&template));
        let Some(responses) = self.doc.pointer(&format!("{operation}/responses")) else {
            // A method the document does not list for the path: 405 is what that implies.
            assert_eq!(status, 405, "{method} {template}: no such operation in the OpenAPI document, yet not a 405");
            return;
        };
        let Some(mut response_ptr) =
            responses.get(status.to_string()).map(|_| format!("{operation}/responses/{status}"))
        else {
            panic!(
                "{method} {template} answered {status}, which the OpenAPI document does not declare; body: {}",
                String::from_utf8_lossy(body)
            );
        };
        if let Some(reference) = self.doc.pointer(&response_ptr).and_then(|r| r["$ref"].as_str()) {
            response_ptr = reference.trim_start_matches('#').to_owned();
        }
        let content = self.doc.pointer(&format!("{response_ptr}/content"));
        let Some(content) = content.and_then(Value::as_object).filter(|c| !c.is_empty()) else {
            assert!(body.is_empty(), "{method} {template} {status}: documented without a body but sent one");
            return;
        };
        let media = content_type.and_then(|ct| ct.split(';').next()).map(str::trim).unwrap_or_default();
        assert!(
            content.contains_key(media),
            "{method} {template} {status}: content type '{media}' is not documented (documented: {:?})",
            content.keys().collect::<Vec<_>>()
        );
        // A JSON pointer inside a URI fragment: braces of path templates must be percent-encoded.
        let schema_ptr =
            format!("#{response_ptr}/content/{}/schema", escape(media)).replace('{', "%7B").replace('}', "%7D");
        let validator = self.validator(&schema_ptr);
        // Newline-delimited JSON: the schema is each line's.
        let documents: Vec<&[u8]> = if media == "application/x-ndjson" {
            body.split(|b| *b == b'\n').filter(|line| !line.is_empty()).collect()
        } else {
            vec![body]
        };
        for document in documents {
            let instance: Value = serde_json::from_slice(document)
                .unwrap_or_else(|e| panic!("{method} {template} {status}: body is not JSON ({e})"));
            let errors: Vec<String> =
                validator.iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path)).collect();
            assert!(
                errors.is_empty(),
                "{method} {template} {status}: body does not match its schema:\n{}\nbody: {instance:#}",
                errors.join("\n")
            );
        }
    }

    fn validator(&self, pointer: &str) -> Arc<Validator> {
        let mut cache = self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(pointer.to_owned())
            .or_insert_with(|| {
                // The whole document is the root resource, so `#/components/...` references
                // resolve; the unknown OpenAPI keywords around them are ignored.
                let mut root = (*self.doc).clone();
                root["$ref"] = Value::String(pointer.to_owned());
                root["$schema"] = Value::String("https://json-schema.org/draft/2020-12/schema".into());
                Arc::new(
                    jsonschema::options()
                        .should_validate_formats(true)
                        .build(&root)
                        .unwrap_or_else(|e| panic!("schema at {pointer} does not compile: {e}")),
                )
            })
            .clone()
    }
}
