//! The VP9 payload descriptor's SVC information (`janus_vp9_parse_svc`): spatial/temporal
//! layer indices and the flags the VideoRoom and Streaming plugins use to pick layers.

/// `janus_vp9_svc_info`: 16 bytes, Janus' layout (plugins pass it by pointer).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SvcInfo {
    pub spatial_layer: i32,
    pub temporal_layer: i32,
    pub fbit: u8,
    pub pbit: u8,
    pub dbit: u8,
    pub ubit: u8,
    pub bbit: u8,
    pub ebit: u8,
}

const _: () = {
    use std::mem::{offset_of, size_of};
    assert!(size_of::<SvcInfo>() == 16);
    assert!(offset_of!(SvcInfo, temporal_layer) == 4);
    assert!(offset_of!(SvcInfo, fbit) == 8);
    assert!(offset_of!(SvcInfo, ebit) == 13);
};

/// What `janus_vp9_parse_svc` finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SvcParse {
    /// Under 8 bytes: -1, nothing reported.
    TooShort,
    /// No layer indices (L=0): found = FALSE, 0.
    NoLayers,
    /// found = TRUE, 0.
    Layers(SvcInfo),
    /// The layer indices were read (found = TRUE, info filled) but what follows runs past
    /// the end: -1, as in Janus.
    Truncated(SvcInfo),
}

pub fn parse_svc(payload: &[u8]) -> SvcParse {
    if payload.len() < 8 {
        return SvcParse::TooShort;
    }
    let pd = payload[0];
    let bit = |mask: u8| u8::from(pd & mask != 0);
    let (i, p, l, f, v) = (bit(0x80), bit(0x40), bit(0x20), bit(0x10), bit(0x02));
    if l == 0 {
        return SvcParse::NoLayers;
    }
    // Janus counts the bytes left in a signed `len`, checking it only at some steps; `left`
    // mirrors it so the error cases are the same, `at` never passes the end when read.
    let total = payload.len() as isize;
    let mut at: isize = 1;
    let left = |at: isize| total - at;
    if i == 1 {
        at += if payload[1] & 0x80 != 0 { 2 } else { 1 };
    }
    let layers = payload[at as usize];
    let info = SvcInfo {
        temporal_layer: i32::from(layers >> 5),
        spatial_layer: i32::from((layers & 0x0e) >> 1),
        fbit: f,
        pbit: p,
        dbit: layers & 0x01,
        ubit: (layers & 0x10) >> 4,
        bbit: bit(0x08),
        ebit: bit(0x04),
    };
    at += if f == 1 { 1 } else { 2 };
    if f == 1 && p == 1 {
        loop {
            let b = payload[at as usize];
            at += 1;
            if left(at) == 0 {
                return SvcParse::Truncated(info);
            }
            if b & 0x01 == 0 {
                break;
            }
        }
    }
    if v == 1 {
        let ss = payload[at as usize];
        let spatial = isize::from(ss >> 5) + 1;
        let (y, g) = (ss & 0x10 != 0, ss & 0x08 != 0);
        if y {
            at += 1;
            if left(at) == 0 {
                return SvcParse::Truncated(info);
            }
            for _ in 0..spatial {
                at += 4;
                if left(at) <= 0 {
                    return SvcParse::Truncated(info);
                }
            }
        }
        if g {
            if !y {
                at += 1;
                if left(at) == 0 {
                    return SvcParse::Truncated(info);
                }
            }
            let pictures = payload[at as usize];
            at += 1;
            if left(at) == 0 {
                return SvcParse::Truncated(info);
            }
            for _ in 0..pictures {
                let refs = isize::from((payload[at as usize] & 0x0c) >> 2);
                if refs > 0 {
                    at += refs;
                    if left(at) <= 0 {
                        return SvcParse::Truncated(info);
                    }
                }
                at += 1;
                if left(at) == 0 {
                    return SvcParse::Truncated(info);
                }
            }
        }
    }
    SvcParse::Layers(info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_indices() {
        // I (7-bit), L, non-flexible: layers T=2 U S=1 D, TL0PICIDX, then payload.
        let p = [0xa8, 0x12, 0x53, 0x07, 0, 0, 0, 0];
        let SvcParse::Layers(info) = parse_svc(&p) else { panic!() };
        assert_eq!(info, SvcInfo { spatial_layer: 1, temporal_layer: 2, fbit: 0, pbit: 0, dbit: 1, ubit: 1, bbit: 1, ebit: 0 });
        // No L bit: nothing found.
        assert_eq!(parse_svc(&[0x88, 0x12, 0, 0, 0, 0, 0, 0]), SvcParse::NoLayers);
        assert_eq!(parse_svc(&p[..7]), SvcParse::TooShort);
    }

    #[test]
    fn flexible_mode_and_scalability_structure() {
        // I+M, P, L, F, E, V: picture id (2), layers S=2, two P_DIFFs (N=1 then 0),
        // SS with N_S=3 (2 layers), Y and G: 2 resolutions, N_G=1, one picture with R=1.
        let p = [0xf6, 0x81, 0x00, 0x04, 0x03, 0x02, 0x38, 0x01, 0x40, 0x00, 0xf0, 0x02, 0x80, 0x01, 0x68, 0x01, 0x04, 0x01, 0xaa, 0xbb];
        let SvcParse::Layers(info) = parse_svc(&p) else { panic!() };
        assert_eq!((info.spatial_layer, info.temporal_layer, info.fbit, info.pbit, info.ebit), (2, 0, 1, 1, 1));
        // Cutting into the scalability structure is an error, as in Janus.
        for cut in 8..p.len() - 1 {
            assert_eq!(parse_svc(&p[..cut]), SvcParse::Truncated(info), "cut at {cut}");
        }
    }
}
