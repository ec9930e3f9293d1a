//! The system zlib (bindgen), and the one-shot gzip deflate Janus uses for event handlers.

include!(concat!(env!("OUT_DIR"), "/zlib.rs"));

/// Why a one-shot gzip compression failed: zlib's return code at the step that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GzipError {
    Init(i32),
    Deflate(i32),
    End(i32),
}

/// Deflates `input` into `output` as a single gzip member (windowBits 15|16, memLevel 8,
/// default strategy), with `level` -1 (zlib default) or 0..=9. Returns the compressed size;
/// an `output` too small to hold everything is an error, as in Janus.
pub fn gzip(level: i32, input: &[u8], output: &mut [u8]) -> Result<usize, GzipError> {
    let (Ok(avail_in), Ok(avail_out)) = (uInt::try_from(input.len()), uInt::try_from(output.len())) else {
        return Err(GzipError::Init(Z_BUF_ERROR));
    };
    // SAFETY: the stream points into `input`/`output` only for the duration of this call,
    // and is always released with deflateEnd once initialised.
    unsafe {
        let mut zs: z_stream = std::mem::zeroed();
        zs.next_in = input.as_ptr() as *mut Bytef;
        zs.avail_in = avail_in;
        zs.next_out = output.as_mut_ptr();
        zs.avail_out = avail_out;
        let res = deflateInit2_(
            &mut zs,
            level,
            Z_DEFLATED as i32,
            15 | 16,
            8,
            Z_DEFAULT_STRATEGY as i32,
            ZLIB_VERSION.as_ptr().cast(),
            std::mem::size_of::<z_stream>() as i32,
        );
        if res != Z_OK as i32 {
            return Err(GzipError::Init(res));
        }
        let res = deflate(&mut zs, Z_FINISH as i32);
        let end = deflateEnd(&mut zs);
        if res != Z_STREAM_END as i32 {
            return Err(GzipError::Deflate(res));
        }
        if end != Z_OK as i32 {
            return Err(GzipError::End(end));
        }
        Ok(zs.total_out as usize)
    }
}
