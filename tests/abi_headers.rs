//! Our `include/` must be ABI-identical to Debian's Janus 1.1.2 headers in `/usr/include/janus`.
//!
//! One C probe (`tests/c/abi_probe.c` plus checks generated here) is built against each tree and
//! both runs must print the same text: layouts of the boundary types listed in
//! `tests/c/abi_layout.txt`, the size of every struct tag, the value and C type of every constant
//! (object-like macros and enum members are read from the real headers, so a constant we forgot
//! fails), the presence of every function-like macro, and the behaviour of the inline macros
//! modules compile in. The declared functions/variables must be the same set, and each tree's
//! prototypes must be accepted as redeclarations by the other tree.
mod support;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const REFERENCE: &str = "/usr/include/janus";

/// Only in our tree: Debian does not install it (stock event handlers include "../events.h").
const OURS_ONLY: &str = "events.h";

/// Object-like macros whose value is an initializer rather than an expression, with a type to
/// initialize so that the resulting bytes can be compared.
const INITIALIZER_MACROS: &[(&str, &str)] = &[("JANUS_MUTEX_INITIALIZER", "janus_mutex")];

fn ours() -> PathBuf {
    support::manifest_dir().join("include")
}

/// Headers of a tree, as paths relative to its root, sorted.
fn headers(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else if path.extension().is_some_and(|e| e == "h") {
                out.push(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Text with comments removed (string literals are kept intact).
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' => {
                out.push(c);
                while let Some(d) = chars.next() {
                    out.push(d);
                    if d == '\\' {
                        if let Some(e) = chars.next() {
                            out.push(e);
                        }
                    } else if d == c {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for d in chars.by_ref() {
                    if last == '*' && d == '/' {
                        break;
                    }
                    last = d;
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'/') => {
                for d in chars.by_ref() {
                    if d == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn identifiers(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !is_ident_char(c)).filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'))
}

/// What a header declares, as far as the ABI comparison needs it.
#[derive(Default)]
struct Declarations {
    /// Object-like macros with their (trimmed) replacement text.
    object_macros: Vec<(String, String)>,
    function_macros: BTreeSet<String>,
    enum_members: Vec<String>,
    struct_tags: BTreeSet<String>,
    /// Function prototypes and `extern` variables: (name, declaration text ending in ';').
    externals: Vec<(String, String)>,
}

impl Declarations {
    fn of_tree(root: &Path, skip: &[&str]) -> Declarations {
        let mut all = Declarations::default();
        for header in headers(root) {
            if !skip.contains(&header.as_str()) {
                all.add(&std::fs::read_to_string(root.join(&header)).unwrap());
            }
        }
        all
    }

    fn add(&mut self, source: &str) {
        let text = strip_comments(source).replace("\\\n", " ");
        let mut code = String::new();
        for line in text.lines() {
            let trimmed = line.trim_start();
            if let Some(directive) = trimmed.strip_prefix('#') {
                if let Some(rest) = directive.trim_start().strip_prefix("define") {
                    self.add_macro(rest.trim_start());
                }
            } else {
                code.push_str(line);
                code.push('\n');
            }
        }
        self.add_code(&code);
    }

    fn add_macro(&mut self, definition: &str) {
        let name: String = definition.chars().take_while(|&c| is_ident_char(c)).collect();
        let rest = &definition[name.len()..];
        if rest.starts_with('(') {
            self.function_macros.insert(name);
        } else {
            self.object_macros.push((name, rest.trim().to_string()));
        }
    }

    /// Walks top-level statements: type definitions give struct tags and enum members,
    /// the remaining declarations with a parameter list or `extern` are the externals.
    fn add_code(&mut self, code: &str) {
        let mut depth = 0usize;
        let mut statement = String::new();
        for c in code.chars() {
            match c {
                '{' => depth += 1,
                '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            statement.push(c);
            if c == ';' && depth == 0 {
                self.add_statement(statement.trim());
                statement.clear();
            }
        }
    }

    fn add_statement(&mut self, statement: &str) {
        let words: Vec<&str> = identifiers(statement).collect();
        let mut rest = statement;
        while let Some(start) = rest.find("struct ") {
            let after = rest[start + 7..].trim_start();
            let (tag, tail) = after.split_at(after.find(|c: char| !is_ident_char(c)).unwrap_or(after.len()));
            if !tag.is_empty() && tail.trim_start().starts_with('{') {
                self.struct_tags.insert(tag.to_string());
            }
            rest = tail;
        }
        let mut rest = statement;
        while let Some(start) = rest.find("enum") {
            let after = &rest[start..];
            let (Some(open), Some(close)) = (after.find('{'), after.find('}')) else { break };
            for member in after[open + 1..close].split(',') {
                if let Some(name) = identifiers(member).next() {
                    self.enum_members.push(name.to_string());
                }
            }
            rest = &after[close..];
        }
        if statement.contains('{') || words.first().is_some_and(|w| *w == "typedef" || *w == "static") {
            return;
        }
        let name = match statement.find('(') {
            Some(paren) => identifiers(&statement[..paren]).last(),
            None if words.first() == Some(&"extern") => words.last().copied(),
            None => None,
        };
        if let Some(name) = name {
            let text = statement.split_whitespace().collect::<Vec<_>>().join(" ");
            self.externals.push((name.to_string(), text));
        }
    }

    fn external_names(&self) -> BTreeSet<String> {
        self.externals.iter().map(|(n, _)| n.clone()).collect()
    }
}

fn cflags() -> Vec<String> {
    let out = Command::new("pkg-config").args(["--cflags", "glib-2.0", "jansson", "libsrtp2"]).output().expect("pkg-config runs");
    assert!(out.status.success(), "pkg-config: {}", String::from_utf8_lossy(&out.stderr));
    let mut flags: Vec<String> = String::from_utf8(out.stdout).unwrap().split_whitespace().map(String::from).collect();
    // Debian's Janus is built against libsrtp2; rtpsrtp.h selects its includes with this.
    flags.push("-DHAVE_SRTP_2".into());
    flags.push("-std=gnu11".into());
    flags
}

fn gcc(args: &[String]) -> String {
    let out = Command::new("gcc").args(args).output().expect("gcc runs");
    assert!(out.status.success(), "gcc {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The generated half of the probe: layouts and constants, then main.
fn generated_probe(reference: &Declarations) -> String {
    let layout = std::fs::read_to_string(support::manifest_dir().join("tests/c/abi_layout.txt")).unwrap();
    let mut c =
        format!("#include \"{}\"\n\nstatic void probe_generated(void) {{\n", support::manifest_dir().join("tests/c/abi_probe.c").display());
    for line in layout.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let (head, fields) = line.split_once(" : ").unwrap_or((line, ""));
        let (kind, ty) = head.split_once(' ').unwrap();
        match kind {
            "struct" | "scalar" => {
                writeln!(c, "\tprintf(\"{ty}: size %zu align %zu\\n\", sizeof({ty}), _Alignof({ty}));").unwrap();
                for field in fields.split_whitespace() {
                    writeln!(
                        c,
                        "\tprintf(\"{ty}.{field}: offset %zu size %zu\\n\", offsetof({ty}, {field}), sizeof((({ty} *)0)->{field}));"
                    )
                    .unwrap();
                }
            }
            "bitfield" => {
                for field in fields.split_whitespace() {
                    writeln!(
                        c,
                        "\t{{ {ty} v; memset(&v, 0, sizeof(v)); v.{field}--; print_bytes(\"{ty}.{field} all ones\", &v, sizeof(v) < 8 ? sizeof(v) : 8); }}"
                    )
                    .unwrap();
                }
            }
            _ => panic!("abi_layout.txt: unknown line {line:?}"),
        }
    }
    for tag in &reference.struct_tags {
        writeln!(c, "\tprintf(\"struct {tag}: size %zu align %zu\\n\", sizeof(struct {tag}), _Alignof(struct {tag}));").unwrap();
    }
    let mut probed = BTreeSet::new();
    for (name, value) in &reference.object_macros {
        if !probed.insert(name) {
            continue; // alternative definitions (#ifdef branches): the active one is probed
        }
        writeln!(c, "#ifdef {name}").unwrap();
        if let Some((_, ty)) = INITIALIZER_MACROS.iter().find(|(n, _)| n == name) {
            writeln!(c, "\t{{ {ty} v = {name}; print_bytes(\"{name}\", &v, sizeof(v)); }}").unwrap();
        } else if value.is_empty() {
            writeln!(c, "\tputs(\"{name} defined\");").unwrap();
        } else if identifiers(value).next() == Some(value.as_str()) {
            // An alias (of a function, an enum, another macro, or a libsrtp 1.x name in the
            // inactive branch): what it finally expands to is what matters.
            writeln!(c, "\tprint_string(\"{name} expands to\", EXPANSION({name}));").unwrap();
        } else {
            writeln!(c, "\tPROBE_VALUE(\"{name}\", {name});").unwrap();
        }
        writeln!(c, "#else\n\tputs(\"{name} undefined\");\n#endif").unwrap();
    }
    for name in &reference.function_macros {
        writeln!(c, "#ifdef {name}\n\tputs(\"{name}() defined\");\n#else\n\tputs(\"{name}() undefined\");\n#endif").unwrap();
    }
    for name in &reference.enum_members {
        writeln!(c, "\tPROBE_VALUE(\"{name}\", {name});").unwrap();
    }
    c.push_str("}\n\nint main(void) {\n\tprobe_generated();\n\tprobe_behaviour();\n\treturn 0;\n}\n");
    c
}

fn build_and_run(source: &Path, tree: &Path, defines: &[&str], exe: &Path) -> String {
    let mut args = vec!["-Wall".to_string(), "-O1".into(), format!("-I{}", tree.display())];
    args.extend(cflags());
    args.extend(defines.iter().map(|d| format!("-D{d}")));
    args.extend([source.display().to_string(), "-o".into(), exe.display().to_string()]);
    args.extend(["-lglib-2.0".into(), "-ljansson".into()]);
    gcc(&args);
    let out = Command::new(exe).env("TZ", "UTC").output().expect("probe runs");
    assert!(out.status.success(), "{} failed: {}", exe.display(), String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Builds the probe against both trees with the given build switches; returns the reference output.
fn compare_trees(source: &Path, defines: &[&str]) -> String {
    let dir = source.parent().unwrap();
    let theirs = build_and_run(source, Path::new(REFERENCE), defines, &dir.join("probe-reference"));
    let mine = build_and_run(source, &ours(), defines, &dir.join("probe-ours"));
    let differences: Vec<String> =
        theirs.lines().zip(mine.lines()).filter(|(a, b)| a != b).map(|(a, b)| format!("  reference: {a}\n  ours:      {b}")).collect();
    assert!(differences.is_empty(), "with {defines:?}, {} differing lines:\n{}", differences.len(), differences.join("\n"));
    assert_eq!(theirs.lines().count(), mine.lines().count(), "with {defines:?}");
    theirs
}

#[test]
fn probe_prints_the_same_against_both_trees() {
    let reference = Declarations::of_tree(Path::new(REFERENCE), &[]);
    // Sanity of the extraction, so that an empty parse cannot pass.
    assert!(reference.object_macros.len() > 100, "{} macros", reference.object_macros.len());
    assert!(reference.enum_members.len() > 60, "{} enum members", reference.enum_members.len());
    assert!(reference.struct_tags.len() > 40, "{} struct tags", reference.struct_tags.len());

    let dir = support::scratch_dir("abi_headers");
    let source = dir.join("probe.c");
    std::fs::write(&source, generated_probe(&reference)).unwrap();
    let theirs = compare_trees(&source, &[]);
    // The other build switches the headers know (Debian uses neither).
    compare_trees(&source, &["USE_PTHREAD_MUTEX"]);
    let refcount_debug = compare_trees(&source, &["REFCOUNT_DEBUG"]);
    assert!(refcount_debug.contains("tracked objects"));

    // The probe did measure what it claims to.
    for expected in [
        "JANUS_PLUGIN_API_VERSION = 102",
        "JANUS_TRANSPORT_API_VERSION = 8",
        "JANUS_EVENTHANDLER_API_VERSION = 3",
        "JANUS_LOGGER_API_VERSION = 3",
        "JANUS_SDP_OA_DONE = 0",
        "janus_recorder: size",
        "janus_rtp_header.csrccount all ones = 0f 00",
        "JANUS_MUTEX_INITIALIZER = 00",
        "vprintf: line = \"[ERR] [",
        "free called, payload 42",
        "plugin slots: 0 0 1 0 0 0 1",
    ] {
        assert!(theirs.contains(expected), "probe output lacks {expected:?}");
    }
}

#[test]
fn same_functions_and_variables_are_declared() {
    let reference = Declarations::of_tree(Path::new(REFERENCE), &[]);
    let mine = Declarations::of_tree(&ours(), &[OURS_ONLY]);
    assert!(reference.externals.len() > 200, "{} externals", reference.externals.len());
    let (a, b) = (reference.external_names(), mine.external_names());
    let missing: Vec<_> = a.difference(&b).collect();
    let extra: Vec<_> = b.difference(&a).collect();
    assert!(missing.is_empty() && extra.is_empty(), "missing in ours: {missing:?}\nextra in ours: {extra:?}");
}

/// Each tree's declarations, appended after the other tree's headers: gcc rejects any
/// prototype or variable whose type differs.
#[test]
fn prototypes_are_compatible_both_ways() {
    let dir = support::scratch_dir("abi_headers_prototypes");
    let trees = [(PathBuf::from(REFERENCE), ours()), (ours(), PathBuf::from(REFERENCE))];
    for (headers_of, declarations_of) in trees {
        let declarations = Declarations::of_tree(&declarations_of, &[OURS_ONLY]);
        let mut c = String::new();
        for header in headers(&headers_of).iter().filter(|h| *h != OURS_ONLY) {
            writeln!(c, "#include \"{header}\"").unwrap();
        }
        for (_, text) in &declarations.externals {
            c.push_str(text);
            c.push('\n');
        }
        let source = dir.join("redeclare.c");
        std::fs::write(&source, c).unwrap();
        let mut args = vec!["-fsyntax-only".to_string(), format!("-I{}", headers_of.display())];
        args.extend(cflags());
        args.push(source.display().to_string());
        gcc(&args);
    }
}

/// events.h has no installed reference: check its declarations against the types the core's
/// events.c (1.1.2) defines, and that it pulls in what event handler sources rely on.
#[test]
fn events_header_declares_the_core_event_api() {
    let dir = support::scratch_dir("abi_headers_events");
    let source = dir.join("events.c");
    std::fs::write(
        &source,
        "#include \"events.h\"\n\
         int (*init)(gboolean, char *, GHashTable *) = janus_events_init;\n\
         void (*deinit)(void) = janus_events_deinit;\n\
         gboolean (*is_enabled)(void) = janus_events_is_enabled;\n\
         void (*notify)(int, int, guint64, ...) = janus_events_notify_handlers;\n\
         void (*edit)(const char *, janus_flags *) = janus_events_edit_events_mask;\n\
         const char *(*label)(int) = janus_events_type_to_label;\n\
         const char *(*name)(int) = janus_events_type_to_name;\n\
         int mask = JANUS_EVENT_TYPE_ALL == 0xffffffff && LOG_MAX == 7;\n",
    )
    .unwrap();
    let mut args = vec!["-fsyntax-only".into(), "-Werror".into(), format!("-I{}", ours().display())];
    args.extend(cflags());
    args.push(source.display().to_string());
    gcc(&args);
}
