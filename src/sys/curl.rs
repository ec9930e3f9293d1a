//! The system libcurl (bindgen), for the one HTTP(S) request the core makes itself: asking
//! a TURN REST API backend for credentials, as Janus does with libcurl.

include!(concat!(env!("OUT_DIR"), "/curl.rs"));

use std::ffi::{c_char, c_void, CStr, CString};

/// An HTTP(S) request: `body` makes it a POST with that form body, else a GET.
pub struct Request<'a> {
    pub url: &'a str,
    pub body: Option<&'a str>,
    pub timeout_secs: u32,
    pub user_agent: &'a str,
}

/// Appends what libcurl received to the `Vec<u8>` behind `userdata`.
unsafe extern "C" fn collect(ptr: *mut c_char, size: usize, count: usize, userdata: *mut c_void) -> usize {
    let len = size.saturating_mul(count);
    if len > 0 && !ptr.is_null() {
        // SAFETY: libcurl hands `len` readable bytes and the `userdata` we registered.
        let received = &mut *(userdata as *mut Vec<u8>);
        received.extend_from_slice(std::slice::from_raw_parts(ptr as *const u8, len));
    }
    len
}

/// Performs `request`; the response body, or libcurl's reason for failing.
pub fn perform(request: &Request) -> Result<Vec<u8>, String> {
    let (Ok(url), Ok(agent)) = (CString::new(request.url), CString::new(request.user_agent)) else {
        return Err("invalid URL".into());
    };
    let body = match request.body.map(CString::new).transpose() {
        Ok(body) => body,
        Err(_) => return Err("invalid body".into()),
    };
    let mut received: Vec<u8> = Vec::new();
    // SAFETY: one easy handle used on this thread only; every pointer given to it (URL,
    // agent, body, the output vector) outlives curl_easy_perform, and the handle is
    // cleaned up before they go.
    unsafe {
        let curl = curl_easy_init();
        if curl.is_null() {
            return Err("libcurl error".into());
        }
        let one: std::ffi::c_long = 1;
        curl_easy_setopt(curl, CURLOPT_URL, url.as_ptr());
        // No signals from libcurl's resolver: the process blocks them for its own use.
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, one);
        match &body {
            Some(b) => {
                curl_easy_setopt(curl, CURLOPT_POST, one);
                curl_easy_setopt(curl, CURLOPT_POSTFIELDS, b.as_ptr());
            }
            None => {
                curl_easy_setopt(curl, CURLOPT_HTTPGET, one);
            }
        }
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, std::ffi::c_long::from(request.timeout_secs));
        let write: unsafe extern "C" fn(*mut c_char, usize, usize, *mut c_void) -> usize = collect;
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &mut received as *mut Vec<u8> as *mut c_void);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, agent.as_ptr());
        let res = curl_easy_perform(curl);
        curl_easy_cleanup(curl);
        if res != CURLE_OK {
            let reason = curl_easy_strerror(res);
            return Err(if reason.is_null() { "error".into() } else { CStr::from_ptr(reason).to_string_lossy().into_owned() });
        }
    }
    Ok(received)
}
