//! Command-line parsing through GLib's `GOptionContext`, the parser Janus uses: clustering,
//! `--name=value`, integer parsing, `--help` and every error message come out exactly as
//! they do from `/usr/bin/janus`.

use std::ffi::{CStr, CString};

use libc::{c_char, c_int, c_void};

use super::glib::*;

/// What an option takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionArg {
    Flag,
    Text,
    Int,
}

/// One option as GLib should know it.
#[derive(Clone, Copy, Debug)]
pub struct OptionSpec {
    pub long: &'static str,
    pub short: Option<char>,
    pub arg: OptionArg,
    pub description: &'static str,
    pub arg_description: Option<&'static str>,
}

/// A parsed value; `Int` starts from the caller's default.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionValue {
    Flag(bool),
    Text(Option<String>),
    Int(i32),
}

/// Parses `args` (program name first). Returns the value of every spec in order, or GLib's
/// error message. `--help` prints the usage and exits the process, as in Janus.
pub fn parse(specs: &[OptionSpec], int_default: i32, args: &[String]) -> Result<Vec<OptionValue>, String> {
    // Storage GLib writes into, one slot per spec.
    let mut flags = vec![FALSE; specs.len()];
    let mut texts: Vec<*mut c_char> = vec![std::ptr::null_mut(); specs.len()];
    let mut ints = vec![int_default as c_int; specs.len()];
    let owned: Vec<(CString, CString, Option<CString>)> = specs
        .iter()
        .map(|s| (CString::new(s.long).unwrap(), CString::new(s.description).unwrap(), s.arg_description.map(|a| CString::new(a).unwrap())))
        .collect();
    let mut entries: Vec<GOptionEntry> = specs
        .iter()
        .enumerate()
        .map(|(i, s)| GOptionEntry {
            long_name: owned[i].0.as_ptr(),
            short_name: s.short.map_or(0, |c| c as c_char),
            flags: 0,
            arg: match s.arg {
                OptionArg::Flag => G_OPTION_ARG_NONE,
                OptionArg::Text => G_OPTION_ARG_STRING,
                OptionArg::Int => G_OPTION_ARG_INT,
            },
            arg_data: match s.arg {
                OptionArg::Flag => &raw mut flags[i] as *mut c_void,
                OptionArg::Text => &raw mut texts[i] as *mut c_void,
                OptionArg::Int => &raw mut ints[i] as *mut c_void,
            },
            description: owned[i].1.as_ptr(),
            arg_description: owned[i].2.as_ref().map_or(std::ptr::null(), |a| a.as_ptr()),
        })
        .collect();
    entries.push(GOptionEntry {
        long_name: std::ptr::null(),
        short_name: 0,
        flags: 0,
        arg: 0,
        arg_data: std::ptr::null_mut(),
        description: std::ptr::null(),
        arg_description: std::ptr::null(),
    });

    let c_args: Vec<CString> = args.iter().map(|a| CString::new(a.as_str()).unwrap_or_default()).collect();
    let mut argv: Vec<*mut c_char> = c_args.iter().map(|a| a.as_ptr() as *mut c_char).collect();
    argv.push(std::ptr::null_mut());
    let mut argc = c_args.len() as c_int;
    let mut argv_ptr = argv.as_mut_ptr();

    // SAFETY: entries, their strings and the storage they point to outlive the context; GLib
    // only rearranges the argv pointer array (which we own) and g_strdup's string values.
    unsafe {
        let ctx = g_option_context_new(c"".as_ptr());
        g_option_context_set_help_enabled(ctx, TRUE);
        g_option_context_add_main_entries(ctx, entries.as_ptr(), std::ptr::null());
        let mut error: *mut GError = std::ptr::null_mut();
        let ok = g_option_context_parse(ctx, &mut argc, &mut argv_ptr, &mut error);
        g_option_context_free(ctx);
        let take_text = |p: *mut c_char| {
            if p.is_null() {
                None
            } else {
                let s = CStr::from_ptr(p).to_string_lossy().into_owned();
                g_free(p as gpointer);
                Some(s)
            }
        };
        let texts: Vec<Option<String>> = texts.into_iter().map(take_text).collect();
        if ok == FALSE {
            let message = if error.is_null() {
                String::from("Error parsing options")
            } else {
                let m = CStr::from_ptr((*error).message).to_string_lossy().into_owned();
                g_error_free(error);
                m
            };
            return Err(message);
        }
        Ok(specs
            .iter()
            .enumerate()
            .map(|(i, s)| match s.arg {
                OptionArg::Flag => OptionValue::Flag(flags[i] != FALSE),
                OptionArg::Text => OptionValue::Text(texts[i].clone()),
                OptionArg::Int => OptionValue::Int(ints[i]),
            })
            .collect())
    }
}
