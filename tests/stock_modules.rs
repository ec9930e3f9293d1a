//! Every module of Debian's `janus` package loads into a process whose global scope holds our
//! core (this test binary exports the core's symbols, as the `janus` binary does), its
//! `create()` runs, and it passes the checks the host applies. A failure here means a missing
//! or misnamed export, or a library the modules expect in the global scope.

use janus::abi::modules::load;
use janus::modules::{module_files, DisableList, ModuleKind};

/// What Debian 12's janus 1.1.2 ships, by kind: package names returned by `get_package()`.
const STOCK: &[(ModuleKind, &[&str])] = &[
    (
        ModuleKind::Plugin,
        &[
            "janus.plugin.audiobridge",
            "janus.plugin.duktape",
            "janus.plugin.echotest",
            "janus.plugin.lua",
            "janus.plugin.nosip",
            "janus.plugin.recordplay",
            "janus.plugin.sip",
            "janus.plugin.streaming",
            "janus.plugin.textroom",
            "janus.plugin.videocall",
            "janus.plugin.videoroom",
            "janus.plugin.voicemail",
        ],
    ),
    (
        ModuleKind::Transport,
        &[
            "janus.transport.http",
            "janus.transport.mqtt",
            "janus.transport.nanomsg",
            "janus.transport.pfunix",
            "janus.transport.rabbitmq",
            "janus.transport.websockets",
        ],
    ),
    (
        ModuleKind::EventHandler,
        &[
            "janus.eventhandler.gelfevh",
            "janus.eventhandler.mqttevh",
            "janus.eventhandler.nanomsgevh",
            "janus.eventhandler.rabbitmqevh",
            "janus.eventhandler.sampleevh",
            "janus.eventhandler.wsevh",
        ],
    ),
    (ModuleKind::Logger, &["janus.logger.jsonlog"]),
];

#[test]
fn every_stock_module_loads_and_declares_our_api() {
    let mut failures = Vec::new();
    for (kind, expected) in STOCK {
        let files = module_files(kind.default_folder(), &DisableList::default()).expect("module folder exists");
        let mut packages = Vec::new();
        for file in files.into_iter().map(|f| f.path) {
            match load(&file, *kind) {
                Ok(m) => {
                    assert_eq!(m.info.api_compatibility, kind.api_version(), "{}", file.display());
                    assert!(!m.info.name.is_empty() && !m.info.version_string.is_empty());
                    packages.push(m.info.package);
                }
                Err(e) => failures.push(format!("{}: {e}", file.display())),
            }
        }
        packages.sort();
        if failures.is_empty() {
            assert_eq!(packages, expected.to_vec(), "{kind:?} packages");
        }
    }
    assert!(failures.is_empty(), "modules that failed to load:\n{}", failures.join("\n"));
}

#[test]
fn our_c_plugins_load_like_stock_ones() {
    let dir = std::path::Path::new(env!("JANUS_PLUGINS_C_DIR"));
    let files = module_files(dir, &DisableList::default()).unwrap();
    assert!(!files.is_empty(), "plugins-c built nothing");
    let packages: Vec<String> =
        files.iter().map(|f| load(&f.path, ModuleKind::Plugin).unwrap_or_else(|e| panic!("{e}")).info.package).collect();
    assert!(packages.contains(&"janus.plugin.probe".to_string()));
}
