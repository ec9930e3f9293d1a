//! Janus configuration files: a tree of categories, arrays and items read from a libconfig
//! `.jcfg` file or a legacy INI `.cfg` file, looked up by case-insensitive name, printed and
//! saved back the way Janus 1.1.2 does.
//!
//! Every value is text: `.jcfg` scalars are turned into strings when read (`%d`, `%lld`,
//! `%f`, `true`/`false`), and saved back as strings. Names and values are UTF-8 here; bytes
//! that are not valid UTF-8 are replaced when read.

mod ini;
mod jcfg;

use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs::File;
use std::io::Write;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// Janus' `janus_config_type`: what a lookup wants (`Any` matches everything) or what an
/// entry is. The numbers are Janus'.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub enum Kind {
    Any = 1,
    Item = 2,
    Category = 3,
    Array = 4,
}

/// What an entry holds: an item's value (absent only if a module created it so), or the
/// members of a category or array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    Item(Option<String>),
    Category(Vec<Entry>),
    Array(Vec<Entry>),
}

/// An item, category or array. Members of arrays read from `.jcfg` files have no name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: Option<String>,
    pub node: Node,
}

/// A whole configuration: its file name, its syntax, and its root entries in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub name: String,
    pub is_jcfg: bool,
    pub entries: Vec<Entry>,
}

/// Janus' log levels for the messages configuration handling produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Err = 2,
    Warn = 3,
    Verb = 5,
}

/// A message Janus would log, with its level; `text` ends with a newline as in Janus.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub level: LogLevel,
    pub text: String,
}

/// Why a configuration file could not be parsed. `Display` gives Janus' error message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// The file could not be opened: `errno` and its text.
    Open { file: String, errno: i32, reason: String },
    /// libconfig refused a `.jcfg` file.
    Jcfg { line: i32, text: Option<String> },
    /// A legacy `.cfg` line is malformed.
    Ini { file: String, line: usize, error: IniError },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Open { file, errno, reason } => {
                write!(f, "  -- Error reading configuration file '{file}'... error {errno} ({reason})")
            }
            ParseError::Jcfg { line, text } => {
                write!(f, "Error parsing config file at line {line}: {}", text.as_deref().unwrap_or("(null)"))
            }
            ParseError::Ini { file, line, error } => match error {
                IniError::CategorySyntax => write!(f, "Error parsing category at line {line}: syntax error ({file})"),
                IniError::CategoryName => write!(f, "Error parsing category at line {line}: no name ({file})"),
                IniError::Item => write!(f, "Error parsing item at line {line} ({file})"),
                IniError::ItemValue => write!(f, "Error parsing item at line {line}: no value ({file})"),
            },
        }
    }
}

impl std::error::Error for ParseError {}

/// What is wrong with a legacy `.cfg` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IniError {
    /// `[` without `]`.
    CategorySyntax,
    /// `[]` or only blanks inside.
    CategoryName,
    /// No `=`, or nothing before it.
    Item,
    /// A `>` multi-line marker with nothing after it.
    ItemValue,
}

/// Why `save` failed; Janus returns -2 and -3 for these.
#[derive(Debug)]
pub enum SaveError {
    Folder(PathBuf),
    Open(PathBuf),
}

impl SaveError {
    /// Janus' log message for the failure.
    pub fn message(&self) -> String {
        match self {
            SaveError::Folder(p) => format!("Couldn't save configuration file, error creating folder '{}'...\n", p.display()),
            SaveError::Open(p) => format!("Couldn't save configuration file, error opening file '{}'...\n", p.display()),
        }
    }
}

/// Janus compares names with `strcasecmp`: ASCII letters only fold.
pub fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Whether a name marks a libconfig file: Janus looks for ".jcfg" anywhere in it.
pub fn is_jcfg_name(name: &[u8]) -> bool {
    name.windows(5).any(|w| w == b".jcfg")
}

impl Kind {
    /// Janus' number back to a kind.
    pub fn from_raw(raw: i32) -> Option<Kind> {
        [Kind::Any, Kind::Item, Kind::Category, Kind::Array].into_iter().find(|k| *k as i32 == raw)
    }
}

impl Entry {
    pub fn item(name: impl Into<String>, value: impl Into<String>) -> Entry {
        Entry { name: Some(name.into()), node: Node::Item(Some(value.into())) }
    }

    pub fn category(name: impl Into<String>) -> Entry {
        Entry { name: Some(name.into()), node: Node::Category(Vec::new()) }
    }

    pub fn array(name: impl Into<String>) -> Entry {
        Entry { name: Some(name.into()), node: Node::Array(Vec::new()) }
    }

    pub fn kind(&self) -> Kind {
        match self.node {
            Node::Item(_) => Kind::Item,
            Node::Category(_) => Kind::Category,
            Node::Array(_) => Kind::Array,
        }
    }

    /// An item's value.
    pub fn value(&self) -> Option<&str> {
        match &self.node {
            Node::Item(v) => v.as_deref(),
            _ => None,
        }
    }

    /// A category's or array's members (an item has none).
    pub fn members(&self) -> &[Entry] {
        match &self.node {
            Node::Category(m) | Node::Array(m) => m,
            Node::Item(_) => &[],
        }
    }

    fn members_mut(&mut self) -> Option<&mut Vec<Entry>> {
        match &mut self.node {
            Node::Category(m) | Node::Array(m) => Some(m),
            Node::Item(_) => None,
        }
    }

    /// Looks a member up as `janus_config_get` does.
    pub fn get(&self, kind: Kind, name: &str) -> Option<&Entry> {
        find(self.members(), kind, name)
    }

    /// The value of the member item `name`.
    pub fn get_value(&self, name: &str) -> Option<&str> {
        self.get(Kind::Item, name).and_then(Entry::value)
    }

    /// Adds a member as `janus_config_add` does; an item cannot hold members (Janus' -2).
    pub fn add(&mut self, entry: Entry) -> Result<(), Entry> {
        match self.members_mut() {
            Some(members) => {
                add(members, entry);
                Ok(())
            }
            None => Err(entry),
        }
    }
}

/// The first entry named `name` (case-insensitively) of the wanted kind; nameless entries
/// never match.
pub fn find<'a>(entries: &'a [Entry], kind: Kind, name: &str) -> Option<&'a Entry> {
    entries
        .iter()
        .find(|e| e.name.as_deref().is_some_and(|n| same_name(n.as_bytes(), name.as_bytes())) && (kind == Kind::Any || e.kind() == kind))
}

/// Removes the first entry named `name` (of any kind); whether there was one.
pub fn remove(entries: &mut Vec<Entry>, name: &str) -> bool {
    let at = entries.iter().position(|e| e.name.as_deref().is_some_and(|n| same_name(n.as_bytes(), name.as_bytes())));
    at.map(|i| entries.remove(i)).is_some()
}

/// Appends `entry`, first dropping an entry of the same name: the last one wins and moves
/// to the end.
pub fn add(entries: &mut Vec<Entry>, entry: Entry) {
    if let Some(name) = &entry.name {
        remove(entries, name);
    }
    entries.push(entry);
}

impl Config {
    /// An empty configuration; `name` decides the syntax it is saved in.
    pub fn new(name: impl Into<String>) -> Config {
        let name = name.into();
        Config { is_jcfg: is_jcfg_name(name.as_bytes()), name, entries: Vec::new() }
    }

    /// Parses a configuration file: libconfig syntax if its file name contains ".jcfg",
    /// Janus' INI syntax otherwise.
    pub fn parse_file(path: &Path) -> Result<Config, ParseError> {
        let name = file_name(path);
        let file = File::open(path).map_err(|e| ParseError::Open {
            file: name.clone(),
            errno: e.raw_os_error().unwrap_or(0),
            reason: crate::utils::strerror(&e),
        })?;
        let mut config = Config::new(name);
        config.entries = if config.is_jcfg {
            jcfg::read(file)?
        } else {
            // A file that opens but cannot be read (a folder) reads as empty, as with fgets.
            let mut bytes = Vec::new();
            let _ = std::io::Read::read_to_end(&mut { file }, &mut bytes);
            ini::parse(&bytes).map_err(|(line, error)| ParseError::Ini { file: config.name.clone(), line, error })?
        };
        Ok(config)
    }

    /// Parses INI text as a `.cfg` file named `name` would be.
    pub fn parse_ini(name: &str, text: &[u8]) -> Result<Config, ParseError> {
        let mut config = Config::new(name);
        config.is_jcfg = false;
        config.entries = ini::parse(text).map_err(|(line, error)| ParseError::Ini { file: name.to_string(), line, error })?;
        Ok(config)
    }

    /// Looks a root entry up as `janus_config_get` does.
    pub fn get(&self, kind: Kind, name: &str) -> Option<&Entry> {
        find(&self.entries, kind, name)
    }

    /// The value of item `name` in category `category`.
    pub fn get_value(&self, category: &str, name: &str) -> Option<&str> {
        self.get(Kind::Category, category)?.get_value(name)
    }

    /// Adds a root entry as `janus_config_add` does.
    pub fn add(&mut self, entry: Entry) {
        add(&mut self.entries, entry);
    }

    /// The root category `name`, appended if missing (`janus_config_get_create`).
    pub fn category_mut(&mut self, name: &str) -> &mut Entry {
        let at = match self
            .entries
            .iter()
            .position(|e| e.kind() == Kind::Category && e.name.as_deref().is_some_and(|n| same_name(n.as_bytes(), name.as_bytes())))
        {
            Some(i) => i,
            None => {
                self.entries.push(Entry::category(name));
                self.entries.len() - 1
            }
        };
        &mut self.entries[at]
    }

    /// Sets item `name` of category `category` (created if missing), replacing any value.
    pub fn set(&mut self, category: &str, name: &str, value: impl Into<String>) {
        // A category always takes members.
        let _ = self.category_mut(category).add(Entry::item(name, value));
    }

    /// The lines `janus_config_print` logs.
    pub fn print_lines(&self) -> Vec<String> {
        let mut lines = vec![format!("[{}]\n", self.name)];
        print_entries(&self.entries, 4, &mut lines);
        lines
    }

    /// The file text `save` writes, with `date` in its header, and the messages Janus logs
    /// while producing it (entries the syntax cannot hold).
    pub fn render(&self, date: &str) -> (Vec<u8>, Vec<LogLine>) {
        let comment = if self.is_jcfg { '#' } else { ';' };
        let mut out = format!("{comment}\n{comment} File automatically generated on {date}\n{comment}\n\n").into_bytes();
        let mut log = Vec::new();
        if self.is_jcfg {
            out.extend(jcfg::render(&self.entries, &mut log));
        } else {
            ini::render(&self.entries, 0, &mut out, &mut log);
        }
        (out, log)
    }

    /// Saves to `<folder>/<filename>.jcfg` (or `.cfg`), creating the folder (mode 0755) as
    /// needed; without a folder, relative to the working directory. Returns the path written
    /// and what Janus logs on the way. As in Janus, write errors after opening are ignored.
    pub fn save(&self, folder: Option<&Path>, filename: &OsStr) -> Result<(PathBuf, Vec<LogLine>), SaveError> {
        let mut path = OsString::new();
        if let Some(folder) = folder {
            make_folder(folder).map_err(|_| SaveError::Folder(folder.to_path_buf()))?;
            path.push(folder);
            path.push("/");
        }
        path.push(filename);
        path.push(if self.is_jcfg { ".jcfg" } else { ".cfg" });
        let path = PathBuf::from(path);
        let mut file = File::create(&path).map_err(|_| SaveError::Open(path.clone()))?;
        let (text, log) = self.render(&crate::sys::clock::format_local_now("%a %b %e %T %Y"));
        let _ = file.write_all(&text);
        Ok((path, log))
    }
}

/// What Janus names a parsed configuration: the last component of its path.
fn file_name(path: &Path) -> String {
    let name = path.file_name().unwrap_or(path.as_os_str());
    String::from_utf8_lossy(name.as_bytes()).into_owned()
}

/// `mkdir -p` as `janus_mkdir`: each prefix is created, anything already existing under that
/// name (even a file) counts as done.
fn make_folder(folder: &Path) -> std::io::Result<()> {
    let bytes = folder.as_os_str().as_bytes();
    let bytes = bytes.strip_suffix(b"/").unwrap_or(bytes);
    let mut builder = std::fs::DirBuilder::new();
    builder.mode(0o755);
    let cuts = bytes.iter().enumerate().skip(1).filter(|(_, b)| **b == b'/').map(|(i, _)| i);
    for end in cuts.chain(std::iter::once(bytes.len())) {
        let prefix = PathBuf::from(OsString::from_vec(bytes[..end].to_vec()));
        match builder.create(&prefix) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

fn print_entries(entries: &[Entry], indent: usize, lines: &mut Vec<String>) {
    for e in entries {
        let name = e.name.as_deref().unwrap_or("");
        let sep = if e.name.is_some() { ": " } else { "" };
        match &e.node {
            Node::Item(value) => {
                let sep = if value.is_some() { sep } else { "" };
                lines.push(format!("{:indent$}{name}{sep}{}\n", "", value.as_deref().unwrap_or("")));
            }
            Node::Category(members) | Node::Array(members) => {
                let (open, close) = if e.kind() == Kind::Category { ('{', '}') } else { ('[', ']') };
                lines.push(format!("{:indent$}{name}{sep}{open}\n", ""));
                print_entries(members, indent + 4, lines);
                lines.push(format!("{:indent$}{close}\n", ""));
            }
        }
    }
}

#[cfg(test)]
mod tests;
