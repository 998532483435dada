//! Request parameters as Mastodon clients send them: a query string, a
//! form (`a=1&b[]=x`), or JSON — read into one JSON object.

use axum::body::Bytes;
use axum::extract::multipart::{Multipart, MultipartError};
use axum::extract::{FromRequest, Request};
use axum::http::header;
use serde_json::{Map, Value};

use crate::HttpError;

/// The merged parameters of a request (query string, then body).
#[derive(Debug, Clone, Default)]
pub struct Params(pub Map<String, Value>);

fn add_pair(map: &mut Map<String, Value>, key: String, value: String) {
    // `list[][field]=a&list[][field]=b` (Rails' arrays of objects, as
    // Tusky sends filter keywords): kept in order under the whole key.
    if key.contains("[][") {
        let entry = map.entry(key).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = entry {
            items.push(Value::String(value));
        }
    } else if let Some(name) = key.strip_suffix("[]") {
        let entry = map.entry(name.to_string()).or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(items) = entry {
            items.push(Value::String(value));
        }
    } else {
        map.insert(key, Value::String(value));
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        read_params(request, state, None).await
    }
}

/// [`Params`] and the files of a `multipart/form-data` body (as apps send
/// `avatar` and `header`), by field name. Only routes whose body limit is
/// the media limit take files.
#[derive(Debug, Default)]
pub struct ParamsWithFiles {
    pub params: Params,
    pub files: Vec<(String, Vec<u8>)>,
}

impl ParamsWithFiles {
    /// The bytes of the file sent as `name`.
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files.iter().find(|(n, _)| n == name).map(|(_, bytes)| bytes.as_slice())
    }
}

impl<S: Send + Sync> FromRequest<S> for ParamsWithFiles {
    type Rejection = HttpError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let mut files = Vec::new();
        let params = read_params(request, state, Some(&mut files)).await?;
        Ok(ParamsWithFiles { params, files })
    }
}

async fn read_params<S: Send + Sync>(
    request: Request,
    state: &S,
    files: Option<&mut Vec<(String, Vec<u8>)>>,
) -> Result<Params, HttpError> {
    let mut map = Map::new();
    if let Some(query) = request.uri().query() {
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            add_pair(&mut map, key.into_owned(), value.into_owned());
        }
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
        .unwrap_or_default();
    if content_type == "multipart/form-data" {
        read_multipart(
            Multipart::from_request(request, state).await.map_err(|e| unreadable_multipart(&e.body_text()))?,
            &mut map,
            files,
        )
        .await?;
        return Ok(Params(map));
    }
    let body = Bytes::from_request(request, state)
        .await
        .map_err(|e| HttpError::BadRequest(format!("cannot read the request body: {e}")))?;
    if body.is_empty() {
        return Ok(Params(map));
    }
    match content_type.as_str() {
        "application/json" => {
            let value: Value =
                serde_json::from_slice(&body).map_err(|e| HttpError::BadRequest(format!("invalid JSON: {e}")))?;
            let Value::Object(object) = value else {
                return Err(HttpError::BadRequest("the JSON body must be an object".into()));
            };
            map.extend(object);
        }
        "application/x-www-form-urlencoded" | "" => {
            for (key, value) in url::form_urlencoded::parse(&body) {
                add_pair(&mut map, key.into_owned(), value.into_owned());
            }
        }
        other => {
            return Err(HttpError::UnsupportedMediaType(format!("send parameters as a form or as JSON, not {other}")));
        }
    }
    Ok(Params(map))
}

fn unreadable_multipart(text: &str) -> HttpError {
    HttpError::BadRequest(format!("cannot read the multipart body: {text}"))
}

/// The fields of a `multipart/form-data` body, as apps send profile
/// edits: text into `map`; a file into `files` where the route takes
/// files, refused by name elsewhere.
async fn read_multipart(
    mut multipart: Multipart,
    map: &mut Map<String, Value>,
    mut files: Option<&mut Vec<(String, Vec<u8>)>>,
) -> Result<(), HttpError> {
    let unreadable = |e: MultipartError| match e.status() {
        axum::http::StatusCode::PAYLOAD_TOO_LARGE => {
            HttpError::PayloadTooLarge(format!("the file is too large: {}", e.body_text()))
        }
        _ => unreadable_multipart(&e.body_text()),
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let Some(name) = field.name().map(str::to_string) else {
            return Err(HttpError::BadRequest("a part of the multipart body has no name".into()));
        };
        if field.file_name().is_some() {
            let Some(files) = files.as_deref_mut() else {
                return Err(HttpError::Unprocessable(format!("`{name}` is a file: this request takes no files")));
            };
            let bytes = field.bytes().await.map_err(unreadable)?.to_vec();
            files.push((name, bytes));
            continue;
        }
        let value = field.text().await.map_err(unreadable)?;
        add_pair(map, name, value);
    }
    Ok(())
}

impl Params {
    /// A text parameter; numbers are accepted as text.
    pub fn text(&self, key: &str) -> Option<String> {
        match self.0.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    pub fn required(&self, key: &str) -> Result<String, HttpError> {
        self.text(key)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| HttpError::Unprocessable(format!("the parameter `{key}` is required")))
    }

    /// `true`/`false`, `1`/`0`, or a JSON boolean.
    pub fn flag(&self, key: &str) -> Result<Option<bool>, HttpError> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.as_str() {
                "true" | "1" | "on" => Ok(Some(true)),
                "false" | "0" | "off" | "" => Ok(Some(false)),
                _ => Err(HttpError::Unprocessable(format!("`{key}` must be true or false"))),
            },
            Some(_) => Err(HttpError::Unprocessable(format!("`{key}` must be true or false"))),
        }
    }

    /// A list: `key[]=a&key[]=b`, a JSON array, or one space-separated text.
    pub fn list(&self, key: &str) -> Vec<String> {
        match self.0.get(key) {
            Some(Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
            Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
            _ => Vec::new(),
        }
    }

    pub fn number(&self, key: &str) -> Result<Option<i64>, HttpError> {
        match self.text(key) {
            None => Ok(None),
            Some(text) => {
                text.trim().parse().map(Some).map_err(|_| HttpError::Unprocessable(format!("`{key}` must be a number")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_of_objects_keep_every_value_in_order() {
        let mut map = Map::new();
        for (key, value) in [
            ("context[]", "home"),
            ("keywords_attributes[][keyword]", "vélo"),
            ("keywords_attributes[][keyword]", "train"),
            ("context[]", "public"),
            ("home[last_read_id]", "12"),
        ] {
            add_pair(&mut map, key.into(), value.into());
        }
        let params = Params(map);
        assert_eq!(params.list("context"), ["home", "public"]);
        assert_eq!(params.list("keywords_attributes[][keyword]"), ["vélo", "train"]);
        assert_eq!(params.text("home[last_read_id]").as_deref(), Some("12"));
    }
}
