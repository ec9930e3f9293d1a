//! Janus' legacy INI syntax (`.cfg`): `[category]` headers, `name = value` items, `;`
//! comments (`\;` for a literal semicolon), an optional `>` before a value, and any malformed
//! line failing the whole file.

use super::{add, Entry, IniError, LogLevel, LogLine, Node};

/// Janus reads lines with `fgets` into a `BUFSIZ` buffer: a longer line arrives in pieces,
/// each counted (and parsed) as a line of its own.
const LINE_BUFFER: usize = 8192;

/// C's `isspace` in the C locale.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

fn trim(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|b| !is_space(*b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !is_space(*b)).map_or(start, |i| i + 1);
    &s[start..end.max(start)]
}

/// The pieces `fgets` returns, each cut at its first NUL as C string handling would.
fn lines(input: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = input;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let max = rest.len().min(LINE_BUFFER - 1);
        let len = rest[..max].iter().position(|b| *b == b'\n').map_or(max, |i| i + 1);
        let (line, tail) = rest.split_at(len);
        rest = tail;
        Some(line.split(|b| *b == 0).next().unwrap_or(line))
    })
}

/// Cuts the comment off a line: the first `;` not preceded by a backslash starts it, and each
/// escaping backslash is dropped.
fn strip_comment(line: &[u8]) -> Vec<u8> {
    let mut out = line.to_vec();
    let mut from = 0;
    while let Some(at) = out[from..].iter().position(|b| *b == b';').map(|i| i + from) {
        if at == 0 || out[at - 1] != b'\\' {
            out.truncate(at);
            break;
        }
        out.remove(at - 1);
        from = at;
    }
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Parses a whole file into root entries; an error carries its 1-based line number.
pub(super) fn parse(input: &[u8]) -> Result<Vec<Entry>, (usize, IniError)> {
    let mut root: Vec<Entry> = Vec::new();
    // Items go to the last category opened, which is always the last root entry.
    let mut in_category = false;
    for (index, raw) in lines(input).enumerate() {
        let number = index + 1;
        let stripped = strip_comment(raw);
        let line = trim(&stripped);
        if line.is_empty() {
            continue;
        }
        if let Some(header) = line.strip_prefix(b"[") {
            let end = header.iter().position(|b| *b == b']').ok_or((number, IniError::CategorySyntax))?;
            let name = trim(&header[..end]);
            if name.is_empty() {
                return Err((number, IniError::CategoryName));
            }
            add(&mut root, Entry { name: Some(text(name)), node: Node::Category(Vec::new()) });
            in_category = true;
            continue;
        }
        let eq = match line.iter().position(|b| *b == b'=') {
            Some(eq) if eq > 0 => eq,
            _ => return Err((number, IniError::Item)),
        };
        let name = trim(&line[..eq]);
        let mut value = trim(&line[eq + 1..]);
        if let Some(rest) = value.strip_prefix(b">") {
            value = trim(rest);
            if value.is_empty() {
                return Err((number, IniError::ItemValue));
            }
        }
        let item = Entry { name: Some(text(name)), node: Node::Item(Some(text(value))) };
        match root.last_mut().and_then(|c| c.members_mut()).filter(|_| in_category) {
            Some(members) => add(members, item),
            None => add(&mut root, item),
        }
    }
    Ok(root)
}

/// Appends the INI text of `entries` at nesting `level` (0 = root). Only root categories get
/// a `[header]`; deeper ones are flattened into their section, arrays are dropped, each with
/// Janus' warning.
pub(super) fn render(entries: &[Entry], level: usize, out: &mut Vec<u8>, log: &mut Vec<LogLine>) {
    for e in entries {
        let name = e.name.as_deref().unwrap_or("");
        match &e.node {
            Node::Item(value) => {
                out.extend_from_slice(name.as_bytes());
                out.extend_from_slice(b" = ");
                out.extend_from_slice(value.as_deref().unwrap_or("").replace(';', "\\;").as_bytes());
                out.push(b'\n');
            }
            Node::Category(members) => {
                if level > 0 {
                    log.push(LogLine {
                        level: LogLevel::Warn,
                        text: format!("Dropping indented category {name} (unsupported in INI files)\n"),
                    });
                } else {
                    out.extend_from_slice(format!("[{name}]\n").as_bytes());
                }
                render(members, level + 1, out, log);
                out.extend_from_slice(b"\r\n");
            }
            Node::Array(_) => {
                log.push(LogLine { level: LogLevel::Warn, text: format!("Dropping array {name} (unsupported in INI files)\n") })
            }
        }
    }
}
