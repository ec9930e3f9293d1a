//! Build script: finds the system C libraries the core shares with the modules, generates
//! their bindings, compiles the C shims of `compat/`, and makes the `janus` binary (and the
//! test binaries, which load modules too) export exactly the symbols of `compat/exports.txt`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

/// System libraries whose *same instance* the core and the modules must share, plus the ones
/// the stock modules expect to find in the executable's global scope (libsrtp2, libcurl).
const LIBRARIES: &[&str] = &["glib-2.0", "jansson", "libconfig", "libsrtp2", "libcurl", "libssl", "libcrypto", "zlib", "nice"];

/// Libraries the core itself may not call yet but must still be NEEDED, so that modules
/// relying on the executable's global scope resolve their symbols (see the ABI inventory 1.3).
const GLOBAL_SCOPE_LIBS: &[&str] = &["srtp2", "curl"];

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());

    let mut include_paths = Vec::new();
    for lib in LIBRARIES {
        let found = pkg_config::Config::new().probe(lib).unwrap_or_else(|e| panic!("pkg-config cannot find {lib}: {e}"));
        include_paths.extend(found.include_paths);
        // `info` lists some dependency versions as Janus records them at build time.
        let var = lib.replace(['-', '.'], "_").to_uppercase();
        println!("cargo:rustc-env=JANUS_DEP_{var}_VERSION={}", found.version);
    }

    generate_bindings(&out, &include_paths);
    compile_compat(&root, &include_paths);
    compile_c_plugins(&root, &out, &include_paths);
    export_symbols(&root);
    build_identity(&root);
    println!("cargo:rerun-if-changed=build.rs");
}

/// What `janus` prints as its commit and compile time (and `info` reports).
fn build_identity(root: &Path) {
    let run = |cmd: &str, args: &[&str]| {
        std::process::Command::new(cmd)
            .args(args)
            .current_dir(root)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let sha = run("git", &["rev-parse", "HEAD"]).unwrap_or_else(|| "not-a-git-repo".into());
    let time = run("date", &["-u", "+%a %b %e %T UTC %Y"]).unwrap_or_default();
    println!("cargo:rustc-env=JANUS_BUILD_GIT_SHA={sha}");
    println!("cargo:rustc-env=JANUS_BUILD_TIME={time}");
    println!("cargo:rerun-if-changed=.git/HEAD");
}

/// Bindings for the C libraries whose structs we need sized exactly (libconfig's `config_t`,
/// jansson's `json_t`/`json_error_t`).
fn generate_bindings(out: &Path, include_paths: &[PathBuf]) {
    let clang_args: Vec<String> = include_paths.iter().map(|p| format!("-I{}", p.display())).collect();
    let jobs: &[(&str, &str, &[&str])] = &[
        ("jansson.h", "jansson.rs", &["json_.*", "JSON_.*", "jsonp_.*"]),
        ("libconfig.h", "libconfig.rs", &["config_.*", "CONFIG_.*", "LIBCONFIG_.*"]),
        (
            "srtp2/srtp.h",
            "srtp.rs",
            &[
                "srtp_init",
                "srtp_shutdown",
                "srtp_err_status.*",
                "srtp_get_version_string",
                "srtp_create",
                "srtp_dealloc",
                "srtp_(un)?protect(_rtcp)?",
                "srtp_crypto_policy_set_rtp_default",
                "srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32",
                "srtp_crypto_policy_set_aes_gcm_(128|256)_16_auth",
                "srtp_policy_t",
                "ssrc_any_(in|out)bound",
            ],
        ),
        ("zlib.h", "zlib.rs", &["deflate", "deflateInit2_", "deflateEnd", "z_stream", "Z_.*", "ZLIB_VERSION"]),
        (
            "nice/agent.h",
            "nice.rs",
            &[
                "nice_agent_.*",
                "nice_address_.*",
                "nice_candidate_.*",
                "Nice.*",
                "NICE_.*",
                // The GLib/GObject plumbing an agent needs: its main context and loop, idle
                // sources to run work there, signals and properties.
                "g_main_context_(new|unref|pending|iteration|is_owner)",
                "g_main_loop_(new|run|quit|unref)",
                "g_idle_source_new",
                "g_source_(new|ref|set_callback|set_ready_time|get_ready_time|attach|unref|destroy)",
                "g_get_monotonic_time",
                "GSourceFuncs",
                "g_signal_connect_data",
                "g_signal_handlers_disconnect_matched",
                "g_object_(new|set|unref)",
                "g_slist_(append|free)",
                "g_free",
            ],
        ),
        ("openssl/ssl.h,openssl/err.h", "openssl.rs", OPENSSL_ITEMS),
        (
            "curl/curl.h",
            "curl.rs",
            &[
                "curl_easy_(init|setopt|perform|cleanup|strerror)",
                "CURLOPT_(URL|HTTPGET|POST|POSTFIELDS|TIMEOUT|WRITEFUNCTION|WRITEDATA|USERAGENT|NOSIGNAL)",
                "CURLE_OK",
                "CURL",
                "CURLcode",
                "CURLoption",
            ],
        ),
    ];
    for (header, file, patterns) in jobs {
        let mut builder = bindgen::Builder::default()
            .header_contents("wrapper.h", &header.split(',').map(|h| format!("#include <{h}>\n")).collect::<String>())
            .clang_args(&clang_args)
            .layout_tests(false)
            .derive_default(true)
            .prepend_enum_name(false);
        for p in *patterns {
            builder = builder.allowlist_function(p).allowlist_type(p).allowlist_var(p);
        }
        builder
            .generate()
            .unwrap_or_else(|e| panic!("bindgen failed on {header}: {e}"))
            .write_to_file(out.join(file))
            .expect("cannot write bindings");
    }
}

/// What DTLS-SRTP uses of libssl/libcrypto (`sys::openssl`): the names, nothing around them.
const OPENSSL_ITEMS: &[&str] = &[
    "SSL_CTX_new",
    "SSL_CTX_free",
    "DTLS_method",
    "SSL_CTX_set_verify",
    "SSL_CTX_set_tlsext_use_srtp",
    "SSL_CTX_use_certificate",
    "SSL_CTX_use_PrivateKey",
    "SSL_CTX_check_private_key",
    "SSL_CTX_set_cipher_list",
    "SSL_CTX_ctrl",
    "SSL_new",
    "SSL_free",
    "SSL_set_bio",
    "SSL_set_info_callback",
    "SSL_set_connect_state",
    "SSL_set_accept_state",
    "SSL_do_handshake",
    "SSL_read",
    "SSL_write",
    "SSL_get_error",
    "SSL_is_init_finished",
    "SSL_get1_peer_certificate",
    "SSL_get_selected_srtp_profile",
    "SSL_export_keying_material",
    "SSL_shutdown",
    "SSL_get_shutdown",
    "SSL_ctrl",
    "SSL_set_options",
    "DTLS_set_timer_cb",
    "SSL_get_wbio",
    "SSL_get_version",
    "SSL_get_current_cipher",
    "SSL_CIPHER_get_name",
    "BIO_new",
    "BIO_free",
    "BIO_s_mem",
    "BIO_write",
    "BIO_read",
    "BIO_ctrl",
    "BIO_new_mem_buf",
    "BIO_meth_new",
    "BIO_meth_set_write",
    "BIO_meth_set_ctrl",
    "BIO_meth_set_create",
    "BIO_meth_set_destroy",
    "BIO_set_data",
    "BIO_get_data",
    "BIO_set_init",
    "BIO_set_shutdown",
    "X509_new",
    "X509_free",
    "X509_set_version",
    "X509_get_serialNumber",
    "ASN1_INTEGER_set",
    "X509_getm_notBefore",
    "X509_getm_notAfter",
    "X509_gmtime_adj",
    "X509_set_pubkey",
    "X509_get_subject_name",
    "X509_NAME_add_entry_by_txt",
    "X509_set_issuer_name",
    "X509_sign",
    "X509_digest",
    "X509_STORE_CTX_get_error",
    "EVP_sha256",
    "EVP_sha1",
    "EVP_PKEY_Q_keygen",
    "EVP_PKEY_free",
    "PEM_read_bio_X509",
    "PEM_read_bio_PrivateKey",
    "PEM_write_bio_X509",
    "ERR_get_error",
    "ERR_error_string_n",
    "ERR_clear_error",
    "SRTP_PROTECTION_PROFILE",
    "BIO_METHOD",
    "SSL_CTX",
    "SSL",
    "BIO",
    "X509",
    "EVP_PKEY",
    "SSL_ERROR_.*",
    "SSL_VERIFY_.*",
    "SSL_CB_.*",
    "SSL_CTRL_.*",
    "DTLS_CTRL_.*",
    "BIO_CTRL_.*",
    "BIO_C_SET_BUF_MEM_EOF_RETURN",
    "BIO_TYPE_.*",
    "SSL_RECEIVED_SHUTDOWN",
    "SSL_SENT_SHUTDOWN",
    "NID_X9_62_prime256v1",
    "MBSTRING_ASC",
    "X509_V_.*",
    "EVP_MAX_MD_SIZE",
];

/// The C shims: only what stable Rust cannot express (C-variadic functions).
fn compile_compat(root: &Path, include_paths: &[PathBuf]) {
    let mut build = cc::Build::new();
    build.include(root.join("include")).warnings(true).extra_warnings(true);
    for p in include_paths {
        build.include(p);
    }
    let mut any = false;
    for entry in fs::read_dir(root.join("compat")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "c") {
            println!("cargo:rerun-if-changed={}", path.display());
            build.file(&path);
            any = true;
        }
    }
    if any {
        build.compile("janus_compat");
    }
    println!("cargo:rerun-if-changed=compat");
    println!("cargo:rerun-if-changed=include");
}

/// Our own C plugins (`plugins-c/*.c`), each built into `OUT_DIR/plugins-c/libjanus_<name>.so`
/// against our `include/`, exactly as a third-party plugin would be. Tests find the folder
/// through `JANUS_PLUGINS_C_DIR`.
fn compile_c_plugins(root: &Path, out: &Path, include_paths: &[PathBuf]) {
    let dest = out.join("plugins-c");
    fs::create_dir_all(&dest).unwrap();
    let compiler = cc::Build::new().get_compiler();
    for entry in fs::read_dir(root.join("plugins-c")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "c") {
            continue;
        }
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
        let so = dest.join(format!("lib{stem}.so"));
        let mut cmd = compiler.to_command();
        cmd.args(["-shared", "-fPIC", "-O2", "-g", "-Wall", "-Werror", "-Wno-override-init"])
            .arg(format!("-I{}", root.join("include").display()))
            .arg(format!("-I{}", root.join("include/plugins").display()));
        for p in include_paths {
            cmd.arg(format!("-I{}", p.display()));
        }
        cmd.arg(&path).arg("-o").arg(&so);
        let status = cmd.status().expect("C compiler runs");
        assert!(status.success(), "building {} failed", path.display());
    }
    println!("cargo:rerun-if-changed={}", root.join("plugins-c").display());
    println!("cargo:rustc-env=JANUS_PLUGINS_C_DIR={}", dest.display());
}

/// The modules resolve their imports from the global scope of the process, so the binary must
/// export them. A Rust executable exports nothing by default: hand the linker a dynamic list,
/// and `-u` each symbol so that the archive members defining it are linked in at all.
fn export_symbols(root: &Path) {
    let list_txt = root.join("compat/exports.txt");
    println!("cargo:rerun-if-changed={}", list_txt.display());
    let symbols: Vec<String> = fs::read_to_string(&list_txt)
        .unwrap()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect();
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let dynamic_list = out.join("exports.dynamic-list");
    let body: String = symbols.iter().map(|s| format!("  {s};\n")).collect();
    fs::write(&dynamic_list, format!("{{\n{body}}};\n")).unwrap();

    let mut args = vec![format!("-Wl,--dynamic-list={}", dynamic_list.display())];
    args.extend(symbols.iter().map(|s| format!("-Wl,-u,{s}")));
    // Keep these NEEDED even though the core may not reference them itself.
    args.push("-Wl,--no-as-needed".into());
    args.extend(GLOBAL_SCOPE_LIBS.iter().map(|l| format!("-l{l}")));
    args.push("-Wl,--as-needed".into());
    for a in &args {
        println!("cargo:rustc-link-arg-bins={a}");
        println!("cargo:rustc-link-arg-tests={a}");
    }
}
