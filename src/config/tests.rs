use super::*;

fn ini(text: &str) -> Result<Config, ParseError> {
    Config::parse_ini("test.cfg", text.as_bytes())
}

fn ini_error(text: &str) -> (usize, IniError) {
    match ini(text) {
        Err(ParseError::Ini { line, error, .. }) => (line, error),
        other => panic!("expected an INI error, got {other:?}"),
    }
}

fn names(entries: &[Entry]) -> Vec<&str> {
    entries.iter().map(|e| e.name.as_deref().unwrap_or("<none>")).collect()
}

/// A scratch file for one test, named so that its syntax follows the extension.
fn temp_file(name: &str, content: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("janus-config-unit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn ini_items_categories_and_root_items() {
    let c = ini("top = 1\n[general]\n  a =  b c  \nempty =\n[Other]\nx=y\n").unwrap();
    assert!(!c.is_jcfg);
    assert_eq!(names(&c.entries), ["top", "general", "Other"]);
    assert_eq!(c.get(Kind::Item, "TOP").and_then(Entry::value), Some("1"));
    assert_eq!(c.get_value("GENERAL", "a"), Some("b c"));
    assert_eq!(c.get_value("general", "empty"), Some(""));
    assert_eq!(c.get_value("other", "X"), Some("y"));
    assert!(c.get(Kind::Item, "general").is_none(), "kind must match");
    assert!(c.get(Kind::Any, "general").is_some());
}

#[test]
fn ini_comments_and_escapes() {
    let c = ini("; full comment\n[c] ; trailing\nk = v ; comment\ne = a\\;b\\;c;gone\nd = x\\\\;y\n# hash = kept\n").unwrap();
    let cat = c.get(Kind::Category, "c").unwrap();
    assert_eq!(cat.get_value("k"), Some("v"));
    assert_eq!(cat.get_value("e"), Some("a;b;c"));
    // Only the backslash right before the semicolon is consumed.
    assert_eq!(cat.get_value("d"), Some("x\\;y"));
    // '#' is not a comment: the line is an item whose name starts with it.
    assert_eq!(cat.get_value("# hash"), Some("kept"));
}

#[test]
fn ini_multiline_marker() {
    let c = ini("[c]\na = > text here\nb => x\nc = >\t>y\n").unwrap();
    let cat = c.get(Kind::Category, "c").unwrap();
    assert_eq!(cat.get_value("a"), Some("text here"));
    assert_eq!(cat.get_value("b"), Some("x"));
    assert_eq!(cat.get_value("c"), Some(">y"), "only one marker is stripped");
    assert_eq!(ini_error("[c]\nok = 1\nbad = >  \n"), (3, IniError::ItemValue));
}

#[test]
fn ini_duplicates_last_wins_and_moves_to_end() {
    let c = ini("[a]\nx = 1\ny = 2\nX = 3\n[b]\n[A]\nz = 4\n").unwrap();
    // [A] replaced [a] (and its items), and went to the end.
    assert_eq!(names(&c.entries), ["b", "A"]);
    assert_eq!(names(c.get(Kind::Any, "a").unwrap().members()), ["z"]);
    let c = ini("[a]\nx = 1\ny = 2\nX = 3\n").unwrap();
    let a = c.get(Kind::Category, "a").unwrap();
    assert_eq!(names(a.members()), ["y", "X"]);
    assert_eq!(a.get_value("x"), Some("3"));
}

#[test]
fn ini_errors_fail_the_whole_file() {
    assert_eq!(ini_error("[ok]\n[broken\n"), (2, IniError::CategorySyntax));
    assert_eq!(ini_error("\n\n[  ]\n"), (3, IniError::CategoryName));
    assert_eq!(ini_error("[]"), (1, IniError::CategoryName));
    assert_eq!(ini_error("[c]\njust words\n"), (2, IniError::Item));
    assert_eq!(ini_error("= value\n"), (1, IniError::Item));
    assert_eq!(ini_error("# a comment in the wrong syntax\n"), (1, IniError::Item));
    let e = ini("[c]\nnoequals\n").unwrap_err();
    assert_eq!(e.to_string(), "Error parsing item at line 2 (test.cfg)");
}

#[test]
fn ini_text_after_category_bracket_and_crlf() {
    let c = ini("[ cat ] trailing junk\r\na = b\r\n").unwrap();
    assert_eq!(c.get_value("cat", "a"), Some("b"));
}

#[test]
fn ini_long_lines_arrive_in_pieces() {
    // 8191 bytes fill fgets' buffer; the rest of the line is a line of its own.
    let long = format!("a = {}", "x".repeat(8191 - 4));
    let c = ini(&format!("{long}b = 2\n")).unwrap();
    assert_eq!(c.get(Kind::Item, "a").and_then(Entry::value).map(str::len), Some(8187));
    assert_eq!(c.get(Kind::Item, "b").and_then(Entry::value), Some("2"));
    let long = format!("a = {}", "x".repeat(8191));
    assert_eq!(ini_error(&format!("{long}\n")), (2, IniError::Item));
}

#[test]
fn ini_nul_ends_the_line() {
    let c = Config::parse_ini("n.cfg", b"a = 1\0junk\nb = 2\n").unwrap();
    assert_eq!(c.get(Kind::Item, "a").and_then(Entry::value), Some("1"));
    assert_eq!(c.get(Kind::Item, "b").and_then(Entry::value), Some("2"));
}

#[test]
fn ini_render_and_reparse() {
    let mut c = ini("root = r\n[general]\nsemi = a\\;b\nempty =\n[other]\nk = v\n").unwrap();
    let mut nested = Entry::category("nested");
    nested.add(Entry::item("deep", "1")).unwrap();
    let general = c.entries.iter_mut().find(|e| e.name.as_deref() == Some("general")).unwrap();
    general.add(nested).unwrap();
    general.add(Entry::array("list")).unwrap();
    let (text, log) = c.render("DATE");
    let text = String::from_utf8(text).unwrap();
    assert_eq!(
        text,
        ";\n; File automatically generated on DATE\n;\n\nroot = r\n[general]\nsemi = a\\;b\nempty = \n\
         deep = 1\n\r\n\r\n[other]\nk = v\n\r\n"
    );
    assert_eq!(
        log,
        [
            LogLine { level: LogLevel::Warn, text: "Dropping indented category nested (unsupported in INI files)\n".into() },
            LogLine { level: LogLevel::Warn, text: "Dropping array list (unsupported in INI files)\n".into() },
        ]
    );
    let again = Config::parse_ini("test.cfg", text.as_bytes()).unwrap();
    assert_eq!(again.get_value("general", "semi"), Some("a;b"));
    assert_eq!(again.get_value("general", "deep"), Some("1"), "nested items are flattened");
    assert_eq!(again.get_value("other", "k"), Some("v"));
}

#[test]
fn print_lines_follow_janus() {
    let mut c = Config::new("x.jcfg");
    let mut cat = Entry::category("general");
    cat.add(Entry::item("a", "1")).unwrap();
    let mut arr = Entry::array("list");
    arr.add(Entry { name: None, node: Node::Item(Some("v".into())) }).unwrap();
    arr.add(Entry { name: None, node: Node::Category(vec![Entry::item("k", "w")]) }).unwrap();
    cat.add(arr).unwrap();
    cat.add(Entry { name: Some("novalue".into()), node: Node::Item(None) }).unwrap();
    c.add(cat);
    assert_eq!(
        c.print_lines(),
        [
            "[x.jcfg]\n",
            "    general: {\n",
            "        a: 1\n",
            "        list: [\n",
            "            v\n",
            "            {\n",
            "                k: w\n",
            "            }\n",
            "        ]\n",
            "        novalue\n",
            "    }\n",
        ]
    );
}

#[test]
fn nameless_entries_are_never_found_or_replaced() {
    let mut arr = Entry::array("a");
    arr.add(Entry { name: None, node: Node::Item(Some("1".into())) }).unwrap();
    arr.add(Entry { name: None, node: Node::Item(Some("1".into())) }).unwrap();
    assert_eq!(arr.members().len(), 2);
    assert!(arr.get(Kind::Any, "").is_none());
    let mut item = Entry::item("i", "v");
    assert!(item.add(Entry::item("x", "y")).is_err(), "items hold no members");
}

#[test]
fn jcfg_scalars_become_janus_text() {
    let path = temp_file(
        "scalars.jcfg",
        "general: {\n i = 42\n neg = -7\n hex = 0x1F\n big = 5000000000L\n f = 0.5\n g = 1e3\n t = true\n no = false\n s = \"text\"\n}\n\
         arr = [ 1, 2, 3 ]\nlist = ( \"a\", 1.25, { k = \"v\" }, [ true ] )\nA = 1\na = 2\n",
    );
    let c = Config::parse_file(&path).unwrap();
    assert!(c.is_jcfg);
    assert_eq!(c.name, "scalars.jcfg");
    let g = c.get(Kind::Category, "general").unwrap();
    let values: Vec<_> = g.members().iter().map(|e| (e.name.as_deref().unwrap(), e.value().unwrap())).collect();
    assert_eq!(
        values,
        [
            ("i", "42"),
            ("neg", "-7"),
            ("hex", "31"),
            ("big", "5000000000"),
            ("f", "0.500000"),
            ("g", "1000.000000"),
            ("t", "true"),
            ("no", "false"),
            ("s", "text"),
        ]
    );
    let arr = c.get(Kind::Array, "arr").unwrap();
    assert!(arr.members().iter().all(|e| e.name.is_none()));
    assert_eq!(arr.members().iter().map(|e| e.value().unwrap()).collect::<Vec<_>>(), ["1", "2", "3"]);
    let list = c.get(Kind::Array, "list").unwrap().members();
    assert_eq!(list[0].value(), Some("a"));
    assert_eq!(list[1].value(), Some("1.250000"));
    assert_eq!(list[2].kind(), Kind::Category);
    assert_eq!(list[2].get_value("K"), Some("v"));
    assert_eq!(list[3].kind(), Kind::Array);
    assert_eq!(list[3].members()[0].value(), Some("true"));
    // libconfig names are case-sensitive, Janus' are not: the later one replaces the earlier.
    assert_eq!(names(&c.entries), ["general", "arr", "list", "a"]);
}

#[test]
fn jcfg_errors_carry_libconfig_line_and_text() {
    let path = temp_file("broken.jcfg", "general: {\n  ok = 1\n  path = /not/quoted\n}\n");
    let e = Config::parse_file(&path).unwrap_err();
    assert_eq!(e, ParseError::Jcfg { line: 3, text: Some("syntax error".into()) });
    assert_eq!(e.to_string(), "Error parsing config file at line 3: syntax error");
}

#[test]
fn missing_file_is_an_open_error() {
    let e = Config::parse_file(Path::new("/nonexistent/janus.jcfg")).unwrap_err();
    assert_eq!(e.to_string(), "  -- Error reading configuration file 'janus.jcfg'... error 2 (No such file or directory)");
}

#[test]
fn a_folder_reads_as_an_empty_ini_file() {
    let dir = temp_file("placeholder.cfg", "").parent().unwrap().to_path_buf();
    let c = Config::parse_file(&dir).unwrap();
    assert!(!c.is_jcfg);
    assert!(c.entries.is_empty());
}

#[test]
fn jcfg_render_writes_strings_and_lists() {
    let mut c = Config::new("out.jcfg");
    let mut g = Entry::category("general");
    g.add(Entry::item("n", "1")).unwrap();
    let mut arr = Entry::array("list");
    arr.add(Entry { name: None, node: Node::Item(Some("x".into())) }).unwrap();
    g.add(arr).unwrap();
    g.add(Entry::item("bad name", "v")).unwrap();
    c.add(g);
    let (text, log) = c.render("DATE");
    let text = String::from_utf8(text).unwrap();
    assert!(text.starts_with("#\n# File automatically generated on DATE\n#\n\n"), "{text}");
    assert!(text.contains("n = \"1\";"), "{text}");
    assert!(text.contains("list = ( \"x\" );"), "{text}");
    assert_eq!(log, [LogLine { level: LogLevel::Err, text: "Error saving string 'bad name' to the config file...\n".into() }]);
}

#[test]
fn float_text_is_c_percent_f() {
    assert_eq!(jcfg::format_f(0.5), "0.500000");
    assert_eq!(jcfg::format_f(-0.0), "-0.000000");
    assert_eq!(jcfg::format_f(1e-7), "0.000000");
    assert_eq!(jcfg::format_f(123456789.125), "123456789.125000");
    assert_eq!(jcfg::format_f(f64::INFINITY), "inf");
}

#[test]
fn save_creates_folders_and_reports_failures() {
    let base = std::env::temp_dir().join(format!("janus-config-save-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let c = ini("[c]\na = 1\n").unwrap();
    let (path, _) = c.save(Some(&base.join("x/y/")), OsStr::new("name")).unwrap();
    assert_eq!(path, base.join("x/y/name.cfg"));
    assert_eq!(Config::parse_file(&path).unwrap().entries, c.entries);
    // A file in the way of the folder: mkdir -p fails under it.
    std::fs::write(base.join("file"), "").unwrap();
    assert!(matches!(c.save(Some(&base.join("file/sub")), OsStr::new("n")), Err(SaveError::Folder(_))));
    // The folder "exists" (as a file), so only opening the target fails.
    assert!(matches!(c.save(Some(&base.join("file")), OsStr::new("n")), Err(SaveError::Open(_))));
    let _ = std::fs::remove_dir_all(&base);
}
