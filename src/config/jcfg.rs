//! `.jcfg` files through libconfig: groups become categories, arrays and lists become arrays,
//! scalars become items whose value is the scalar printed as Janus prints it. Saving writes
//! every item as a string and every array as a list.

use std::fs::File;

use super::{add, Entry, LogLevel, LogLine, Node, ParseError};
use crate::sys::jcfg::{self, Setting, Value};

pub(super) fn read(file: File) -> Result<Vec<Entry>, ParseError> {
    let settings = jcfg::read(file).map_err(|e| ParseError::Jcfg { line: e.line, text: e.text })?;
    let mut root = Vec::new();
    fill(&mut root, settings);
    Ok(root)
}

/// Scalars as Janus turns them into text: `%d`, `%lld`, `%f`, `true`/`false`.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::Int(v) => Some(v.to_string()),
        Value::Int64(v) => Some(v.to_string()),
        Value::Float(v) => Some(format_f(*v)),
        Value::Bool(v) => Some(if *v { "true" } else { "false" }.to_string()),
        Value::Str(v) => Some(v.clone()),
        Value::Group(_) | Value::Array(_) | Value::List(_) => None,
    }
}

/// C's `%f`: six decimals, `inf`/`nan` spelled as glibc does.
pub(super) fn format_f(v: f64) -> String {
    if v.is_nan() {
        if v.is_sign_negative() { "-nan" } else { "nan" }.to_string()
    } else if v.is_infinite() {
        if v < 0.0 { "-inf" } else { "inf" }.to_string()
    } else {
        format!("{v:.6}")
    }
}

/// Adds converted settings one by one with Janus' add rule, so a later name replaces an
/// earlier one that differs only in case.
fn fill(members: &mut Vec<Entry>, settings: Vec<Setting>) {
    for s in settings {
        let node = match s.value {
            Value::Group(children) => {
                let mut m = Vec::new();
                fill(&mut m, children);
                Node::Category(m)
            }
            Value::Array(children) | Value::List(children) => {
                let mut m = Vec::new();
                fill(&mut m, children);
                Node::Array(m)
            }
            scalar => Node::Item(scalar_text(&scalar)),
        };
        add(members, Entry { name: s.name, node });
    }
}

fn to_settings(entries: &[Entry]) -> Vec<Setting> {
    entries
        .iter()
        .map(|e| Setting {
            name: e.name.clone(),
            value: match &e.node {
                Node::Item(v) => Value::Str(v.clone().unwrap_or_default()),
                Node::Category(m) => Value::Group(to_settings(m)),
                Node::Array(m) => Value::List(to_settings(m)),
            },
        })
        .collect()
}

/// libconfig's text for the tree, and Janus' error for each entry libconfig refused.
pub(super) fn render(entries: &[Entry], log: &mut Vec<LogLine>) -> Vec<u8> {
    jcfg::write(&to_settings(entries), &mut |s: &Setting| {
        let what = match s.value {
            Value::Group(_) => "group",
            Value::List(_) | Value::Array(_) => "list",
            _ => "string",
        };
        log.push(LogLine {
            level: LogLevel::Err,
            text: format!("Error saving {what} '{}' to the config file...\n", s.name.as_deref().unwrap_or("(null)")),
        });
    })
}
