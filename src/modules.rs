//! Janus' loadable modules: plugins, transports, event handlers and loggers. This is the
//! safe half of module hosting: which files of a folder get loaded, which are disabled, the
//! API version each kind must declare, and the messages Janus logs when one is refused.
//! The loading itself (dlopen, `create()`, the C vtables) is in `abi::modules`.

use std::fmt;
use std::path::{Path, PathBuf};

/// The four kinds of module, each with its own folder, vtable and API version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ModuleKind {
    Plugin,
    Transport,
    EventHandler,
    Logger,
}

impl ModuleKind {
    pub const ALL: [ModuleKind; 4] = [ModuleKind::Plugin, ModuleKind::Transport, ModuleKind::EventHandler, ModuleKind::Logger];

    /// The API version the core implements; a module declaring less is refused, more is fine.
    pub fn api_version(self) -> i32 {
        match self {
            ModuleKind::Plugin => 102,
            ModuleKind::Transport => 8,
            ModuleKind::EventHandler => 3,
            ModuleKind::Logger => 3,
        }
    }

    /// How Janus names the kind in its log lines ("Loading transport plugin '...'").
    pub fn label(self) -> &'static str {
        match self {
            ModuleKind::Plugin => "plugin",
            ModuleKind::Transport => "transport plugin",
            ModuleKind::EventHandler => "event handler plugin",
            ModuleKind::Logger => "logger plugin",
        }
    }

    /// The Debian package's folder for this kind.
    pub fn default_folder(self) -> &'static Path {
        Path::new(match self {
            ModuleKind::Plugin => "/usr/lib/x86_64-linux-gnu/janus/plugins",
            ModuleKind::Transport => "/usr/lib/x86_64-linux-gnu/janus/transports",
            ModuleKind::EventHandler => "/usr/lib/x86_64-linux-gnu/janus/events",
            ModuleKind::Logger => "/usr/lib/x86_64-linux-gnu/janus/loggers",
        })
    }
}

/// The extension Janus matches, case-insensitively, at the end of a file name. Debian's
/// folders also hold `.so.1` and `.so.1.1.2` names for the same files: only `.so` is loaded.
const SHLIB_EXT: &str = ".so";

/// Whether a directory entry is a module file Janus would try to load.
pub fn is_module_file_name(name: &str) -> bool {
    name.len() >= 4
        && name.len() >= SHLIB_EXT.len()
        && name.as_bytes()[name.len() - SHLIB_EXT.len()..].eq_ignore_ascii_case(SHLIB_EXT.as_bytes())
}

/// A `disable = "a.so,b.so"` setting: exact file names, leading blanks of each entry ignored
/// (trailing ones are not, as in Janus).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DisableList(Vec<String>);

impl DisableList {
    pub fn parse(setting: Option<&str>) -> DisableList {
        DisableList(
            setting.map(|s| s.split(',').map(|e| e.trim_start().to_string()).filter(|e| !e.is_empty()).collect()).unwrap_or_default(),
        )
    }

    pub fn contains(&self, file_name: &str) -> bool {
        self.0.iter().any(|e| e == file_name)
    }
}

/// One module file of a folder, as Janus meets it while reading the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleFile {
    pub path: PathBuf,
    /// Named by the disable list: reported and skipped where it is met.
    pub disabled: bool,
}

impl ModuleFile {
    pub fn name(&self) -> String {
        self.path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// The module files of `folder` in directory order (Janus does not sort, and reports a
/// disabled module where it meets it, between the loading of the others).
pub fn module_files(folder: &Path, disabled: &DisableList) -> std::io::Result<Vec<ModuleFile>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(String::from) else { continue };
        if !is_module_file_name(&name) {
            continue;
        }
        files.push(ModuleFile { disabled: disabled.contains(&name), path: entry.path() });
    }
    Ok(files)
}

/// Why a module was not loaded; `Display` gives the line Janus logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// dlopen failed: file name and the loader's message.
    Open { kind: ModuleKind, file: String, reason: String },
    /// No `create` symbol.
    NoCreate { reason: String },
    /// `create()` returned NULL.
    CreateFailed,
    /// One of the mandatory function pointers is NULL.
    MissingMethods { kind: ModuleKind },
    /// The module declares an older API than ours.
    OldApi { kind: ModuleKind, package: String, declared: i32 },
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Open { kind, file, reason } => write!(f, "\tCouldn't load {} '{file}': {reason}", kind.label()),
            LoadError::NoCreate { reason } => write!(f, "\tCouldn't load symbol 'create': {reason}"),
            LoadError::CreateFailed => write!(f, "\tCouldn't use function 'create'..."),
            LoadError::MissingMethods { kind } => {
                write!(f, "\tMissing some mandatory methods/callbacks, skipping this {}...", kind.label())
            }
            LoadError::OldApi { kind, package, declared } => write!(
                f,
                "The '{package}' {} was compiled against an older version of the API ({declared} < {}), skipping it: update it to enable it again",
                kind.label(),
                kind.api_version()
            ),
        }
    }
}

/// What a loaded module says about itself (the `get_*` methods every kind has).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInfo {
    pub kind: ModuleKind,
    pub api_compatibility: i32,
    pub version: i32,
    pub version_string: String,
    pub description: String,
    pub name: String,
    pub author: Option<String>,
    pub package: String,
}

/// What a module's Admin API hook (`handle_admin_message`, `query_transport`,
/// `handle_request`) answered.
#[derive(Clone, Debug, PartialEq)]
pub enum AdminResponse {
    /// The module does not implement the hook (Janus answers 490).
    NoHook,
    /// The hook returned NULL (Janus answers an empty `response` object).
    Null,
    Json(crate::json::Json),
}

/// A loaded transport, event handler or logger, as the Admin API queries it.
pub trait QueryableModule: Send + Sync {
    fn description(&self) -> &ModuleInfo;
    fn package(&self) -> &str {
        &self.description().package
    }
    /// The module's query hook (`query_transport` for transports, `handle_request` for
    /// event handlers and loggers) called with the request's `request` member.
    fn handle_request(&self, request: Option<&crate::json::Json>) -> AdminResponse;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dot_so_names_are_modules() {
        assert!(is_module_file_name("libjanus_echotest.so"));
        assert!(is_module_file_name("LIBX.SO"));
        assert!(!is_module_file_name("libjanus_echotest.so.1"));
        assert!(!is_module_file_name("libjanus_echotest.so.1.1.2"));
        assert!(!is_module_file_name(".so"));
        assert!(is_module_file_name("a.so"));
    }

    #[test]
    fn disable_list_matches_exact_names_after_leading_blanks() {
        let d = DisableList::parse(Some("libjanus_voicemail.so, libjanus_mqtt.so ,"));
        assert!(d.contains("libjanus_voicemail.so"));
        assert!(d.contains("libjanus_mqtt.so "));
        assert!(!d.contains("libjanus_mqtt.so"));
        assert!(!DisableList::parse(None).contains("x.so"));
    }

    #[test]
    fn messages_are_janus_lines() {
        let e = LoadError::OldApi { kind: ModuleKind::Transport, package: "janus.transport.x".into(), declared: 7 };
        assert_eq!(
            e.to_string(),
            "The 'janus.transport.x' transport plugin was compiled against an older version of the API (7 < 8), skipping it: update it to enable it again"
        );
        assert_eq!(
            LoadError::MissingMethods { kind: ModuleKind::Plugin }.to_string(),
            "\tMissing some mandatory methods/callbacks, skipping this plugin..."
        );
    }

    #[test]
    fn lists_module_files_of_a_folder() {
        let dir = std::env::temp_dir().join(format!("janus-modules-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for f in ["a.so", "a.so.1", "b.so", "notes.txt"] {
            std::fs::write(dir.join(f), b"").unwrap();
        }
        let mut files = module_files(&dir, &DisableList::parse(Some("b.so"))).unwrap();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        assert_eq!(
            files,
            vec![ModuleFile { path: dir.join("a.so"), disabled: false }, ModuleFile { path: dir.join("b.so"), disabled: true }]
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
